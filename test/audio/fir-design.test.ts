import { besselI0, designLowpass, kaiserWindow, magnitudeAt } from '../../src/audio/fir-design';
import { db } from './helpers/signals';

describe('Kaiser-windowed sinc design', () => {
  it('computes I0 and a symmetric Kaiser window', () => {
    expect(besselI0(0)).toBe(1);
    expect(besselI0(1)).toBeCloseTo(1.2660658777520082, 12);
    expect(besselI0(9)).toBeCloseTo(1093.5883545113745, 6);
    const w = kaiserWindow(9, 8);
    expect(w[4]).toBeCloseTo(1, 12);
    for (let i = 0; i < 9; i++) expect(w[i]).toBeCloseTo(w[8 - i], 12);
  });

  it('designs a linear-phase low-pass with unit DC gain, flat pass band and deep stop band', () => {
    const h = designLowpass({ taps: 139, cutoffHz: 3900, sampleRateHz: 24000, beta: 9 });
    expect(h.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let i = 0; i < h.length; i++) expect(h[i]).toBeCloseTo(h[h.length - 1 - i], 15);
    expect(Math.abs(db(magnitudeAt(h, 3400, 24000)))).toBeLessThan(0.01);
    let worst = -Infinity;
    for (let f = 4400; f <= 12000; f += 10) worst = Math.max(worst, db(magnitudeAt(h, f, 24000)));
    expect(worst).toBeLessThan(-85);
  });

  it('rejects an even or tiny tap count', () => {
    expect(() => designLowpass({ taps: 64, cutoffHz: 1000, sampleRateHz: 8000, beta: 5 })).toThrow(/odd/);
    expect(() => designLowpass({ taps: 1, cutoffHz: 1000, sampleRateHz: 8000, beta: 5 })).toThrow(RangeError);
  });
});
