/**
 * Streaming 8 kHz -> 16 kHz interpolator (L = 2) built on a half-band low-pass.
 *
 * The prototype filter runs at 16 kHz with its cut-off at 4 kHz and 4k+3 taps, so every other tap
 * is zero except the centre one. Split into two phases: the odd output samples are just the input
 * delayed (an exact copy), and the even ones come from a symmetric 40-tap phase that is folded into
 * 20 multiplies per input sample.
 */
import { designLowpass } from './fir-design';
import { HistoryBuffer, outputTarget, type ResamplerOptions, type StreamingResampler } from './resampler';
import { toInt16 } from './pcm';
import { lazySimdFir, type StridedFir } from './wasm/simd-fir';

/** Prototype length at 16 kHz (of the form 4k+3). */
export const UPSAMPLER_TAPS = 79;
export const UPSAMPLER_BETA = 9;

const HALF = (UPSAMPLER_TAPS - 3) / 4; // k = 19: the copy phase is delayed by k input samples
const PHASE_LENGTH = (UPSAMPLER_TAPS + 1) / 2; // 40 non-zero taps in the filtering phase
const HISTORY = PHASE_LENGTH - 1; // 39 input samples kept between calls
const FOLDED = PHASE_LENGTH / 2; // 20 folded coefficient pairs (even, see process)

/** Folded coefficients of the filtering phase, normalised to a DC gain of exactly 1. */
function buildPhase(): Float64Array {
  const h = designLowpass({ taps: UPSAMPLER_TAPS, cutoffHz: 4000, sampleRateHz: 16000, beta: UPSAMPLER_BETA });
  const phase = new Float64Array(PHASE_LENGTH);
  let sum = 0;
  for (let i = 0; i < PHASE_LENGTH; i++) {
    phase[i] = h[2 * i];
    sum += phase[i];
  }
  const folded = new Float64Array(FOLDED);
  for (let i = 0; i < FOLDED; i++) folded[i] = phase[i] / sum;
  return folded;
}

const COEFFS = buildPhase();

/** The filtering phase unfolded (40 taps), for the SIMD kernel. */
function unfold(folded: Float64Array): Float64Array {
  const full = new Float64Array(PHASE_LENGTH);
  for (let t = 0; t < FOLDED; t++) full[t] = full[PHASE_LENGTH - 1 - t] = folded[t];
  return full;
}

const simdPhase = lazySimdFir(() => unfold(COEFFS));

export class Upsampler8to16 implements StreamingResampler {
  readonly inputRate = 8000;
  readonly outputRate = 16000;
  /** (taps - 1) / 2 samples at 16 kHz: 39 samples = 2.4375 ms. */
  readonly delaySamples = (UPSAMPLER_TAPS - 1) / 2;
  readonly delayMs = (this.delaySamples / this.outputRate) * 1000;

  private readonly history: HistoryBuffer;
  private readonly simd: StridedFir | undefined;

  constructor(options: ResamplerOptions = {}) {
    this.history = new HistoryBuffer(HISTORY, options.initialChunkCapacity ?? 320);
    this.simd = options.simd === false ? undefined : simdPhase();
  }

  /** Whether this instance filters on the SIMD kernel. */
  get usesSimd(): boolean {
    return this.simd !== undefined;
  }

  outputLength(inputLength: number): number {
    return 2 * inputLength;
  }

  process(input: Int16Array, out?: Int16Array): Int16Array {
    const n = input.length;
    const dst = outputTarget(out, 2 * n, 'Upsampler8to16.process');
    if (this.history.silentThrough(input)) {
      dst.fill(0, 0, 2 * n);
      return dst.length === 2 * n ? dst : dst.subarray(0, 2 * n);
    }
    const buf = this.history.load(input);
    if (this.simd) this.simd.filterInt16(buf, 0, n, 1, dst, HISTORY - HALF);
    else {
      this.filterPlain(buf, n, dst);
      // The copy phase: input sample i - HALF, which the work area [history | input] holds at
      // buf[i + HISTORY - HALF] for every i (from the history for the first HALF).
      for (let i = 0; i < n; i++) dst[2 * i + 1] = buf[i + HISTORY - HALF];
    }
    this.history.advance(n);
    return dst.length === 2 * n ? dst : dst.subarray(0, 2 * n);
  }

  /** The even outputs in plain JavaScript (where there is no SIMD kernel). */
  private filterPlain(buf: Float32Array, n: number, dst: Int16Array): void {
    const c = COEFFS;
    for (let i = 0; i < n; i++) {
      // Input sample i sits at buf[HISTORY + i]; the phase spans buf[i .. i + HISTORY].
      // Two partial sums shorten the add dependency chain; the summation order is fixed.
      let s0 = 0;
      let s1 = 0;
      const last = i + HISTORY;
      for (let t = 0; t < FOLDED; t += 2) {
        s0 += c[t] * (buf[i + t] + buf[last - t]);
        s1 += c[t + 1] * (buf[i + t + 1] + buf[last - t - 1]);
      }
      dst[2 * i] = toInt16(s0 + s1);
    }
  }

  reset(): void {
    this.history.clear();
  }
}
