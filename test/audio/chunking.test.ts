import { Downsampler24to8 } from '../../src/audio/downsampler';
import type { StreamingResampler } from '../../src/audio/resampler';
import { Upsampler8to16 } from '../../src/audio/upsampler';
import { concatInt16, noisyTones, randomChunkSizes } from './helpers/signals';

function feed(resampler: StreamingResampler, input: Int16Array, sizes: number[]): Int16Array {
  const parts: Int16Array[] = [];
  let at = 0;
  for (const size of sizes) {
    // Copy each chunk, as a network frame would be, so no chunk shares memory with the next.
    parts.push(Int16Array.from(resampler.process(input.slice(at, at + size))));
    at += size;
  }
  expect(at).toBe(input.length);
  return concatInt16(parts);
}

function sameSamples(a: Int16Array, b: Int16Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const cases: Array<[string, () => StreamingResampler, number]> = [
  ['Upsampler8to16', () => new Upsampler8to16(), 8000],
  ['Downsampler24to8', () => new Downsampler24to8(), 24000],
  ['Upsampler8to16 (plain JavaScript)', () => new Upsampler8to16({ simd: false }), 8000],
  ['Downsampler24to8 (plain JavaScript)', () => new Downsampler24to8({ simd: false }), 24000],
];

describe.each(cases)('%s streaming', (_name, create, rate) => {
  const input = noisyTones(rate, 3 * rate + 7, 42);
  const whole = create().process(input);

  it('gives output of the exact expected length', () => {
    expect(whole.length).toBe(Math.ceil((input.length * create().outputRate) / rate));
  });

  it.each([1, 2, 3])('gives bit-identical output for random chunk sizes 0..2000 (seed %d)', (seed) => {
    const sizes = randomChunkSizes(input.length, seed);
    expect(sizes.some((s) => s > 0 && s % 3 !== 0)).toBe(true);
    expect(sameSamples(feed(create(), input, sizes), whole)).toBe(true);
  });

  it('gives bit-identical output for 20 ms frames and for single samples', () => {
    const frame = rate / 50;
    const frames = Array.from({ length: Math.ceil(input.length / frame) }, (_, i) =>
      Math.min(frame, input.length - i * frame),
    );
    expect(sameSamples(feed(create(), input, frames), whole)).toBe(true);
    const ones = new Array<number>(4000).fill(1);
    const head = input.subarray(0, 4000);
    expect(sameSamples(feed(create(), head, ones), create().process(head))).toBe(true);
  });

  it('would catch a stateless resampler: fresh state per 20 ms frame differs from the stream', () => {
    const frame = rate / 50;
    const parts: Int16Array[] = [];
    for (let at = 0; at < input.length; at += frame) parts.push(create().process(input.slice(at, at + frame)));
    expect(sameSamples(concatInt16(parts), whole)).toBe(false);
  });

  it('reset() forgets history: a reset instance behaves like a new one', () => {
    const r = create();
    r.process(noisyTones(rate, 1001, 7));
    r.reset();
    expect(sameSamples(r.process(input), whole)).toBe(true);
  });

  it('keeps separate instances independent', () => {
    const a = create();
    const b = create();
    const sizes = randomChunkSizes(input.length, 9);
    const partsA: Int16Array[] = [];
    let at = 0;
    for (const size of sizes) {
      partsA.push(Int16Array.from(a.process(input.slice(at, at + size))));
      b.process(noisyTones(rate, size, at)); // interleaved work on another leg
      at += size;
    }
    expect(sameSamples(concatInt16(partsA), whole)).toBe(true);
  });
});
