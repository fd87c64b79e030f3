/**
 * The echo canceller's shortcuts against the full computations they stand for.
 */
import fc from 'fast-check';
import { correlate, energyAbove, lastMagnitudePeak, magnitudeSum } from '../../src/audio/echo-canceller';

/** The whole sum of squares, every sample added, in the same order. */
function fullEnergy(samples: Float32Array, top: number, count: number): number {
  let e = 0;
  for (let i = top; i > top - count; i--) e += samples[i] * samples[i];
  return e;
}

describe('energyAbove (is the aligned reference window loud enough to echo?)', () => {
  it('answers as the whole sum compared with the limit would, for limits on both sides of it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.nat(),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (values, a, b, scale) => {
          const samples = Float32Array.from(values);
          const top = a % samples.length;
          const count = 1 + (b % (top + 1));
          const full = fullEnergy(samples, top, count);
          // limits at, just below, just above and around the sum, where an early answer could go wrong
          for (const limit of [full, full - 1, full + 1, full * scale, Math.max(0, full - 0.5)]) {
            expect(energyAbove(samples, top, count, limit)).toBe(full > limit);
          }
        },
      ),
      { numRuns: 2000, seed: 17 },
    );
  });

  it('tells a window of quiet samples (32 about -60 dBFS) from one just over it', () => {
    const quiet = new Float32Array(224).fill(31);
    const over = new Float32Array(224).fill(33);
    const limit = 224 * 32 * 32;
    expect(energyAbove(quiet, 223, 224, limit)).toBe(false);
    expect(energyAbove(over, 223, 224, limit)).toBe(true);
  });
});

describe('magnitudeSum (the envelopes of the delay search and the reference peaks)', () => {
  it('is the in-order sum of magnitudes exactly, and lastMagnitudePeak their largest, for any span', () => {
    const sample = fc.oneof(fc.integer({ min: -32768, max: 32767 }), fc.constantFrom(-32768, 32767, 0, -1));
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 200 }), fc.nat(), fc.nat(), (values, a, b) => {
        const frame = Int16Array.from(values);
        const at = a % frame.length;
        const count = b % (frame.length - at + 1);
        let sum = 0;
        let peak = 0;
        for (let i = at; i < at + count; i++) {
          sum += Math.abs(frame[i]);
          peak = Math.max(peak, Math.abs(frame[i]));
        }
        expect(magnitudeSum(frame, at, count)).toBe(sum);
        expect(lastMagnitudePeak()).toBe(peak);
      }),
      { numRuns: 2000, seed: 29 },
    );
  });
});

describe('correlate (one envelope block into the delay search)', () => {
  it('updates every lag exactly as one lag a pass would, for any number of lags', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1024, maxLength: 1024 }),
        fc.double({ min: -5000, max: 5000, noNaN: true }),
        fc.integer({ min: 512, max: 1023 }),
        (maxLag, values, m, top) => {
          const env = Float32Array.from(values);
          const corr = Float64Array.from({ length: maxLag + 1 }, (_, L) => values[L] * 0.37);
          const want = Float64Array.from(corr);
          const lam = Math.exp(-16 / 6400);
          for (let L = 0; L <= maxLag; L++) want[L] = lam * want[L] + m * env[top - L];
          correlate(corr, env, top, maxLag, lam, m);
          expect(Array.from(corr)).toEqual(Array.from(want));
        },
      ),
      { numRuns: 300, seed: 31 },
    );
  });
});
