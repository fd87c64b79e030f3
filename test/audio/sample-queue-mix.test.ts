import fc from 'fast-check';
import { SampleQueue } from '../../src/audio/sample-queue';

describe('SampleQueue.read mixing into a float mix', () => {
  it('adds each sample times the gain to the mix, as one sample at a time would, across the ring wrapping', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 700 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(1, 0.5, 0.16, 0.3),
        (steps, gain) => {
          const queue = new SampleQueue(4000);
          const model: number[] = [];
          for (const [push, size, offset] of steps) {
            queue.push(Int16Array.from(push));
            model.push(...push);
            if (model.length > 4000) model.splice(0, model.length - 4000); // the oldest make room
            const mix = Float32Array.from({ length: size + offset }, (_, i) => (i * 37.25) % 1000);
            const want = Float32Array.from(mix);
            const taken = model.splice(0, Math.min(size, model.length));
            taken.forEach((v, i) => (want[offset + i] = Math.fround(want[offset + i] + v * gain)));
            expect(queue.read(mix, offset, gain, true)).toBe(taken.length);
            expect(Array.from(mix)).toEqual(Array.from(want));
          }
        },
      ),
      { numRuns: 300, seed: 13 },
    );
  });
});
