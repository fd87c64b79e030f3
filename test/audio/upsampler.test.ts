import { Upsampler8to16, UPSAMPLER_TAPS } from '../../src/audio/upsampler';
import { chirp, db, fitSinusoids, tone } from './helpers/signals';

const IN_RATE = 8000;
const OUT_RATE = 16000;
const AMPLITUDE = 16384; // -6 dBFS

function upsampleTone(freq: number, seconds = 1): { input: Int16Array; output: Int16Array } {
  const input = tone(freq, IN_RATE, IN_RATE * seconds, AMPLITUDE);
  return { input, output: new Upsampler8to16().process(input) };
}

/** Steady-state part of the output: skip the filter's start-up and the end. */
const SKIP = 200;

describe('Upsampler8to16 quality', () => {
  it.each([300, 500, 1000, 2000, 3000, 3400])('passes %d Hz within 0.5 dB', (freq) => {
    const { output } = upsampleTone(freq);
    const fit = fitSinusoids(output, [freq], OUT_RATE, SKIP, output.length - SKIP);
    expect(Math.abs(db(fit.amplitudes[0] / AMPLITUDE))).toBeLessThan(0.5);
    // What the fit does not explain (images, rounding) is tiny too.
    expect(db(fit.residualRms / (AMPLITUDE / Math.SQRT2))).toBeLessThan(-60);
  });

  it.each([300, 1000, 3000, 3400])('puts the image of %d Hz (at 8000 - f) at least 60 dB down', (freq) => {
    const { output } = upsampleTone(freq);
    const image = IN_RATE - freq;
    const fit = fitSinusoids(output, [freq, image], OUT_RATE, SKIP, output.length - SKIP);
    expect(db(fit.amplitudes[1] / AMPLITUDE)).toBeLessThan(-60);
  });

  it('keeps a whole 100-3400 Hz sweep free of images (residual after removing the ideal sweep)', () => {
    // Upsample a sweep and compare with the same sweep generated directly at 16 kHz, delayed.
    const seconds = 2;
    const input = chirp(100, 3400, IN_RATE, IN_RATE * seconds, AMPLITUDE);
    const output = new Upsampler8to16().process(input);
    const up = new Upsampler8to16();
    const ideal = chirp(100, 3400, OUT_RATE, OUT_RATE * seconds, AMPLITUDE);
    let err = 0;
    let sig = 0;
    for (let n = SKIP; n < output.length - SKIP; n++) {
      const d = output[n] - ideal[n - up.delaySamples];
      err += d * d;
      sig += ideal[n - up.delaySamples] ** 2;
    }
    expect(10 * Math.log10(err / sig)).toBeLessThan(-40);
  });
});

describe('Upsampler8to16 delay', () => {
  it('reports a delay of at most 5 ms that matches where an impulse comes out', () => {
    const up = new Upsampler8to16();
    expect(up.delaySamples).toBe((UPSAMPLER_TAPS - 1) / 2);
    expect(up.delayMs).toBeCloseTo((up.delaySamples / OUT_RATE) * 1000, 9);
    expect(up.delayMs).toBeLessThanOrEqual(5);
    const input = new Int16Array(200);
    input[50] = 20000;
    const output = up.process(input);
    let peak = 0;
    for (let n = 1; n < output.length; n++) if (output[n] > output[peak]) peak = n;
    expect(peak).toBe(2 * 50 + up.delaySamples);
    expect(output[peak]).toBe(20000); // the copy phase passes input samples through exactly
  });
});

describe('Upsampler8to16 output', () => {
  it('clamps filter overshoot on full-scale input instead of wrapping', () => {
    const square = Int16Array.from({ length: 800 }, (_, n) => (Math.floor(n / 8) % 2 === 0 ? 32767 : -32768));
    const output = new Upsampler8to16().process(square);
    let maxJump = 0;
    for (let n = 1; n < output.length; n++) maxJump = Math.max(maxJump, Math.abs(output[n] - output[n - 1]));
    expect(Math.max(...output)).toBe(32767);
    expect(Math.min(...output)).toBe(-32768);
    expect(maxJump).toBeLessThan(50000); // a wrap would jump by ~65535
  });

  it('writes into a caller buffer and returns exactly 2 samples per input sample', () => {
    const up = new Upsampler8to16();
    const out = new Int16Array(1000);
    const result = up.process(new Int16Array(160).fill(1000), out);
    expect(result.length).toBe(320);
    expect(result.buffer).toBe(out.buffer);
    expect(up.outputLength(161)).toBe(322);
    expect(() => up.process(new Int16Array(10), new Int16Array(19))).toThrow(RangeError);
  });
});
