/**
 * The outbound media path's mu-law encoder gives exactly what encodeMulaw gives, whichever way it
 * takes: two samples a turn, or one (odd offsets and lengths), into whichever output it is handed.
 */
import { encodeMulaw } from '../../src/audio';
import { MulawEncoder } from '../../src/twilio/mulaw-encoder';

describe('MulawEncoder', () => {
  it('encodes every int16 sample, in either half of a pair, as encodeMulaw does', () => {
    const pcm = new Int16Array(2 * 65536);
    for (let i = 0; i < 65536; i++) {
      pcm[2 * i] = i - 32768;
      pcm[2 * i + 1] = 32767 - i;
    }
    const out = new Uint8Array(pcm.length);
    const got = new MulawEncoder().encode(pcm, out);
    expect(got).toBe(out);
    expect(Buffer.from(got).equals(Buffer.from(encodeMulaw(pcm)))).toBe(true);
  });

  it('encodes frames at odd offsets, of odd lengths, and into a longer output, as encodeMulaw does', () => {
    const encoder = new MulawEncoder();
    const backing = Int16Array.from({ length: 400 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const out = new Uint8Array(200);
    for (const [offset, length] of [[0, 160], [1, 160], [2, 159], [3, 37], [8, 0], [8, 200]]) {
      const pcm = backing.subarray(offset, offset + length);
      const got = encoder.encode(pcm, out);
      expect(got.length).toBe(length);
      expect(Array.from(got)).toEqual(Array.from(encodeMulaw(pcm)));
    }
  });

  it('writes into the output it is handed each time, not the one it was handed before', () => {
    const encoder = new MulawEncoder();
    const a = new Uint8Array(160);
    const b = new Uint8Array(160);
    const first = Int16Array.from({ length: 160 }, (_, i) => i * 200 - 16000);
    const second = Int16Array.from({ length: 160 }, (_, i) => 16000 - i * 200);
    encoder.encode(first, a);
    encoder.encode(second, b);
    expect(Array.from(a)).toEqual(Array.from(encodeMulaw(first)));
    expect(Array.from(b)).toEqual(Array.from(encodeMulaw(second)));
    encoder.encode(second, a);
    expect(Array.from(a)).toEqual(Array.from(encodeMulaw(second)));
  });

  it('refuses an output shorter than the samples, as encodeMulaw does', () => {
    expect(() => new MulawEncoder().encode(new Int16Array(160), new Uint8Array(80))).toThrow(RangeError);
  });
});
