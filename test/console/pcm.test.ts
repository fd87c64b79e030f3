/** The console's PCM helpers for "Try it": resampling to 16 kHz, framing, base64. */
import { Chunker, Downsampler, base64ToInt16, int16ToBase64, rms } from '../../console/src/audio/pcm';
import { CaptionLog } from '../../console/src/lib/captions';

function tone(hz: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

describe('Downsampler', () => {
  it.each([48_000, 44_100])('turns %i Hz into 16 kHz: the right number of samples, speech-band tones kept, tones above 8 kHz removed', (rate) => {
    const keep = new Downsampler(rate);
    // Fed in uneven chunks, as an AudioWorklet delivers 128 frames at a time.
    const input = tone(1000, rate, 1);
    const parts: Int16Array[] = [];
    for (let i = 0; i < input.length; i += 128) parts.push(keep.process(input.subarray(i, i + 128)));
    const out = Int16Array.from(parts.flatMap((p) => [...p]));
    expect(Math.abs(out.length - 16_000)).toBeLessThanOrEqual(2);
    expect(rms(out.subarray(400))).toBeCloseTo(0.5 / Math.SQRT2, 2);
    const alias = new Downsampler(rate).process(tone(11_000, rate, 1));
    expect(rms(alias.subarray(400))).toBeLessThan(0.01);
  });
});

describe('Chunker and base64', () => {
  it('frames samples in fixed sizes across pushes and round-trips little-endian PCM through base64', () => {
    const c = new Chunker(4);
    expect(c.push(Int16Array.of(1, 2, 3))).toEqual([]);
    const frames = c.push(Int16Array.of(4, 5, 6, 7, 8, 9));
    expect(frames.map((f) => [...f])).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    const pcm = Int16Array.of(0, 1, -1, 32767, -32768, 258);
    expect(Buffer.from(int16ToBase64(pcm), 'base64')).toEqual(Buffer.from(pcm.buffer));
    expect([...base64ToInt16(int16ToBase64(pcm))]).toEqual([...pcm]);
  });
});

describe('CaptionLog', () => {
  it('joins pieces into one caption until a pause, then starts the next', () => {
    const log = new CaptionLog(1000);
    log.add('source', 'Hola,', 'es', 0);
    log.add('source', ' ¿qué tal?', 'es', 300);
    log.add('translation', 'Hello,', 'en', 600);
    log.add('translation', ' how are you?', undefined, 900);
    log.add('source', 'Bien.', 'es', 2500);
    expect(log.captions.map((c) => [c.source.text, c.source.languageCode, c.translation.text, c.translation.languageCode])).toEqual([
      ['Hola, ¿qué tal?', 'es', 'Hello, how are you?', 'en'],
      ['Bien.', 'es', '', undefined],
    ]);
  });
});
