/**
 * The echo canceller's shortcuts against the full computations they stand for.
 */
import fc from 'fast-check';
import { correlate, correlateGroup, EchoCanceller, energyAbove, lastMagnitudePeak, magnitudeSum } from '../../src/audio/echo-canceller';
import { correlateGroupCases, correlateGroupArrays } from './helpers/delay-search';
import { prng } from './helpers/signals';

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

describe('correlateGroup (five envelope blocks into the delay search in one pass)', () => {
  it('leaves every lag bit-identical to the updates of the five blocks made one after the other', () => {
    fc.assert(
      fc.property(correlateGroupCases, (c) => {
        const { maxLag, ms, top } = c;
        const { env, corr, want, lam } = correlateGroupArrays(c);
        // one block after the other, one lag a pass
        for (let j = 0; j < 5; j++) for (let L = 0; L <= maxLag; L++) want[L] = lam * want[L] + ms[j] * env[top + j - L];
        correlateGroup(corr, env, top, maxLag, lam, ms[0], ms[1], ms[2], ms[3], ms[4]);
        expect(Array.from(corr)).toEqual(Array.from(want));
      }),
      { numRuns: 300, seed: 37 },
    );
  });
});

/** The delay search's state inside a canceller (private fields, read by the test only). */
interface SearchState {
  corr: Float64Array;
  refEnv: Float32Array;
  lambda: number;
  maxLag: number;
}

describe('the delay search of processMic (blocks taken in groups) against one block at a time', () => {
  it('holds the same correlations after every frame, for any frame sizes, across the envelope ring', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 40, maxLength: 80 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.constantFrom(0, 15, 120, 320, 400),
        (sizes, seed, maxDelayMs) => {
          const rnd = prng(seed);
          const ec = new EchoCanceller({ maxDelayMs });
          const st = ec as unknown as SearchState;
          const corr = new Float64Array(st.corr.length);
          let acc = 0;
          let fill = 0;
          let mean = 0;
          let block = 0;
          for (const n of sizes) {
            // a loud reference (never a bypass) and a microphone never all zero (never the silent path)
            const ref = Int16Array.from({ length: n }, () => Math.round((rnd() * 2 - 1) * 20000));
            const mic = Int16Array.from({ length: n }, () => Math.round((rnd() * 2 - 1) * (rnd() < 0.1 ? 30000 : 3000)));
            mic[0] = 1 + Math.round(rnd() * 100);
            ec.playedReference(ref);
            ec.processMic(mic);
            // the plain computation: each finished block into every lag, one block after the other
            const env = st.refEnv;
            for (const v of mic) {
              acc += Math.abs(v);
              if (++fill < 16) continue;
              const m = acc - mean;
              mean += 0.02 * (acc - mean);
              acc = 0;
              fill = 0;
              const top = (block++ & 511) + 512;
              for (let L = 0; L <= st.maxLag; L++) corr[L] = st.lambda * corr[L] + m * env[top - L];
            }
            expect(Array.from(st.corr)).toEqual(Array.from(corr));
          }
        },
      ),
      { numRuns: 40, seed: 41 },
    );
  });
});

/** The reference side's state inside a canceller (private fields, read by the test only). */
interface ReferenceState {
  ref: Float32Array;
  refEnv: Float32Array;
  refPeak: Float32Array;
  refEnvMean: number;
  refCount: number;
  refBlockAbs: number;
  lastActiveRef: number;
}

const bytes = (a: Int16Array | Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The reference history's arrays bit for bit (-0 and 0 differ), and its counters. */
function referenceState(ec: EchoCanceller): unknown {
  const st = ec as unknown as ReferenceState;
  const bits = (a: Float32Array): string => bytes(a).toString('base64');
  return {
    ref: bits(st.ref),
    refEnv: bits(st.refEnv),
    refPeak: bits(st.refPeak),
    refEnvMean: st.refEnvMean,
    refCount: st.refCount,
    refBlockAbs: st.refBlockAbs,
    lastActiveRef: st.lastActiveRef,
  };
}

describe('the silent reference (playedSilence, silent blocks, a ring already silent) against one sample at a time', () => {
  it('leaves the same reference history and cancels the same, for any run of silence, sound and sizes', () => {
    const step = fc.record({
      kind: fc.constantFrom('silence', 'silence', 'zeros', 'loud', 'faint'),
      size: fc.constantFrom(160, 160, 160, 16, 7, 9, 1, 300),
      repeat: fc.constantFrom(1, 1, 3, 30),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 5, maxLength: 30 }), fc.integer({ min: 1, max: 1e6 }), fc.constantFrom(0, 120, 320), (steps, seed, maxDelayMs) => {
        const rnd = prng(seed);
        const fast = new EchoCanceller({ maxDelayMs });
        const slow = new EchoCanceller({ maxDelayMs });
        for (const { kind, size, repeat } of steps) {
          for (let r = 0; r < repeat; r++) {
            const level = kind === 'loud' ? 20000 : kind === 'faint' ? 40 : 0;
            const ref = Int16Array.from({ length: size }, () => Math.round((rnd() * 2 - 1) * level));
            const mic = Int16Array.from({ length: size }, () => (rnd() < 0.5 ? 0 : Math.round((rnd() * 2 - 1) * 3000)));
            if (kind === 'silence') fast.playedSilence(size);
            else fast.playedReference(ref);
            for (let k = 0; k < size; k++) slow.playedReference(ref.subarray(k, k + 1));
            expect(bytes(fast.processMic(mic)).equals(bytes(slow.processMic(mic)))).toBe(true);
          }
          expect(referenceState(fast)).toEqual(referenceState(slow));
        }
        expect(fast.stats()).toEqual(slow.stats());
      }),
      { numRuns: 150, seed: 43 },
    );
  });
});
