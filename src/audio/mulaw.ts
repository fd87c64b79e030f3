/**
 * G.711 mu-law <-> PCM16 through `alawmulaw`, table-driven.
 *
 * Both lookup tables are filled from alawmulaw's own encoder/decoder when this module loads, so the
 * fast path is bit-identical to alawmulaw for every int16 input and every code. Out-of-range input
 * (numbers outside int16, fractions, NaN) is rounded and clamped first: alawmulaw itself would turn
 * 40000 into a loud negative code.
 */
import { mulaw } from 'alawmulaw';

/** The code for digital silence (+0). */
export const MULAW_SILENCE = 0xff;

const INT16_OFFSET = 32768;

function buildEncodeTable(): Uint8Array {
  const everyInt16 = new Int16Array(65536);
  for (let i = 0; i < everyInt16.length; i++) everyInt16[i] = i - INT16_OFFSET;
  // Copy into a table we own (alawmulaw may hand back any Uint8Array-like buffer).
  return Uint8Array.from(mulaw.encode(everyInt16));
}

function buildDecodeTable(): Int16Array {
  const everyCode = new Uint8Array(256);
  for (let i = 0; i < everyCode.length; i++) everyCode[i] = i;
  return Int16Array.from(mulaw.decode(everyCode));
}

/** ENCODE_TABLE[x + 32768] = mu-law code of int16 x (read-only: shared with the frame encoder). */
export const ENCODE_TABLE: Readonly<Uint8Array> = buildEncodeTable();
/** DECODE_TABLE[code] = int16 value of the code. */
const DECODE_TABLE = buildDecodeTable();

/** Rounds and clamps any number to int16 (NaN becomes 0). */
function clampToInt16(x: number): number {
  if (x >= 32767) return 32767;
  if (x <= -32768) return -32768;
  if (x !== x) return 0; // NaN
  return Math.round(x);
}

/** Encodes one sample; any number is accepted and clamped to the int16 range. Returns 0..255. */
export function encodeMulawSample(sample: number): number {
  return ENCODE_TABLE[clampToInt16(sample) + INT16_OFFSET];
}

/** Decodes one code (only its low 8 bits are used) to an int16 value. */
export function decodeMulawSample(code: number): number {
  return DECODE_TABLE[code & 0xff];
}

function checkOut<T extends { length: number }>(out: T, needed: number, what: string): void {
  if (out.length < needed) {
    throw new RangeError(`${what}: output buffer holds ${out.length} samples, needs ${needed}`);
  }
}

/**
 * Encodes PCM16 samples to mu-law codes. An Int16Array takes the table-only fast path; any other
 * array of numbers is rounded and clamped per sample. Writes into `out` when given (it must be at
 * least as long as the input) and returns the filled part.
 */
export function encodeMulaw(pcm: Int16Array | ArrayLike<number>, out?: Uint8Array): Uint8Array {
  const n = pcm.length;
  const dst = out ?? new Uint8Array(n);
  checkOut(dst, n, 'encodeMulaw');
  if (pcm instanceof Int16Array) {
    for (let i = 0; i < n; i++) dst[i] = ENCODE_TABLE[pcm[i] + INT16_OFFSET];
  } else {
    for (let i = 0; i < n; i++) dst[i] = ENCODE_TABLE[clampToInt16(pcm[i]) + INT16_OFFSET];
  }
  return dst.length === n ? dst : dst.subarray(0, n);
}

/** Decodes mu-law codes to PCM16. Writes into `out` when given and returns the filled part. */
export function decodeMulaw(codes: Uint8Array, out?: Int16Array): Int16Array {
  const n = codes.length;
  const dst = out ?? new Int16Array(n);
  checkOut(dst, n, 'decodeMulaw');
  for (let i = 0; i < n; i++) dst[i] = DECODE_TABLE[codes[i]];
  return dst.length === n ? dst : dst.subarray(0, n);
}
