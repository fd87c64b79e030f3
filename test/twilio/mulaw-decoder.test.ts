/**
 * The inbound media path's mu-law decoder gives exactly what decodeMulaw gives, whichever way it
 * takes: two codes a turn (read from a copy of the frame, so at any offset), or one (odd lengths,
 * an output off a 4-byte boundary), into whichever output it is handed.
 */
import { decodeMulaw } from '../../src/audio';
import { MulawDecoder } from '../../src/twilio/mulaw-decoder';
import { StagedWords } from '../../src/twilio/staged-words';

describe('MulawDecoder', () => {
  it('decodes every pair of codes, in either order, as decodeMulaw does', () => {
    const codes = new Uint8Array(2 * 65536);
    for (let i = 0; i < 65536; i++) {
      codes[2 * i] = i & 0xff;
      codes[2 * i + 1] = i >> 8;
    }
    const out = new Int16Array(codes.length);
    const got = new MulawDecoder().decode(codes, out);
    expect(got).toBe(out);
    expect(Array.from(got)).toEqual(Array.from(decodeMulaw(codes)));
  });

  it('decodes frames at odd offsets, of odd lengths, and into a longer output, as decodeMulaw does', () => {
    const decoder = new MulawDecoder();
    const backing = Uint8Array.from({ length: 400 }, (_, i) => (i * 97 + 13) & 0xff);
    const out = new Int16Array(200);
    for (const [offset, length] of [[0, 160], [1, 160], [2, 159], [3, 37], [8, 0], [8, 200]]) {
      const codes = backing.subarray(offset, offset + length);
      const got = decoder.decode(codes, out);
      expect(got.length).toBe(length);
      expect(Array.from(got)).toEqual(Array.from(decodeMulaw(codes)));
    }
  });

  it('writes into the output it is handed each time, not the one it was handed before', () => {
    const decoder = new MulawDecoder();
    const a = new Int16Array(160);
    const b = new Int16Array(160);
    const first = Uint8Array.from({ length: 160 }, (_, i) => i);
    const second = Uint8Array.from({ length: 160 }, (_, i) => 255 - i);
    decoder.decode(first, a);
    decoder.decode(second, b);
    expect(Array.from(a)).toEqual(Array.from(decodeMulaw(first)));
    expect(Array.from(b)).toEqual(Array.from(decodeMulaw(second)));
    decoder.decode(second, a);
    expect(Array.from(a)).toEqual(Array.from(decodeMulaw(second)));
  });

  it('reads every frame, whatever buffer and offset it comes in, through one staging area of its own', () => {
    // Inbound payloads are slices of pool slabs every leg shares: a new slab every few frames, at
    // any offset.
    const stage = jest.spyOn(StagedWords.prototype, 'stage');
    try {
      const decoder = new MulawDecoder();
      const out = new Int16Array(160);
      const slabs = [0, 1, 2].map((s) => Uint8Array.from({ length: 1024 }, (_, i) => (i * 31 + s * 101 + 7) & 0xff));
      const frames = [0, 0, 0, 1, 1, 0, 2, 1].map((s, k) => slabs[s].subarray(161 * (k % 6), 161 * (k % 6) + 160));
      for (const codes of frames) expect(Array.from(decoder.decode(codes, out))).toEqual(Array.from(decodeMulaw(codes)));
      const used = stage.mock.results.map((r) => r.value as Uint16Array);
      expect(used).toHaveLength(frames.length);
      expect(new Set(used).size).toBe(1);
      expect(slabs.some((s) => s.buffer === used[0].buffer)).toBe(false);
    } finally {
      stage.mockRestore();
    }
  });

  it('decodes a buffer that has grown since its view was made, as decodeMulaw does', () => {
    const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void };
    const buffer = new Resizable(160, { maxByteLength: 640 });
    const all = new Uint8Array(buffer, 0, 160);
    all.set(Uint8Array.from({ length: 160 }, (_, i) => i));
    const decoder = new MulawDecoder();
    const out = new Int16Array(160);
    decoder.decode(new Uint8Array(buffer, 0, 160), out);
    buffer.resize(640);
    const later = new Uint8Array(buffer, 320, 160);
    later.set(Uint8Array.from({ length: 160 }, (_, i) => 255 - i));
    expect(Array.from(decoder.decode(later, out))).toEqual(Array.from(decodeMulaw(later)));
  });

  it('refuses an output shorter than the codes, as decodeMulaw does', () => {
    expect(() => new MulawDecoder().decode(new Uint8Array(160), new Int16Array(80))).toThrow(RangeError);
  });
});
