import { startGeminiEmulator, type GeminiEmulator } from '../../src/emulators/gemini/server';
import { mintTranslateToken } from '../../src/translate/ephemeral-token';
const plainFetch: typeof fetch = (input, init) => fetch(input, init);

import { factory, memoryLogger, record, stream, toneThenSilence, waitFor } from './helpers';

describe('ephemeral translate tokens', () => {
  let emu: GeminiEmulator;
  let warn: jest.SpyInstance;
  beforeEach(async () => {
    emu = await startGeminiEmulator({ apiKeys: ['server-key'], language: 'es' });
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined); // the SDK warns that tokens are experimental
  });
  afterEach(async () => {
    warn.mockRestore();
    await emu.close();
  });

  it('mints a single-use token locked to the translation config; the session uses the Constrained endpoint', async () => {
    const minted = await mintTranslateToken({ apiKey: 'server-key', baseUrl: emu.url, fetch: plainFetch, targetLanguage: 'pl' });
    expect(minted.token).toMatch(/^auth_tokens\//);
    expect(Date.parse(minted.expireTime) - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    expect(emu.stats().tokensIssued).toBe(1);

    const { logger } = memoryLogger();
    // The client asks for English, but the token locks Polish.
    const f = factory(emu.url, { apiKey: minted.token, apiVersion: 'v1alpha', maxRetries: 0 });
    const t = f.create({ targetLanguage: 'en', logger });
    const r = record(t);
    await t.start();
    expect(emu.stats().constrainedConnections).toBe(1);
    await stream(t, toneThenSilence(500, 700), 8);
    await waitFor(() => r.output.length > 0, 3000, 'translation');
    expect(r.output[0].languageCode).toBe('pl');
    await t.close();

    // Second use is refused and not retried.
    const again = f.create({ targetLanguage: 'en', logger });
    await expect(again.start()).rejects.toMatchObject({ kind: 'auth' });
    expect(emu.stats().tokensConsumed).toBe(1);
    await again.close();
  });

  it('refuses to mint with a bad API key or an unsupported language', async () => {
    await expect(mintTranslateToken({ apiKey: 'nope', baseUrl: emu.url, fetch: plainFetch, targetLanguage: 'pl' })).rejects.toThrow(/API key not valid/);
    await expect(mintTranslateToken({ apiKey: 'server-key', baseUrl: emu.url, fetch: plainFetch, targetLanguage: 'klingon' })).rejects.toThrow(/not supported/);
    expect(emu.stats().tokensIssued).toBe(0);
  });
});
