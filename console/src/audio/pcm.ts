/**
 * PCM helpers for "Try it", pure and shared by the capture worklet and the page: a streaming
 * low-pass + resampler from the microphone's rate down to Gemini's 16 kHz, a chunker into 100 ms
 * frames, and base64 <-> 16-bit PCM (little-endian, as the Live API sends and expects it).
 */

/** Name the capture worklet registers its processor under. */
export const CAPTURE_PROCESSOR = 'tolk-capture';

/** Windowed-sinc low-pass taps (Blackman window), unit gain at DC. */
export function lowPassTaps(cutoffHz: number, rateHz: number, taps = 63): Float32Array {
  const h = new Float32Array(taps);
  const fc = cutoffHz / rateHz;
  const mid = (taps - 1) / 2;
  let sum = 0;
  for (let i = 0; i < taps; i++) {
    const x = i - mid;
    const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (taps - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (taps - 1));
    h[i] = sinc * w;
    sum += h[i];
  }
  for (let i = 0; i < taps; i++) h[i] /= sum;
  return h;
}

/**
 * Streaming resampler from `inRate` down to `outRate` (float samples in -1..1 to 16-bit integers):
 * a low-pass below the new Nyquist frequency, then linear interpolation at the output instants.
 * Keeps its state between calls, so chunks of any size join without a seam.
 */
export class Downsampler {
  private readonly taps: Float32Array;
  private readonly history: Float32Array;
  private pos = 0;
  /** Output instant, in input samples relative to the last filtered sample seen. */
  private t = 0;
  private prev = 0;
  private readonly step: number;

  constructor(
    readonly inRate: number,
    readonly outRate = 16_000,
  ) {
    if (outRate > inRate) throw new Error(`cannot downsample ${inRate} Hz to ${outRate} Hz`);
    this.step = inRate / outRate;
    this.taps = inRate === outRate ? Float32Array.of(1) : lowPassTaps(0.45 * outRate, inRate);
    this.history = new Float32Array(this.taps.length);
  }

  process(input: Float32Array): Int16Array {
    const out = new Int16Array(Math.ceil(input.length / this.step) + 2);
    let n = 0;
    const { taps, history } = this;
    const len = taps.length;
    for (let i = 0; i < input.length; i++) {
      history[this.pos] = input[i];
      this.pos = (this.pos + 1) % len;
      let y = 0;
      for (let k = 0, j = this.pos; k < len; k++, j = j + 1 === len ? 0 : j + 1) y += taps[k] * history[j];
      // Emit every output instant that falls between the previous filtered sample and this one.
      while (this.t <= 1) {
        const v = this.prev + (y - this.prev) * this.t;
        out[n++] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
        this.t += this.step;
      }
      this.t -= 1;
      this.prev = y;
    }
    return out.subarray(0, n);
  }
}

/** Collects samples into fixed-size frames (e.g. 1600 samples = 100 ms at 16 kHz). */
export class Chunker {
  private buf: Int16Array;
  private fill = 0;

  constructor(private readonly size: number) {
    this.buf = new Int16Array(size);
  }

  push(samples: Int16Array): Int16Array[] {
    const frames: Int16Array[] = [];
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(this.size - this.fill, samples.length - i);
      this.buf.set(samples.subarray(i, i + n), this.fill);
      this.fill += n;
      i += n;
      if (this.fill === this.size) {
        frames.push(this.buf);
        this.buf = new Int16Array(this.size);
        this.fill = 0;
      }
    }
    return frames;
  }
}

export function int16ToBase64(samples: Int16Array): string {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i], true);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function base64ToInt16(data: string): Int16Array {
  const binary = atob(data);
  const out = new Int16Array(binary.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const v = binary.charCodeAt(2 * i) | (binary.charCodeAt(2 * i + 1) << 8);
    out[i] = v >= 0x8000 ? v - 0x10000 : v;
  }
  return out;
}

/** RMS level of 16-bit samples, 0..1. */
export function rms(samples: Int16Array | Float32Array, scale = samples instanceof Int16Array ? 32768 : 1): number {
  if (samples.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < samples.length; i++) s += samples[i] * samples[i];
  return Math.sqrt(s / samples.length) / scale;
}
