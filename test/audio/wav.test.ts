import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WaveFile } from 'wavefile';
import { decodeMulaw, encodeMulaw } from '../../src/audio/mulaw';
import { readWav, writeMulawWav, writeWav } from '../../src/audio/wav';
import { noisyTones } from './helpers/signals';

const FIXTURES = join(__dirname, '..', 'fixtures');

describe('WAV files', () => {
  it('writes and reads back 8 kHz mu-law (format 7, 8 bits), decoding to PCM16', () => {
    const pcm = noisyTones(8000, 1601, 3);
    const bytes = writeWav({ sampleRate: 8000, samples: pcm, encoding: 'mulaw' });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getUint16(20, true)).toBe(7); // WAVE_FORMAT_MULAW
    expect(view.getUint32(24, true)).toBe(8000);
    const back = readWav(bytes);
    expect(back.encoding).toBe('mulaw');
    expect(back.sampleRate).toBe(8000);
    expect(Array.from(back.mulaw!)).toEqual(Array.from(encodeMulaw(pcm)));
    expect(Array.from(back.samples)).toEqual(Array.from(decodeMulaw(encodeMulaw(pcm))));
    expect(Array.from(readWav(writeMulawWav(8000, back.mulaw!)).mulaw!)).toEqual(Array.from(back.mulaw!));
  });

  it.each([16000, 24000])('writes and reads back %d Hz PCM16 exactly', (rate) => {
    const pcm = noisyTones(rate, rate / 10 + 1, 4);
    pcm[0] = -32768;
    pcm[1] = 32767;
    const bytes = writeWav({ sampleRate: rate, samples: pcm, encoding: 'pcm16' });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getUint16(20, true)).toBe(1); // PCM
    expect(view.getUint16(34, true)).toBe(16);
    const back = readWav(bytes);
    expect(back).toMatchObject({ sampleRate: rate, encoding: 'pcm16' });
    expect(back.mulaw).toBeUndefined();
    expect(Array.from(back.samples)).toEqual(Array.from(pcm));
  });

  it('reads the speech fixtures with their rates and durations', () => {
    const phone = readWav(readFileSync(join(FIXTURES, 'caller-en.ulaw8k.wav')));
    expect(phone).toMatchObject({ sampleRate: 8000, encoding: 'mulaw' });
    expect(phone.samples.length / 8000).toBeGreaterThan(3);
    const model = readWav(readFileSync(join(FIXTURES, 'caller-en.to-de.pcm24k.wav')));
    expect(model).toMatchObject({ sampleRate: 24000, encoding: 'pcm16' });
    expect(model.samples.length / 24000).toBeGreaterThan(3);
    expect(model.samples.some((s) => Math.abs(s) > 1000)).toBe(true);
  });

  it('rejects stereo and unsupported sample formats with a clear message', () => {
    const stereo = new WaveFile();
    stereo.fromScratch(2, 8000, '16', [new Int16Array(10), new Int16Array(10)]);
    expect(() => readWav(stereo.toBuffer())).toThrow(/mono/);
    const float = new WaveFile();
    float.fromScratch(1, 8000, '32f', new Float32Array(10));
    expect(() => readWav(float.toBuffer())).toThrow(/unsupported format/);
    expect(() => readWav(new Uint8Array([1, 2, 3, 4]))).toThrow();
  });
});
