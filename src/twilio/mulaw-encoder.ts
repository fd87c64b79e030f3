/**
 * PCM16 to mu-law for the outbound media path (every frame sent to every leg), two samples a turn:
 * each pair is read as one 32-bit word and both codes are written as one 16-bit word, so a 20 ms
 * frame takes 80 turns rather than 160. The codes come from encodeMulaw's own table
 * (src/audio/mulaw.ts). The samples are read from a copy of the frame (StagedWords), so any offset
 * will do; where they or the output cannot be read as words (an odd length, an output at an odd
 * offset, a big-endian machine) it encodes through encodeMulaw itself.
 */
import os from 'node:os';
import { ENCODE_TABLE, encodeMulaw } from '../audio';
import { StagedWords } from './staged-words';

const LITTLE_ENDIAN = os.endianness() === 'LE';
/**
 * The table, bound once: compiled to CommonJS, an imported name is read through the audio module's
 * re-export (a getter) at every use, twice a pair in the loop below.
 */
const CODES: Readonly<Uint8Array> = ENCODE_TABLE;

/**
 * Encodes `pcm` into `out` (at least as long) and returns the filled part, as encodeMulaw does.
 * `out` is a buffer the caller keeps: the pair path needs it to start on a 2-byte boundary.
 */
export class MulawEncoder {
  private out: Uint8Array = new Uint8Array(0);
  private pairs: Uint16Array = new Uint16Array(0);
  /** The frame's samples as 32-bit words (pairs of samples). */
  private readonly sampleWords = new StagedWords<Int16Array, Int32Array>((buffer) => [new Int16Array(buffer), new Int32Array(buffer)]);

  encode(pcm: Int16Array, out: Uint8Array): Uint8Array {
    const n = pcm.length;
    if (!LITTLE_ENDIAN || (n & 1) !== 0 || (out.byteOffset & 1) !== 0 || out.length < n) return encodeMulaw(pcm, out);
    if (out !== this.out) {
      this.out = out;
      this.pairs = new Uint16Array(out.buffer, out.byteOffset, out.length >> 1);
    }
    const pairs = this.pairs;
    const words = this.sampleWords.stage(pcm);
    for (let i = 0, end = n >> 1; i < end; i++) {
      const w = words[i];
      pairs[i] = CODES[((w << 16) >> 16) + 32768] | (CODES[(w >> 16) + 32768] << 8);
    }
    return out.length === n ? out : out.subarray(0, n);
  }
}
