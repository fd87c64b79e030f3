/**
 * Streaming 24 kHz -> 8 kHz decimator (M = 3).
 *
 * A linear-phase low-pass at 24 kHz (cut-off 3.9 kHz, stop band from 4.4 kHz) is evaluated only at
 * every third input sample. Its symmetric taps are folded, so each output costs (taps + 1) / 2
 * multiplies. The position of the next output inside the following chunk is carried between
 * calls, so chunks of any length (not just multiples of 3) give the same stream.
 */
import { designLowpass } from './fir-design';
import { HistoryBuffer, outputTarget, type ResamplerOptions, type StreamingResampler } from './resampler';
import { toInt16 } from './pcm';
import { lazySimdFir, type StridedFir } from './wasm/simd-fir';

/** Filter length at 24 kHz; (taps - 1) / 2 is a multiple of 3, so the delay is whole 8 kHz samples. */
export const DOWNSAMPLER_TAPS = 139;
export const DOWNSAMPLER_CUTOFF_HZ = 3900;
export const DOWNSAMPLER_BETA = 9;

const FACTOR = 3;
const HISTORY = DOWNSAMPLER_TAPS - 1; // 138 input samples kept between calls
const CENTRE = HISTORY / 2; // 69
const FOLDED = CENTRE; // 69 coefficient pairs + the centre tap (a multiple of 3, see process)

const TAPS = designLowpass({
  taps: DOWNSAMPLER_TAPS,
  cutoffHz: DOWNSAMPLER_CUTOFF_HZ,
  sampleRateHz: 24000,
  beta: DOWNSAMPLER_BETA,
});
const FOLDED_TAPS = TAPS.slice(0, FOLDED);
const CENTRE_TAP = TAPS[CENTRE];

const simdTaps = lazySimdFir(() => TAPS);

export class Downsampler24to8 implements StreamingResampler {
  readonly inputRate = 24000;
  readonly outputRate = 8000;
  /** (taps - 1) / 2 = 69 samples at 24 kHz = 23 samples at 8 kHz = 2.875 ms. */
  readonly delaySamples = CENTRE / FACTOR;
  readonly delayMs = (this.delaySamples / this.outputRate) * 1000;

  private readonly history: HistoryBuffer;
  /** Index, within the next chunk, of the input sample that completes the next output. */
  private phase = 0;
  private readonly simd: StridedFir | undefined;

  constructor(options: ResamplerOptions = {}) {
    this.history = new HistoryBuffer(HISTORY, options.initialChunkCapacity ?? 960);
    this.simd = options.simd === false ? undefined : simdTaps();
  }

  /** Whether this instance filters on the SIMD kernel. */
  get usesSimd(): boolean {
    return this.simd !== undefined;
  }

  outputLength(inputLength: number): number {
    return inputLength > this.phase ? Math.floor((inputLength - 1 - this.phase) / FACTOR) + 1 : 0;
  }

  process(input: Int16Array, out?: Int16Array): Int16Array {
    const n = input.length;
    const count = this.outputLength(n);
    const dst = outputTarget(out, count, 'Downsampler24to8.process');
    if (this.history.silentThrough(input)) {
      dst.fill(0, 0, count);
      this.phase += count * FACTOR - n;
      return dst.length === count ? dst : dst.subarray(0, count);
    }
    const buf = this.history.load(input);
    if (this.simd) {
      // Output o's window is buf[phase + 3o .. phase + 3o + HISTORY]; the taps are symmetric.
      this.simd.filterInt16(buf.subarray(0, HISTORY + n), this.phase, count, FACTOR, dst, -1);
    } else {
      this.filterPlain(buf, n, dst);
    }
    this.phase += count * FACTOR - n;
    this.history.advance(n);
    return dst.length === count ? dst : dst.subarray(0, count);
  }

  /** The outputs in plain JavaScript (where there is no SIMD kernel). */
  private filterPlain(buf: Float32Array, n: number, dst: Int16Array): void {
    const h = FOLDED_TAPS;
    let o = 0;
    for (let i = this.phase; i < n; i += FACTOR) {
      // Newest input of this output is buf[HISTORY + i]; the window spans buf[i .. i + HISTORY].
      // Three partial sums break the add dependency chain (~2x faster); the order of additions
      // is fixed per output, so results do not depend on chunking.
      let s0 = CENTRE_TAP * buf[i + CENTRE];
      let s1 = 0;
      let s2 = 0;
      const last = i + HISTORY;
      for (let j = 0; j < FOLDED; j += 3) {
        s0 += h[j] * (buf[i + j] + buf[last - j]);
        s1 += h[j + 1] * (buf[i + j + 1] + buf[last - j - 1]);
        s2 += h[j + 2] * (buf[i + j + 2] + buf[last - j - 2]);
      }
      dst[o++] = toInt16(s0 + s1 + s2);
    }
  }

  reset(): void {
    this.history.clear();
    this.phase = 0;
  }
}
