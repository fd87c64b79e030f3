import fc from 'fast-check';
import { correlateGroup } from '../../src/audio/echo-canceller';
import { wasmCorr } from '../../src/audio/wasm/simd-corr';
import { correlateGroupCases, correlateGroupArrays } from './helpers/delay-search';

describe('the delay search kernel (corr.wat)', () => {
  it('loads on this Node, so the echo canceller searches on it', () => {
    expect(wasmCorr()).toBeDefined();
  });

  it('leaves every lag bit-identical to correlateGroup, for any lag count, envelope and blocks', () => {
    const kernel = wasmCorr()!;
    fc.assert(
      fc.property(correlateGroupCases, (c) => {
        const { maxLag, ms, top } = c;
        const { env, corr, want, lam } = correlateGroupArrays(c);
        correlateGroup(want, env, top, maxLag, lam, ms[0], ms[1], ms[2], ms[3], ms[4]);
        kernel.correlateGroup(corr, env, top, maxLag, lam, ms[0], ms[1], ms[2], ms[3], ms[4]);
        expect(Array.from(corr)).toEqual(Array.from(want));
      }),
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
