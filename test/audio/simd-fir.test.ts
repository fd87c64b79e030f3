import fs from 'node:fs';
import path from 'node:path';
import { Downsampler24to8 } from '../../src/audio/downsampler';
import { readWav } from '../../src/audio/wav';
import { Upsampler8to16 } from '../../src/audio/upsampler';
import fc from 'fast-check';
import { roundIntoInt16 } from '../../src/audio/pcm';
import { simdFir, symmetricTaps } from '../../src/audio/wasm/simd-fir';
import { noisyTones, prng } from './helpers/signals';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** The sums the kernel must produce, in double precision. */
function naive(taps: number[], window: Float64Array, first: number, count: number, stride: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < count; o++) {
    let s = 0;
    for (let k = 0; k < taps.length; k++) {
      const i = first + o * stride + k;
      s += taps[k] * (i < window.length ? window[i] : 0);
    }
    out.push(s);
  }
  return out;
}

describe('the SIMD FIR kernel', () => {
  it('loads on this Node, so the resamplers use it', () => {
    expect(simdFir([1])).toBeDefined();
    expect(new Upsampler8to16().usesSimd).toBe(true);
    expect(new Downsampler24to8().usesSimd).toBe(true);
    expect(new Downsampler24to8({ simd: false }).usesSimd).toBe(false);
  });

  it('folds symmetric taps (as the resamplers\' are) and only those', () => {
    expect(simdFir([0.25, 0.5, 0.25])!.folded).toBe(true);
    expect(simdFir([0.25, 0.5, 0.5, 0.25])!.folded).toBe(true);
    expect(simdFir([0.25, 0.5, 0.5, 0.25], { fold: false })!.folded).toBe(false);
    expect(simdFir([0.25, 0.5, 0.26])!.folded).toBe(false);
    // one float32 step apart is not symmetric; a float64 difference float32 cannot hold is
    expect(symmetricTaps([0.1, 0.7, Math.fround(0.1) * (1 + 2 ** -23)])).toBe(false);
    expect(symmetricTaps([0.1, 0.7, 0.1 + 2 ** -40])).toBe(true);
    expect(symmetricTaps([])).toBe(false);
  });

  it.each([
    [1, 1],
    [7, 1],
    [40, 1],
    [139, 3],
    [17, 5],
  ])('computes %i-tap sums at stride %i, treating samples past the window as zero', (length, stride) => {
    const rand = prng(length * 31 + stride);
    const taps = Array.from({ length }, () => rand() * 2 - 1);
    const fir = simdFir(taps)!;
    const window = Float64Array.from({ length: 1000 }, () => Math.round((rand() * 2 - 1) * 32767));
    const count = Math.floor((window.length - 3) / stride);
    const got = fir.filterAt(window, 3, count, stride);
    const want = naive(taps, window, 3, count, stride);
    expect(got).toHaveLength(count);
    for (let o = 0; o < count; o++) expect(Math.abs(got[o] - want[o])).toBeLessThan(0.05);
  });

  it.each([1, 9, 17, 25, 33, 40, 49, 57, 65, 139])(
    'adds a %i-tap sum in its fixed order, bit for bit, however many vectors the taps fill',
    (length) => {
      // The kernel's order: lane j of accumulator a takes vectors 0, 2, 4..., of b vectors 1, 3,
      // 5...; then a + b lane by lane, then (lane 0 + lane 1) + (lane 2 + lane 3), all in float32.
      const f = Math.fround;
      const rand = prng(length);
      const taps = Array.from({ length }, () => rand() * 2 - 1);
      const span = Math.ceil(length / 8) * 8;
      const padded = Float32Array.from({ length: span }, (_, k) => (k < length ? taps[k] : 0));
      const window = Float32Array.from({ length: 600 }, () => Math.round((rand() * 2 - 1) * 32767));
      const count = 600 - span - 5;
      const got = simdFir(taps)!.filterAt(window, 5, count, 1);
      for (let o = 0; o < count; o++) {
        const a = [0, 0, 0, 0];
        const b = [0, 0, 0, 0];
        for (let v = 0; v < span / 4; v++) {
          const acc = v % 2 === 0 ? a : b;
          for (let j = 0; j < 4; j++) acc[j] = f(acc[j] + f(padded[4 * v + j] * window[5 + o + 4 * v + j]));
        }
        const s = a.map((x, j) => f(x + b[j]));
        expect(got[o]).toBe(f(f(s[0] + s[1]) + f(s[2] + s[3])));
      }
    },
  );

  it.each([
    [1, 1],
    [40, 1],
    [139, 3],
    [17, 5],
    [8, 2],
  ])('adds a folded %i-tap sum at stride %i in its fixed order, bit for bit', (length, stride) => {
    // fir_sym's order: the tap pairs (k, N-1-k), k < ceil(N/2), by the phase of k (k mod
    // stride), then k; each pair adds f32(h[k] * f32(x[k] + x[N-1-k])) to one float32 sum, a
    // middle tap halved and meeting its own sample twice.
    const f = Math.fround;
    const rand = prng(length * 7 + stride);
    const half = Array.from({ length: Math.ceil(length / 2) }, () => rand() * 2 - 1);
    const taps = Array.from({ length }, (_, k) => half[Math.min(k, length - 1 - k)]);
    const fir = simdFir(taps)!;
    expect(fir.folded).toBe(true);
    const window = Float32Array.from({ length: 700 }, () => Math.round((rand() * 2 - 1) * 32767));
    const count = Math.floor((window.length - length - 4) / stride);
    const got = fir.filterAt(window, 4, count, stride);
    for (let o = 0; o < count; o++) {
      let s = 0;
      for (let p = 0; p < stride; p++) {
        for (let k = p; k < half.length; k += stride) {
          const tap = k === length - 1 - k ? f(f(taps[k]) / 2) : f(taps[k]);
          const at = 4 + o * stride;
          s = f(s + f(tap * f(window[at + k] + window[at + length - 1 - k])));
        }
      }
      expect(got[o]).toBe(s);
    }
  });

  it('gives on folded taps what the plain kernel and the exact sum give, to within one int16 step', () => {
    // Symmetric taps of every length to 160, strides 1 to 4, with and without the copy phase,
    // full-scale samples (the clamps), windows that end before the last outputs' spans.
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 80 }),
        fc.boolean(),
        fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 700 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 40 }),
        fc.boolean(),
        (half, odd, values, stride, short, withCopy) => {
          const length = 2 * half.length - (odd ? 1 : 0);
          const taps = Array.from({ length }, (_, k) => half[Math.min(k, length - 1 - k)]);
          const window = Float32Array.from(values);
          const count = Math.floor((window.length + short - length) / stride) + 1;
          if (count <= 0) return;
          const copyAt = 1;
          if (withCopy && copyAt + count > window.length) return;
          const folded = simdFir(taps)!;
          const plain = simdFir(taps, { fold: false })!;
          expect(folded.folded).toBe(true);
          const step = withCopy ? 2 : 1;
          const got = new Int16Array(step * count);
          const want = new Int16Array(step * count);
          folded.filterInt16(window, 0, count, stride, got, withCopy ? copyAt : -1);
          plain.filterInt16(window, 0, count, stride, want, withCopy ? copyAt : -1);
          const exact = naive(taps.map(Math.fround), Float64Array.from(window), 0, count, stride);
          for (let o = 0; o < count; o++) {
            expect(Math.abs(got[step * o] - want[step * o])).toBeLessThanOrEqual(1);
            expect(Math.abs(got[step * o] - Math.max(-32768, Math.min(32767, Math.round(exact[o]))))).toBeLessThanOrEqual(1);
            if (withCopy) expect(got[2 * o + 1]).toBe(window[copyAt + o]);
          }
          const sums = Float32Array.from(folded.filterAt(window, 0, count, stride));
          for (let o = 0; o < count; o++) expect(Math.abs(sums[o] - exact[o])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(exact[o])) + 0.02);
        },
      ),
      { numRuns: 300, seed: 41 },
    );
  });

  it('keeps to the plain kernel for taps that are not symmetric, however nearly', () => {
    // A fold would pair h[0] with the last sample where the last tap is h[N-1]: wrong sums.
    const rand = prng(3);
    for (const taps of [
      [0.5, 0.25, 0.125, 0],
      Array.from({ length: 40 }, (_, k) => (k === 39 ? 0.3 : Math.sin(k))),
      Array.from({ length: 139 }, (_, k) => Math.cos(k - 69) + (k === 0 ? 2 ** -20 : 0)),
    ]) {
      const fir = simdFir(taps)!;
      expect(fir.folded).toBe(false);
      const window = Float32Array.from({ length: 500 }, () => Math.round((rand() * 2 - 1) * 32767));
      const count = Math.floor((window.length - taps.length) / 3) + 1;
      const got = Float32Array.from(fir.filterAt(window, 0, count, 3));
      const want = simdFir(taps, { fold: false })!.filterAt(window, 0, count, 3);
      expect(Array.from(got)).toEqual(Array.from(want));
      const exact = naive(taps, Float64Array.from(window), 0, count, 3);
      for (let o = 0; o < count; o++) expect(Math.abs(got[o] - exact[o])).toBeLessThan(0.1);
    }
  });

  it('rounds into int16 in the kernel exactly as roundIntoInt16 rounds its float sums (halves, clamps, NaN)', () => {
    // Taps of halves and quarters put many sums exactly on .5; huge, infinite and NaN samples
    // drive the clamps and the NaN rule.
    const sample = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: -32768, max: 32767 }) },
      { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 1e9, -1e9, 65535.5, -65537) },
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0.5, -0.5, 0.25, 1, -1.25, 0.75), { minLength: 1, maxLength: 40 }),
        fc.array(sample, { minLength: 80, maxLength: 200 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (taps, values, stride, withCopy) => {
          const fir = simdFir(taps)!;
          const window = Float32Array.from(values);
          const count = Math.floor((window.length - taps.length) / stride) + 1;
          // the copied samples (the upsampler's copy phase) are int16 values
          const copyAt = 1;
          if (withCopy && !window.subarray(copyAt, copyAt + count).every((v) => Number.isInteger(v) && Math.abs(v) <= 32768)) return;
          const want = new Int16Array(withCopy ? 2 * count : count);
          roundIntoInt16(fir.filterAt(window, 0, count, stride), want, 0, withCopy ? 2 : 1);
          if (withCopy) for (let o = 0; o < count; o++) want[2 * o + 1] = window[copyAt + o];
          const got = new Int16Array(want.length);
          fir.filterInt16(window, 0, count, stride, got, withCopy ? copyAt : -1);
          expect(Array.from(got)).toEqual(Array.from(want));
        },
      ),
      { numRuns: 400, seed: 23 },
    );
  });

  it('grows its memory for windows larger than one WebAssembly page', () => {
    const fir = simdFir([0.5, 0.25])!;
    const window = Float64Array.from({ length: 100_000 }, (_, i) => i % 1000);
    const got = fir.filterAt(window, 0, 100_000, 1);
    expect(got[99_998]).toBeCloseTo(0.5 * 998 + 0.25 * 999, 3);
    expect(got[99_999]).toBeCloseTo(0.5 * 999, 3); // the sample after the window is zero
  });

  it('grows its memory for windows larger than one WebAssembly page, folded too', () => {
    const fir = simdFir([0.25, 0.5, 0.25])!;
    expect(fir.folded).toBe(true);
    const window = Float64Array.from({ length: 100_000 }, (_, i) => i % 1000);
    const got = fir.filterAt(window, 0, 100_000, 1);
    expect(got[99_997]).toBeCloseTo(0.25 * 997 + 0.5 * 998 + 0.25 * 999, 3);
    expect(got[99_999]).toBeCloseTo(0.25 * 999, 3); // the samples after the window are zero
  });
});

describe.each([
  ['Upsampler8to16', (simd: boolean) => new Upsampler8to16({ simd }), 8000],
  ['Downsampler24to8', (simd: boolean) => new Downsampler24to8({ simd }), 24000],
])('%s on the SIMD kernel', (_name, create, rate) => {
  it('matches the plain JavaScript filter to within one step on noisy tones', () => {
    const input = noisyTones(rate, 2 * rate, 7);
    const a = create(true).process(input);
    const b = create(false).process(input);
    expect(a.length).toBe(b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThanOrEqual(1);
  });
});

it('converts recorded speech the same way on both paths, frame by frame', () => {
  const speech = readWav(fs.readFileSync(path.join(FIXTURES, 'caller-es.to-en.pcm24k.wav'))).samples;
  const simd = new Downsampler24to8();
  const plain = new Downsampler24to8({ simd: false });
  let worst = 0;
  let total = 0;
  for (let at = 0; at + 480 <= speech.length; at += 480) {
    const frame = speech.subarray(at, at + 480);
    const a = Int16Array.from(simd.process(frame));
    const b = plain.process(frame);
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    total += a.length;
  }
  expect(total).toBeGreaterThan(8000);
  expect(worst).toBeLessThanOrEqual(1);
});
