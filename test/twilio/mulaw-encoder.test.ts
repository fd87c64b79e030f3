/**
 * The outbound media path's mu-law encoder gives exactly what encodeMulaw gives, whichever way it
 * takes: two samples a turn (read from a copy of the frame, so at any offset), or one (odd lengths,
 * an output at an odd offset), into whichever output it is handed.
 */
import { encodeMulaw } from '../../src/audio';
import { MulawEncoder } from '../../src/twilio/mulaw-encoder';
import { StagedWords } from '../../src/twilio/staged-words';

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

  it('reads every frame, whatever buffer and offset it comes in, through one staging area of its own', () => {
    // Outbound frames come from a few buffers the endpoint reuses in turn; a frame made anywhere
    // else may start at any even offset.
    const stage = jest.spyOn(StagedWords.prototype, 'stage');
    try {
      const encoder = new MulawEncoder();
      const out = new Uint8Array(160);
      const buffers = [0, 1, 2].map((b) => Int16Array.from({ length: 170 }, (_, i) => ((i * 7919 + b * 12345) % 65536) - 32768));
      const frames = [0, 1, 2, 0, 1, 2, 2, 0].map((b, k) => buffers[b].subarray(k % 3, (k % 3) + 160));
      for (const pcm of frames) expect(Array.from(encoder.encode(pcm, out))).toEqual(Array.from(encodeMulaw(pcm)));
      const used = stage.mock.results.map((r) => r.value as Int32Array);
      expect(used).toHaveLength(frames.length);
      expect(new Set(used).size).toBe(1);
      expect(buffers.some((b) => b.buffer === used[0].buffer)).toBe(false);
    } finally {
      stage.mockRestore();
    }
  });

  it('encodes a buffer that has grown since its view was made, as encodeMulaw does', () => {
    const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void };
    const buffer = new Resizable(320, { maxByteLength: 1280 });
    new Int16Array(buffer, 0, 160).set(Int16Array.from({ length: 160 }, (_, i) => i * 300 - 24000));
    const encoder = new MulawEncoder();
    const out = new Uint8Array(160);
    encoder.encode(new Int16Array(buffer, 0, 160), out);
    buffer.resize(1280);
    const later = new Int16Array(buffer, 640, 160);
    later.set(Int16Array.from({ length: 160 }, (_, i) => 24000 - i * 300));
    expect(Array.from(encoder.encode(later, out))).toEqual(Array.from(encodeMulaw(later)));
  });

  it('refuses an output shorter than the samples, as encodeMulaw does', () => {
    expect(() => new MulawEncoder().encode(new Int16Array(160), new Uint8Array(80))).toThrow(RangeError);
  });
});
