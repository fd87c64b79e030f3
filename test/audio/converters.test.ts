import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InboundConverter, OutboundConverter } from '../../src/audio/converters';
import { Downsampler24to8 } from '../../src/audio/downsampler';
import { MULAW_SILENCE, decodeMulaw, encodeMulaw } from '../../src/audio/mulaw';
import { Upsampler8to16 } from '../../src/audio/upsampler';
import { readWav } from '../../src/audio/wav';
import { concatBytes, concatInt16, db, fitSinusoids, randomChunkSizes, rms, tone } from './helpers/signals';

const FIXTURES = join(__dirname, '..', 'fixtures');

function frames<T extends Uint8Array | Int16Array>(data: T, size: number): T[] {
  const out: T[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.slice(at, at + size) as T);
  return out;
}

/** RMS per window of `window` samples. */
function envelope(x: Int16Array, window: number): number[] {
  const out: number[] = [];
  for (let at = 0; at + window <= x.length; at += window) out.push(rms(x, at, at + window));
  return out;
}

function correlation(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  const ma = a.slice(0, n).reduce((s, v) => s + v, 0) / n;
  const mb = b.slice(0, n).reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('InboundConverter (8 kHz mu-law -> 16 kHz PCM16)', () => {
  it('turns a mu-law tone into a clean 16 kHz tone at the same level', () => {
    const pcm = tone(1000, 8000, 8000, 16384);
    const out = concatInt16(frames(encodeMulaw(pcm), 160).map((f) => Int16Array.from(new InboundConverter().process(f))));
    expect(out.length).toBe(16000);
    const conv = new InboundConverter();
    const streamed = concatInt16(frames(encodeMulaw(pcm), 160).map((f) => Int16Array.from(conv.process(f))));
    const fit = fitSinusoids(streamed, [1000], 16000, 200, streamed.length - 200);
    expect(Math.abs(db(fit.amplitudes[0] / 16384))).toBeLessThan(0.1);
    const snr = db(fit.amplitudes[0] / Math.SQRT2 / fit.residualRms);
    expect(snr).toBeGreaterThan(30); // mu-law itself limits this to ~37 dB
    // Fresh state per frame (the wave-resampler mistake) is measurably worse than one stream.
    const perFrame = fitSinusoids(out, [1000], 16000, 200, out.length - 200);
    expect(perFrame.residualRms).toBeGreaterThan(fit.residualRms * 2);
  });

  it('is the mu-law decode followed by the streaming upsampler, for any chunking', () => {
    const codes = encodeMulaw(tone(700, 8000, 5003, 9000));
    const whole = new Upsampler8to16().process(decodeMulaw(codes));
    const conv = new InboundConverter();
    const parts: Int16Array[] = [];
    let at = 0;
    for (const size of randomChunkSizes(codes.length, 5, 700)) {
      expect(conv.outputLength(size)).toBe(2 * size);
      parts.push(Int16Array.from(conv.process(codes.subarray(at, at + size))));
      at += size;
    }
    expect(Array.from(concatInt16(parts))).toEqual(Array.from(whole));
    expect(conv.delayMs).toBe(new Upsampler8to16().delayMs);
    expect(conv.delayMs).toBeLessThanOrEqual(5);
  });

  it('keeps the duration and the speech energy envelope of a recorded call', () => {
    const wav = readWav(readFileSync(join(FIXTURES, 'caller-en.ulaw8k.wav')));
    expect(wav.sampleRate).toBe(8000);
    const conv = new InboundConverter();
    const out = concatInt16(frames(wav.mulaw!, 160).map((f) => Int16Array.from(conv.process(f))));
    expect(out.length).toBe(2 * wav.samples.length);
    // Same loudness (speech at 8 kHz has nothing above 4 kHz to lose) ...
    expect(Math.abs(db(rms(out) / rms(wav.samples)))).toBeLessThan(0.5);
    // ... and the same 20 ms energy envelope, once the filter delay is removed.
    const delay = new Upsampler8to16().delaySamples;
    const envIn = envelope(wav.samples, 160);
    const envOut = envelope(out.subarray(delay), 320);
    expect(correlation(envIn, envOut)).toBeGreaterThan(0.99);
  });
});

describe('OutboundConverter (24 kHz PCM16 -> 8 kHz mu-law)', () => {
  it('turns a 24 kHz tone into a clean mu-law tone', () => {
    const conv = new OutboundConverter();
    const codes = concatBytes(frames(tone(1000, 24000, 24000, 16384), 480).map((f) => Uint8Array.from(conv.process(f))));
    expect(codes.length).toBe(8000);
    const decoded = decodeMulaw(codes);
    const fit = fitSinusoids(decoded, [1000], 8000, 100, decoded.length - 100);
    expect(Math.abs(db(fit.amplitudes[0] / 16384))).toBeLessThan(0.1);
    expect(db(fit.amplitudes[0] / Math.SQRT2 / fit.residualRms)).toBeGreaterThan(30);
  });

  it('sends near-silence for loud content above 4.4 kHz instead of folding it into the call', () => {
    const conv = new OutboundConverter();
    const codes = conv.process(tone(6000, 24000, 24000, 29491));
    const decoded = decodeMulaw(codes.subarray(100));
    expect(rms(decoded)).toBeLessThan(2);
    const silent = codes.subarray(100).filter((c) => c === MULAW_SILENCE || c === 0x7f).length;
    expect(silent / (codes.length - 100)).toBeGreaterThan(0.5);
  });

  it('handles model deltas of any size (not multiples of 3) like one continuous buffer', () => {
    const pcm = tone(440, 24000, 24007, 12000);
    const whole = encodeMulaw(new Downsampler24to8().process(pcm));
    const conv = new OutboundConverter();
    const parts: Uint8Array[] = [];
    let at = 0;
    for (const size of randomChunkSizes(pcm.length, 11)) {
      const expected = conv.outputLength(size);
      const got = Uint8Array.from(conv.process(pcm.subarray(at, at + size)));
      expect(got.length).toBe(expected);
      parts.push(got);
      at += size;
    }
    expect(Array.from(concatBytes(parts))).toEqual(Array.from(whole));
    conv.reset();
    expect(Array.from(conv.process(pcm))).toEqual(Array.from(whole));
    expect(conv.delayMs).toBeLessThanOrEqual(5);
  });

  it('keeps the duration and the energy envelope of recorded model speech', () => {
    const wav = readWav(readFileSync(join(FIXTURES, 'caller-es.to-en.pcm24k.wav')));
    expect(wav.sampleRate).toBe(24000);
    const conv = new OutboundConverter();
    const codes = concatBytes(frames(wav.samples, 480).map((f) => Uint8Array.from(conv.process(f))));
    expect(codes.length).toBe(Math.ceil(wav.samples.length / 3));
    const out = decodeMulaw(codes);
    // Losing what lies above 4 kHz can only lower the level, and speech is mostly below it.
    const change = db(rms(out) / rms(wav.samples));
    expect(change).toBeLessThan(0.5);
    expect(change).toBeGreaterThan(-1.5);
    const delay = new Downsampler24to8().delaySamples;
    expect(correlation(envelope(wav.samples, 480), envelope(out.subarray(delay), 160))).toBeGreaterThan(0.98);
  });
});
