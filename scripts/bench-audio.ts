/**
 * Audio path benchmark: cost per 20 ms frame of the two live conversions.
 *
 *   npm run bench:audio                     readable table (+ wave-resampler per-frame comparison)
 *   npm run --silent bench:audio -- --json  exactly one JSON object on stdout:
 *     {"inboundUsPerFrame": n, "outboundUsPerFrame": n, "corePercentPerCall": n}
 *
 * inbound  = one 20 ms Twilio frame: 160 mu-law bytes (8 kHz) -> 320 PCM16 samples (16 kHz)
 * outbound = 20 ms of model audio: 480 PCM16 samples (24 kHz) -> 160 mu-law bytes (8 kHz)
 * per call = both directions of both legs = 2 * (inbound + outbound) per 20 ms of wall time.
 *
 * Input is real speech from test/fixtures, looped to 60 s per path. Each measurement runs 60 s
 * of audio (3000 frames) after a warm-up; the median best of several runs (CPU time) is reported.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulaw } from 'alawmulaw';
import { resample } from 'wave-resampler';
import { InboundConverter, OutboundConverter } from '../src/audio/converters';
import { Downsampler24to8 } from '../src/audio/downsampler';
import { floatsToInt16 } from '../src/audio/pcm';
import { Upsampler8to16 } from '../src/audio/upsampler';
import { readWav } from '../src/audio/wav';

const FRAME_MS = 20;
const SECONDS = 60;
const FRAMES = (SECONDS * 1000) / FRAME_MS; // 3000
const RUNS = 7;
const FIXTURES = join(__dirname, '..', 'test', 'fixtures');

function loop<T extends Uint8Array | Int16Array>(source: T, length: number, make: (n: number) => T): T {
  const out = make(length);
  for (let at = 0; at < length; at += source.length) out.set(source.subarray(0, Math.min(source.length, length - at)), at);
  return out;
}

function frames<T extends Uint8Array | Int16Array>(data: T, size: number): T[] {
  const out: T[] = [];
  for (let at = 0; at + size <= data.length; at += size) out.push(data.subarray(at, at + size) as T);
  return out;
}

/**
 * CPU microseconds (user + system, this process) per frame for one pass over all frames. CPU time
 * rather than wall time, so other processes sharing the machine do not count against us.
 */
function timePass<T>(items: T[], work: (item: T) => { length: number }): number {
  let sink = 0;
  const start = process.cpuUsage();
  for (const item of items) sink += work(item).length;
  const used = process.cpuUsage(start);
  if (sink < 0) throw new Error('unreachable'); // keeps the results observable
  return (used.user + used.system) / items.length;
}

/** Warm up, then the best of `runs` full 60 s passes (the least disturbed one). */
function measure<T>(items: T[], work: (item: T) => { length: number }, runs = RUNS): number {
  timePass(items.slice(0, 500), work);
  timePass(items, work);
  let best = Infinity;
  for (let r = 0; r < runs; r++) best = Math.min(best, timePass(items, work));
  return best;
}

function main(): void {
  const json = process.argv.includes('--json');

  const phone = readWav(readFileSync(join(FIXTURES, 'caller-en.ulaw8k.wav')));
  const model = readWav(readFileSync(join(FIXTURES, 'caller-es.to-en.pcm24k.wav')));
  if (!phone.mulaw || phone.sampleRate !== 8000 || model.sampleRate !== 24000) {
    throw new Error('bench-audio: unexpected fixture formats');
  }
  const inFrames = frames(loop(phone.mulaw, 8000 * SECONDS, (n) => new Uint8Array(n)), 160);
  const outFrames = frames(loop(model.samples, 24000 * SECONDS, (n) => new Int16Array(n)), 480);
  if (inFrames.length < FRAMES || outFrames.length < FRAMES) throw new Error('bench-audio: less than 60 s of audio');

  // Ours: one converter per direction, output arrays allocated per frame as a caller would.
  const inbound = new InboundConverter();
  const outbound = new OutboundConverter();
  const inboundUs = measure(inFrames, (f) => inbound.process(f));
  const outboundUs = measure(outFrames, (f) => outbound.process(f));
  const corePercent = ((2 * (inboundUs + outboundUs)) / (FRAME_MS * 1000)) * 100;

  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        inboundUsPerFrame: Number(inboundUs.toFixed(2)),
        outboundUsPerFrame: Number(outboundUs.toFixed(2)),
        corePercentPerCall: Number(corePercent.toFixed(4)),
      })}\n`,
    );
    return;
  }

  // Comparison: wave-resampler's defaults (cubic + IIR low-pass) called on each 20 ms frame, with
  // alawmulaw's own array functions. Stateless: it also clicks at every frame edge.
  const naiveIn = measure(
    inFrames,
    (f) => floatsToInt16(resample(mulaw.decode(f), 8000, 16000)),
    3,
  );
  const naiveOut = measure(
    outFrames,
    (f) => mulaw.encode(floatsToInt16(resample(Float64Array.from(f), 24000, 8000))),
    3,
  );
  const naiveCore = ((2 * (naiveIn + naiveOut)) / (FRAME_MS * 1000)) * 100;

  const up = new Upsampler8to16();
  const down = new Downsampler24to8();
  const row = (name: string, i: number, o: number, c: number): string =>
    `${name.padEnd(44)} ${i.toFixed(2).padStart(9)} ${o.toFixed(2).padStart(10)} ${c.toFixed(3).padStart(8)} ${Math.floor(50 / c)
      .toString()
      .padStart(8)}`;
  const lines = [
    `Audio path cost per 20 ms frame (${SECONDS} s of speech per path, CPU time, best of ${RUNS} runs after warm-up; node ${process.version})`,
    '',
    `${'pipeline'.padEnd(44)} ${'in us/fr'.padStart(9)} ${'out us/fr'.padStart(10)} ${'% core'.padStart(8)} ${'calls@50%'.padStart(8)}`,
    row('tolk: LUT mu-law + stateful polyphase FIR', inboundUs, outboundUs, corePercent),
    row('wave-resampler defaults per frame + alawmulaw', naiveIn, naiveOut, naiveCore),
    '',
    '% core = one call, both directions of both legs (2 x (in + out) per 20 ms).',
    `Targets: inbound <= 15 us, outbound <= 25 us per frame.`,
    `Delay: 8k->16k ${up.delayMs.toFixed(3)} ms, 24k->8k ${down.delayMs.toFixed(3)} ms.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
