/**
 * Erasing what tolk keeps: on TOLK_RETENTION_DAYS (the hourly sweep) and on request, against a real
 * SQLite store, so what goes and what stays is what the database holds afterwards.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { JobRequest } from '../../src/jobs/queue';
import { Retention, RETENTION_QUEUE, SWEEP_INTERVAL_MS } from '../../src/retention/retention';
import type { Store } from '../../src/store/open-store';
import { storeHarness } from '../store/helpers/store-harness';
import { silentLogger } from '../store/helpers/silent-logger';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-retention-'));
let files = 0;
const harness = storeHarness(() => ({ sqlitePath: path.join(dir, `db-${++files}.sqlite`) }));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-15T10:20:00Z');

/** A call from `from` that ended `daysAgo` days before NOW (live when undefined), with a line and a webhook delivery. */
async function call(store: Store, id: string, daysAgo: number | undefined, from = '+34600000000'): Promise<void> {
  const startedAt = new Date(NOW - (daysAgo ?? 0) * DAY - 60_000);
  await store.calls.create({ id, number: '+15550001111', from, destination: '+15550002222', languages: { caller: 'es', agent: 'en' }, state: 'bridged', startedAt, legs: [{ role: 'caller', callSid: `CA-${id}`, language: 'es' }] });
  await store.calls.appendUtterance(id, { direction: 'caller->agent', source: { text: 'hola', languageCode: 'es' }, translation: { text: 'hello', languageCode: 'en' }, startMs: 0, endMs: 500 });
  if (daysAgo !== undefined) await store.calls.close(id, { outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(NOW - daysAgo * DAY) });
  await store.deliveries.create({ callId: id, event: 'call.ended', url: 'https://crm.example.com/hook', payload: '{"transcript":["hola"]}', retryUntil: new Date(NOW) });
}

function retentionOn(store: Store, opts: { days?: number; maxPerRun?: number; now?: () => number } = {}) {
  const added: { queue: string; job: JobRequest<unknown> }[] = [];
  const retention = new Retention({
    calls: store.calls,
    deliveries: store.deliveries,
    callerLanguages: store.callerLanguages,
    jobs: { add: (queue, job) => (added.push({ queue, job }), Promise.resolve()) },
    logger: silentLogger(),
    now: () => NOW,
    ...opts,
  });
  return { retention, added };
}

const ids = async (store: Store): Promise<string[]> => (await store.calls.list({ limit: 500 })).items.map((c) => c.id).sort();

describe('Retention', () => {
  it('sweeps the calls that ended more than TOLK_RETENTION_DAYS ago, with their transcripts and deliveries, and keeps the rest', async () => {
    const store = await harness.open();
    await call(store, 'old', 31);
    await call(store, 'older', 400, '+33600000000');
    await call(store, 'recent', 29);
    await call(store, 'live-since-long', undefined);
    const { retention } = retentionOn(store, { days: 30 });

    expect(await retention.sweep()).toEqual({ calls: 2, deliveries: 2, callerLanguages: 0, more: false });
    expect(await ids(store)).toEqual(['live-since-long', 'recent']);
    expect(await store.calls.get('old')).toBeUndefined();
    expect(await store.calls.findByCallSid('CA-old')).toBeUndefined();
    expect((await store.deliveries.list({ limit: 10 })).map((d) => d.callId).sort()).toEqual(['live-since-long', 'recent']);
    expect((await store.calls.get('recent'))?.transcript).toHaveLength(1);
    // Nothing is left to sweep.
    expect(await retention.sweep()).toEqual({ calls: 0, deliveries: 0, callerLanguages: 0, more: false });
  });

  it('sweeps nothing without TOLK_RETENTION_DAYS, and schedules nothing', async () => {
    const store = await harness.open();
    await call(store, 'ancient', 10_000);
    const { retention, added } = retentionOn(store);
    expect(await retention.sweep()).toBeUndefined();
    await retention.schedule();
    expect(added).toEqual([]);
    expect(await ids(store)).toEqual(['ancient']);
  });

  it('forgets the callers whose language was last remembered before the cut-off', async () => {
    const store = await harness.open();
    await store.callerLanguages.remember('+15550001111', '+34600000000', 'es');
    const { retention } = retentionOn(store, { days: 1 });
    expect((await retention.sweep())?.callerLanguages).toBe(0);
    expect(await store.callerLanguages.recall('+15550001111', '+34600000000')).toBe('es');
    const later = new Retention({ calls: store.calls, deliveries: store.deliveries, callerLanguages: store.callerLanguages, jobs: { add: () => Promise.resolve() }, logger: silentLogger(), days: 1, now: () => Date.now() + 2 * DAY });
    expect((await later.sweep())?.callerLanguages).toBe(1);
    expect(await store.callerLanguages.recall('+15550001111', '+34600000000')).toBeUndefined();
  });

  it("erases one caller's ended calls and remembered languages on request, and nobody else's", async () => {
    const store = await harness.open();
    await call(store, 'hers-1', 2);
    await call(store, 'hers-2', 0.5);
    await call(store, 'hers-live', undefined);
    await call(store, 'his', 2, '+33600000000');
    await store.callerLanguages.remember('+15550001111', '+34600000000', 'es');
    await store.callerLanguages.remember('+15550003333', '+34600000000', 'ca');
    await store.callerLanguages.remember('+15550001111', '+33600000000', 'fr');
    const { retention } = retentionOn(store);

    expect(await retention.erase({ endedBefore: new Date(NOW), from: '+34600000000' })).toEqual({ calls: 2, deliveries: 2, callerLanguages: 2, more: false });
    expect(await ids(store)).toEqual(['hers-live', 'his']);
    expect(await store.callerLanguages.recall('+15550001111', '+33600000000')).toBe('fr');
    expect(await store.callerLanguages.recall('+15550003333', '+34600000000')).toBeUndefined();
  });

  it('erases in batches, at most its bound a run, and says when more are left', async () => {
    const store = await harness.open();
    for (let i = 0; i < 450; i++) await call(store, `c${String(i).padStart(3, '0')}`, 40 + i / 1000);
    const bounded = retentionOn(store, { maxPerRun: 300 }).retention;
    expect(await bounded.erase({ endedBefore: new Date(NOW - 30 * DAY) })).toEqual({ calls: 300, deliveries: 300, callerLanguages: 0, more: true });
    // The earliest ended go first.
    expect((await ids(store))[0]).toBe('c000');
    expect(await bounded.erase({ endedBefore: new Date(NOW - 30 * DAY) })).toEqual({ calls: 150, deliveries: 150, callerLanguages: 0, more: false });
    expect(await ids(store)).toEqual([]);
  });

  it('queues one sweep per hour, at the top of the next hour, and each sweep queues the next before it runs', async () => {
    const store = await harness.open();
    await call(store, 'old', 31);
    let now = NOW;
    const { retention, added } = retentionOn(store, { days: 30, now: () => now });
    await retention.schedule();
    const slot = Math.floor(NOW / SWEEP_INTERVAL_MS) + 1;
    expect(added).toEqual([
      { queue: RETENTION_QUEUE, job: expect.objectContaining({ id: `retention.${slot}`, data: { slot }, delayMs: slot * SWEEP_INTERVAL_MS - NOW }) },
    ]);
    expect(added[0].job.delayMs).toBe(40 * 60_000);
    await retention.schedule();
    expect(added[1].job.id).toBe(`retention.${slot}`);
    now = slot * SWEEP_INTERVAL_MS + 5;
    const run = retention.processor();
    await expect(run({ id: `retention.${slot}`, data: { slot }, attempt: 1, attempts: 3 })).resolves.toMatchObject({ calls: 1 });
    expect(added.map((a) => a.job.id)).toEqual([`retention.${slot}`, `retention.${slot}`, `retention.${slot + 1}`]);
    expect(added[2].job.delayMs).toBe(SWEEP_INTERVAL_MS - 5);
    expect(await ids(store)).toEqual([]);
  });
});
