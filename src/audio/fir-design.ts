/**
 * Linear-phase low-pass FIR design: an ideal (sinc) low-pass response shaped by a Kaiser window.
 * Pure functions, used once per resampler class at module load.
 */

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const halfX = x / 2;
  for (let k = 1; k < 200; k++) {
    term *= (halfX / k) * (halfX / k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser window of `length` points with shape parameter `beta` (larger: lower sidelobes, wider main lobe). */
export function kaiserWindow(length: number, beta: number): Float64Array {
  const w = new Float64Array(length);
  const half = (length - 1) / 2;
  const norm = besselI0(beta);
  for (let n = 0; n < length; n++) {
    const r = half === 0 ? 0 : (n - half) / half;
    w[n] = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / norm;
  }
  return w;
}

export interface LowpassSpec {
  /** Number of taps (odd, so the filter has a centre tap and an integer delay). */
  taps: number;
  /** Cut-off (the -6 dB point) in Hz. */
  cutoffHz: number;
  /** Rate the filter runs at, in Hz. */
  sampleRateHz: number;
  /** Kaiser beta. */
  beta: number;
}

/** Windowed-sinc low-pass taps, scaled so the DC gain is exactly 1. */
export function designLowpass(spec: LowpassSpec): Float64Array {
  const { taps, cutoffHz, sampleRateHz, beta } = spec;
  if (!Number.isInteger(taps) || taps < 3 || taps % 2 === 0) {
    throw new RangeError(`designLowpass: taps must be an odd integer >= 3, got ${taps}`);
  }
  const window = kaiserWindow(taps, beta);
  const centre = (taps - 1) / 2;
  const normalizedCutoff = (2 * cutoffHz) / sampleRateHz; // 1 = Nyquist
  const h = new Float64Array(taps);
  let sum = 0;
  for (let n = 0; n < taps; n++) {
    const t = n - centre;
    const ideal = t === 0 ? normalizedCutoff : Math.sin(Math.PI * normalizedCutoff * t) / (Math.PI * t);
    h[n] = ideal * window[n];
    sum += h[n];
  }
  for (let n = 0; n < taps; n++) h[n] /= sum;
  return h;
}

/** Magnitude of the filter's frequency response at `freqHz` (for reports and tests). */
export function magnitudeAt(h: ArrayLike<number>, freqHz: number, sampleRateHz: number): number {
  let re = 0;
  let im = 0;
  const w = (2 * Math.PI * freqHz) / sampleRateHz;
  for (let n = 0; n < h.length; n++) {
    re += h[n] * Math.cos(w * n);
    im -= h[n] * Math.sin(w * n);
  }
  return Math.hypot(re, im);
}
