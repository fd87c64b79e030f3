/** `POST /api/tokens`: an ephemeral token locked to the asked translation configuration, never the key. */
import request from 'supertest';
import { createAdminApi } from '../../src/http/admin-api';
import { Readiness } from '../../src/http/readiness';
import { createHttpServer } from '../../src/http/server';
import { InMemoryNumberStore } from '../../src/config/number-store';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { startGeminiEmulator, type GeminiEmulator } from '../../src/emulators/gemini/server';
import { TranslateTokenMinter } from '../../src/translate/ephemeral-token';
import { auth, silent, TOKEN } from '../http/helpers/admin-app';

const KEY = 'server-side-gemini-key-0001';
let emu: GeminiEmulator;
let warn: jest.SpyInstance;
beforeEach(async () => {
  emu = await startGeminiEmulator({ apiKeys: [KEY] });
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined); // the SDK warns that tokens are experimental
});
afterEach(async () => {
  warn.mockRestore();
  await emu.close();
});

function app(minter?: TranslateTokenMinter) {
  const api = createAdminApi({ calls: new InMemoryCallRecordStore(), numbers: new InMemoryNumberStore(), adminToken: TOKEN, tokens: minter });
  return createHttpServer({ logger: silent, readiness: new Readiness(), modules: [api] }).app;
}

describe('POST /api/tokens', () => {
  it('mints a single-use token locked to the target language and says where to connect; the key is not in the answer', async () => {
    const res = await request(app(new TranslateTokenMinter({ apiKey: KEY, baseUrl: emu.url }))).post('/api/tokens').set(auth).send({ targetLanguage: 'de', echoTargetLanguage: true }).expect(201);
    expect(res.body).toMatchObject({
      token: expect.stringMatching(/^auth_tokens\//) as unknown,
      model: 'gemini-3.5-live-translate-preview',
      liveUrl: `${emu.url.replace('http', 'ws')}/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained`,
    });
    const body = res.body as { expireTime: string; newSessionExpireTime: string };
    expect(Date.parse(body.expireTime) - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    expect(Date.parse(body.newSessionExpireTime) - Date.now()).toBeLessThanOrEqual(60_000);
    expect(JSON.stringify(res.body)).not.toContain(KEY);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(emu.stats().tokensIssued).toBe(1);
  });

  it('answers 400 per field for a bad configuration, 401 without the token, 502 when Gemini refuses, 501 when not configured', async () => {
    const minter = new TranslateTokenMinter({ apiKey: KEY, baseUrl: emu.url });
    const bad = await request(app(minter)).post('/api/tokens').set(auth).send({ targetLanguage: 'german', echoTargetLanguage: 'yes', extra: 1 }).expect(400);
    expect(bad.body.problems).toEqual(
      expect.arrayContaining([
        { path: ['targetLanguage'], message: "unknown language 'german'; did you mean de?" },
        { path: ['echoTargetLanguage'], message: 'must be true or false' },
      ]),
    );
    await request(app(minter)).post('/api/tokens').set(auth).send({}).expect(400);
    await request(app(minter)).post('/api/tokens').send({ targetLanguage: 'de' }).expect(401);
    const refused = await request(app(new TranslateTokenMinter({ apiKey: 'wrong-key', baseUrl: emu.url }))).post('/api/tokens').set(auth).send({ targetLanguage: 'de' }).expect(502);
    expect(refused.body.error).toMatch(/API key not valid/);
    await request(app()).post('/api/tokens').set(auth).send({ targetLanguage: 'de' }).expect(501);
    expect(emu.stats().tokensIssued).toBe(0);
  });
});
