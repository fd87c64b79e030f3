/**
 * The echo canceller's shortcuts against the full computations they stand for.
 */
import fc from 'fast-check';
import { energyAbove } from '../../src/audio/echo-canceller';

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
