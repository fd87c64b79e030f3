import fc from 'fast-check';
import { sumOfSquares } from '../../src/audio/pcm';

/** Sample by sample, in order: the sum the detector's level is taken from. */
function naive(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i] * frame[i];
  return sum;
}

describe('sumOfSquares (the speech detector frame level)', () => {
  it('is the in-order sum exactly, for frames of any length and any samples, full scale included', () => {
    const sample = fc.oneof(fc.integer({ min: -32768, max: 32767 }), fc.constantFrom(-32768, 32767, 0, 1, -1));
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 2000 }), (values) => {
        const frame = Int16Array.from(values);
        expect(sumOfSquares(frame)).toBe(naive(frame));
      }),
      { numRuns: 1000, seed: 3 },
    );
  });

  it('counts every sample of a 20 ms frame and of odd-length tails', () => {
    for (const n of [0, 1, 2, 3, 5, 159, 160, 161]) {
      const frame = Int16Array.from({ length: n }, (_, i) => (i % 2 ? -32768 : 32767));
      expect(sumOfSquares(frame)).toBe(naive(frame));
    }
  });
});
