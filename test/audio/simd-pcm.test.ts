import fc from 'fast-check';
import { allWithin, allWithinPlain, sumOfSquares, sumOfSquaresPlain } from '../../src/audio/pcm';
import { simdPcm } from '../../src/audio/wasm/simd-pcm';

const sample = fc.oneof(fc.integer({ min: -10, max: 10 }), fc.integer({ min: -32768, max: 32767 }), fc.constantFrom(-32768, 32767, -9, 9, -8, 8, -1, 1, 0));

describe('the SIMD PCM scans (pcm.wat)', () => {
  it('load on this Node, so frames of 64 samples or more are scanned on them', () => {
    expect(simdPcm()).toBeDefined();
  });

  it('give the plain loops exact answers: sums of squares (full scale included) and every limit', () => {
    const kernel = simdPcm()!;
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 400 }), fc.nat(7), fc.constantFrom(0, 1, 8, 32, 32767), (values, skip, limit) => {
        // A view that does not start at its buffer's start, as a frame inside a larger buffer.
        const pcm = Int16Array.from([...new Array<number>(skip).fill(5), ...values]).subarray(skip);
        expect(kernel.sumOfSquares(pcm, pcm.length)).toBe(sumOfSquaresPlain(pcm));
        expect(kernel.allWithin(pcm, limit)).toBe(allWithinPlain(pcm, limit));
        expect(sumOfSquares(pcm)).toBe(sumOfSquaresPlain(pcm));
        expect(allWithin(pcm, limit)).toBe(allWithinPlain(pcm, limit));
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  it('sum a frame of full-scale samples without wrapping, and only the first n asked for', () => {
    const frame = new Int16Array(160).fill(-32768);
    expect(sumOfSquares(frame)).toBe(160 * 2 ** 30);
    expect(sumOfSquares(frame, 100)).toBe(100 * 2 ** 30);
    const long = Int16Array.from({ length: 32768 }, (_, i) => (i % 3 === 0 ? -32768 : 32767));
    expect(sumOfSquares(long)).toBe(sumOfSquaresPlain(long));
  });

  it('find one sample outside the limit at any place of a 20 ms frame', () => {
    for (const limit of [0, 8]) {
      for (let at = 0; at < 160; at++) {
        const pcm = new Int16Array(160);
        pcm[at] = at % 2 ? limit + 1 : -limit - 1;
        expect(allWithin(pcm, limit)).toBe(false);
        pcm[at] = at % 2 ? limit : -limit;
        expect(allWithin(pcm, limit)).toBe(true);
      }
    }
  });
});
