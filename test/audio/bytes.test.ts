import {
  base64ToBytes,
  base64ToInt16,
  bytesToBase64,
  bytesToInt16,
  int16ToBase64,
  int16ToBytes,
} from '../../src/audio/bytes';

describe('base64 <-> bytes', () => {
  it('round-trips arbitrary bytes and matches a known vector', () => {
    const bytes = Uint8Array.from({ length: 333 }, (_, i) => (i * 37) & 0xff);
    expect(Array.from(base64ToBytes(bytesToBase64(bytes)))).toEqual(Array.from(bytes));
    expect(bytesToBase64(Uint8Array.from([0xff, 0x00, 0x7f]))).toBe('/wB/');
    expect(Array.from(base64ToBytes('/wB/'))).toEqual([0xff, 0x00, 0x7f]);
  });

  it('encodes only the bytes of a subarray, not its whole backing buffer', () => {
    const all = Uint8Array.from([1, 2, 3, 4, 5]);
    expect(bytesToBase64(all.subarray(1, 3))).toBe(Buffer.from([2, 3]).toString('base64'));
  });
});

describe('bytes <-> PCM16LE', () => {
  it('reads little-endian samples', () => {
    const s = bytesToInt16(Uint8Array.from([0x02, 0x01, 0xfe, 0xff, 0x00, 0x80]));
    expect(Array.from(s)).toEqual([0x0102, -2, -32768]);
    expect(Array.from(int16ToBytes(Int16Array.from([0x0102, -2])))).toEqual([0x02, 0x01, 0xfe, 0xff]);
  });

  it('copies instead of throwing or misreading when the bytes start at an odd offset', () => {
    const backing = new Uint8Array(11);
    const odd = backing.subarray(1, 9);
    odd.set([0x34, 0x12, 0xff, 0x7f, 0x00, 0x80, 0x01, 0x00]);
    expect(odd.byteOffset % 2).toBe(1);
    expect(() => new Int16Array(odd.buffer, odd.byteOffset, 4)).toThrow(RangeError);
    const samples = bytesToInt16(odd);
    expect(Array.from(samples)).toEqual([0x1234, 32767, -32768, 1]);
    expect(samples.byteOffset % 2).toBe(0);
  });

  it('shares memory for aligned input unless a copy is requested', () => {
    const bytes = Uint8Array.from([1, 0, 2, 0]);
    const view = bytesToInt16(bytes);
    const copy = bytesToInt16(bytes, { copy: true });
    bytes[0] = 9;
    expect(view[0]).toBe(9);
    expect(copy[0]).toBe(1);
  });

  it('rejects half a sample', () => {
    expect(() => bytesToInt16(new Uint8Array(3))).toThrow(/even number of bytes/);
  });

  it('decodes base64 PCM16 of any length, padded or not; a half sample throws, or is dropped on request', () => {
    const samples = Int16Array.from({ length: 1201 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const b64 = Buffer.from(samples.buffer).toString('base64');
    expect([...base64ToInt16(b64)]).toEqual([...samples]);
    expect([...base64ToInt16(b64.replace(/=+$/, ''))]).toEqual([...samples]);
    const odd = Buffer.concat([Buffer.from(new Int16Array([-1, 2]).buffer), Buffer.from([0x7f])]).toString('base64');
    expect(() => base64ToInt16(odd)).toThrow(/even number of bytes/);
    expect([...base64ToInt16(odd, { partialSample: 'drop' })]).toEqual([-1, 2]);
    expect(base64ToInt16('')).toHaveLength(0);
  });

  it('round-trips base64 PCM16, including from odd-offset slices of pooled buffers', () => {
    const samples = Int16Array.from({ length: 161 }, (_, i) => (i * 977) % 65536 - 32768);
    const b64 = int16ToBase64(samples);
    const back = base64ToInt16(b64);
    expect(Array.from(back)).toEqual(Array.from(samples));
    expect(back.byteOffset).toBe(0);
    // A subarray starting at sample 3 encodes only its own samples.
    expect(Array.from(base64ToInt16(int16ToBase64(samples.subarray(3, 10))))).toEqual(
      Array.from(samples.subarray(3, 10)),
    );
    // Many small decodes: pooled Buffers can start anywhere; none may throw or misread.
    for (let shift = 1; shift <= 8; shift++) {
      const raw = base64ToBytes(Buffer.from([0xaa, ...int16ToBytes(Int16Array.from([shift, -shift]))]).toString('base64'));
      expect(Array.from(bytesToInt16(raw.subarray(1)))).toEqual([shift, -shift]);
    }
  });
});
