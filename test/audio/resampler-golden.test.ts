/**
 * The resamplers' exact output on a fixed signal, as SHA-256 digests, on the SIMD kernel and in
 * plain JavaScript, for several ways of cutting the stream into chunks: a change to how they
 * compute (their work area, the copies into the kernel, the rounding loops) must leave every
 * output sample bit-identical.
 */
import { createHash } from 'node:crypto';
import { Downsampler24to8 } from '../../src/audio/downsampler';
import type { StreamingResampler } from '../../src/audio/resampler';
import { Upsampler8to16 } from '../../src/audio/upsampler';
import { prng } from './helpers/signals';

/** Noisy tones with full-scale bursts (the filters overshoot and clamp there). */
function signal(samples: number): Int16Array {
  const rnd = prng(5);
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    out[i] = i % 20_000 < 80 ? (rnd() < 0.5 ? 32767 : -32768) : Math.round(20000 * Math.sin(i / 5) * rnd() + 4000 * Math.sin(i / 37));
  }
  return out;
}

function digest(r: StreamingResampler, input: Int16Array, sizes: number[]): string {
  const hash = createHash('sha256');
  for (let p = 0, k = 0; p < input.length; k++) {
    const size = Math.min(sizes[k % sizes.length], input.length - p);
    const out = r.process(input.subarray(p, p + size));
    hash.update(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
    p += size;
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The same signal with stretches of digital silence (zeros) of many lengths, some shorter than a
 * filter's history and some starting or ending inside a chunk: the resamplers skip the filter where
 * both a chunk and the history before it are silent, and the tail of the speech before a silence
 * must still ring out as it would.
 */
function withSilences(samples: number): Int16Array {
  const out = signal(samples);
  const rnd = prng(11);
  for (let at = 500; at < samples; ) {
    const length = [3, 38, 39, 40, 138, 139, 160, 481, 2400, 5000][Math.floor(rnd() * 10)];
    out.fill(0, at, Math.min(samples, at + length));
    at += length + 1 + Math.floor(rnd() * 3000);
  }
  out.fill(0, samples - 7000);
  return out;
}

/** The outputs' digests by resampler and chunking: a new digest is new audio. */
const GOLDEN: Record<string, { simd: string; plain: string }> = {
  'Upsampler8to16 20 ms frames': { simd: 'b6f1d18411915509', plain: 'b9b89ee9b632a6bd' },
  'Upsampler8to16 odd chunks': { simd: 'b6f1d18411915509', plain: 'b9b89ee9b632a6bd' },
  'Downsampler24to8 20 ms frames': { simd: '579e3b8ab3b7cae5', plain: '19354d50294f7450' },
  'Downsampler24to8 odd chunks': { simd: '579e3b8ab3b7cae5', plain: '19354d50294f7450' },
  'Upsampler8to16 20 ms frames, with silences': { simd: '996ea27545b25a4e', plain: 'a804ca60c4333ae0' },
  'Upsampler8to16 odd chunks, with silences': { simd: '996ea27545b25a4e', plain: 'a804ca60c4333ae0' },
  'Downsampler24to8 20 ms frames, with silences': { simd: 'b53daf2a3e0c4cc2', plain: '1f21734d05ba34f0' },
  'Downsampler24to8 odd chunks, with silences': { simd: 'b53daf2a3e0c4cc2', plain: '1f21734d05ba34f0' },
};

const input = signal(60_000);
const silenced = withSilences(60_000);
const CHUNKINGS: [string, number[]][] = [
  ['20 ms frames', [160]],
  ['odd chunks', [7, 333, 1, 2400]],
];

describe.each([
  ['Upsampler8to16', (simd: boolean) => new Upsampler8to16({ simd })],
  ['Downsampler24to8', (simd: boolean) => new Downsampler24to8({ simd })],
] as const)('%s exact output', (name, make) => {
  it.each(CHUNKINGS)('is unchanged on the SIMD kernel and in plain JavaScript, %s', (chunking, sizes) => {
    expect({ simd: digest(make(true), input, sizes), plain: digest(make(false), input, sizes) }).toEqual(GOLDEN[`${name} ${chunking}`]);
  });

  it.each(CHUNKINGS)('is unchanged through stretches of digital silence, %s', (chunking, sizes) => {
    expect({ simd: digest(make(true), silenced, sizes), plain: digest(make(false), silenced, sizes) }).toEqual(GOLDEN[`${name} ${chunking}, with silences`]);
  });
});

