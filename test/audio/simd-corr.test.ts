import fc from 'fast-check';
import { correlateGroup } from '../../src/audio/echo-canceller';
import { wasmCorr } from '../../src/audio/wasm/simd-corr';

describe('the delay search kernel (corr.wat)', () => {
  it('loads on this Node, so the echo canceller searches on it', () => {
    expect(wasmCorr()).toBeDefined();
  });

  it('leaves every lag bit-identical to correlateGroup, for any lag count, envelope and blocks', () => {
    const kernel = wasmCorr()!;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1024, maxLength: 1024 }),
        fc.array(fc.double({ min: -5000, max: 5000, noNaN: true }), { minLength: 5, maxLength: 5 }),
        fc.integer({ min: 512, max: 1019 }),
        (maxLag, values, ms, top) => {
          const env = Float32Array.from(values);
          const corr = Float64Array.from({ length: maxLag + 1 }, (_, L) => values[1023 - L] * 0.37);
          const want = Float64Array.from(corr);
          const lam = Math.exp(-16 / 6400);
          correlateGroup(want, env, top, maxLag, lam, ms[0], ms[1], ms[2], ms[3], ms[4]);
          kernel.correlateGroup(corr, env, top, maxLag, lam, ms[0], ms[1], ms[2], ms[3], ms[4]);
          expect(Array.from(corr)).toEqual(Array.from(want));
        },
      ),
      { numRuns: 300, seed: 41 },
    );
  });

  it('handles one canceller after another of different lag counts (the copy back follows each)', () => {
    const kernel = wasmCorr()!;
    const env = Float32Array.from({ length: 1024 }, (_, i) => Math.sin(i) * 100);
    for (const maxLag of [160, 40, 160, 0, 200]) {
      const corr = Float64Array.from({ length: maxLag + 1 }, (_, L) => L);
      const want = Float64Array.from(corr);
      correlateGroup(want, env, 700, maxLag, 0.99, 1, -2, 3, -4, 5);
      kernel.correlateGroup(corr, env, 700, maxLag, 0.99, 1, -2, 3, -4, 5);
      expect(Array.from(corr)).toEqual(Array.from(want));
    }
  });
});
