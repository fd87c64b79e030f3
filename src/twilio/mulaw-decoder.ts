/**
 * mu-law to PCM16 for the inbound media path (100 frames a second in a two-party call), two codes
 * a turn: a table of every pair of codes (64 Ki entries, 256 KiB) gives both samples at once as
 * one 32-bit word, so a 20 ms frame takes 80 lookups rather than 160. The values are those of
 * decodeMulaw (src/audio/mulaw.ts), from which the table is built. The codes are read from a copy of
 * the frame (StagedWords), so any offset will do; where they or the output cannot be read as 16-/32-
 * bit words (an odd length, an output off a 4-byte boundary, a big-endian machine) it decodes
 * through decodeMulaw itself.
 */
import os from 'node:os';
import { decodeMulaw, decodeMulawSample } from '../audio';
import { StagedWords } from './staged-words';

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** PAIRS[b0 | b1 << 8] = the samples of codes b0 (low half) and b1 (high half), as a little-endian word. */
const PAIRS = buildPairs();

function buildPairs(): Int32Array {
  const pairs = new Int32Array(65536);
  for (let b1 = 0; b1 < 256; b1++) {
    const high = decodeMulawSample(b1) << 16;
    for (let b0 = 0; b0 < 256; b0++) pairs[b0 | (b1 << 8)] = high | (decodeMulawSample(b0) & 0xffff);
  }
  return pairs;
}

/**
 * Decodes `codes` into `out` (at least as long) and returns the filled part, as decodeMulaw does.
 * `out` is a buffer the caller keeps: the pair path needs it to start on a 4-byte boundary.
 */
export class MulawDecoder {
  private out: Int16Array = new Int16Array(0);
  private words: Int32Array = new Int32Array(0);
  /** The frame's codes as 16-bit words (pairs of codes). */
  private readonly codeWords = new StagedWords<Uint8Array, Uint16Array>((buffer) => [new Uint8Array(buffer), new Uint16Array(buffer)]);

  decode(codes: Uint8Array, out: Int16Array): Int16Array {
    const n = codes.length;
    if (!LITTLE_ENDIAN || (n & 1) !== 0 || (out.byteOffset & 3) !== 0 || out.length < n) return decodeMulaw(codes, out);
    if (out !== this.out) {
      this.out = out;
      this.words = new Int32Array(out.buffer, out.byteOffset, out.length >> 1);
    }
    const words = this.words;
    const pairs = this.codeWords.stage(codes);
    for (let i = 0, end = n >> 1; i < end; i++) words[i] = PAIRS[pairs[i]];
    return out.length === n ? out : out.subarray(0, n);
  }
}
