/** Test-only cases for correlateGroup (five envelope blocks into the echo canceller's delay search). */
import fc from 'fast-check';

/** One call's numbers: the highest lag, the 1024 envelope values, the five blocks' magnitudes and where the first block stands. */
export interface CorrelateGroupCase {
  maxLag: number;
  values: number[];
  ms: number[];
  top: number;
}

/** Lag counts from 1 to 201, any envelope of either sign, and a top that leaves the four blocks after it and every lag before it inside the envelope. */
export const correlateGroupCases: fc.Arbitrary<CorrelateGroupCase> = fc.record({
  maxLag: fc.integer({ min: 0, max: 200 }),
  values: fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1024, maxLength: 1024 }),
  ms: fc.array(fc.double({ min: -5000, max: 5000, noNaN: true }), { minLength: 5, maxLength: 5 }),
  top: fc.integer({ min: 512, max: 1019 }),
});

/** The arrays one call works on, made afresh from a case. */
export interface CorrelateGroupArrays {
  env: Float32Array;
  /** The lags before the call, taken from the envelope rather than zeroed, so that their decay counts. */
  corr: Float64Array;
  /** A copy of `corr`, for the expected lags. */
  want: Float64Array;
  /** The canceller's decay over one 16-sample block at 8 kHz. */
  lam: number;
}

export function correlateGroupArrays({ maxLag, values }: CorrelateGroupCase): CorrelateGroupArrays {
  const env = Float32Array.from(values);
  const corr = Float64Array.from({ length: maxLag + 1 }, (_, L) => values[1023 - L] * 0.37);
  return { env, corr, want: Float64Array.from(corr), lam: Math.exp(-16 / 6400) };
}
