/**
 * tolk (`src/main.ts`, as `npm start` runs it) in a child process for tests that need a real
 * process: exit codes, signals, restarts. Each runs in its own empty working folder with only the
 * environment the test gives, so a developer's `.env`, `numbers.yaml` or `data/` in the repository
 * never reaches it. Every process started here is killed after each test, pass or fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(__dirname, '../..');
/**
 * tsx's loader, registered inside tolk's own node process. The tsx command would run tolk as a
 * child and relay signals to it, and kill it outright when it does not acknowledge a signal
 * within 30 ms (a busy machine): a test of how tolk stops would see tsx's exit instead of tolk's.
 */
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const MAIN = path.join(ROOT, 'src/main.ts');
const CLI = path.join(ROOT, 'src/cli/main.ts');

export interface TolkProcess {
  child: ChildProcess;
  /** The working folder tolk runs in (removed after the test unless the test gave it). */
  cwd: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** The exit code once tolk exits, or 'still running' if it has not within `ms` (no timer is left behind either way). */
  exitWithin(ms: number): Promise<number | null | 'still running'>;
  /** Resolves once stdout has a line matching `re` (rejects if tolk exits first or after `ms`). */
  waitForStdout(re: RegExp, ms?: number): Promise<string>;
  /** SIGTERM (graceful shutdown) or SIGKILL (tolk and any process it started die); resolves on exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

const running = new Set<TolkProcess>();
const ownFolders = new Set<string>();

afterEach(async () => {
  await Promise.all([...running].map((p) => p.stop('SIGKILL')));
  for (const dir of ownFolders) fs.rmSync(dir, { recursive: true, force: true });
  ownFolders.clear();
});

export interface SpawnOptions {
  /** Working folder; default a new empty one, removed after the test. */
  cwd?: string;
  /** Prepares the working folder before tolk starts (writes a `.env`, a numbers file...). */
  prepare?: (cwd: string) => void;
  /** Run the `tolk` command line with these arguments (e.g. ['worker']) instead of the server. */
  cli?: string[];
}

export function spawnTolk(env: Record<string, string>, opts: SpawnOptions = {}): TolkProcess {
  let cwd = opts.cwd;
  if (!cwd) {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-proc-'));
    ownFolders.add(cwd);
  }
  opts.prepare?.(cwd);
  // Its own process group: a signal to the group reaches tolk and the processes it started (TOLK_PROCESSES).
  const child = spawn(process.execPath, ['--import', TSX_LOADER, ...(opts.cli ? [CLI, ...opts.cli] : [MAIN])], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of watchers) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: TolkProcess = {
    child,
    cwd,
    stdout: () => out,
    stderr: () => err,
    exited,
    exitWithin(ms) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms)));
      return Promise.race([exited, late]).finally(() => clearTimeout(timer));
    },
    waitForStdout(re, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const done = (fn: () => void): void => {
          clearTimeout(timer);
          watchers.delete(check);
          fn();
        };
        const check = (): void => {
          const line = out.split('\n').find((l) => re.test(l));
          if (line !== undefined) done(() => resolve(line));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`tolk did not print ${re} within ${ms} ms; stderr: ${err}`))), ms);
        watchers.add(check);
        void exited.then((code) => done(() => reject(new Error(`tolk exited (${code}) before printing ${re}; stderr: ${err}`))));
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          // SIGTERM asks tolk alone (it stops what it started); SIGKILL must reach every process of the group.
          process.kill(signal === 'SIGKILL' ? -child.pid : child.pid, signal);
        } catch {
          // already gone
        }
        await exited;
      }
      running.delete(proc);
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}
