/** Test-only signal generators and measurements (least-squares sinusoid fits, levels in dB). */

export function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/** A sine at `freq` Hz, `amplitude` on the int16 scale, rounded to int16. */
export function tone(freq: number, rate: number, samples: number, amplitude: number, phase = 0): Int16Array {
  const out = new Int16Array(samples);
  for (let n = 0; n < samples; n++) out[n] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * n) / rate + phase));
  return out;
}

/** A linear chirp from f0 to f1 Hz. */
export function chirp(f0: number, f1: number, rate: number, samples: number, amplitude: number): Int16Array {
  const out = new Int16Array(samples);
  const duration = samples / rate;
  for (let n = 0; n < samples; n++) {
    const t = n / rate;
    const phase = 2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * duration));
    out[n] = Math.round(amplitude * Math.sin(phase));
  }
  return out;
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Speech-like test input: a few tones plus white noise, int16. */
export function noisyTones(rate: number, samples: number, seed: number): Int16Array {
  const rnd = prng(seed);
  const out = new Int16Array(samples);
  for (let n = 0; n < samples; n++) {
    const t = n / rate;
    const v = 6000 * Math.sin(2 * Math.PI * 440 * t) + 4000 * Math.sin(2 * Math.PI * 1730 * t + 1) + 6000 * (rnd() - 0.5);
    out[n] = Math.round(v);
  }
  return out;
}

/**
 * Speech-like signal: coloured noise plus a few drifting harmonics, in bursts of 150..450 ms
 * separated by 60..300 ms gaps (8 kHz), with a 4 Hz syllable modulation. `peak` is on the int16 scale.
 */
export function speechLike(samples: number, seed: number, peak = 12000): Float64Array {
  const rnd = prng(seed);
  const out = new Float64Array(samples);
  let n = 0;
  let lp1 = 0;
  let lp2 = 0;
  while (n < samples) {
    const burst = Math.round(8 * (150 + 300 * rnd()));
    const gap = Math.round(8 * (60 + 240 * rnd()));
    const f0 = 100 + 150 * rnd();
    const level = peak * (0.4 + 0.6 * rnd());
    for (let i = 0; i < burst && n < samples; i++, n++) {
      const env = Math.sin((Math.PI * i) / burst) * (0.6 + 0.4 * Math.sin((2 * Math.PI * 4 * i) / 8000));
      const white = rnd() * 2 - 1;
      lp1 += 0.5 * (white - lp1);
      lp2 += 0.5 * (lp1 - lp2);
      const t = i / 8000;
      const voiced =
        Math.sin(2 * Math.PI * f0 * t) + 0.6 * Math.sin(2 * Math.PI * 3 * f0 * t + 1) + 0.4 * Math.sin(2 * Math.PI * 7 * f0 * t + 2);
      out[n] = level * env * (0.45 * voiced + 1.2 * (white - lp2));
    }
    n += gap;
  }
  return out;
}

function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    [b[col], b[pivot]] = [b[pivot], b[col]];
    for (let r = col + 1; r < n; r++) {
      const f = a[r][col] / a[col][col];
      for (let c = col; c < n; c++) a[r][c] -= f * a[col][c];
      b[r] -= f * b[col];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let c = r + 1; c < n; c++) s -= a[r][c] * x[c];
    x[r] = s / a[r][r];
  }
  return x;
}

export interface SinusoidFit {
  /** Amplitude of each requested frequency (same order), on the signal's scale. */
  amplitudes: number[];
  /** Phase of each (radians, of a cosine referenced to sample `from`). */
  phases: number[];
  /** Fitted DC offset. */
  dc: number;
  /** RMS of what the fit does not explain. */
  residualRms: number;
}

/**
 * Joint least-squares fit of DC plus sinusoids at the given frequencies over samples [from, to).
 * Fitting all components together keeps a strong tone from leaking into a weak one's estimate.
 */
export function fitSinusoids(x: ArrayLike<number>, freqs: number[], rate: number, from = 0, to = x.length): SinusoidFit {
  const k = 1 + 2 * freqs.length;
  const ata = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const atb = new Array<number>(k).fill(0);
  const row = new Array<number>(k);
  for (let n = from; n < to; n++) {
    row[0] = 1;
    for (let f = 0; f < freqs.length; f++) {
      const w = (2 * Math.PI * freqs[f] * (n - from)) / rate;
      row[1 + 2 * f] = Math.cos(w);
      row[2 + 2 * f] = Math.sin(w);
    }
    for (let i = 0; i < k; i++) {
      atb[i] += row[i] * x[n];
      for (let j = i; j < k; j++) ata[i][j] += row[i] * row[j];
    }
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) ata[i][j] = ata[j][i];
  const coef = solve(ata, atb);
  let residual = 0;
  for (let n = from; n < to; n++) {
    let model = coef[0];
    for (let f = 0; f < freqs.length; f++) {
      const w = (2 * Math.PI * freqs[f] * (n - from)) / rate;
      model += coef[1 + 2 * f] * Math.cos(w) + coef[2 + 2 * f] * Math.sin(w);
    }
    residual += (x[n] - model) ** 2;
  }
  return {
    amplitudes: freqs.map((_, f) => Math.hypot(coef[1 + 2 * f], coef[2 + 2 * f])),
    phases: freqs.map((_, f) => Math.atan2(-coef[2 + 2 * f], coef[1 + 2 * f])),
    dc: coef[0],
    residualRms: Math.sqrt(residual / (to - from)),
  };
}

export function rms(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let n = from; n < to; n++) s += x[n] * x[n];
  return Math.sqrt(s / Math.max(1, to - from));
}

/** Concatenates typed arrays of the same kind. */
export function concatInt16(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Random chunk lengths summing to `total`, including the awkward sizes 0, 1 and 2. */
export function randomChunkSizes(total: number, seed: number, max = 2000): number[] {
  const rnd = prng(seed);
  const sizes: number[] = [0, 1, 2, 0, 1];
  let used = sizes.reduce((a, b) => a + b, 0);
  while (used < total) {
    const r = rnd();
    let size = r < 0.15 ? Math.floor(rnd() * 3) : Math.floor(rnd() * (max + 1));
    size = Math.min(size, total - used);
    sizes.push(size);
    used += size;
  }
  return sizes;
}
