/**
 * Stopping tolk started with `npm start`: a signal sent to the npm process reaches tolk, which
 * drains and exits, and npm with it; Ctrl-C, which a terminal sends to npm and tolk alike (and npm
 * passes on again), is one request to stop, not a first and a second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { onStopSignals, SAME_REQUEST_MS } from '../../src/stop-signals';

const ROOT = path.resolve(__dirname, '../..');
const TSX_LOADER = path.join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const ADMIN_TOKEN = 'an-admin-token-of-16-or-more-characters';

describe('onStopSignals', () => {
  function listen() {
    const target = new EventEmitter();
    let t = 0;
    const seen: string[] = [];
    const off = onStopSignals(
      { first: (s) => seen.push(`first ${s}`), again: (s) => seen.push(`again ${s}`), repeated: (s) => seen.push(`repeated ${s}`) },
      { target, now: () => t },
    );
    return { seen, off, at: (ms: number, sig: NodeJS.Signals) => ((t = ms), target.emit(sig, sig)), target };
  }

  it('drains on the first signal and takes one a second or more later as asked again', () => {
    const { seen, at } = listen();
    at(0, 'SIGTERM');
    at(SAME_REQUEST_MS, 'SIGTERM');
    at(3 * SAME_REQUEST_MS, 'SIGINT');
    expect(seen).toEqual(['first SIGTERM', 'again SIGTERM', 'again SIGINT']);
  });

  it('takes signals just after the one acted on (Ctrl-C to the group, passed on by npm or the supervisor) as that same request', () => {
    const { seen, at } = listen();
    at(0, 'SIGINT'); // the terminal
    at(2, 'SIGINT'); // npm passing it on
    at(3, 'SIGTERM'); // the TOLK_PROCESSES supervisor passing it on
    at(5000, 'SIGINT'); // Ctrl-C again
    at(5001, 'SIGINT');
    expect(seen).toEqual(['first SIGINT', 'repeated SIGINT', 'repeated SIGTERM', 'again SIGINT', 'repeated SIGINT']);
  });

  it('stops listening when asked', () => {
    const { off, target } = listen();
    expect(target.listenerCount('SIGINT') + target.listenerCount('SIGTERM')).toBe(2);
    off();
    expect(target.listenerCount('SIGINT') + target.listenerCount('SIGTERM')).toBe(0);
  });
});

interface NpmStart {
  npm: ChildProcess;
  stdout(): string;
  exited: Promise<number | null>;
  /** Resolves once stdout has a line matching `re`; rejects after `ms`. */
  waitFor(re: RegExp, ms: number): Promise<void>;
}

let started: NpmStart | undefined;
let dir: string | undefined;

afterEach(() => {
  // npm, and tolk wherever it is, are in the process group npm leads.
  const pid = started?.npm.pid;
  if (pid !== undefined) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  started = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Whether any process of the group npm led is still running. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm start` with package.json's own start script, in an empty folder of its own: tolk runs from
 * its sources (node with tsx's loader in place of the compiled dist/src/main.js), the rest of the
 * script as it is.
 */
function npmStart(): NpmStart {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.start).toMatch(/ dist\/src\/main\.js$/);
  const script = pkg.scripts.start.replace(/ dist\/src\/main\.js$/, ` --import ${TSX_LOADER} ${path.join(ROOT, 'src/main.ts')}`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-npm-start-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'tolk-npm-start', version: '0.0.0', private: true, scripts: { start: script } }));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_URL: 'https://tolk.example.com',
    TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
    TWILIO_AUTH_TOKEN: 'an-auth-token-of-32-characters-x',
    GEMINI_API_KEY: 'gemini-key',
    ADMIN_TOKEN,
  };
  // A process group of its own, as a terminal gives the command it runs.
  const npm = spawn('npm', ['start'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const watchers = new Set<() => void>();
  npm.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of watchers) w();
  });
  let err = '';
  npm.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  return {
    npm,
    stdout: () => out,
    exited,
    waitFor: (re, ms) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!re.test(out)) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`no ${re} within ${ms} ms; stdout:\n${out.slice(-2000)}\nstderr:\n${err.slice(-2000)}`));
        }, ms);
        watchers.add(check);
        check();
      }),
  };
}

/** tolk's log lines that concern stopping, as `event: msg`. */
function stopEvents(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { event?: string; msg?: string })
    .filter((l) => /^(process\.|server\.(draining|stopped))/.test(l.event ?? ''))
    .map((l) => `${l.event}: ${l.msg}`);
}

describe('npm start, stopped by a signal', () => {
  jest.setTimeout(60_000);

  it('SIGTERM to the npm process: tolk drains and exits, and npm exits with it', async () => {
    started = npmStart();
    await started.waitFor(/"event":"server.listening"/, 30_000);
    process.kill(started.npm.pid!, 'SIGTERM');
    await started.waitFor(/"event":"server.stopped"/, 10_000);
    expect(await started.exited).toBe(0);
    expect(stopEvents(started.stdout()).sort()).toEqual(['process.signal: shutting down', 'server.draining: draining', 'server.stopped: stopped']);
    // Nothing is left behind (tsx's esbuild service, which runs tolk from its sources here, goes last).
    const pid = started.npm.pid!;
    const deadline = Date.now() + 5000;
    while (groupAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(groupAlive(pid)).toBe(false);
  });

  it('Ctrl-C (SIGINT to the process group): one request to drain, not a second signal that ends calls at once', async () => {
    started = npmStart();
    await started.waitFor(/"event":"server.listening"/, 30_000);
    const { port } = JSON.parse(/^\{.*"event":"server.listening".*$/m.exec(started.stdout())![0]) as { port: number };
    // A request whose body is still coming keeps tolk stopping (as a live call would) until it goes.
    const slow = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => slow.once('connect', resolve));
    slow.write(`PUT /api/numbers/%2B15550001111 HTTP/1.1\r\nHost: tolk\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      process.kill(-started.npm.pid!, 'SIGINT');
      // The terminal's SIGINT reaches tolk, and npm passes its own on within milliseconds (the two
      // are one pending signal when npm is quicker than tolk to take the first).
      await started.waitFor(/"event":"server.draining"/, 5000);
      await new Promise((resolve) => setTimeout(resolve, SAME_REQUEST_MS));
      expect(stopEvents(started.stdout()).filter((e) => !e.startsWith('process.signal_repeated: SIGINT within 1 s of the last signal: the same request')).sort()).toEqual([
        'process.signal: shutting down',
        'server.draining: draining',
      ]);
    } finally {
      slow.destroy();
    }
    await started.waitFor(/"event":"server.stopped"/, 10_000);
    expect(await started.exited).toBe(0);
  });
});
