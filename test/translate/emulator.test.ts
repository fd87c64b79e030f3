import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { WaveFile } from 'wavefile';
import { parseArgs } from '../../src/emulators/gemini/options';
import { parseLivePath, truncateReason, validateSetup } from '../../src/emulators/gemini/protocol';
import { loadScript } from '../../src/emulators/gemini/script';
import { startGeminiEmulator, type GeminiEmulator } from '../../src/emulators/gemini/server';
import { HandleRegistry } from '../../src/emulators/gemini/session';
import { isSupportedLanguage } from '../../src/translate/languages';
import { factory, memoryLogger, record, stream, toneThenSilence, waitFor } from './helpers';

const MODEL = 'models/gemini-3.5-live-translate-preview';
const PATH = '//ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent';

interface Client {
  frames: { binary: boolean; msg: Record<string, unknown> }[];
  closed: Promise<{ code: number; reason: string }>;
  ws: WebSocket;
}

async function raw(emu: GeminiEmulator, path: string, first?: unknown): Promise<Client> {
  const ws = new WebSocket(emu.url.replace('http', 'ws') + path);
  const frames: Client['frames'] = [];
  ws.on('message', (d: Buffer, binary: boolean) => frames.push({ binary, msg: JSON.parse(d.toString('utf8')) as Record<string, unknown> }));
  const closed = new Promise<{ code: number; reason: string }>((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  if (first !== undefined) ws.send(JSON.stringify(first));
  return { frames, closed, ws };
}

const goodSetup = {
  setup: {
    model: MODEL,
    generationConfig: { responseModalities: ['AUDIO'], translationConfig: { targetLanguageCode: 'en' } },
    inputAudioTranscription: {},
    outputAudioTranscription: {},
  },
};

describe('Gemini Live emulator protocol', () => {
  let emu: GeminiEmulator;
  beforeEach(async () => {
    emu = await startGeminiEmulator({ apiKeys: ['k'], lagMs: 20, usageIntervalMs: 100, resumptionIntervalMs: 100, detector: { pauseMs: 200 } });
  });
  afterEach(async () => {
    await emu.close();
  });

  it('serves the SDK path (//ws/...) with binary JSON frames: setupComplete, preamble, audio, usage, resumption, no turnComplete', async () => {
    const c = await raw(emu, `${PATH}?key=k`, goodSetup);
    await waitFor(() => c.frames.length >= 1, 2000, 'setupComplete');
    expect(c.frames[0]).toEqual({ binary: true, msg: { setupComplete: {} } });
    const pcm = toneThenSilence(500, 400);
    c.ws.send(JSON.stringify({ realtimeInput: { audio: { data: Buffer.from(pcm.buffer).toString('base64'), mimeType: 'audio/pcm;rate=16000' } } }));
    await waitFor(() => c.frames.some((f) => 'usageMetadata' in f.msg) && c.frames.some((f) => 'sessionResumptionUpdate' in f.msg) && c.frames.filter((f) => JSON.stringify(f.msg).includes('inlineData')).length >= 5, 3000, 'output');
    const contents = c.frames.map((f) => f.msg.serverContent as Record<string, Record<string, unknown>> | undefined).filter((x) => x !== undefined);
    expect(contents[0]).toEqual({ inputTranscription: { languageCode: 'es' } });
    // The input transcript's text follows its preamble (once the utterance is over: see the streaming test).
    const inputText = contents.findIndex((x) => x.inputTranscription?.text !== undefined);
    expect(inputText).toBeGreaterThan(0);
    expect(contents[inputText]).toEqual({ inputTranscription: { text: '[es speech 0.5 s]', languageCode: 'es' } });
    const firstAudio = contents.find((x) => x.modelTurn)!;
    expect(JSON.stringify(firstAudio)).toContain('audio/pcm;rate=24000');
    expect(JSON.stringify(c.frames)).not.toContain('turnComplete');
    expect(c.frames.every((f) => f.binary)).toBe(true);
    expect(emu.stats().samplesReceived).toBe(pcm.length);
    c.ws.close();
    await c.closed;
  });

  it('closes 1007 with the service text for a bad key, after the upgrade', async () => {
    const c = await raw(emu, `${PATH}?key=bad`);
    expect(await c.closed).toEqual({ code: 1007, reason: 'API key not valid. Please pass a valid API key.' });
  });

  it('rejects transcription fields inside generationConfig like the service', async () => {
    const c = await raw(emu, `${PATH}?key=k`, { setup: { model: MODEL, generationConfig: { responseModalities: ['AUDIO'], inputAudioTranscription: {} } } });
    expect(await c.closed).toEqual({
      code: 1007,
      reason: 'Invalid JSON payload received. Unknown name "inputAudioTranscription" at \'setup.generation_config\': Cannot find field.',
    });
  });

  it('closes 1008 for an unknown model, truncating the reason to 123 bytes', async () => {
    const c = await raw(emu, `${PATH}?key=k`, { setup: { model: 'models/nope' } });
    const closed = await c.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/^models\/nope is not found for API version v1beta/);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
  });

  it('sends goAway with a protobuf duration, then closes 1008 when the time is up', async () => {
    const c = await raw(emu, `${PATH}?key=k`, goodSetup);
    await waitFor(() => c.frames.length >= 1, 2000, 'setup');
    emu.sessions[0].goAway(200);
    const closed = await c.closed;
    expect(c.frames.find((f) => 'goAway' in f.msg)?.msg).toEqual({ goAway: { timeLeft: '0.200s' } });
    expect(closed.code).toBe(1008);
  });

  it('honours token uses and expiry on the Constrained endpoint', async () => {
    const post = (body: unknown, key = 'k') =>
      fetch(`${emu.url}/v1alpha/auth_tokens`, { method: 'POST', headers: { 'x-goog-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({}, 'bad')).status).toBe(400);
    const two = (await (await post({ uses: 2 })).json()) as { name: string };
    const expired = (await (await post({ newSessionExpireTime: new Date(Date.now() - 1000).toISOString() })).json()) as { name: string };
    const cpath = '//ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=';
    for (let i = 0; i < 2; i++) {
      const c = await raw(emu, cpath + two.name, goodSetup);
      await waitFor(() => c.frames.length >= 1, 2000, 'setup');
      c.ws.close();
      await c.closed;
    }
    // Uses are spent by new sessions (resuming spends none), so the refusal answers the setup.
    expect((await (await raw(emu, cpath + two.name, goodSetup)).closed).code).toBe(1007);
    expect((await (await raw(emu, cpath + expired.name, goodSetup)).closed).code).toBe(1007);
  });

  it('answers from a script in script mode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tolk-emu-'));
    try {
      const wav = new WaveFile();
      wav.fromScratch(1, 16000, '16', new Int16Array(8000).fill(1000)); // 0.5 s at 16 kHz -> 0.5 s at 24 kHz
      await writeFile(join(dir, 'hello.wav'), wav.toBuffer());
      await writeFile(
        join(dir, 'script.json'),
        JSON.stringify({ utterances: [{ language: 'es', text: 'Hola.', translations: { en: { text: 'Hello there.', audio: 'hello.wav' } } }] }),
      );
      const scripted = await startGeminiEmulator({ mode: 'script', script: await loadScript(join(dir, 'script.json')), lagMs: 50, detector: { pauseMs: 200 } });
      try {
        const { logger } = memoryLogger();
        const t = factory(scripted.url, { segmentPauseMs: 200 }).create({ targetLanguage: 'en', logger });
        const r = record(t);
        await t.start();
        await stream(t, toneThenSilence(600, 500), 8);
        await waitFor(() => r.utterances.length === 1, 3000, 'utterance');
        expect(r.utterances[0].source).toEqual({ text: 'Hola.', languageCode: 'es' });
        expect(r.utterances[0].translation).toEqual({ text: 'Hello there.', languageCode: 'en' });
        expect(r.audioSamples()).toBe(12_000);
        await t.close();
      } finally {
        await scripted.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stays silent for speech already in the target language unless echoTargetLanguage', async () => {
    const en = await startGeminiEmulator({ language: 'en', lagMs: 50, detector: { pauseMs: 200 } });
    try {
      const { logger } = memoryLogger();
      for (const echo of [false, true]) {
        const t = factory(en.url).create({ targetLanguage: 'en', echoTargetLanguage: echo, logger });
        const r = record(t);
        await t.start();
        await stream(t, toneThenSilence(400, 500), 8);
        await waitFor(() => r.input.length === 1, 3000, 'input transcript');
        await new Promise((res) => setTimeout(res, 150));
        expect(r.audio.length > 0).toBe(echo);
        await t.close();
      }
    } finally {
      await en.close();
    }
  });

  it('with --deflate compresses for a client that offers it, while tolk never offers it and still translates', async () => {
    const deflating = await startGeminiEmulator({ perMessageDeflate: true, detector: { pauseMs: 200 } });
    try {
      const offering = await raw(deflating, `${PATH}?key=k`, goodSetup); // ws offers permessage-deflate by default
      await waitFor(() => offering.frames.length >= 1, 2000, 'setupComplete');
      expect(deflating.sessions[0].stats.compressed).toBe(true);
      offering.ws.close();
      const t = factory(deflating.url).create({ targetLanguage: 'en', logger: memoryLogger().logger });
      const r = record(t);
      await t.start();
      await stream(t, toneThenSilence(400, 500), 8);
      await waitFor(() => r.audio.length > 0, 3000, 'translated audio');
      expect(deflating.sessions[1].stats.compressed).toBe(false);
      await t.close();
    } finally {
      await deflating.close();
    }
  });
});

describe('emulator pure parts', () => {
  it('normalises the SDK double slash and knows the Constrained method', () => {
    expect(parseLivePath('//ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained')).toEqual({ version: 'v1alpha', constrained: true });
    expect(parseLivePath('/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent')).toEqual({ version: 'v1beta', constrained: false });
    expect(parseLivePath('/ws/other')).toBeUndefined();
  });

  it('validates the setup as the service does', () => {
    const ok = validateSetup(goodSetup.setup, 'v1beta', ['gemini-3.5-live-translate-preview'], isSupportedLanguage);
    expect(ok).toMatchObject({ ok: true, setup: { targetLanguageCode: 'en', inputTranscription: true, outputTranscription: true } });
    const badLang = validateSetup({ ...goodSetup.setup, generationConfig: { translationConfig: { targetLanguageCode: 'xx' } } }, 'v1beta', ['gemini-3.5-live-translate-preview'], isSupportedLanguage);
    expect(badLang).toMatchObject({ ok: false, code: 1007 });
  });

  it('keeps a resumption handle valid for two hours after its connection ended, and refuses unknown ones', () => {
    let now = 0;
    const handles = new HandleRegistry(2 * 60 * 60 * 1000, () => now);
    const h = handles.issue(1);
    now += 10 * 60 * 60 * 1000;
    expect(handles.has(h)).toBe(true); // its connection is still open
    handles.sessionEnded(1);
    now += 2 * 60 * 60 * 1000 - 1;
    expect(handles.has(h)).toBe(true);
    now += 1;
    expect(handles.has(h)).toBe(false);
    expect(handles.has('never-issued')).toBe(false);
    // With time scaled (0.1 = ten times faster), so are two hours.
    const fast = handles.issue(2);
    handles.sessionEnded(2, 0.1);
    now += 12 * 60 * 1000;
    expect(handles.has(fast)).toBe(false);
  });

  it('refuses to resume from a handle it never issued, as the restarted service does', async () => {
    const emu = await startGeminiEmulator({ apiKeys: ['k'] });
    try {
      const c = await raw(emu, `${PATH}?key=k`, { setup: { ...goodSetup.setup, sessionResumption: { handle: 'from-before-the-restart' } } });
      expect(await c.closed).toEqual({ code: 1007, reason: 'Request contains an invalid argument.' });
    } finally {
      await emu.close();
    }
  });

  it('truncates close reasons on a UTF-8 boundary', () => {
    const r = truncateReason('é'.repeat(100));
    expect(Buffer.byteLength(r)).toBeLessThanOrEqual(123);
    expect(r).toBe('é'.repeat(61));
  });

  it('parses CLI options and rejects unknown ones', () => {
    const o = parseArgs(['--port', '9000', '--mode', 'echo', '--lag', '200', '--goaway-after', '5000', '--burst', '--setup-failure', 'quota']);
    expect(o).toMatchObject({ port: 9000, lagMs: 200, faults: { goAwayAfterMs: 5000, burst: true, setupFailure: 'quota' } });
    expect(parseArgs(['--setup-failure', 'invalid']).faults.setupFailure).toBe('invalid');
    expect(parseArgs(['--deflate']).perMessageDeflate).toBe(true);
    expect(parseArgs([]).perMessageDeflate).toBe(false);
    expect(() => parseArgs(['--frobnicate'])).toThrow(/unknown option/);
    expect(() => parseArgs(['--mode', 'script'])).toThrow(/--script/);
  });
});
