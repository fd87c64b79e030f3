/**
 * `npm run demo`: interpreted phone calls, offline, with no credentials.
 *
 * Starts tolk with the Twilio emulator and the Gemini Live emulator (script mode, translating
 * while the speaker talks, as the real model does) and places two calls: a Spanish-speaking
 * caller to an English-speaking agent, then an English speaker to a German speaker. In each, the
 * caller speaks once the agent is on the line; the agent hears the translation over the caller's
 * own voice (softly underneath) and answers when it is over; the caller hears the agent's answer
 * the same way and hangs up. Prints the transcript as it happens and when each translation was
 * heard, and writes each run to its own folder: demo-output/<run>/ with tolk.log (every log line),
 * tolk.db (the database) and, per call, <call id>/{caller,agent}-{heard,said}.wav and call.json.
 *
 *   npm run demo [-- --speed 4] [-- --out demo-output]
 *   npm run demo -- --conference   a three-party conference instead (scripts/demo-conference.ts)
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startApp } from '../src/app';
import { RealFrameClock } from '../src/call/frame-clock';
import { loadConfig } from '../src/config/env';
import type { NumberSettings } from '../src/config/numbers';
import { freePort } from '../src/emulators/free-port';
import { loadScript } from '../src/emulators/gemini/script';
import { startGeminiEmulator } from '../src/emulators/gemini/server';
import { startTwilioEmulator } from '../src/emulators/twilio/emulator';
import { createLogger } from '../src/log/logger';
import { openStore } from '../src/store/open-store';
import { CONFERENCE_VOICES, conferenceDemo, TRANSLATION_VOICES } from './demo-conference';
import { answerOffsetSec, exchange, MODEL_LAG_MS, overlapSec, type Exchange } from './demo-timeline';

const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');

interface DemoCall {
  title: string;
  number: NumberSettings;
  caller: { from: string; speech: string };
  agent: { speech: string };
  script: string;
}

const CALLS: DemoCall[] = [
  {
    title: 'Spanish-speaking caller, English-speaking agent',
    number: { number: '+15550001111', destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', echoTargetLanguage: false, originalVolume: 0.16, greeting: 'Hola. Le comunicamos con un agente.' },
    caller: { from: '+34911234567', speech: 'caller-es.ulaw8k.wav' },
    agent: { speech: 'agent-en.ulaw8k.wav' },
    script: 'demo-es-en.json',
  },
  {
    title: 'English-speaking caller, German-speaking agent',
    number: { number: '+15550003333', destination: '+4930123456', callerLanguage: 'en', agentLanguage: 'de', echoTargetLanguage: false, originalVolume: 0.16 },
    caller: { from: '+14155550123', speech: 'caller-en.ulaw8k.wav' },
    agent: { speech: 'agent-de.ulaw8k.wav' },
    script: 'demo-en-de.json',
  },
];

/** The demo's own admin token (its tolk listens on this machine only). */
const DEMO_ADMIN_TOKEN = 'demo-admin-token-0123456789';

const HELP = `usage: npm run demo [-- --speed N] [-- --out DIR] [-- --conference]
  --speed N     run N times faster than real time (default 1; at most 20)
  --out DIR     where each run's folder goes (default demo-output)
  --conference  a three-party conference in whisper mode (Spanish caller, English agent, a second
                English speaker) that tolk joins as the interpreter, instead of the two calls`;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const out = (s: string): boolean => process.stdout.write(`${s}\n`);
const secs = (ms: number): string => `${(ms / 1000).toFixed(1).padStart(5)} s`;

/** A folder name for this run that sorts by time: 2026-05-01T10-00-00. */
function runName(): string {
  return new Date().toISOString().slice(0, 19).replace(/:/g, '-');
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    out(HELP);
    return;
  }
  const speed = Number(arg('speed', '1'));
  if (!(speed > 0 && speed <= 20)) throw new Error('--speed must be a number between 0 and 20');
  const base = path.resolve(arg('out', path.join(ROOT, 'demo-output')));
  let runDir = path.join(base, runName());
  for (let n = 2; fs.existsSync(runDir); n++) runDir = path.join(base, `${runName()}-${n}`);
  fs.mkdirSync(runDir, { recursive: true });

  const conference = process.argv.includes('--conference');
  const gemini = await startGeminiEmulator(
    conference
      ? {
          mode: 'echo',
          lagMs: MODEL_LAG_MS,
          timeScale: 1 / speed,
          voices: {
            languageByPitch: new Map([[CONFERENCE_VOICES.caller, 'es'], [CONFERENCE_VOICES.agent, 'en'], [CONFERENCE_VOICES.guest, 'en']]),
            translationTone: new Map(Object.entries(TRANSLATION_VOICES)),
          },
        }
      : {
          mode: 'script',
          script: await loadScript(path.join(__dirname, CALLS[0].script)),
          lagMs: MODEL_LAG_MS,
          timeScale: 1 / speed,
          detector: { pauseMs: 1000, maxUtteranceMs: 15_000 },
        },
  );
  const twilio = await startTwilioEmulator({ timeScale: 1 / speed });
  const port = await freePort();
  const tolkUrl = `http://127.0.0.1:${port}`;
  // The interpreter's TwiML App, as `tolk twilio configure-app` makes it.
  const interpreterApp = conference ? twilio.addApplication({ friendlyName: 'tolk interpreter', voiceUrl: `${tolkUrl}/twilio/interpreter` }) : undefined;
  const logFile = path.join(runDir, 'tolk.log');
  const logStream = fs.createWriteStream(logFile);
  const events: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        // A socket the emulators close as they stop may still log a line after the file is closed.
        if (!logStream.writableEnded) logStream.write(chunk);
        for (const line of chunk.toString().split('\n')) if (line) onLog(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    }),
  });
  let callStart = Date.now();
  /** The demo's own names for the parties it dials (by call SID), and tolk's participant ids for them. */
  const partyNames = new Map<string, string>();
  const participantSids = new Map<string, string>();
  function onLog(e: Record<string, unknown>): void {
    events.push(e);
    for (const w of [...waiters]) w();
    const at = secs((Date.now() - callStart) * speed);
    if (e.event === 'call.transition') out(`${at}  call ${String(e.from)} -> ${String(e.to)}${typeof e.outcome === 'string' ? ` (${e.outcome})` : ''}`);
    if (e.event === 'call.participant_joined' && typeof e.participant === 'string' && typeof e.callSid === 'string') participantSids.set(e.participant, e.callSid);
    if (e.event === 'transcript.utterance') {
      const src = e.source as { text: string; languageCode: string };
      const tr = e.translation as { text: string; languageCode: string };
      // A conference's routes are named for their language ('to:en'): the line says who spoke, as far as tolk can tell.
      const route = String(e.direction);
      const speaker = typeof e.participant === 'string' ? (partyNames.get(participantSids.get(e.participant) ?? '') ?? e.participant) : 'unknown speaker';
      const who = (route.startsWith('to:') ? `${speaker} ${route}` : route).padEnd(14);
      out(`${at}  ${who} [${src.languageCode}] ${src.text}`);
      const lag = typeof e.lagMs === 'number' ? `  (heard ${(e.lagMs / 1000).toFixed(1)} s behind)` : '';
      out(`${' '.repeat(at.length)}  ${''.padEnd(who.length)} [${tr.languageCode}] ${tr.text}${lag}`);
    }
    if (e.event === 'translate.language') out(`${at}  detected ${String(e.route)} speaker language: ${String(e.languageCode)}`);
  }
  /** Resolves with the first log line from `from` on that matches (or fails after `emulatedSec`). */
  const logLine = (from: number, match: (e: Record<string, unknown>) => boolean, emulatedSec: number, what: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = events.slice(from).find(match);
        if (!found) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${what} within ${emulatedSec} s`));
      }, (emulatedSec * 1000) / speed);
      waiters.add(check);
      check();
    });

  // The demo keeps its own database in the run's folder.
  const store = await openStore({ sqlitePath: path.join(runDir, 'tolk.db'), logger });
  for (const c of CALLS) await store.numbers.upsert(c.number);
  const tolk = await startApp(
    loadConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: tolkUrl,
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_API_URL: twilio.url,
      GEMINI_API_KEY: 'demo-key',
      GEMINI_API_URL: gemini.url,
      ADMIN_TOKEN: DEMO_ADMIN_TOKEN,
      // A demo that stops early (an error, Ctrl-C) ends its calls at once instead of draining them.
      TOLK_DRAIN_TIMEOUT_MS: '0',
      // Twilio's default of one call per second, in the demo's time: the dial limiter counts real
      // seconds while the demo runs `speed` times faster.
      TWILIO_CPS: String(Math.ceil(speed)),
      ...(interpreterApp ? { TWILIO_TWIML_APP_SID: interpreterApp.sid } : {}),
    }),
    logger,
    { clock: new RealFrameClock({ timeScale: 1 / speed }), timeScale: 1 / speed, store },
  );

  out(`tolk ${tolkUrl} | Twilio emulator ${twilio.url} | Gemini emulator ${gemini.url} | ${speed}x real time`);
  const summary: string[] = [];
  try {
    if (interpreterApp) {
      await conferenceDemo({ tolk, twilio, tolkUrl, adminToken: DEMO_ADMIN_TOKEN, speed, runDir, out, partyNames });
    }
    for (const [i, demo] of (conference ? [] : CALLS).entries()) {
      gemini.setScript(await loadScript(path.join(__dirname, demo.script)));
      twilio.addNumber({ phoneNumber: demo.number.number, voiceUrl: `${tolkUrl}/twilio/voice`, statusCallback: `${tolkUrl}/twilio/status` });
      // The agent picks up after two seconds, listens, and answers once the caller's words (their
      // translation) are over.
      twilio.setCallee(demo.number.destination, { scenario: { kind: 'answer', afterSec: 2 }, utterances: [{ audio: path.join(FIXTURES, demo.agent.speech), afterSpeech: true }] });
      out(`\n=== Call ${i + 1}: ${demo.title} (${demo.number.callerLanguage} <-> ${demo.number.agentLanguage}) ===`);
      callStart = Date.now();
      const firstEvent = events.length;
      const callerSid = await twilio.dial({ from: demo.caller.from, to: demo.number.number, party: {} });
      const created = await logLine(firstEvent, (e) => e.event === 'call.created', 10, 'call');
      const callId = String(created.callId);
      await logLine(firstEvent, (e) => e.event === 'call.transition' && e.callId === callId && e.to === 'bridged', 30, 'connected call');
      // The caller starts talking a moment after the agent is on the line.
      twilio.say(callerSid, path.join(FIXTURES, demo.caller.speech), { inSec: 0.8 });
      await logLine(firstEvent, (e) => e.event === 'transcript.utterance' && e.callId === callId && e.direction === 'agent->caller', 60, "the agent's answer");
      // The caller has heard the answer; they say goodbye by hanging up.
      await new Promise((r) => setTimeout(r, 1000 / speed));
      twilio.hangup(callerSid);
      await twilio.waitForStatus(callerSid, 'completed', 20_000 / speed + 5000);
      while (tolk.calls.activeCalls > 0) await new Promise((r) => setTimeout(r, 50));

      const agentSid = twilio.calls().find((c) => c.to === demo.number.destination && c.direction !== 'inbound')?.sid;
      const dir = path.join(runDir, callId);
      fs.mkdirSync(dir, { recursive: true });
      const caller = twilio.recording(callerSid);
      fs.writeFileSync(path.join(dir, 'caller-heard.wav'), caller.heardWav());
      fs.writeFileSync(path.join(dir, 'caller-said.wav'), caller.saidWav());
      if (agentSid) {
        const agent = twilio.recording(agentSid);
        fs.writeFileSync(path.join(dir, 'agent-heard.wav'), agent.heardWav());
        fs.writeFileSync(path.join(dir, 'agent-said.wav'), agent.saidWav());
        const agentOffset = answerOffsetSec(twilio.events(), callerSid, agentSid) ?? 0;
        const toAgent = exchange(caller.said, 0, agent.heard, agentOffset);
        const toCaller = toAgent && exchange(agent.said, agentOffset, caller.heard, 0, toAgent.heard.endSec);
        summary.push(describe(`call ${i + 1}, caller -> agent`, toAgent), describe(`call ${i + 1}, agent -> caller`, toCaller));
      }
      fs.writeFileSync(path.join(dir, 'call.json'), JSON.stringify(await tolk.records.get(callId), null, 2));
      out(`recordings: ${path.relative(process.cwd(), dir)}/{caller,agent}-{heard,said}.wav, call.json`);
    }
    if (!conference) {
      out(`\n=== When each side heard the translation (the model trails the speech by ${MODEL_LAG_MS} ms) ===`);
      for (const line of summary) out(line);
    }
    const metrics = await tolk.metrics.render();
    const frame = /tolk_frame_processing_seconds_sum\{path="(in|out)"\} ([\d.e-]+)\n.*?tolk_frame_processing_seconds_count\{path="\1"\} (\d+)/gs;
    for (const m of metrics.matchAll(frame)) out(`tolk processing per 20 ms frame (${m[1]}): ${((Number(m[2]) / Number(m[3])) * 1e6).toFixed(1)} us`);
    out(`\nThis run: ${path.relative(process.cwd(), runDir)}/ (tolk.log: every log line, one JSON object each; tolk.db: the database)`);
    // demo-output/latest points at the newest run (best effort: some file systems have no symlinks).
    const latest = path.join(base, 'latest');
    fs.rmSync(latest, { force: true });
    try {
      fs.symlinkSync(path.basename(runDir), latest);
      out(`Listen: play ${path.relative(process.cwd(), latest)}/*/${conference ? 'caller' : 'agent'}-heard.wav`);
    } catch {
      out(`Listen: play ${path.relative(process.cwd(), runDir)}/*/${conference ? 'caller' : 'agent'}-heard.wav`);
    }
  } finally {
    await tolk.stop();
    await twilio.close();
    await gemini.close();
    await store.close();
    await new Promise((r) => logStream.end(r));
  }
}

function describe(label: string, x: Exchange | undefined): string {
  if (!x) return `${label.padEnd(24)} no translation heard`;
  const starts = x.heard.startSec - x.spoke.startSec;
  const ends = x.heard.endSec - x.spoke.endSec;
  const overlap = overlapSec(x.spoke, x.heard);
  return `${label.padEnd(24)} starts ${starts.toFixed(1)} s after the speaker, ends ${ends.toFixed(1)} s after them; ${overlap.toFixed(1)} s over their own voice`;
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
