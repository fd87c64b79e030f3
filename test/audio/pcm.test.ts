import { floatsToInt16, toInt16, unitFloatsToInt16 } from '../../src/audio/pcm';

describe('float -> int16', () => {
  it('rounds to nearest rather than truncating', () => {
    expect(toInt16(1.4)).toBe(1);
    expect(toInt16(1.6)).toBe(2);
    expect(toInt16(-1.6)).toBe(-2);
    expect(toInt16(-0.4)).toBe(0);
  });

  it('clamps instead of wrapping (typed-array assignment would wrap)', () => {
    expect(Int16Array.from([32768.4])[0]).toBe(-32768); // the failure this guards against
    expect(toInt16(32767.4)).toBe(32767);
    expect(toInt16(32768.4)).toBe(32767);
    expect(toInt16(40000)).toBe(32767);
    expect(toInt16(-32768.6)).toBe(-32768);
    expect(toInt16(-1e9)).toBe(-32768);
    expect(toInt16(Infinity)).toBe(32767);
    expect(toInt16(NaN)).toBe(0);
  });

  it('converts arrays on the int16 scale and on the unit scale', () => {
    expect(Array.from(floatsToInt16(Float64Array.from([40000, -40000, 0.6, -0.6])))).toEqual([32767, -32768, 1, -1]);
    expect(Array.from(unitFloatsToInt16(Float32Array.from([1, -1, 0.5, 2, -2])))).toEqual([
      32767, -32768, 16384, 32767, -32768,
    ]);
    const out = new Int16Array(4);
    const filled = floatsToInt16([1, 2], out);
    expect(filled.length).toBe(2);
    expect(filled.buffer).toBe(out.buffer);
    expect(() => floatsToInt16([1, 2, 3], new Int16Array(2))).toThrow(RangeError);
  });
});
