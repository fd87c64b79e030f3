import { startGeminiEmulator, type GeminiEmulator } from '../../src/emulators/gemini/server';
import { factory, memoryLogger, record, toneThenSilence } from './helpers';

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

describe('translator lifecycle', () => {
  let emu: GeminiEmulator;
  beforeAll(async () => {
    emu = await startGeminiEmulator({ lagMs: 10, usageIntervalMs: 50, resumptionIntervalMs: 50 });
  });
  afterAll(async () => {
    await emu.close();
  });

  it('opens and closes hundreds of sessions and leaves nothing open', async () => {
    const { logger } = memoryLogger();
    // One connection per session is counted below: no setup may time out and be retried. The
    // helpers' 2 s setup deadline is wall-clock time, which 25 setups at once against an emulator
    // in this same process overran on a busy machine (the deadline has tests of its own).
    const f = factory(emu.url, { setupTimeoutMs: 30_000 });
    const before = resources();
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 25 }, async (_, i) => {
          const t = f.create({ targetLanguage: 'en', logger });
          await t.start();
          t.sendAudio(toneThenSilence(200, 100));
          if (i % 5 === 0) await new Promise((r) => setTimeout(r, 20));
          await t.close();
          await t.close(); // idempotent
          expect(t.state).toBe('closed');
        }),
      );
    }
    // Server-side sockets close a moment after the client's close frame.
    const deadline = Date.now() + 3000;
    while (emu.stats().connectionsOpen > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(emu.stats().connectionsTotal).toBe(250);
    expect(emu.stats().connectionsOpen).toBe(0);
    const after = resources();
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
    expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(before.TCPSocketWrap ?? 0);
  });

  it('close() during connecting aborts the connection attempt', async () => {
    const slow = await startGeminiEmulator({ faults: { setupDelayMs: 2000 } });
    try {
      const { logger } = memoryLogger();
      const t = factory(slow.url).create({ targetLanguage: 'en', logger });
      const r = record(t);
      const started = t.start().catch((e: unknown) => e);
      await new Promise((res) => setTimeout(res, 100));
      await t.close();
      expect(await started).toMatchObject({ name: 'TranslationError' });
      expect(r.states.map((s) => s.s)).toEqual(['closed']);
      const deadline = Date.now() + 2000;
      while (slow.stats().connectionsOpen > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      expect(slow.stats().connectionsOpen).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it('flushes the last partial chunk and the pending utterance on close', async () => {
    const { logger } = memoryLogger();
    const t = factory(emu.url, { segmentPauseMs: 10_000 }).create({ targetLanguage: 'en', logger });
    const r = record(t);
    await t.start();
    t.sendAudio(toneThenSilence(600, 600).subarray(0, 19_000)); // not a multiple of the 1,600-sample chunk
    const deadline = Date.now() + 3000;
    while (r.input.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    await t.close();
    expect(t.stats().inputSamplesSent).toBe(19_000);
    expect(r.utterances).toHaveLength(1);
  });
});
