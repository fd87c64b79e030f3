/**
 * `npm run bench`: load on one tolk process.
 *
 *   npm run --silent bench -- --calls 200 --seconds 60 --json
 *   npm run --silent bench -- --sequential 1000 --json
 *   npm run --silent bench -- --calls 200 --processes 2 --json   (TOLK_PROCESSES=2; needs REDIS_URL, DATABASE_URL)
 *
 * tolk runs as its own process, exactly as `npm start` runs it, from the build `npm run build` made
 * beforehand (the bench never compiles: a missing or stale build is refused). The default mode drives it with the
 * load rig (scripts/rig/): a Twilio side and a Gemini side, two processes that speak the same wire
 * protocols as Twilio and Gemini Live (tolk runs its real code with the real SDKs) but are built to
 * cost little: pre-encoded media messages, pre-built model frames, one clock each. With more than
 * one core, tolk is pinned to core 0 and the rig to the others (`taskset`). It places N concurrent
 * interpreted calls in which both parties talk in turns, measures a steady window of S seconds
 * from tolk's own /metrics and the rig's CPU every second (the run is invalid, `rigValid: 0`, if the
 * rig used more than 80 % of its core in any second), and times, on a sample of calls, when each
 * utterance is heard against when it was said (the delay tolk adds on top of the model, all in).
 * Then it measures the transport floor (scripts/rig/floor.ts) on the same core, fed by the same rig,
 * and reports tolk's cost against it. The `--sequential` mode places short calls one after another
 * through the emulators (ten times faster than real time) and reports tolk's memory before and after.
 * `--processes P` runs tolk as `TOLK_PROCESSES=P npm start` does (scripts/rig/tolk-processes.ts) and
 * reports calls per core.
 *
 * Environment: TOLK_NODE_FLAGS (extra Node.js flags for tolk), BENCH_LOG_LEVEL (tolk's log level,
 * default warn; logs stay in the folder printed at start).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readWav } from '../src/audio';
import { startTwilioEmulator, type TwilioEmulator } from '../src/emulators/twilio/emulator';
import { freePort } from '../src/emulators/free-port';
import { DEFAULT_ORIGINAL_VOLUME } from '../src/config/numbers';
import { AGENT_NUMBER, assertBuilt, cpuSecondsOf, get, log, MODEL_LATENCY_MS, pinSelfTo, ROOT, scrape, sleep, startChild, startFlags, startLoadRig, sumWhere, TOLK_NUMBER, TSX, waitFor, waitForHttp, type LoadRig } from './rig/load-rig';
import type { TwilioRigStats } from './rig/protocol';
import { callsDriven } from './rig/rig-calls';
import { losses } from './rig/losses';
import { processTree } from './rig/tolk-processes';

/** Longest wait, after the last call is placed, for every call to be bridged (or over). */
const BRIDGE_WAIT_SEC = 60;
/**
 * Past this event-loop lag p99 (or with play-out frames skipped), tolk did not keep time: what the
 * parties heard was shifted by its stalls, and the delay figures are not a measurement of its play-out.
 */
const DELAY_LAG_LIMIT_MS = 50;
/** Past this share of its core in any second, the rig may be what limits the run: it is invalid. */
const RIG_CORE_LIMIT_PERCENT = 80;

interface Args {
  calls: number;
  seconds: number;
  sequential: number;
  json: boolean;
  /** Writes a V8 CPU profile of tolk here (open in Chrome DevTools). */
  profileDir?: string;
  /** Writes V8 CPU profiles of the load rig's processes here. */
  rigProfileDir?: string;
  /** Pins tolk to core 0 and the emulators to the other cores, so the load generator cannot starve tolk. */
  pin: boolean;
  /** Seconds between the calls being bridged and the measured window. */
  warmup: number;
  /** Length of the transport floor's window (default: the same as tolk's). */
  floorSeconds?: number;
  /** Runs tolk and the rig from the TypeScript sources (through tsx) instead of the build. */
  fromSource: boolean;
  /** TOLK_PROCESSES for tolk (0: one plain process, as `npm start` without it). */
  processes: number;
  /** The bench number's originalVolume (absent: tolk's default). */
  originalVolume?: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { calls: 50, seconds: 30, sequential: 0, json: false, pin: canPin(), warmup: 5, fromSource: false, processes: 0 };
  for (let i = 0; i < argv.length; i++) {
    const next = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${argv[i - 1]} needs a positive whole number`);
      return v;
    };
    if (argv[i] === '--calls') a.calls = next();
    else if (argv[i] === '--seconds') a.seconds = next();
    else if (argv[i] === '--sequential') a.sequential = next();
    else if (argv[i] === '--json') a.json = true;
    else if (argv[i] === '--no-pin') a.pin = false;
    else if (argv[i] === '--floor') continue; // the floor is always measured now
    else if (argv[i] === '--warmup') a.warmup = next();
    else if (argv[i] === '--floor-seconds') a.floorSeconds = next();
    else if (argv[i] === '--from-source') a.fromSource = true;
    else if (argv[i] === '--processes') a.processes = next();
    else if (argv[i] === '--profile') a.profileDir = path.resolve(argv[++i] ?? 'bench-profile');
    else if (argv[i] === '--profile-rig') a.rigProfileDir = path.resolve(argv[++i] ?? 'bench-rig-profile');
    else if (argv[i] === '--original-volume') {
      const v = Number(argv[++i]);
      if (!(v >= 0 && v <= 1)) throw new Error('--original-volume needs a number from 0 to 1');
      a.originalVolume = v;
    } else if (argv[i] === '--help') {
      process.stdout.write('usage: npm run bench -- [--calls N] [--seconds S] [--warmup S] [--floor-seconds S] [--sequential N] [--json] [--profile DIR] [--profile-rig DIR] [--no-pin] [--from-source] [--processes P] [--original-volume V]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${argv[i]}`);
  }
  return a;
}

/** Pinning needs two cores and util-linux's taskset. */
function canPin(): boolean {
  if (os.cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Moves this process (the Twilio emulator) and its later children (the Gemini emulator) off core 0. */
function pinSelfAwayFromCore0(): void {
  pinSelfTo(`1-${os.cpus().length - 1}`);
}

/** Percentile (ms) from the difference of two scrapes of the frame-processing histogram, both paths. */
function histogramPercentileMs(a: Map<string, number>, b: Map<string, number>, p: number): number {
  const name = 'tolk_frame_processing_seconds_bucket';
  const buckets = new Map<number, number>();
  for (const [k, v] of b) {
    if (!k.startsWith(name)) continue;
    const le = /le="([^"]+)"/.exec(k)?.[1] ?? '+Inf';
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + v - (a.get(k) ?? 0));
  }
  const sorted = [...buckets].sort((x, y) => x[0] - y[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return 0;
  const rank = (p / 100) * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (!Number.isFinite(bound)) return prevBound * 1000;
      const frac = count === prevCount ? 1 : (rank - prevCount) / (count - prevCount);
      return (prevBound + frac * (bound - prevBound)) * 1000;
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound * 1000;
}

/** `pattern` repeated over `seconds`: speech then silence, as a party talking in turns. */
function turns(file: string, seconds: number, offsetSec: number, gapSec: number): Int16Array {
  const speech = readWav(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', file))).samples;
  const out = new Int16Array(seconds * 8000);
  for (let at = offsetSec * 8000; at < out.length; at += speech.length + gapSec * 8000) {
    out.set(speech.subarray(0, Math.min(speech.length, out.length - at)), at);
  }
  return out;
}

interface EmulatorRig {
  twilio: TwilioEmulator;
  tolkBase: string;
  tolk: ChildProcess;
  gemini: ChildProcess;
  stop(): Promise<void>;
}

async function startEmulatorRig(timeScale: number, pin: boolean, profileDir?: string): Promise<EmulatorRig> {
  assertBuilt(); // first, so a missing build leaves nothing running
  if (pin) pinSelfAwayFromCore0();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-bench-'));
  const geminiPort = await freePort();
  const gemini = startChild(
    process.execPath,
    [path.join(ROOT, 'dist/src/emulators/gemini/main.js'), '--port', String(geminiPort), '--mode', 'echo', '--language', 'en=es,es=en', '--lag', String(MODEL_LATENCY_MS), '--time-scale', String(timeScale)],
    {},
    path.join(dir, 'gemini.log'),
  );
  const twilio = await startTwilioEmulator({ timeScale, sayAudio: 'silence', recordAudio: false, logMediaFrames: false, streamMaskKey: 'zero' });
  const port = await freePort();
  const tolkBase = `http://127.0.0.1:${port}`;
  const numbers = path.join(dir, 'numbers.yaml');
  fs.writeFileSync(numbers, `numbers:\n  - number: "${TOLK_NUMBER}"\n    destination: "${AGENT_NUMBER}"\n    callerLanguage: es\n    agentLanguage: en\n`);
  // TOLK_NODE_FLAGS: extra Node.js flags for tolk (experiments, e.g. GC settings).
  const extraFlags = (process.env.TOLK_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const node = [process.execPath, ...startFlags(), ...extraFlags, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), path.join(ROOT, 'dist/src/main.js')];
  const tolk = startChild(
    pin ? 'taskset' : node[0],
    pin ? ['-c', '0', ...node] : node.slice(1),
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', // 'info' to see every call's events in the log
      PUBLIC_URL: tolkBase,
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_API_URL: twilio.url,
      GEMINI_API_KEY: 'bench-key',
      GEMINI_API_URL: `http://127.0.0.1:${geminiPort}`,
      // Stopped with SIGTERM at the end of a run: calls still up end at once instead of draining.
      TOLK_DRAIN_TIMEOUT_MS: '0',
      TOLK_NUMBERS: numbers,
      TOLK_DB_PATH: path.join(dir, 'tolk.db'),
      // The emulator is the account: the dial queue need not hold tolk's legs to Twilio's default of 1 a second.
      TWILIO_CPS: '1000',
    },
    path.join(dir, 'tolk.log'),
  );
  await waitForHttp(`http://127.0.0.1:${geminiPort}/`);
  await waitForHttp(`${tolkBase}/healthz`);
  twilio.addNumber({ phoneNumber: TOLK_NUMBER, voiceUrl: `${tolkBase}/twilio/voice`, statusCallback: `${tolkBase}/twilio/status` });
  log(`logs in ${dir}`);
  return {
    twilio,
    tolkBase,
    tolk,
    gemini,
    async stop() {
      const exited = (c: ChildProcess): Promise<void> => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', () => r())));
      tolk.kill('SIGTERM');
      await exited(tolk);
      gemini.kill('SIGTERM');
      await exited(gemini);
      await twilio.close();
    },
  };
}

/** Samples the CPU of some processes every second: the busiest second, and the average. */
function cpuSampler(pids: () => number[]): { stop(): { maxPercent: number; avgPercent: number; byPid: Map<number, number> } } {
  const started = Date.now();
  const first = new Map(pids().map((p) => [p, cpuSecondsOf(p)]));
  let last = new Map(first);
  let lastAt = started;
  let maxPercent = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    const current = new Map(pids().map((p) => [p, cpuSecondsOf(p)]));
    let used = 0;
    for (const [p, v] of current) used += v - (last.get(p) ?? v);
    maxPercent = Math.max(maxPercent, (used / ((now - lastAt) / 1000)) * 100);
    last = current;
    lastAt = now;
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      const secs = (Date.now() - started) / 1000;
      const byPid = new Map<number, number>();
      let total = 0;
      for (const p of pids()) {
        const used = cpuSecondsOf(p) - (first.get(p) ?? 0);
        byPid.set(p, (used / secs) * 100);
        total += used;
      }
      return { maxPercent, avgPercent: (total / secs) * 100, byPid };
    },
  };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function rigStats(rig: LoadRig): Promise<TwilioRigStats> {
  const r = await rig.twilio.request({ type: 'stats' });
  if (r.type !== 'stats') throw new Error('the rig answered out of turn');
  return r.stats;
}

async function concurrent(args: Args): Promise<Record<string, number>> {
  const n = args.calls;
  const rampSec = Math.ceil(n / 20); // 20 new calls a second
  // Long enough for the ramp, the wait for bridging and the window: the bench hangs up itself.
  const callSec = rampSec + BRIDGE_WAIT_SEC + args.warmup + args.seconds + 10;
  const rig = await startLoadRig({ ...args, callSec });
  try {
    const baseline = await scrape(rig.metricsUrl);
    await rig.twilio.request({ type: 'dial', calls: n });
    log(`${n} calls placed; waiting for them to be bridged`);
    // Every call is either bridged or already over (a call that failed to bridge counts as an error
    // below, not as a reason to abort); then the window measures the calls that are up.
    const progress = async (): Promise<{ bridged: number; ended: number }> => {
      const m = await scrape(rig.metricsUrl);
      return { bridged: Math.floor(get(m, 'tolk_active_translation_sessions') / 2), ended: sumWhere(m, 'tolk_calls_total{') };
    };
    await waitFor('every call to be bridged or over', async () => {
      const p = await progress();
      return p.bridged + p.ended >= n;
    }, BRIDGE_WAIT_SEC * 1000).catch(() => undefined);
    const bridgedCalls = (await progress()).bridged;
    if (bridgedCalls < n) log(`only ${bridgedCalls} of ${n} calls were bridged; measuring those`);
    await sleep(args.warmup * 1000); // let the first translations start
    const a = await scrape(rig.metricsUrl);
    // Several processes: the CPU of the whole tree (the supervisor and every process).
    const treeCpu = (): number => (args.processes > 0 && rig.tolk.pid !== undefined ? processTree(rig.tolk.pid).reduce((sum, p) => sum + cpuSecondsOf(p), 0) : 0);
    const treeCpuBefore = treeCpu();
    await rig.twilio.request({ type: 'measure', from: Date.now() });
    await rig.gemini.request({ type: 'measure' });
    const rigCpu = cpuSampler(() => rig.pids());
    log(`measuring ${args.seconds} s`);
    await sleep(args.seconds * 1000);
    const b = await scrape(rig.metricsUrl);
    const treeCpuSec = treeCpu() - treeCpuBefore;
    const rigUse = rigCpu.stop();
    const stats = await rigStats(rig);
    const model = await rig.gemini.request({ type: 'stats' });
    const replyLateMaxMs = model.type === 'stats' ? model.stats.replyLateMaxMs : 0;
    const modelErrors = model.type === 'stats' ? model.stats.errors : 0;
    // Media messages tolk sent per leg and tick (it sends nothing to a leg with nothing to hear).
    const sendRatio = stats.framesReceived / (2 * bridgedCalls * ((args.seconds * 1000) / 20) || 1);
    await rig.twilio.request({ type: 'hangupAll' });
    await waitFor('calls to end', async () => get(await scrape(rig.metricsUrl), 'tolk_active_calls') === 0, 60_000);
    const end = await scrape(rig.metricsUrl);
    await rig.stopTolk();

    log(`measuring the transport floor (${args.floorSeconds ?? args.seconds} s)`);
    const floor = await transportFloor(rig, args, Math.min(1, sendRatio));

    const cpuSec = args.processes > 0 ? treeCpuSec : get(b, 'tolk_process_cpu_seconds_total') - get(a, 'tolk_process_cpu_seconds_total');
    const corePercentPerCall = ((cpuSec / args.seconds) * 100) / Math.max(1, bridgedCalls);
    const edge = (kind: string): number => get(end, `tolk_twilio_edge_events{kind="${kind}"}`);
    const lost = losses(a, b, end);
    const completed = get(end, 'tolk_calls_total{outcome="completed"}');
    const errors =
      sumWhere(end, 'tolk_translation_failures_total') +
      sumWhere(end, 'tolk_translation_reconnects_total') +
      (n - completed) +
      stats.unexpectedMessages +
      stats.errors +
      modelErrors +
      ['binary_frame', 'invalid_json', 'unknown_event', 'invalid_message', 'bad_base64', 'oversized', 'wrong_stream', 'token_missing', 'start_timeout'].reduce((s, k) => s + edge(k), 0);
    const rigMax = Math.max(rigUse.maxPercent, floor.rigMaxPercent);
    // The rig's cost is that of the calls it drove, bridged or not.
    const rigCalls = callsDriven(stats);
    return {
      calls: n,
      seconds: args.seconds,
      bridged: bridgedCalls,
      corePercentPerCall: round(corePercentPerCall, 3),
      eventLoopLagP99Ms: round(get(b, 'tolk_nodejs_eventloop_lag_p99_seconds') * 1000, 2),
      addedLatencyP50Ms: round(histogramPercentileMs(a, b, 50), 3),
      addedLatencyP99Ms: round(histogramPercentileMs(a, b, 99), 3),
      addedDelayAllInP50Ms: round(percentile(stats.delays, 50), 1),
      addedDelayAllInP95Ms: round(percentile(stats.delays, 95), 1),
      addedDelaySamples: stats.delays.length,
      addedDelayValid: get(b, 'tolk_nodejs_eventloop_lag_p99_seconds') * 1000 <= DELAY_LAG_LIMIT_MS && lost.clockSkips === 0 ? 1 : 0,
      rssMbPerCall: round((get(b, 'tolk_process_resident_memory_bytes') - get(baseline, 'tolk_process_resident_memory_bytes')) / Math.max(1, bridgedCalls) / 1e6, 3),
      framesLost: lost.framesLost,
      translationGaps: lost.translationGaps,
      translationConcealments: lost.translationConcealments,
      framesLostOutsideWindow: lost.framesLostOutsideWindow,
      translationGapsOutsideWindow: lost.translationGapsOutsideWindow,
      translationConcealmentsOutsideWindow: lost.translationConcealmentsOutsideWindow,
      errors,
      modelLatencyMs: MODEL_LATENCY_MS,
      originalVolume: args.originalVolume ?? DEFAULT_ORIGINAL_VOLUME,
      twilioEmulatorCorePercent: round(rigUse.byPid.get(rig.twilio.child.pid ?? -1) ?? 0, 1),
      geminiEmulatorCorePercent: round(rigUse.byPid.get(rig.gemini.child.pid ?? -1) ?? 0, 1),
      rigCalls: round(rigCalls, 1),
      rigCorePercentPerCall: rigCalls > 0 ? round(rigUse.avgPercent / rigCalls, 3) : 0,
      rigMaxCorePercent: round(rigMax, 1),
      rigValid: rigMax <= RIG_CORE_LIMIT_PERCENT && stats.sendSkipped === 0 ? 1 : 0,
      rigClockLateMaxMs: round(stats.tickLateMaxMs, 1),
      rigModelLateMaxMs: round(replyLateMaxMs, 1),
      pinned: rig.pinned ? 1 : 0,
      outboundFramesPerLegTick: round(sendRatio, 3),
      transportFloorCorePercent: round(floor.corePercent, 1),
      transportFloorCorePercentPerCall: round(floor.corePercent / n, 3),
      floorCorePercentPerCall: round(floor.corePercent / n, 3),
      ratioToFloor: floor.corePercent > 0 ? round(corePercentPerCall / (floor.corePercent / n), 2) : 0,
      ...(args.processes > 0 ? { processes: args.processes, callsPerCore: corePercentPerCall > 0 ? round(100 / corePercentPerCall, 1) : 0 } : {}),
    };
  } finally {
    await rig.stop();
  }
}

/**
 * The transport floor: a bare server (scripts/rig/floor.ts) on tolk's core doing the socket and
 * message work of both protocols for `calls` calls, fed by the same rig: the same legs, the same
 * Gemini server, tolk's measured outbound rate.
 */
async function transportFloor(rig: LoadRig, args: Args, sendRatio: number): Promise<{ corePercent: number; rigMaxPercent: number }> {
  const port = await freePort();
  const script = args.fromSource ? [...TSX, path.join(ROOT, 'scripts/rig/floor.ts')] : [path.join(ROOT, 'dist/scripts/rig/floor.js')];
  const profile = args.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(args.profileDir, 'floor')}`] : [];
  const node = [process.execPath, ...profile, ...script, String(port), rig.geminiBase.replace(/^http/, 'ws'), String(sendRatio)];
  const server = spawn(rig.pinned ? 'taskset' : node[0], rig.pinned ? ['-c', '0', ...node] : node.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout?.once('data', () => resolve());
      server.once('exit', (code) => reject(new Error(`transport floor server exited with ${code}`)));
    });
    await rig.twilio.request({ type: 'floorDial', calls: args.calls, url: `ws://127.0.0.1:${port}/` });
    await sleep(1000); // every leg's Live session set up
    const seconds = args.floorSeconds ?? args.seconds;
    const rigCpu = cpuSampler(() => rig.pids());
    const before = cpuSecondsOf(server.pid);
    await sleep(seconds * 1000);
    const cpu = cpuSecondsOf(server.pid) - before;
    const rigUse = rigCpu.stop();
    await rig.twilio.request({ type: 'hangupAll' });
    return { corePercent: (cpu / seconds) * 100, rigMaxPercent: rigUse.maxPercent };
  } finally {
    server.kill('SIGTERM');
  }
}

async function sequential(args: Args): Promise<Record<string, number>> {
  const rig = await startEmulatorRig(0.1, args.pin);
  try {
    rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 0.2 } });
    const speech = turns('caller-es.ulaw8k.wav', 2, 0, 0);
    const one = async (i: number): Promise<void> => {
      const sid = await rig.twilio.dial({ from: `+3491${String(1000000 + i)}`, to: TOLK_NUMBER, party: { speech, hangupAfterSec: 2 } });
      await rig.twilio.waitForStatus(sid, 'completed', 30_000);
    };
    for (let i = 0; i < 20; i++) await one(i); // warm-up
    await waitFor('warm-up calls to end', async () => get(await scrape(`${rig.tolkBase}/metrics`), 'tolk_active_calls') === 0, 30_000);
    await sleep(2000);
    const before = await scrape(`${rig.tolkBase}/metrics`);
    for (let i = 0; i < args.sequential; i++) {
      await one(20 + i);
      if ((i + 1) % 100 === 0) log(`${i + 1} calls`);
    }
    await waitFor('calls to end', async () => get(await scrape(`${rig.tolkBase}/metrics`), 'tolk_active_calls') === 0, 30_000);
    await sleep(2000);
    const after = await scrape(`${rig.tolkBase}/metrics`);
    const mb = (m: Map<string, number>, k: string): number => round(get(m, k) / 1e6, 1);
    return {
      calls: args.sequential,
      completed: get(after, 'tolk_calls_total{outcome="completed"}') - get(before, 'tolk_calls_total{outcome="completed"}'),
      rssMbBefore: mb(before, 'tolk_process_resident_memory_bytes'),
      rssMbAfter: mb(after, 'tolk_process_resident_memory_bytes'),
      heapMbBefore: mb(before, 'tolk_nodejs_heap_size_used_bytes'),
      heapMbAfter: mb(after, 'tolk_nodejs_heap_size_used_bytes'),
      activeHandlesAfter: get(after, 'tolk_nodejs_active_handles_total'),
      activeHandlesBefore: get(before, 'tolk_nodejs_active_handles_total'),
    };
  } finally {
    await rig.stop();
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const result = args.sequential > 0 ? await sequential(args) : await concurrent(args);
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(34)} ${v}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
