import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertWav, resampleBuffer } from '../../src/audio/file-resample';
import { readWav } from '../../src/audio/wav';
import { db, fitSinusoids, tone } from './helpers/signals';

describe('whole-buffer resampling with wave-resampler', () => {
  it('converts a tone to the new rate with the right length and level', () => {
    const input = tone(1000, 24000, 24000, 16384);
    const output = resampleBuffer(input, 24000, 16000);
    expect(output.length).toBe(16000);
    // wave-resampler's time base is off by a factor (N-1)/N; fit the tone at the best nearby frequency.
    let fit = fitSinusoids(output, [1000], 16000, 500, 15500);
    for (let f = 999.9; f <= 1000.1; f += 0.01) {
      const candidate = fitSinusoids(output, [f], 16000, 500, 15500);
      if (candidate.residualRms < fit.residualRms) fit = candidate;
    }
    expect(Math.abs(db(fit.amplitudes[0] / 16384))).toBeLessThan(0.5);
    expect(db(fit.amplitudes[0] / Math.SQRT2 / fit.residualRms)).toBeGreaterThan(40);
  });

  it('leaves the caller input untouched (wave-resampler filters it in place when downsampling)', () => {
    const input = tone(6000, 24000, 4800, 20000);
    const before = Array.from(input);
    resampleBuffer(input, 24000, 8000);
    expect(Array.from(input)).toEqual(before);
  });

  it('rounds and clamps the float output instead of wrapping', () => {
    // A full-scale square wave makes the interpolator overshoot past int16.
    const square = Int16Array.from({ length: 1600 }, (_, n) => (Math.floor(n / 10) % 2 === 0 ? 32767 : -32768));
    const output = resampleBuffer(square, 8000, 16000, { method: 'cubic' });
    let maxJump = 0;
    for (let n = 1; n < output.length; n++) maxJump = Math.max(maxJump, Math.abs(output[n] - output[n - 1]));
    expect(Math.max(...output)).toBe(32767);
    expect(Math.min(...output)).toBe(-32768);
    expect(maxJump).toBeLessThan(60000);
  });

  it('converts a WAV file, e.g. a 24 kHz model recording to an 8 kHz mu-law prompt', () => {
    const source = readFileSync(join(__dirname, '..', 'fixtures', 'agent-de.to-en.pcm24k.wav'));
    const original = readWav(source);
    const converted = readWav(convertWav(source, { sampleRate: 8000, encoding: 'mulaw' }));
    expect(converted).toMatchObject({ sampleRate: 8000, encoding: 'mulaw' });
    expect(converted.samples.length).toBe(Math.floor(original.samples.length / 3));
  });

  it('rejects nonsense rates', () => {
    expect(() => resampleBuffer(new Int16Array(4), 0, 8000)).toThrow(RangeError);
  });
});
