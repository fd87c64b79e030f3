import { startGeminiEmulator, type GeminiEmulator, type GeminiEmulatorOptions } from '../../src/emulators/gemini/server';
import { TranslationError } from '../../src/call/ports';
import { forgetFailureNotices } from '../../src/translate/failure-notice';
import { factory, memoryLogger, record, stream, toneThenSilence, waitFor } from './helpers';

function speech(bursts: number): Int16Array {
  const one = toneThenSilence(400, 300);
  const out = new Int16Array(one.length * bursts);
  for (let i = 0; i < bursts; i++) out.set(one, i * one.length);
  return out;
}

describe('translator resilience (real SDK against the emulator)', () => {
  let emu: GeminiEmulator | undefined;
  const start = async (o: GeminiEmulatorOptions): Promise<GeminiEmulator> => {
    emu = await startGeminiEmulator({ lagMs: 50, detector: { pauseMs: 200 }, ...o });
    return emu;
  };
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });

  it('hands over on goAway without losing or duplicating input, resuming with the latest handle', async () => {
    const e = await start({ faults: { goAwayAfterMs: 400, goAwayTimeLeftMs: 800, burst: true }, resumptionIntervalMs: 100 });
    const { logger, lines } = memoryLogger();
    const t = factory(e.url, { handoverDrainMs: 600 }).create({ targetLanguage: 'en', logger });
    const r = record(t);
    await t.start();
    const pcm = speech(6); // 4.2 s of audio, streamed in ~2.1 s
    await stream(t, pcm, 2);
    await new Promise((res) => setTimeout(res, 400));
    await t.close();

    const s = t.stats();
    expect(s.handovers).toBeGreaterThanOrEqual(2);
    expect(s.reconnects).toBe(0);
    expect(s.inputSamplesDropped).toBe(0);
    // Every input sample reached exactly one emulated connection.
    expect(s.inputSamplesSent).toBe(pcm.length);
    expect(e.stats().samplesReceived).toBe(pcm.length);
    expect(r.states.map((x) => x.s)).toEqual(['open', 'closed']);
    // Each hand-over was reported as it started, then as it completed.
    const completed = r.handovers.filter((p) => p === 'completed').length;
    expect(completed).toBeGreaterThanOrEqual(s.handovers);
    expect(r.handovers.slice(0, 2 * completed)).toEqual(Array.from({ length: 2 * completed }, (_, i) => (i % 2 === 0 ? 'started' : 'completed')));
    // Replacements resumed from a handle the previous connection issued.
    expect(e.sessions.length).toBeGreaterThanOrEqual(3);
    expect(e.sessions.slice(1).every((x) => x.stats.resumedFrom !== undefined)).toBe(true);
    // No duplicated output: what we got is exactly what the connections sent, never more than the speech sent.
    expect(s.outputSamples).toBe(e.stats().outputSamples);
    expect(s.outputSamples).toBeLessThanOrEqual(6 * 400 * 24);
    expect(s.outputSamples).toBeGreaterThan(6 * 400 * 24 - s.handovers * 400 * 24);
    expect(lines.some((l) => l.event === 'translate.handover')).toBe(true);
    expect(e.stats().connectionsOpen).toBe(0);
  });

  it('reconnects after an abrupt drop and keeps translating', async () => {
    const e = await start({});
    const { logger } = memoryLogger();
    const t = factory(e.url).create({ targetLanguage: 'en', logger });
    const r = record(t);
    await t.start();
    await stream(t, speech(1), 8);
    await waitFor(() => r.input.length >= 1, 3000, 'first transcript');
    e.sessions[0].drop();
    await waitFor(() => t.stats().reconnects === 1 && t.state === 'open', 3000, 'reconnect');
    await stream(t, speech(1), 8);
    await waitFor(() => r.input.length >= 2, 3000, 'transcript after reconnect');
    expect(r.states.map((x) => x.s)).toEqual(['open', 'reconnecting', 'open']);
    expect(e.sessions[1].stats.samplesReceived).toBeGreaterThan(0);
    await t.close();
  });

  it('starts a fresh session when the service, back after an outage, refuses the old resumption handle', async () => {
    const e = await start({ resumptionIntervalMs: 50 });
    const { logger, lines } = memoryLogger();
    const t = factory(e.url).create({ targetLanguage: 'en', logger });
    const r = record(t);
    await t.start();
    await waitFor(() => e.sessions[0].stats.framesSent > 0, 2000, 'a resumption handle');
    await new Promise((res) => setTimeout(res, 100));
    // The service goes away and comes back on the same port, knowing none of its old sessions.
    const port = e.port;
    await e.close();
    emu = await startGeminiEmulator({ port, lagMs: 50, detector: { pauseMs: 200 } });
    await waitFor(() => t.state === 'open' && t.stats().reconnects >= 1, 5000, 'translation back');
    // Resuming was tried first, refused, and a fresh session opened at once.
    expect(lines.some((l) => l.event === 'translate.resumption_refused')).toBe(true);
    const sessions = emu.sessions;
    expect(sessions.at(-1)!.stats.resumedFrom).toBeUndefined();
    await stream(t, speech(1), 8);
    await waitFor(() => r.input.length >= 1 && r.audio.length > 0, 3000, 'translation in the fresh session');
    expect(r.states.map((x) => x.s)).not.toContain('failed');
    await t.close();
  });

  it('gives up when even a fresh session is refused as an invalid argument', async () => {
    const e = await start({ resumptionIntervalMs: 50 });
    const { logger } = memoryLogger();
    const t = factory(e.url, { maxRetries: 5 }).create({ targetLanguage: 'en', logger });
    const r = record(t);
    await t.start();
    await waitFor(() => e.sessions[0].stats.framesSent > 0, 2000, 'a resumption handle');
    await new Promise((res) => setTimeout(res, 100));
    e.setFaults({ setupFailure: 'invalid' });
    e.sessions[0].drop();
    await waitFor(() => t.state === 'failed', 5000, 'failed');
    expect(r.states.at(-1)).toMatchObject({ s: 'failed', kind: 'invalid_argument' });
    // The resumption attempt, then one fresh one: no retry loop against a refusing service.
    expect(e.stats().connectionsTotal).toBe(1 + 2);
    expect(e.sessions[1].setup).toBeUndefined();
    await t.close();
  });

  it('buffers input while reconnecting up to a bound, dropping (and counting) the oldest', async () => {
    const e = await start({});
    const { logger } = memoryLogger();
    const t = factory(e.url, { maxBufferMs: 300 }).create({ targetLanguage: 'en', logger });
    await t.start();
    e.setFaults({ setupDelayMs: 400 });
    e.sessions[0].drop();
    await waitFor(() => t.state === 'reconnecting', 2000, 'reconnecting');
    t.sendAudio(new Int16Array(16_000)); // 1 s while no connection is usable
    await waitFor(() => t.state === 'open', 3000, 'reopen');
    expect(t.stats().inputSamplesDropped).toBe(16_000 - 300 * 16);
    await waitFor(() => e.sessions[1].stats.samplesReceived === 300 * 16, 2000, 'buffered audio delivered');
    await t.close();
  });

  it('gives up after the bounded number of retries and reports retries_exhausted', async () => {
    const e = await start({});
    const { logger } = memoryLogger();
    const t = factory(e.url, { maxRetries: 3 }).create({ targetLanguage: 'en', logger });
    const r = record(t);
    await t.start();
    e.setFaults({ setupFailure: 'internal' });
    e.sessions[0].drop();
    await waitFor(() => t.state === 'failed', 5000, 'failed');
    expect(r.states.at(-1)).toMatchObject({ s: 'failed', kind: 'retries_exhausted' });
    expect(r.states.at(-1)?.reason).toContain('Internal error occurred.');
    expect(e.stats().connectionsTotal).toBe(1 + 1 + 3);
    await waitFor(() => e.stats().connectionsOpen === 0, 2000, 'sockets released');
    await t.close();
  });

  it('does not redial in a tight loop when every connection drops right after setup', async () => {
    const e = await start({ faults: { dropAfterMs: 30 } });
    const { logger } = memoryLogger();
    const t = factory(e.url, { maxRetries: 3, stableAfterMs: 5000 }).create({ targetLanguage: 'en', logger });
    const r = record(t);
    await t.start();
    await waitFor(() => t.state === 'failed', 5000, 'failed');
    expect(r.states.at(-1)).toMatchObject({ s: 'failed', kind: 'retries_exhausted' });
    // The first connection and three more, each after a backoff: not an endless loop.
    expect(e.stats().connectionsTotal).toBe(1 + 3);
    await waitFor(() => e.stats().connectionsOpen === 0, 2000, 'sockets released');
    await t.close();
  });

  it('treats a setup that never completes as a retryable timeout', async () => {
    const e = await start({ faults: { neverSetup: true } });
    const { logger } = memoryLogger();
    const t = factory(e.url, { setupTimeoutMs: 150, maxRetries: 1 }).create({ targetLanguage: 'en', logger });
    await expect(t.start()).rejects.toMatchObject({ kind: 'retries_exhausted', message: expect.stringContaining('no setupComplete') as unknown });
    expect(e.stats().connectionsTotal).toBe(2);
    await waitFor(() => e.stats().connectionsOpen === 0, 2000, 'sockets released');
    await t.close();
  });

  it('accepts a slow setup that completes within the timeout', async () => {
    const e = await start({ faults: { setupDelayMs: 300 } });
    const { logger } = memoryLogger();
    const t = factory(e.url).create({ targetLanguage: 'en', logger });
    await t.start();
    expect(t.state).toBe('open');
    await t.close();
  });

  it('never retries a quota close; reports kind quota', async () => {
    const e = await start({ faults: { quotaAfterMs: 100 } });
    const { logger, lines } = memoryLogger();
    const t = factory(e.url).create({ targetLanguage: 'en', logger });
    const r = record(t);
    await t.start();
    await waitFor(() => t.state === 'failed', 3000, 'failed');
    expect(r.states.at(-1)).toMatchObject({ s: 'failed', kind: 'quota' });
    expect(r.states.at(-1)?.reason).toMatch(/^You exceeded your current quota/);
    await new Promise((res) => setTimeout(res, 300));
    expect(e.stats().connectionsTotal).toBe(1);
    expect(lines.find((l) => l.event === 'translate.failed')).toMatchObject({ kind: 'quota' });
    await t.close();
  });

  it('rejects start with kind quota when quota is already spent at setup', async () => {
    const e = await start({ faults: { setupFailure: 'quota' } });
    const { logger } = memoryLogger();
    const t = factory(e.url).create({ targetLanguage: 'en', logger });
    await expect(t.start()).rejects.toMatchObject({ kind: 'quota' });
    expect(e.stats().connectionsTotal).toBe(1);
    await t.close();
  });

  it('never retries a bad API key; reports kind auth', async () => {
    const e = await start({ apiKeys: ['the-right-key'] });
    const { logger } = memoryLogger();
    const t = factory(e.url, { apiKey: 'wrong-key' }).create({ targetLanguage: 'en', logger });
    const err = await t.start().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(TranslationError);
    expect(err).toMatchObject({ kind: 'auth', message: expect.stringContaining('API key not valid') as unknown });
    expect(t.state).toBe('failed');
    await new Promise((res) => setTimeout(res, 200));
    expect(e.stats().connectionsTotal).toBe(1);
    await t.close();
  });

  it('a bad API key is logged once at error level naming GEMINI_API_KEY; later sessions that meet it warn', async () => {
    forgetFailureNotices();
    const e = await start({ apiKeys: ['the-right-key'] });
    const { logger, lines } = memoryLogger();
    for (const language of ['en', 'es', 'de']) {
      const t = factory(e.url, { apiKey: 'wrong-key' }).create({ targetLanguage: language, logger });
      await expect(t.start()).rejects.toMatchObject({ kind: 'auth' });
      await t.close();
    }
    const failed = lines.filter((l) => l.event === 'translate.failed');
    expect(failed.map((l) => l.level)).toEqual(['error', 'warn', 'warn']);
    expect(failed[0]).toMatchObject({ kind: 'auth', setting: 'GEMINI_API_KEY', msg: expect.stringContaining('Gemini refused the API key: check GEMINI_API_KEY') as unknown });
    expect(JSON.stringify(lines)).not.toContain('wrong-key');
  });

  it('a bad API key Gemini takes again is logged as recovered once a connection has served, and noticed again when refused again', async () => {
    forgetFailureNotices();
    const e = await start({ apiKeys: ['the-right-key'] });
    const { logger, lines } = memoryLogger();
    const refused = async (): Promise<void> => {
      const t = factory(e.url, { apiKey: 'wrong-key' }).create({ targetLanguage: 'en', logger });
      await expect(t.start()).rejects.toMatchObject({ kind: 'auth' });
      await t.close();
    };
    await refused();
    await refused();
    // Stands for the key taken again: a session whose connection serves for stableAfterMs.
    const served = factory(e.url, { apiKey: 'the-right-key', stableAfterMs: 200 }).create({ targetLanguage: 'en', logger });
    await served.start();
    await waitFor(() => lines.some((l) => l.event === 'translate.recovered'), 3000, 'translate.recovered');
    await served.close();
    await refused();

    const notices = lines.filter((l) => l.notice === true);
    expect(notices.map((l) => [l.event, l.level])).toEqual([
      ['translate.failed', 'error'],
      ['translate.recovered', 'info'],
      ['translate.failed', 'error'],
    ]);
    expect(notices[1]).toMatchObject({ kind: 'auth', setting: 'GEMINI_API_KEY', sessionsFailed: 2 });
    expect(JSON.stringify(lines)).not.toContain('the-right-key');
    expect(JSON.stringify(lines)).not.toContain('wrong-key');
  });

  it('never retries an unknown model; reports kind model', async () => {
    const e = await start({});
    const { logger } = memoryLogger();
    const t = factory(e.url, { model: 'gemini-0-nonexistent' }).create({ targetLanguage: 'en', logger });
    await expect(t.start()).rejects.toMatchObject({ kind: 'model', message: expect.stringContaining('is not found for API version v1beta') as unknown });
    expect(e.stats().connectionsTotal).toBe(1);
    await t.close();
  });

  it('survives a malformed (non-JSON) server frame and keeps translating', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const e = await start({ faults: { malformedAfterMs: 50 } });
      const { logger, lines } = memoryLogger();
      const t = factory(e.url).create({ targetLanguage: 'en', logger });
      const r = record(t);
      await t.start();
      await waitFor(() => t.stats().malformedFrames === 1, 2000, 'malformed frame');
      await stream(t, speech(1), 8);
      await waitFor(() => r.input.length >= 1 && r.audio.length > 0, 3000, 'translation after the bad frame');
      expect(t.state).toBe('open');
      expect(t.stats().reconnects).toBe(0);
      expect(lines.some((l) => l.event === 'translate.malformed_frame')).toBe(true);
      await t.close();
      await new Promise((res) => setImmediate(res));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
