import { floatsToInt16, roundIntoInt16, toInt16, unitFloatsToInt16 } from '../../src/audio/pcm';

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

  it('roundIntoInt16 stores what toInt16 gives, at a stride, leaving the other samples alone', () => {
    const values = Float32Array.from([
      NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, -1.5, 2.4999, -2.5001, 32766.5, 32767, 32768.4, 1e9,
      -32767.5, -32768, -32768.6, -1e9, 12345.678, -12345.678, Math.fround(0.49999997),
    ]);
    for (const [start, step] of [[0, 1], [0, 2], [3, 3]]) {
      const dst = new Int16Array(start + values.length * step).fill(7);
      roundIntoInt16(values, dst, start, step);
      values.forEach((v, i) => expect(dst[start + i * step]).toBe(toInt16(v)));
      dst.forEach((v, j) => {
        if (j < start || (j - start) % step !== 0) expect(v).toBe(7);
      });
    }
  });
});
