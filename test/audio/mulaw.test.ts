import { mulaw } from 'alawmulaw';
import {
  MULAW_SILENCE,
  decodeMulaw,
  decodeMulawSample,
  encodeMulaw,
  encodeMulawSample,
} from '../../src/audio/mulaw';

const everyInt16 = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
const everyCode = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('mu-law decode', () => {
  it('matches alawmulaw for all 256 codes', () => {
    expect(Array.from(decodeMulaw(everyCode))).toEqual(Array.from(mulaw.decode(everyCode)));
    for (let c = 0; c < 256; c++) expect(decodeMulawSample(c)).toBe(mulaw.decodeSample(c) | 0); // alawmulaw returns -0 for code 0x7f
  });

  it('has the G.711 end points: full scale is +-32124 and both zero codes are silent', () => {
    expect(decodeMulawSample(0x00)).toBe(-32124);
    expect(decodeMulawSample(0x80)).toBe(32124);
    expect(decodeMulawSample(0xff)).toBe(0);
    expect(decodeMulawSample(0x7f)).toBe(0);
    expect(decodeMulawSample(MULAW_SILENCE)).toBe(0);
  });
});

describe('mu-law encode', () => {
  it('matches alawmulaw bit for bit over the whole int16 range', () => {
    const expected = mulaw.encode(everyInt16);
    const viaInt16 = encodeMulaw(everyInt16);
    const viaNumbers = encodeMulaw(Array.from(everyInt16));
    let mismatches = 0;
    for (let i = 0; i < 65536; i++) {
      if (viaInt16[i] !== expected[i] || viaNumbers[i] !== expected[i]) mismatches++;
      if (encodeMulawSample(everyInt16[i]) !== expected[i]) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('returns codes as 0..255 (alawmulaw.encodeSample returns negative numbers)', () => {
    expect(mulaw.encodeSample(0)).toBeLessThan(0);
    expect(encodeMulawSample(0)).toBe(MULAW_SILENCE);
    for (let x = -32768; x <= 32767; x += 7) {
      const c = encodeMulawSample(x);
      expect(c >= 0 && c <= 255).toBe(true);
    }
  });

  it('clamps out-of-range input to the loudest code of the same sign instead of wrapping', () => {
    // alawmulaw alone turns 40000 into 0x06, a loud negative code.
    expect(mulaw.encode(Int16Array.from([40000]))[0]).not.toBe(0x80);
    expect(mulaw.encodeSample(40000) & 0xff).toBe(0x06);

    const loudestPositive = encodeMulawSample(32767);
    const loudestNegative = encodeMulawSample(-32768);
    expect(loudestPositive).toBe(0x80);
    expect(loudestNegative).toBe(0x00);
    expect(encodeMulawSample(40000)).toBe(loudestPositive);
    expect(encodeMulawSample(1e9)).toBe(loudestPositive);
    expect(encodeMulawSample(Infinity)).toBe(loudestPositive);
    expect(encodeMulawSample(-40000)).toBe(loudestNegative);
    expect(encodeMulawSample(-Infinity)).toBe(loudestNegative);
    expect(encodeMulawSample(NaN)).toBe(MULAW_SILENCE);
    expect(Array.from(encodeMulaw([40000, -40000, 32767.6, 100.4]))).toEqual([
      loudestPositive,
      loudestNegative,
      loudestPositive,
      encodeMulawSample(100),
    ]);
  });

  it('round-trips monotonically with bounded quantisation error', () => {
    const decoded = decodeMulaw(encodeMulaw(everyInt16));
    let maxError = 0;
    let notMonotonic = 0;
    for (let i = 0; i < 65536; i++) {
      if (i > 0 && decoded[i] < decoded[i - 1]) notMonotonic++;
      maxError = Math.max(maxError, Math.abs(decoded[i] - everyInt16[i]));
    }
    expect(notMonotonic).toBe(0);
    // Largest step is 1024 (top segment); half a step plus the 32124 clip point gives 644.
    expect(maxError).toBeLessThanOrEqual(644);
    for (let c = 0; c < 256; c++) {
      if (c !== 0x7f) expect(encodeMulawSample(decodeMulawSample(c))).toBe(c);
    }
  });
});

describe('output buffers', () => {
  it('writes into a caller buffer and returns only the filled part', () => {
    const out = new Uint8Array(10);
    const codes = encodeMulaw(Int16Array.from([0, 1000, -1000]), out);
    expect(codes.length).toBe(3);
    expect(codes.buffer).toBe(out.buffer);
    const pcm = new Int16Array(8);
    const decoded = decodeMulaw(codes, pcm);
    expect(decoded.length).toBe(3);
    expect(decoded.buffer).toBe(pcm.buffer);
    expect(Array.from(decoded)).toEqual(Array.from(mulaw.decode(codes)));
  });

  it('rejects a buffer that is too small', () => {
    expect(() => encodeMulaw(new Int16Array(4), new Uint8Array(3))).toThrow(RangeError);
    expect(() => decodeMulaw(new Uint8Array(4), new Int16Array(3))).toThrow(RangeError);
  });
});
