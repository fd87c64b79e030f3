/**
 * The load rig's processes and tolk, started for a run of `npm run bench` (scripts/bench.ts) or a
 * test: the rig's Twilio and Gemini sides (twilio-rig.ts, gemini-rig.ts, one process each, over
 * IPC), and tolk itself as `npm start` runs it (compiled, or from the sources through tsx), on cores
 * of its own when the machine has a core to spare for the rig.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../../src/emulators/free-port';
import type { FailedReply } from './commands';
import type { GeminiRigCommand, GeminiRigConfig, GeminiRigReply, TwilioRigCommand, TwilioRigConfig, TwilioRigReply } from './protocol';
import { coreSplit, processTree, setUpProcesses, type ProcessesSetup } from './tolk-processes';

export const ROOT = path.join(__dirname, '..', '..');
export const TOLK_NUMBER = '+15550001111';
export const AGENT_NUMBER = '+15550002222';
export const MODEL_LATENCY_MS = 300;
/** `node --import` of tsx, wherever the process starts (tolk starts in its run folder). */
export const TSX = ['--import', pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href];

export const log = (s: string): boolean => process.stderr.write(`bench: ${s}\n`);

/** Moves this process and its later children to `cores` (taskset's list). */
export function pinSelfTo(cores: string): void {
  execFileSync('taskset', ['-a', '-cp', cores, String(process.pid)], { stdio: 'ignore' });
}

/** CPU seconds a process has used so far (Linux /proc; 0 where unavailable). */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ ticks
  } catch {
    return 0;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


/** Runs in the run's own folder, so a `.env` in the repository does not configure it. */
export function startChild(command: string, args: string[], env: Record<string, string>, logFile: string): ChildProcess {
  const out = fs.openSync(logFile, 'w');
  return spawn(command, args, { cwd: path.dirname(logFile), env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
}

/**
 * The sources under `dirs` of `root` (.ts) whose compiled file (dist/, as tsc writes it) is missing
 * or older than they are.
 */
export function staleBuild(root: string, dirs: readonly string[] = ['src', 'scripts']): string[] {
  const stale: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const file = path.join(rel, e.name);
      if (e.isDirectory()) walk(file);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const built = path.join(root, 'dist', `${file.slice(0, -3)}.js`);
        if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(path.join(root, file)).mtimeMs) stale.push(file);
      }
    }
  };
  for (const d of dirs) walk(d);
  return stale;
}

/**
 * tolk runs compiled, as `npm start` runs it in production, from a build made beforehand (`npm run
 * build`, outside the bench's lock): compiling here would put minutes of compiler inside the lock,
 * ahead of what the bench times. Throws when the build is missing or older than the sources.
 */
export function assertBuilt(root = ROOT): void {
  const stale = staleBuild(root);
  if (stale.length > 0) throw new Error(`tolk's build is missing or older than ${stale.length} of its sources (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', ...' : ''}): run npm run build first (or pass --from-source)`);
}

export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

/** Prometheus text at `url` -> map of "name{labels}" -> value. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(url)).text();
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

export const get = (m: Map<string, number>, key: string): number => m.get(key) ?? 0;
export const sumWhere = (m: Map<string, number>, prefix: string): number => [...m].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** A rig process: started with its config, answering one request at a time over IPC. */
export class RigProcess<Cmd extends object, Reply extends { type: string }> {
  readonly child: ChildProcess;
  private readonly waiting: { resolve(r: Reply): void; reject(err: Error): void }[] = [];

  /** `profileDir`: writes a V8 CPU profile of the process there when it stops. */
  constructor(script: string, config: object, fromSource: boolean, profileDir?: string) {
    const file = fromSource ? path.join(ROOT, 'scripts', 'rig', `${script}.ts`) : path.join(ROOT, 'dist', 'scripts', 'rig', `${script}.js`);
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${script}.cpuprofile`] : [];
    this.child = fork(file, [JSON.stringify(config)], { execArgv: [...(fromSource ? TSX : []), ...profile], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.on('message', (r: Reply | FailedReply) => {
      const w = this.waiting.shift();
      if (r.type === 'failed' && 'error' in r) w?.reject(new Error(`the rig's ${script} failed to ${r.command}: ${r.error}`));
      else w?.resolve(r as Reply);
    });
  }

  /** The next reply (the first one is `ready`); rejects when the rig answers that the command failed. */
  next(timeoutMs = 60_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the rig did not answer')), timeoutMs);
      this.waiting.push({
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
        reject: (err) => {
          clearTimeout(t);
          reject(err);
        },
      });
    });
  }

  request(cmd: Cmd, timeoutMs = 600_000): Promise<Reply> {
    const reply = this.next(timeoutMs);
    this.child.send(cmd);
    return reply;
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      if (this.child.exitCode !== null) return r();
      this.child.once('exit', () => r());
      this.child.kill('SIGTERM');
    });
  }
}

export interface LoadRig {
  /** Where tolk's metrics are read: its own, or with several processes their sums. */
  metricsUrl: string;
  /** tolk on its cores, the rig on the others. */
  pinned: boolean;
  twilio: RigProcess<TwilioRigCommand, TwilioRigReply>;
  gemini: RigProcess<GeminiRigCommand, GeminiRigReply>;
  geminiBase: string;
  tolkBase: string;
  tolk: ChildProcess;
  /** The run's folder: tolk's log (tolk.log), its database. */
  dir: string;
  /** The rig's processes, this one included: all on the rig's cores. */
  pids(): number[];
  stopTolk(): Promise<void>;
  stop(): Promise<void>;
}

export interface TolkLaunch {
  /** The run's folder: tolk's numbers file, database and log (tolk.log) go there. */
  dir: string;
  fromSource: boolean;
  /** taskset's core list for tolk, if pinned. */
  cores?: string;
  profileDir?: string;
  /** The number's originalVolume (default tolk's). */
  originalVolume?: number;
  /** PORT, PUBLIC_URL, the Twilio account and API URL, GEMINI_API_URL, LOG_LEVEL, ... */
  env: Record<string, string>;
}

/** The Node.js flags `npm start` runs tolk with (package.json's start script). */
export function startFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const flags = /\bnode((?: --\S+)*) dist\/src\/main\.js/.exec(pkg.scripts.start)?.[1];
  if (flags === undefined) throw new Error(`package.json's start script does not run dist/src/main.js with node: ${pkg.scripts.start}`);
  return flags.split(' ').filter(Boolean);
}

/** tolk, as `npm start` runs it, with the bench's number (a Spanish caller, an English agent). */
export function startTolk(l: TolkLaunch): ChildProcess {
  const numbers = path.join(l.dir, 'numbers.yaml');
  const volume = l.originalVolume === undefined ? '' : `    originalVolume: ${l.originalVolume}\n`;
  fs.writeFileSync(numbers, `numbers:\n  - number: "${TOLK_NUMBER}"\n    destination: "${AGENT_NUMBER}"\n    callerLanguage: es\n    agentLanguage: en\n${volume}`);
  const extraFlags = (process.env.TOLK_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const main = l.fromSource ? [...TSX, path.join(ROOT, 'src/main.ts')] : [path.join(ROOT, 'dist/src/main.js')];
  const node = [process.execPath, ...startFlags(), ...extraFlags, ...(l.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${l.profileDir}`] : []), ...main];
  return startChild(l.cores ? 'taskset' : node[0], l.cores ? ['-c', l.cores, ...node] : node.slice(1), {
    HOST: '127.0.0.1',
    GEMINI_API_KEY: 'bench-key',
    // Stopped with SIGTERM at the end of a run: calls still up end at once instead of draining.
    TOLK_DRAIN_TIMEOUT_MS: '0',
    TOLK_NUMBERS: numbers,
    TOLK_DB_PATH: path.join(l.dir, 'tolk.db'),
    // The rig (or emulator) is the account: the dial queue need not hold tolk's legs to Twilio's default of 1 a second.
    TWILIO_CPS: '1000',
    ...l.env,
  }, path.join(l.dir, 'tolk.log'));
}

export interface LoadRigOptions {
  calls: number;
  /** Seconds of speech in each party's timeline. */
  callSec: number;
  fromSource: boolean;
  /** tolk on core 0 (its processes on the first cores), the rig on the others. */
  pin: boolean;
  /** TOLK_PROCESSES (0: one plain process). */
  processes: number;
  profileDir?: string;
  /** Writes V8 CPU profiles of the rig's two processes here (twilio-rig.cpuprofile, gemini-rig.cpuprofile). */
  rigProfileDir?: string;
  /** The model repeats what it hears instead of its steady voice (the path test's audio check). */
  echo?: boolean;
  /** What a sampled call's listeners hear is kept (`recordings`). */
  record?: boolean;
  /** tolk's LOG_LEVEL (default BENCH_LOG_LEVEL, or warn). */
  logLevel?: string;
  /** The number's originalVolume (default tolk's). */
  originalVolume?: number;
}

export async function startLoadRig(args: LoadRigOptions): Promise<LoadRig> {
  const callSec = args.callSec;
  if (!args.fromSource) assertBuilt(); // first, so a missing build leaves nothing running
  const processes: ProcessesSetup | undefined = args.processes > 0 ? await setUpProcesses(args.processes) : undefined;
  const cores = args.pin ? coreSplit(os.cpus().length, Math.max(1, args.processes)) : undefined;
  if (args.pin && !cores) log(`not pinned: ${args.processes} tolk processes leave no core of ${os.cpus().length} to the rig`);
  if (cores) pinSelfTo(cores.rig); // the rig's processes are started after: they inherit it
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-bench-'));
  const gemini = new RigProcess<GeminiRigCommand, GeminiRigReply>('gemini-rig', { modelLatencyMs: MODEL_LATENCY_MS, echo: args.echo ?? false } satisfies GeminiRigConfig, args.fromSource, args.rigProfileDir);
  const geminiStarted = gemini.next();
  const port = await freePort();
  const tolkBase = `http://127.0.0.1:${port}`;
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const twilioConfig: TwilioRigConfig = {
    accountSid,
    authToken,
    tolkBase,
    tolkNumber: TOLK_NUMBER,
    callSec,
    answerAfterMs: 1000,
    spacingMs: 50,
    sampleEvery: Math.max(1, Math.ceil(args.calls / 10)),
    modelLatencyMs: MODEL_LATENCY_MS,
    record: args.record ?? false,
    handshakeTimeoutMs: 10_000,
  };
  const twilio = new RigProcess<TwilioRigCommand, TwilioRigReply>('twilio-rig', twilioConfig, args.fromSource, args.rigProfileDir);
  const [geminiReady, twilioReady] = await Promise.all([geminiStarted, twilio.next()]).catch(async (err: unknown) => {
    await Promise.all([twilio.stop(), gemini.stop()]);
    throw err;
  });
  if (geminiReady.type !== 'ready' || twilioReady.type !== 'ready') throw new Error('the rig did not start');
  const geminiBase = `http://127.0.0.1:${geminiReady.port}`;
  const tolk = startTolk({
    dir,
    fromSource: args.fromSource,
    cores: cores?.tolk,
    profileDir: args.profileDir,
    originalVolume: args.originalVolume,
    env: {
      ...processes?.env,
      PORT: String(port),
      LOG_LEVEL: args.logLevel ?? process.env.BENCH_LOG_LEVEL ?? 'warn',
      PUBLIC_URL: tolkBase,
      TWILIO_ACCOUNT_SID: accountSid,
      TWILIO_AUTH_TOKEN: authToken,
      TWILIO_API_URL: `http://127.0.0.1:${twilioReady.port}`,
      GEMINI_API_URL: geminiBase,
    },
  });
  const exited = (c: ChildProcess): Promise<void> => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
  try {
    await waitForHttp(`${tolkBase}/healthz`, processes ? 90_000 : 30_000);
  } catch (err) {
    // Every process of the tree: a supervisor killed alone would leave its processes running.
    for (const pid of tolk.pid === undefined ? [] : processTree(tolk.pid).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await Promise.all([twilio.stop(), gemini.stop()]);
    await processes?.cleanUp();
    throw err;
  }
  log(`logs in ${dir}`);
  let tolkStopped: Promise<void> | undefined;
  const stopTolk = (): Promise<void> => {
    tolkStopped ??= (async () => {
      tolk.kill('SIGTERM');
      await exited(tolk);
    })();
    return tolkStopped;
  };
  return {
    metricsUrl: `${tolkBase}/metrics${args.processes > 1 ? '/cluster' : ''}`,
    pinned: cores !== undefined,
    twilio,
    gemini,
    geminiBase,
    tolkBase,
    tolk,
    dir,
    pids: () => [process.pid, twilio.child.pid, gemini.child.pid].filter((p): p is number => p !== undefined),
    stopTolk,
    async stop() {
      await stopTolk();
      await Promise.all([twilio.stop(), gemini.stop()]);
      await processes?.cleanUp();
    },
  };
}
