import fc from 'fast-check';
import { allWithin } from '../../src/audio/pcm';

describe('allWithin (digital silence: the echo canceller at 0, the mixer at 8)', () => {
  it('is true exactly when every sample lies within the limit, wherever the one outside sits', () => {
    const sample = fc.oneof(fc.integer({ min: -10, max: 10 }), fc.integer({ min: -32768, max: 32767 }), fc.constantFrom(-32768, 32767, -9, 9, -8, 8, -1, 1));
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 200 }), fc.constantFrom(0, 1, 8, 32767), (values, limit) => {
        const pcm = Int16Array.from(values);
        expect(allWithin(pcm, limit)).toBe(values.every((v) => Math.abs(v) <= limit));
      }),
      { numRuns: 3000, seed: 5 },
    );
  });

  it('finds one loud sample at any place of a 20 ms frame, and none in silence', () => {
    for (const limit of [0, 8]) {
      expect(allWithin(new Int16Array(160), limit)).toBe(true);
      for (let at = 0; at < 161; at++) {
        const pcm = new Int16Array(161);
        pcm[at] = at % 2 ? limit + 1 : -limit - 1;
        expect(allWithin(pcm, limit)).toBe(false);
        pcm[at] = at % 2 ? limit : -limit;
        expect(allWithin(pcm, limit)).toBe(true);
      }
    }
  });

  it.each([8.5, -1, Number.NaN, 32768])('refuses a limit of %p rather than answering wrongly', (limit) => {
    expect(() => allWithin(Int16Array.of(9), limit)).toThrow(RangeError);
  });
});
