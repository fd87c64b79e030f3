/**
 * Float -> int16 conversion that rounds to nearest and clamps; it never wraps. (Typed-array
 * assignment truncates and wraps modulo 2^16: 32768.4 would become -32768, a full-scale click.)
 */
import { simdPcm, type PcmKernel } from './wasm/simd-pcm';

export const INT16_MAX = 32767;
export const INT16_MIN = -32768;

/** Rounds a number on the int16 scale to the nearest int16, clamping to [-32768, 32767]; NaN -> 0. */
export function toInt16(x: number): number {
  if (x >= INT16_MAX) return INT16_MAX;
  if (x <= INT16_MIN) return INT16_MIN;
  if (x !== x) return 0;
  return Math.round(x) | 0;
}

function target(n: number, out: Int16Array | undefined, what: string): Int16Array {
  if (!out) return new Int16Array(n);
  if (out.length < n) throw new RangeError(`${what}: output buffer holds ${out.length}, needs ${n}`);
  return out;
}

/** Converts numbers already on the int16 scale (e.g. a resampler's float output) to Int16Array. */
export function floatsToInt16(values: ArrayLike<number>, out?: Int16Array): Int16Array {
  const n = values.length;
  const dst = target(n, out, 'floatsToInt16');
  for (let i = 0; i < n; i++) dst[i] = toInt16(values[i]);
  return dst.length === n ? dst : dst.subarray(0, n);
}

/**
 * Writes toInt16(values[i]) to dst[start + i * step] for every i: the resamplers' rounding loop,
 * with the conversion written out (a NaN, which toInt16 makes 0, is stored as 0 by the Int16Array).
 * `dst` must hold the last index.
 */
export function roundIntoInt16(values: Float32Array, dst: Int16Array, start: number, step: number): void {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    dst[start + i * step] = x >= INT16_MAX ? INT16_MAX : x <= INT16_MIN ? INT16_MIN : Math.round(x);
  }
}

/** Converts unit-scale floats (-1..1, e.g. Web Audio / Float32 PCM) to int16 (x * 32768, clamped). */
export function unitFloatsToInt16(values: ArrayLike<number>, out?: Int16Array): Int16Array {
  const n = values.length;
  const dst = target(n, out, 'unitFloatsToInt16');
  for (let i = 0; i < n; i++) dst[i] = toInt16(values[i] * 32768);
  return dst.length === n ? dst : dst.subarray(0, n);
}

/**
 * Whether every sample lies within [-limit, limit] (`limit` a whole number from 0 to 32767; 0:
 * digital silence). A frame of SIMD_MIN_SAMPLES or more is scanned on the WebAssembly SIMD kernel
 * (wasm/simd-pcm.ts) where there is one, otherwise as `allWithinPlain`: the same answer either way.
 */
export function allWithin(pcm: Int16Array, limit: number): boolean {
  if (!Number.isInteger(limit) || limit < 0 || limit > 32767) throw new RangeError(`allWithin: limit must be a whole number from 0 to 32767 (got ${limit})`);
  const n = pcm.length;
  if (n >= SIMD_MIN_SAMPLES && kernel !== null) {
    const k = kernel ?? loadKernel();
    if (k && n <= k.maxSamples) return k.allWithin(pcm, limit);
  }
  return allWithinPlain(pcm, limit);
}

/**
 * `allWithin` in plain JavaScript, four samples a pass: |x| <= limit
 * exactly when (x + limit) >>> 0 <= 2 * limit.
 */
export function allWithinPlain(pcm: Int16Array, limit: number): boolean {
  if (!Number.isInteger(limit) || limit < 0 || limit > 32767) throw new RangeError(`allWithin: limit must be a whole number from 0 to 32767 (got ${limit})`);
  const n = pcm.length;
  const span = 2 * limit;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    if ((pcm[i] + limit) >>> 0 > span || (pcm[i + 1] + limit) >>> 0 > span || (pcm[i + 2] + limit) >>> 0 > span || (pcm[i + 3] + limit) >>> 0 > span) return false;
  }
  for (; i < n; i++) if ((pcm[i] + limit) >>> 0 > span) return false;
  return true;
}

/**
 * The sum of the squares of the first `n` samples (all by default, at most all): every partial sum
 * is a whole number below 2^53, so the total is exact whatever the order. SIMD_MIN_SAMPLES or more
 * are summed on the WebAssembly SIMD kernel where there is one, otherwise by `sumOfSquaresPlain`.
 */
export function sumOfSquares(frame: Int16Array, n = frame.length): number {
  if (n >= SIMD_MIN_SAMPLES && n <= frame.length && kernel !== null) {
    const k = kernel ?? loadKernel();
    if (k && n <= k.maxSamples) return k.sumOfSquares(frame, n);
  }
  return sumOfSquaresPlain(frame, n);
}

/** `sumOfSquares` in plain JavaScript, four running sums at a time (fewer passes of the loop). */
export function sumOfSquaresPlain(frame: Int16Array, n = frame.length): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = frame[i];
    const b = frame[i + 1];
    const c = frame[i + 2];
    const d = frame[i + 3];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < n; i++) s0 += frame[i] * frame[i];
  return s0 + s1 + (s2 + s3);
}

/** Frames shorter than this are scanned in JavaScript (the kernel's copy and call cost more). */
const SIMD_MIN_SAMPLES = 64;

/** The SIMD kernel once looked for: the instance, or null where there is none. */
let kernel: PcmKernel | null | undefined;

function loadKernel(): PcmKernel | null {
  kernel = simdPcm() ?? null;
  return kernel;
}
