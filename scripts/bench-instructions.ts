/**
 * `npm run bench:instructions`: the instructions tolk's frame path executes per second of one
 * interpreted call, counted by valgrind's callgrind: a count, not a time, so it is the same on a
 * busy machine as on a quiet one, and guards against regressions where CPU times cannot.
 *
 *   npm run --silent bench:instructions -- [--seconds 20] [--warmup 60] [--chunk-ms 100[,40,20]] [--json]
 *
 * The frame path (scripts/frame-path/) is one direct call, caller and agent talking in turns,
 * through tolk's real classes: the Twilio edge's media stream sessions, the call service (echo
 * canceller, jitter buffer, routes, mixers, play-out), the Gemini translator with the real SDK; only
 * the sockets are in memory. It runs under callgrind uninstrumented through start-up and `--warmup`
 * seconds of call (until the JIT has settled), then counts `--seconds` seconds of call. V8 runs in
 * its predictable mode (compilation and garbage collection on the main thread, fixed seeds), so the
 * same build counts the same, run after run.
 *
 * It counts the build made beforehand (`npm run build`, outside the bench's lock, as `npm run bench`
 * does), and refuses a build that is missing or older than the sources rather than count old code.
 * Needs valgrind (Debian/Ubuntu: apt-get install valgrind). `--from-source` runs the TypeScript
 * through tsx instead of the build (the test's quick check; its count includes tsx's loader hooks).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertBuilt, ROOT } from './rig/load-rig';

/** V8 flags for a count that repeats: no background threads, fixed hash and random seeds. */
const V8_FLAGS = ['--predictable', '--hash-seed=1', '--random-seed=1'];

interface Args {
  seconds: number;
  warmup: number;
  chunkMs: number[];
  json: boolean;
  fromSource: boolean;
}

function parseArgs(argv: string[]): Args {
  const envChunk = Number(process.env.TRANSLATE_CHUNK_MS);
  const a: Args = { seconds: 20, warmup: 60, chunkMs: [Number.isInteger(envChunk) && envChunk > 0 ? envChunk : 100], json: false, fromSource: false };
  const whole = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive whole number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seconds') a.seconds = whole('--seconds', argv[++i]);
    else if (argv[i] === '--warmup') a.warmup = whole('--warmup', argv[++i]);
    else if (argv[i] === '--chunk-ms') a.chunkMs = (argv[++i] ?? '').split(',').map((v) => whole('--chunk-ms', v));
    else if (argv[i] === '--json') a.json = true;
    else if (argv[i] === '--from-source') a.fromSource = true;
    else if (argv[i] === '--help') {
      process.stdout.write('usage: npm run bench:instructions -- [--seconds S] [--warmup S] [--chunk-ms MS[,MS...]] [--json] [--from-source]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${argv[i]}`);
  }
  return a;
}

const log = (s: string): boolean => process.stderr.write(`bench:instructions: ${s}\n`);

function valgrindVersion(): string {
  try {
    return execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    process.stderr.write('bench:instructions: valgrind is not installed; install it (Debian/Ubuntu: apt-get install valgrind) and run again\n');
    process.exit(2);
  }
}

/** Instructions (Ir) in a callgrind dump: its `totals:` line. */
export function totalsOf(dump: string): number {
  const m = /^totals:\s+(\d+)/m.exec(dump) ?? /^summary:\s+(\d+)/m.exec(dump);
  if (!m) throw new Error('no totals in the callgrind dump');
  return Number(m[1]);
}

interface Count {
  chunkMs: number;
  instructions: number;
  framePath: Record<string, number>;
}

/** One count: the frame path under callgrind, instrumented only between its marks. */
async function count(args: Args, chunkMs: number): Promise<Count> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-instructions-'));
  const hold = path.join(dir, 'go');
  const script = args.fromSource
    ? ['--import', pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, path.join(ROOT, 'scripts', 'frame-path', 'main.ts')]
    : [path.join(ROOT, 'dist', 'scripts', 'frame-path', 'main.js')];
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--instr-atstart=no', '--dump-before=uv_os_getpriority', `--callgrind-out-file=${path.join(dir, 'callgrind.out')}`, process.execPath, ...V8_FLAGS, ...script,
      '--warmup', String(args.warmup), '--seconds', String(args.seconds), '--chunk-ms', String(chunkMs), '--hold', hold],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const before = stdout;
      stdout += d.toString();
      if (!before.includes('warm\n') && stdout.includes('warm\n')) {
        try {
          // Instrumentation on for what follows; the harness's first mark then starts the count.
          execFileSync('callgrind_control', ['--instr=on', String(child.pid)], { stdio: 'ignore', timeout: 60_000 });
          fs.writeFileSync(hold, '');
          resolve();
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
    });
    void exited.then(() => reject(new Error(`the frame path ended before it was warm:\n${stderr.slice(-2000)}`)));
  });
  const code = await exited;
  if (code !== 0) throw new Error(`the frame path failed (exit ${code}):\n${stderr.slice(-2000)}`);
  // Dump 1: up to the first mark; dump 2: the measured seconds (then the rest, at exit).
  const dump = path.join(dir, 'callgrind.out.2');
  if (!fs.existsSync(dump)) throw new Error(`callgrind wrote no dump between the marks (in ${dir})`);
  const instructions = totalsOf(fs.readFileSync(dump, 'utf8'));
  const framePath = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
  fs.rmSync(dir, { recursive: true, force: true });
  return { chunkMs, instructions, framePath };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const valgrind = valgrindVersion();
  if (!args.fromSource) {
    try {
      assertBuilt();
    } catch (err) {
      log(err instanceof Error ? err.message : String(err));
      process.exit(2);
    }
  }
  for (const chunkMs of args.chunkMs) {
    log(`counting ${args.seconds} s of call after ${args.warmup} s of warm-up, TRANSLATE_CHUNK_MS=${chunkMs}`);
    const c = await count(args, chunkMs);
    const result = {
      instructionsPerCallSecond: Math.round(c.instructions / args.seconds),
      instructions: c.instructions,
      seconds: args.seconds,
      warmup: args.warmup,
      chunkMs,
      node: process.version,
      valgrind,
      framePath: c.framePath,
    };
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(`TRANSLATE_CHUNK_MS=${chunkMs}: ${(result.instructionsPerCallSecond / 1e6).toFixed(2)} M instructions per call-second (${args.seconds} s counted after ${args.warmup} s, ${process.version}, ${valgrind})\n`);
      process.stdout.write(`  frame path: ${Object.entries(c.framePath).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
    }
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:instructions failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
