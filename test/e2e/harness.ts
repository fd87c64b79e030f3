/**
 * End-to-end rig: the Twilio emulator, the Gemini Live emulator and a real tolk, in one process,
 * wired exactly as in production (tolk reaches both emulators through the real SDKs, via
 * TWILIO_API_URL and GEMINI_API_URL). Time runs `speed` times faster than real time everywhere.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Writable } from 'node:stream';
import { startApp, type App, type AppOverrides } from '../../src/app';
import { RealFrameClock } from '../../src/call/frame-clock';
import { loadConfig } from '../../src/config/env';
import type { NumberSettings } from '../../src/config/numbers';
import { createLogger } from '../../src/log/logger';
import { openStore } from '../../src/store/open-store';
import { startGeminiEmulator, type GeminiEmulator, type GeminiEmulatorOptions } from '../../src/emulators/gemini/server';
import { startTwilioEmulator, type TwilioEmulator, type TwilioEmulatorOptions } from '../../src/emulators/twilio/emulator';
import { freePort } from '../../src/emulators/free-port';
import { frameLevels } from '../../scripts/demo-timeline';
import { toneLevel } from '../twilio-emulator/signal';
import { stallFreeTime, type StallFreeTime } from './stall-free-time';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
export const TOLK_NUMBER = '+15550001111';
export const AGENT_NUMBER = '+15550002222';
export const CALLER_NUMBER = '+34911234567';

export interface Rig {
  tolk: App;
  twilio: TwilioEmulator;
  /** Replaceable (a test may stop it and start another on its port); close() closes the current one. */
  gemini: GeminiEmulator;
  logs: Record<string, unknown>[];
  speed: number;
  /** With `pauseOnStall`: the time the emulated phone network and tolk's play-out clock run on. */
  time?: StallFreeTime;
  close(): Promise<void>;
}

export interface RigOptions {
  speed?: number;
  number?: Partial<NumberSettings>;
  twilio?: TwilioEmulatorOptions;
  gemini?: GeminiEmulatorOptions;
  overrides?: AppOverrides;
  /** Extra environment for tolk (e.g. TOLK_MAX_CALLS). */
  env?: Record<string, string>;
  /** The interpreter's TwiML App (TWILIO_TWIML_APP_SID), its Voice URL pointing at tolk, for conference interpreting. */
  interpreterApp?: boolean;
  /** The tolk number's status callback at Twilio (default true; false: Twilio reports nothing of the caller's leg). */
  numberStatusCallback?: boolean;
  /**
   * The emulated phone network and tolk's play-out clock pause while this process stalls
   * (stall-free-time.ts), for tests of what a party hears sample by sample, which a stall of the
   * machine running both ends would otherwise damage. tolk's other timers keep real time.
   * `'machine'`: only while the machine does not run this process; what the process spends itself
   * (tolk's work on the event loop among it) is heard, as it would be on a phone.
   */
  pauseOnStall?: boolean | 'machine';
}

/** The SID of the interpreter's TwiML App in rigs with `interpreterApp`. */
export const INTERPRETER_APP_SID = 'AP' + 'a'.repeat(32);

/** ADMIN_TOKEN of every tolk the end-to-end tests start. */
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

/**
 * The environment of a tolk wired to both emulators: listening on 127.0.0.1:`port`, reached at
 * `publicUrl`, enforcing Twilio's signatures, with ADMIN_TOKEN. A test adds its own (numbers,
 * database, cluster, ...).
 */
export function emulatorEnv(o: { port: number; publicUrl: string; twilio: TwilioEmulator; gemini: GeminiEmulator; logLevel?: string }): Record<string, string> {
  return {
    PORT: String(o.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: o.logLevel ?? 'info',
    PUBLIC_URL: o.publicUrl,
    TWILIO_ACCOUNT_SID: o.twilio.accountSid,
    TWILIO_AUTH_TOKEN: o.twilio.authToken,
    TWILIO_API_URL: o.twilio.url,
    TWILIO_WS_SIGNATURE: 'enforce',
    GEMINI_API_KEY: 'emulator-key',
    GEMINI_API_URL: o.gemini.url,
    ADMIN_TOKEN,
    // The emulated account has no rate limit, and the dial limiter has tests of its own (test/jobs):
    // here it holds no call back (calls may run faster than real time; the limiter counts real seconds).
    TWILIO_CPS: '100',
  };
}


export async function startRig(opts: RigOptions = {}): Promise<Rig> {
  const speed = opts.speed ?? 10;
  const time = opts.pauseOnStall ? stallFreeTime({ ownStalls: opts.pauseOnStall !== 'machine' }) : undefined;
  const gemini = await startGeminiEmulator({ mode: 'echo', language: 'en=es,es=en', lagMs: 300, timeScale: 1 / speed, ...opts.gemini });
  const twilio = await startTwilioEmulator({ timeScale: 1 / speed, sayAudio: 'silence', ...(time ? { realNow: time.now } : {}), ...opts.twilio });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    ...emulatorEnv({ port, publicUrl: base, twilio, gemini }),
    ...(opts.interpreterApp ? { TWILIO_TWIML_APP_SID: INTERPRETER_APP_SID } : {}),
    // Closing a rig ends the calls still live at once (test/e2e/drain.e2e.test.ts drains them).
    TOLK_DRAIN_TIMEOUT_MS: '0',
    ...opts.env,
  });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    }),
  });
  const settings: NumberSettings = {
    number: TOLK_NUMBER,
    destination: AGENT_NUMBER,
    callerLanguage: 'es',
    agentLanguage: 'en',
    echoTargetLanguage: false,
    originalVolume: 0.16,
    ...opts.number,
  };
  // A real database, as in production: SQLite in a folder of its own.
  const dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-e2e-db-'));
  const store = await openStore({ sqlitePath: path.join(dbDir, 'tolk.db'), logger });
  await store.numbers.upsert(settings);
  const tolk = await startApp(config, logger, {
    clock: new RealFrameClock({ timeScale: 1 / speed, ...(time ? { now: time.now } : {}) }),
    timeScale: 1 / speed,
    store,
    ...opts.overrides,
  });
  twilio.addNumber({ phoneNumber: TOLK_NUMBER, voiceUrl: `${base}/twilio/voice`, ...(opts.numberStatusCallback === false ? {} : { statusCallback: `${base}/twilio/status` }) });
  if (opts.interpreterApp) twilio.addApplication({ sid: INTERPRETER_APP_SID, friendlyName: 'tolk interpreter', voiceUrl: `${base}/twilio/interpreter` });
  const rig: Rig = {
    tolk,
    twilio,
    gemini,
    logs,
    speed,
    time,
    async close() {
      time?.dispose();
      await tolk.stop();
      await twilio.close();
      // The emulator the rig holds now (a test may have replaced it, e.g. to restart it).
      await rig.gemini.close();
      await store.close();
      fs.rmSync(dbDir, { recursive: true, force: true });
    },
  };
  return rig;
}

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** Writes a recording where a developer can listen to it when a test fails. */
export function keepWav(name: string, wav: Buffer): string {
  const dir = path.join(os.tmpdir(), 'tolk-e2e');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, wav);
  return file;
}

/** RMS of each 20 ms frame, in dBFS: the demo's timeline measures recordings the same way. */
export { frameLevels };

/** Frames from `from` on whose level is above `db`. */
export function loudFrames(pcm: Int16Array, db: number): number[] {
  return frameLevels(pcm)
    .map((l, i) => (l > db ? i : -1))
    .filter((i) => i >= 0);
}

/** Seconds (in 0.5 s windows of 8 kHz audio) during which each of the tones `hzs` was heard clearly in `pcm`. */
export function toneSeconds(pcm: Int16Array, hzs: readonly number[]): Record<number, number> {
  const out: Record<number, number> = {};
  const w = 4000;
  for (const hz of hzs) {
    let n = 0;
    for (let i = 0; i + w <= pcm.length; i += w) if (toneLevel(pcm.subarray(i, i + w), hz) > 800) n++;
    out[hz] = n / 2;
  }
  return out;
}

/** `count` people dialled into conference `room` by name (from +15550007770 on), once it has started: their call SIDs. */
export async function conferenceParties(rig: Rig, room: string, count: number): Promise<string[]> {
  const sids = Array.from({ length: count }, (_, i) => rig.twilio.joinConference({ name: room, from: `+1555000777${i}`, beep: 'false', label: `person-${i}` }));
  await waitUntil(() => rig.twilio.conference(room)?.status === 'in-progress', 5000, 'the conference to start');
  return sids;
}

/**
 * Polls `check` until it returns true (or throws after `timeoutMs` on `now`: a rig's `time` counts
 * what the emulated phone network lived through, without the stalls a busy machine adds).
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition', now: () => number = Date.now): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!(await check())) {
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * How faithfully `heard` contains `expected` (same rate): finds the best alignment, fits a gain,
 * and returns the signal-to-error ratio in dB over the expected span. G.711 alone allows ~37 dB;
 * a gap or a click inside the span drops it below 20 dB.
 */
export function matchSnrDb(heard: Int16Array, expected: Int16Array): { snrDb: number; atSample: number } {
  let best = -Infinity;
  let at = 0;
  for (let lag = 0; lag + expected.length <= heard.length; lag += 4) {
    let s = 0;
    for (let i = 0; i < expected.length; i += 4) s += heard[lag + i] * expected[i];
    if (s > best) {
      best = s;
      at = lag;
    }
  }
  for (let lag = Math.max(0, at - 4); lag <= at + 4 && lag + expected.length <= heard.length; lag++) {
    let s = 0;
    for (let i = 0; i < expected.length; i++) s += heard[lag + i] * expected[i];
    if (s > best) {
      best = s;
      at = lag;
    }
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num += heard[at + i] * expected[i];
    den += expected[i] * expected[i];
  }
  const g = num / den;
  let sig = 0;
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = heard[at + i] - g * expected[i];
    err += e * e;
    sig += (g * expected[i]) ** 2;
  }
  return { snrDb: 10 * Math.log10(sig / Math.max(err, 1e-9)), atSample: at };
}

/**
 * Whether each stretch of speech in `said` (runs of 20 ms frames louder than `db` dBFS, at least
 * `minFrames` long, split at quieter frames) is in `heard` whole. The speech as a whole is found
 * first, and the first run within `growMs` of it (the whole may have been found by its longer,
 * later part); each run after is found on its own from `slackMs` earlier to `growMs` later than
 * the run before it (a pause between runs may have shrunk a little, or grown: a stall of the
 * machine), and matched sample for sample. Returns each run's first frame in `said`, its delay in
 * `heard` (samples) and its signal-to-error ratio: a hole or a slip inside a run drops that ratio
 * far below mu-law's own noise.
 */
export function speechRunsHeard(heard: Int16Array, said: Int16Array, db = -40, minFrames = 5, slackMs = 100, growMs = 500): { frame: number; lag: number; snrDb: number }[] {
  const loud = new Set(loudFrames(said, db));
  const runs: [number, number][] = [];
  const frames = Math.floor(said.length / 160);
  for (let f = 0; f < frames; ) {
    if (!loud.has(f)) {
      f++;
      continue;
    }
    const start = f;
    while (f < frames && loud.has(f)) f++;
    if (f - start >= minFrames) runs.push([start, f]);
  }
  if (runs.length === 0) return [];
  const first = runs[0][0] * 160;
  const whole = said.subarray(first, runs[runs.length - 1][1] * 160);
  let lag = matchSnrDb(heard, whole).atSample - first;
  return runs.map(([start, end], n) => {
    const run = said.subarray(start * 160, end * 160);
    let best = { lag, snrDb: -Infinity };
    for (let l = lag - (n === 0 ? growMs : slackMs) * 8; l <= lag + growMs * 8; l++) {
      const at = start * 160 + l;
      if (at < 0 || at + run.length > heard.length) continue;
      let err = 0;
      let sig = 0;
      for (let i = 0; i < run.length; i++) {
        const e = heard[at + i] - run[i];
        err += e * e;
        sig += run[i] * run[i];
      }
      const snrDb = 10 * Math.log10(sig / Math.max(err, 1e-9));
      if (snrDb > best.snrDb) best = { lag: l, snrDb };
    }
    lag = best.lag;
    return { frame: start, lag: best.lag, snrDb: best.snrDb };
  });
}

/**
 * Fails when any list in `damaged` holds a damaged stretch, printing it with `seen` whole (what to
 * look at: stalls of this process, jitter-buffer and play-out counts), which a diff would hide.
 */
export function expectUndamaged(damaged: Record<string, readonly unknown[]>, seen: unknown): void {
  const found = Object.entries(damaged).filter(([, d]) => d.length > 0);
  if (found.length > 0) throw new Error(`damaged stretches: ${JSON.stringify(Object.fromEntries(found))}\nseen: ${JSON.stringify(seen)}`);
}

/** Every stretch of the translation (as speechRunsHeard finds them), matched sample for sample. */
export interface StretchesHeard {
  stretches: number;
  /** Stretches whose signal-to-error is below 30 dB (mu-law's own noise is well above it): a hole or a slip inside them. */
  damaged: { frame: number; snrDb: number }[];
}

/**
 * Each stretch of speech is matched on its own: a pause between two may have grown (this process
 * stalled, and the phone network played silence until the late audio came, as Twilio would), but
 * a hole or a slip inside a stretch drops its ratio far below mu-law's noise.
 */
export function stretchesHeard(heard: Int16Array, translation: Int16Array): StretchesHeard {
  const runs = speechRunsHeard(heard, translation);
  return { stretches: runs.length, damaged: runs.filter((r) => r.snrDb < 30).map((r) => ({ frame: r.frame, snrDb: r.snrDb })) };
}
