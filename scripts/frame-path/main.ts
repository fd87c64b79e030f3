/**
 * Runs one interpreted call's frame path (call.ts): `--warmup` seconds of call audio, then
 * `--seconds` more, and prints what went through as one JSON line. The measured seconds are marked
 * by a call to os.getPriority() before and after them (libuv's uv_os_getpriority, which nothing else
 * on the path calls): scripts/bench-instructions.ts runs this under callgrind with
 * `--dump-before=uv_os_getpriority`, so the instructions between the marks are a dump of their own.
 * With `--hold FILE` it prints `warm` once warmed up and waits until FILE exists (the bench turns
 * callgrind's instrumentation on meanwhile: start-up and warm-up run uninstrumented, much faster).
 *
 *   node dist/scripts/frame-path/main.js --warmup 60 --seconds 20 [--chunk-ms 100] [--hold FILE]
 */
import fs from 'node:fs';
import os from 'node:os';
import { loadTimelines } from '../rig/timelines';
import { FramePathCall } from './call';

const MODEL_LATENCY_TICKS = 15; // 300 ms, as the load rig's model

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive whole number`);
  return v;
}

async function main(): Promise<void> {
  const warmup = arg('--warmup', 5);
  const seconds = arg('--seconds', 10);
  const chunkMs = arg('--chunk-ms', 100);
  // The parties' timelines repeat: 20 s holds each party's turn at least once.
  const timelines = loadTimelines(Math.max(20, warmup + seconds));
  const call = new FramePathCall({ chunkMs, latencyTicks: MODEL_LATENCY_TICKS });
  await call.connect(timelines);
  for (let i = 0; i < warmup * 50; i++) await call.step();
  const hold = process.argv[process.argv.indexOf('--hold') + 1];
  if (process.argv.includes('--hold') && hold) {
    process.stdout.write('warm\n');
    // Spins (a blocked process would not hear callgrind_control); the mark below discards this.
    while (!fs.existsSync(hold)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  os.getPriority(); // mark: the measured seconds start
  for (let i = 0; i < seconds * 50; i++) await call.step();
  os.getPriority(); // mark: they end
  process.stdout.write(`${JSON.stringify({ warmup, seconds, chunkMs, ...call.summary() })}\n`);
  // Nothing is closed: the process ends here, so both lengths end alike.
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`frame path failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
