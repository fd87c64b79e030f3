/**
 * Byte helpers: base64 <-> bytes and bytes <-> PCM16LE samples.
 *
 * An Int16Array view needs an even byteOffset; a Uint8Array from a pooled Buffer or a `subarray`
 * can start at an odd one. These helpers view the memory when it is aligned (and the host is
 * little-endian) and copy otherwise, so they never throw on alignment and never misread samples.
 */
import { endianness } from 'node:os';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Decodes base64 (standard or URL-safe alphabet) to bytes. */
export function base64ToBytes(base64: string): Uint8Array {
  const buf = Buffer.from(base64, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Encodes bytes as standard base64 (no copy of the input). */
export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Reads PCM16 little-endian bytes as samples. The result may share memory with `bytes` (when the
 * offset is even on a little-endian host); pass `{ copy: true }` for an independent array.
 * Throws a RangeError on an odd byte length (half a sample).
 */
export function bytesToInt16(bytes: Uint8Array, options: { copy?: boolean } = {}): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new RangeError(`PCM16 data must have an even number of bytes, got ${bytes.byteLength}`);
  }
  const n = bytes.byteLength / 2;
  if (LITTLE_ENDIAN_HOST) {
    if (bytes.byteOffset % 2 === 0 && !options.copy) {
      return new Int16Array(bytes.buffer, bytes.byteOffset, n);
    }
    const aligned = new Uint8Array(bytes.byteLength);
    aligned.set(bytes);
    return new Int16Array(aligned.buffer, 0, n);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
  return out;
}

/** Returns the PCM16 little-endian bytes of samples (a view on little-endian hosts, no copy). */
export function int16ToBytes(samples: Int16Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(2 * i, samples[i], true);
  return out;
}

/**
 * Decodes base64 PCM16LE to a fresh, aligned Int16Array (never shares a pooled Buffer); on a
 * little-endian host the base64 is decoded straight into the result's memory (one allocation).
 * A trailing half sample throws a RangeError, or is dropped with `{ partialSample: 'drop' }` (for
 * audio from a peer, where one stray byte should not cost the whole chunk).
 */
export function base64ToInt16(base64: string, options: { partialSample?: 'throw' | 'drop' } = {}): Int16Array {
  const bytes = new Uint8Array(Math.floor((base64.length * 3) / 4) + 2);
  let n = Buffer.from(bytes.buffer).write(base64, 'base64');
  if (n % 2 !== 0) {
    if (options.partialSample !== 'drop') throw new RangeError(`PCM16 data must have an even number of bytes, got ${n}`);
    n -= 1;
  }
  return LITTLE_ENDIAN_HOST ? new Int16Array(bytes.buffer, 0, n / 2) : bytesToInt16(bytes.subarray(0, n));
}

/** Encodes samples as base64 PCM16LE. */
export function int16ToBase64(samples: Int16Array): string {
  return bytesToBase64(int16ToBytes(samples));
}
