import { startGeminiEmulator, type GeminiEmulator } from '../../src/emulators/gemini/server';
import { UnsupportedLanguageError } from '../../src/translate/languages';
import { factory, memoryLogger, record, stream, toneThenSilence, waitFor } from './helpers';

describe('Gemini translator against the emulator (real @google/genai SDK)', () => {
  let emu: GeminiEmulator;
  beforeEach(async () => {
    emu = await startGeminiEmulator({ mode: 'echo', language: 'es', lagMs: 50 });
  });
  afterEach(async () => {
    await emu.close();
  });

  it('translates: audio back at 24 kHz, transcripts, detected language, utterances', async () => {
    const { logger } = memoryLogger();
    const t = factory(emu.url).create({ targetLanguage: 'en', logger });
    const r = record(t);
    await t.start();
    expect(t.state).toBe('open');
    await stream(t, toneThenSilence(1000, 700), 8);
    await waitFor(() => r.utterances.length >= 1, 5000, 'an utterance');
    expect(r.languages).toEqual(['es']);
    expect(r.input.map((p) => p.text).join('')).toBe('[es speech 1.0 s]');
    expect(r.input[0].languageCode).toBe('es');
    expect(r.output.map((p) => p.text).join('')).toContain('[en translation of 1.0 s]');
    expect(r.output[0].languageCode).toBe('en');
    // 1.0 s of speech comes back as ~1.0 s at 24 kHz
    expect(r.audioSamples()).toBeGreaterThan(23_000);
    expect(r.audioSamples()).toBeLessThan(25_000);
    const u = r.utterances[0];
    expect(u.source).toEqual({ text: '[es speech 1.0 s]', languageCode: 'es' });
    expect(u.translation.languageCode).toBe('en');
    expect(u.startMs).toBeGreaterThan(900);
    await t.close();
    expect(t.state).toBe('closed');
    expect(emu.stats().samplesReceived).toBe(t.stats().inputSamplesSent);
    expect(t.stats().inputSamplesSent).toBe(Math.round(1700 * 16));
  });

  it('takes and returns audio at the rates it is asked for (8 kHz for a phone call), resampling inside itself', async () => {
    const { logger } = memoryLogger();
    const t = factory(emu.url).create({ targetLanguage: 'en', inputRate: 8000, outputRate: 8000, logger });
    const r = record(t);
    await t.start();
    const speech16k = toneThenSilence(1000, 700);
    const speech8k = speech16k.filter((_, i) => i % 2 === 0);
    for (let i = 0; i < speech8k.length; i += 160) t.sendAudio(speech8k.subarray(i, i + 160));
    await waitFor(() => r.utterances.length >= 1, 5000, 'an utterance');
    expect(r.input.map((p) => p.text).join('')).toBe('[es speech 1.0 s]');
    // 1.0 s of speech comes back as ~1.0 s at 8 kHz; Gemini heard it at 16 kHz.
    expect(r.audioSamples()).toBeGreaterThan(7_600);
    expect(r.audioSamples()).toBeLessThan(8_400);
    await t.close();
    expect(emu.stats().samplesReceived).toBe(1700 * 16);
  });

  it('refuses a sample rate it cannot convert, before connecting', () => {
    const { logger } = memoryLogger();
    expect(() => factory(emu.url).create({ targetLanguage: 'en', inputRate: 44_100, logger })).toThrow(/input rate 44100 Hz is not supported/);
    expect(() => factory(emu.url).create({ targetLanguage: 'en', outputRate: 48_000, logger })).toThrow(/output rate 48000 Hz is not supported/);
    expect(emu.stats().connectionsTotal).toBe(0);
  });

  it('rejects an unknown target language before connecting, with suggestions', () => {
    const { logger } = memoryLogger();
    expect(() => factory(emu.url).create({ targetLanguage: 'pt', logger })).toThrow(UnsupportedLanguageError);
    expect(() => factory(emu.url).create({ targetLanguage: 'pt', logger })).toThrow(/Did you mean 'pt-BR' or 'pt-PT'/);
    expect(emu.stats().connectionsTotal).toBe(0);
  });
});
