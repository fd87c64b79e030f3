import { Downsampler24to8, DOWNSAMPLER_TAPS } from '../../src/audio/downsampler';
import { chirp, db, fitSinusoids, rms, tone } from './helpers/signals';

const IN_RATE = 24000;
const OUT_RATE = 8000;
const SKIP = 100;

function downsample(input: Int16Array): Int16Array {
  return new Downsampler24to8().process(input);
}

describe('Downsampler24to8 quality', () => {
  it.each([300, 500, 1000, 2000, 3000, 3400])('passes %d Hz within 0.5 dB', (freq) => {
    const amplitude = 16384;
    const output = downsample(tone(freq, IN_RATE, IN_RATE, amplitude));
    const fit = fitSinusoids(output, [freq], OUT_RATE, SKIP, output.length - SKIP);
    expect(Math.abs(db(fit.amplitudes[0] / amplitude))).toBeLessThan(0.5);
    expect(db(fit.residualRms / (amplitude / Math.SQRT2))).toBeLessThan(-60);
  });

  // Input frequency -> where it would fold to in the 0..4 kHz output band.
  const aliases: Array<[number, number]> = [
    [4400, 3600],
    [5000, 3000],
    [6000, 2000],
    [7000, 1000],
    [8000, 0],
    [10000, 2000],
    [11900, 3900],
  ];
  it.each(aliases)('folds %d Hz into the band (at %d Hz) at least 80 dB down', (freq, alias) => {
    const amplitude = 29491; // -0.9 dBFS: loud, to measure deep
    const output = downsample(tone(freq, IN_RATE, IN_RATE, amplitude));
    let level: number;
    if (alias === 0) {
      level = Math.abs(fitSinusoids(output, [], OUT_RATE, SKIP, output.length - SKIP).dc) / amplitude;
    } else {
      level = fitSinusoids(output, [alias], OUT_RATE, SKIP, output.length - SKIP).amplitudes[0] / amplitude;
    }
    expect(db(level)).toBeLessThan(-80);
  });

  it('lets almost nothing of a 4.4-12 kHz sweep through (total output power at least 80 dB down)', () => {
    const input = chirp(4400, 11990, IN_RATE, 2 * IN_RATE, 29491);
    const output = downsample(input);
    expect(db(rms(output, SKIP, output.length - SKIP) / rms(input))).toBeLessThan(-80);
  });
});

describe('Downsampler24to8 delay', () => {
  it('reports a delay of at most 5 ms that matches where an impulse comes out', () => {
    const down = new Downsampler24to8();
    expect(down.delaySamples).toBe((DOWNSAMPLER_TAPS - 1) / 2 / 3);
    expect(down.delayMs).toBeCloseTo((down.delaySamples / OUT_RATE) * 1000, 9);
    expect(down.delayMs).toBeLessThanOrEqual(5);
    const input = new Int16Array(900);
    input[300] = 30000;
    const output = down.process(input);
    let peak = 0;
    for (let n = 1; n < output.length; n++) if (output[n] > output[peak]) peak = n;
    expect(peak).toBe(300 / 3 + down.delaySamples);
  });
});

describe('Downsampler24to8 output', () => {
  it('clamps overshoot on full-scale input instead of wrapping', () => {
    const square = Int16Array.from({ length: 2400 }, (_, n) => (Math.floor(n / 24) % 2 === 0 ? 32767 : -32768));
    const output = downsample(square);
    let maxJump = 0;
    for (let n = 1; n < output.length; n++) maxJump = Math.max(maxJump, Math.abs(output[n] - output[n - 1]));
    expect(Math.max(...output)).toBe(32767);
    expect(maxJump).toBeLessThan(60000);
  });

  it('returns one sample per 3 inputs, carrying the remainder to the next call', () => {
    const down = new Downsampler24to8();
    expect(down.outputLength(0)).toBe(0);
    expect(down.outputLength(1)).toBe(1);
    expect(down.process(new Int16Array(1)).length).toBe(1); // outputs at inputs 0, 3, 6, ...
    expect(down.outputLength(2)).toBe(0);
    expect(down.process(new Int16Array(2)).length).toBe(0);
    expect(down.process(new Int16Array(480)).length).toBe(160);
    const out = new Int16Array(500);
    const result = down.process(new Int16Array(1000), out);
    expect(result.length).toBe(334);
    expect(result.buffer).toBe(out.buffer);
    expect(() => down.process(new Int16Array(30), new Int16Array(9))).toThrow(RangeError);
  });
});
