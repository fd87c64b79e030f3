/**
 * Erasing what tolk keeps: on TOLK_RETENTION_DAYS (the hourly sweep) and on request, against a real
 * SQLite store, so what goes and what stays is what the database holds afterwards.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { JobQueues, JobRequest, JobView } from '../../src/jobs/queue';
import { Retention, RETENTION_QUEUE, SWEEP_INTERVAL_MS } from '../../src/retention/retention';
import type { Store } from '../../src/store/open-store';
import { storeHarness, type StoreHarness } from '../store/helpers/store-harness';
import { silentLogger } from '../store/helpers/silent-logger';
import { dropStaleSchemas, ensureTestDatabase, TEST_DATABASE_URL, uniqueSchema } from '../store/helpers/postgres';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-retention-'));
let files = 0;
const harness = storeHarness(() => ({ sqlitePath: path.join(dir, `db-${++files}.sqlite`) }));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The databases a store keeps its data in, each with where a new store of it goes (a file of its own, a schema of its own). */
const DATABASES = [
  ['SQLite', () => ({ sqlitePath: path.join(dir, `db-${++files}.sqlite`) })],
  ['PostgreSQL', () => ({ databaseUrl: TEST_DATABASE_URL, schema: uniqueSchema() })],
] as const;

/** Opens stores on database `name` (PostgreSQL: made ready first), closing them after each test. */
function storesOn(name: (typeof DATABASES)[number][0]): StoreHarness {
  if (name === 'PostgreSQL') {
    beforeAll(async () => {
      await ensureTestDatabase();
      await dropStaleSchemas();
    });
  }
  return storeHarness(() => ({}));
}

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

/** Job queues that keep what is added and removed; `finished`: the finished jobs they list. */
function fakeJobs(finished: JobView[] = []) {
  const added: { queue: string; job: JobRequest<unknown> }[] = [];
  const removed: string[] = [];
  const jobs: Pick<JobQueues, 'add' | 'list' | 'remove' | 'queueNames'> = {
    queueNames: ['dial', 'outbound', 'retention'],
    add: (queue, job) => (added.push({ queue, job }), Promise.resolve()),
    list: (f) => Promise.resolve(finished.filter((j) => (!f.queue || j.queue === f.queue) && (!f.state || j.state === f.state))),
    remove: (queue, id) => (removed.push(`${queue}/${id}`), Promise.resolve(true)),
  };
  return { jobs, added, removed };
}

function retentionOn(store: Store, opts: { days?: number; maxPerRequest?: number; now?: () => number; finished?: JobView[] } = {}) {
  const { jobs, added, removed } = fakeJobs(opts.finished);
  let scrubbed = 0;
  const retention = new Retention({
    calls: store.calls,
    deliveries: store.deliveries,
    callerLanguages: store.callerLanguages,
    jobs,
    scrub: () => (scrubbed++, Promise.resolve()),
    logger: silentLogger(),
    now: () => NOW,
    ...opts,
  });
  return { retention, added, removed, scrubbed: () => scrubbed };
}

const finishedJob = (queue: string, id: string, data: unknown, state: 'completed' | 'failed' = 'completed'): JobView => ({ queue, id, state, data, attemptsMade: 1, attempts: 1, createdAt: NOW - 40 * DAY });

const ids = async (store: Store): Promise<string[]> => (await store.calls.list({ limit: 500 })).items.map((c) => c.id).sort();

/** Everything the store keeps that an erasure may take: every call (live ones too), delivery and remembered language. */
async function kept(store: Store, callers: [string, string][]): Promise<{ calls: number; deliveries: number; languages: (string | undefined)[] }> {
  let calls = 0;
  for (let cursor: string | undefined, page; (page = await store.calls.list({ limit: 500, cursor })); cursor = page.nextCursor) {
    calls += page.items.length;
    if (!page.nextCursor) break;
  }
  const deliveries = (await store.deliveries.list({ limit: 10_000 })).length;
  const languages = await Promise.all(callers.map(([number, caller]) => store.callerLanguages.recall(number, caller)));
  return { calls, deliveries, languages };
}

describe('Retention', () => {
  it('sweeps the calls that ended more than TOLK_RETENTION_DAYS ago, with their transcripts and deliveries, and keeps the rest', async () => {
    const store = await harness.open();
    await call(store, 'old', 31);
    await call(store, 'older', 400, '+33600000000');
    await call(store, 'recent', 29);
    await call(store, 'live-since-long', undefined);
    const { retention } = retentionOn(store, { days: 30 });

    expect(await retention.sweep()).toEqual({ calls: 2, deliveries: 2, callerLanguages: 0, more: false, days: 30, before: new Date(NOW - 30 * DAY).toISOString() });
    expect(await ids(store)).toEqual(['live-since-long', 'recent']);
    expect(await store.calls.get('old')).toBeUndefined();
    expect(await store.calls.findByCallSid('CA-old')).toBeUndefined();
    expect((await store.deliveries.list({ limit: 10 })).map((d) => d.callId).sort()).toEqual(['live-since-long', 'recent']);
    expect((await store.calls.get('recent'))?.transcript).toHaveLength(1);
    // Nothing is left to sweep.
    expect(await retention.sweep()).toMatchObject({ calls: 0, deliveries: 0, callerLanguages: 0, more: false });
  });

  it('erases no call without TOLK_RETENTION_DAYS, and still schedules the hourly sweep', async () => {
    const store = await harness.open();
    await call(store, 'ancient', 10_000);
    const { retention, added } = retentionOn(store);
    expect(await retention.sweep()).toEqual({ calls: 0, deliveries: 0, callerLanguages: 0, more: false });
    await retention.schedule();
    const slot = Math.floor(NOW / SWEEP_INTERVAL_MS) + 1;
    expect(added).toEqual([{ queue: RETENTION_QUEUE, job: expect.objectContaining({ id: `retention.${slot}`, data: { slot } }) }]);
    expect(await ids(store)).toEqual(['ancient']);
  });

  it('forgets the callers whose language was last remembered before the cut-off', async () => {
    const store = await harness.open();
    await store.callerLanguages.remember('+15550001111', '+34600000000', 'es');
    const { retention } = retentionOn(store, { days: 1 });
    expect((await retention.sweep())?.callerLanguages).toBe(0);
    expect(await store.callerLanguages.recall('+15550001111', '+34600000000')).toBe('es');
    const later = new Retention({ calls: store.calls, deliveries: store.deliveries, callerLanguages: store.callerLanguages, jobs: fakeJobs().jobs, logger: silentLogger(), days: 1, now: () => Date.now() + 2 * DAY });
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
    const bounded = retentionOn(store, { maxPerRequest: 300 }).retention;
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
      { queue: RETENTION_QUEUE, job: expect.objectContaining({ id: `retention.${slot}`, data: { slot }, runAt: slot * SWEEP_INTERVAL_MS }) },
    ]);
    expect(added[0].job.runAt! - NOW).toBe(40 * 60_000);
    await retention.schedule();
    expect(added[1].job.id).toBe(`retention.${slot}`);
    now = slot * SWEEP_INTERVAL_MS + 5;
    const run = retention.processor();
    await expect(run({ id: `retention.${slot}`, data: { slot }, attempt: 1, attempts: 3 })).resolves.toMatchObject({ calls: 1 });
    expect(added.map((a) => a.job.id)).toEqual([`retention.${slot}`, `retention.${slot}`, `retention.${slot + 1}`]);
    expect(added[2].job.runAt! - now).toBe(SWEEP_INTERVAL_MS - 5);
    // A timer that fires a moment before its hour (Node's may, by a millisecond) still queues the hour after it.
    now = (slot + 1) * SWEEP_INTERVAL_MS - 1;
    await run({ id: `retention.${slot + 1}`, data: { slot: slot + 1 }, attempt: 1, attempts: 3 });
    expect(added[3].job).toMatchObject({ id: `retention.${slot + 2}`, runAt: now + SWEEP_INTERVAL_MS + 1 });
    expect(await ids(store)).toEqual([]);
  });

  it('queues a sweep by hand to run at once, by the cut-off of when it was asked; the job sweeps by that cut-off and queues no hourly one', async () => {
    const store = await harness.open();
    await call(store, 'old', 31);
    await call(store, 'later', 29);
    let now = NOW;
    const { retention, added } = retentionOn(store, { days: 30, now: () => now });
    const queued = await retention.queueSweep();
    const before = new Date(NOW - 30 * DAY).toISOString();
    expect(queued).toEqual({ queue: RETENTION_QUEUE, id: expect.stringMatching(/^retention\.byhand\./), days: 30, before });
    expect(added).toEqual([{ queue: RETENTION_QUEUE, job: { id: queued.id, data: { days: 30, before }, attempts: 1 } }]);
    // Nothing is erased until the job runs; it runs two days later, and still sweeps by the cut-off asked for.
    expect(await ids(store)).toEqual(['later', 'old']);
    now = NOW + 2 * DAY;
    const result = await retention.processor()({ id: queued.id, data: added[0].job.data as { days: number; before: string }, attempt: 1, attempts: 1 });
    expect(result).toEqual({ calls: 1, deliveries: 1, callerLanguages: 0, more: false, days: 30, before });
    expect(await ids(store)).toEqual(['later']);
    expect(added).toHaveLength(1);
    // Without TOLK_RETENTION_DAYS it is queued by no cut-off.
    const off = retentionOn(store);
    const unbounded = await off.retention.queueSweep();
    expect(unbounded).toEqual({ queue: RETENTION_QUEUE, id: expect.stringMatching(/^retention\.byhand\./) });
    expect(off.added).toEqual([{ queue: RETENTION_QUEUE, job: { id: unbounded.id, data: {}, attempts: 1 } }]);
  });

  it("removes the finished jobs about erased calls, and for one caller's erasure those that name their number", async () => {
    const store = await harness.open();
    await call(store, 'old', 31);
    await call(store, 'recent', 2);
    const finished = [
      finishedJob('dial', 'dial.old.agent', { to: '+15550002222' }),
      finishedJob('dial', 'dial.recent.agent', { to: '+15550002222' }, 'failed'),
      finishedJob('outbound', 'outbound.other.1', { to: '+34600000000' }),
      finishedJob('outbound', 'outbound.another.1', { to: '+346000000001' }),
    ];
    const swept = retentionOn(store, { days: 30, finished });
    await swept.retention.sweep();
    expect(swept.removed).toEqual(['dial/dial.old.agent']);
    const asked = retentionOn(store, { finished });
    await asked.retention.erase({ endedBefore: new Date(NOW), from: '+34600000000' });
    expect(asked.removed.sort()).toEqual(['dial/dial.recent.agent', 'outbound/outbound.other.1']);
  });

  it('sweeps the deliveries whose call is no longer kept (recorded as the call was erased); an erase on request leaves them to it', async () => {
    const store = await harness.open({ now: () => NOW - 120_000 });
    await store.deliveries.create({ callId: 'erased-meanwhile', event: 'call.ended', url: 'https://crm.example.com/hook', payload: '{"transcript":["hola"]}', retryUntil: new Date(NOW) });
    await call(store, 'kept', 1);
    const { retention } = retentionOn(store, { days: 30 });
    expect(await retention.erase({ endedBefore: new Date(NOW - DAY * 30) })).toEqual({ calls: 0, deliveries: 0, callerLanguages: 0, more: false });
    expect((await store.deliveries.list({ limit: 10 })).map((d) => d.callId).sort()).toEqual(['erased-meanwhile', 'kept']);
    expect(await retention.sweep()).toMatchObject({ calls: 0, deliveries: 1 });
    expect((await store.deliveries.list({ limit: 10 })).map((d) => d.callId)).toEqual(['kept']);
  });

  it('erases on request a delivery recorded for one of its calls while it erased them', async () => {
    const store = await harness.open();
    await call(store, 'old', 40);
    // The call's webhook is recorded as the call itself is being erased.
    const calls = { ended: store.calls.ended.bind(store.calls), erase: async (ids: string[]) => {
      for (const callId of ids) await store.deliveries.create({ callId, event: 'call.late', url: 'https://crm.example.com/hook', payload: '{"transcript":["hola"]}', retryUntil: new Date(NOW) });
      return store.calls.erase(ids);
    } };
    const retention = new Retention({ calls, deliveries: store.deliveries, jobs: fakeJobs().jobs, logger: silentLogger(), now: () => NOW });
    expect(await retention.erase({ endedBefore: new Date(NOW - DAY * 30) })).toEqual({ calls: 1, deliveries: 2, callerLanguages: 0, more: false });
    expect(await store.deliveries.list({ limit: 10 })).toEqual([]);
  });

  it('leaves nothing of an erased call in the SQLite files (overwritten in place, the write-ahead log emptied)', async () => {
    const file = path.join(dir, `scrubbed-${++files}.sqlite`);
    const store = await harness.open({ sqlitePath: file });
    const secret = 'Tengo-una-cita-en-cardiologia';
    await store.calls.create({ id: 'private', number: '+15550001111', from: '+34699999999', destination: '+15550002222', languages: { caller: 'es', agent: 'en' }, state: 'bridged', startedAt: new Date(NOW - 2 * DAY) });
    await store.calls.appendUtterance('private', { direction: 'caller->agent', source: { text: secret, languageCode: 'es' }, translation: { text: 'cardiology', languageCode: 'en' }, startMs: 0, endMs: 500 });
    await store.calls.close('private', { outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(NOW - DAY) });
    await store.deliveries.create({ callId: 'private', event: 'call.ended', url: 'https://crm.example.com/hook', payload: JSON.stringify({ transcript: [secret] }), retryUntil: new Date(NOW) });
    const onDisk = (): string => ['', '-wal'].map((ext) => (fs.existsSync(file + ext) ? fs.readFileSync(file + ext).toString('latin1') : '')).join('');
    expect(onDisk()).toContain(secret);
    const retention = new Retention({ calls: store.calls, deliveries: store.deliveries, callerLanguages: store.callerLanguages, jobs: fakeJobs().jobs, scrub: () => store.scrub(), logger: silentLogger(), now: () => NOW });
    expect(await retention.erase({ endedBefore: new Date(NOW), from: '+34699999999' })).toMatchObject({ calls: 1, deliveries: 1 });
    expect(onDisk()).not.toContain(secret);
    expect(onDisk()).not.toContain('+34699999999');
  });
  it('a dry run counts what the same erase would erase, within its bound, and erases, removes and scrubs nothing', async () => {
    // The store's clock is two minutes behind, so a delivery whose call is gone counts as an orphan.
    const store = await harness.open({ now: () => NOW - 120_000 });
    for (let i = 0; i < 520; i++) await call(store, `c${String(i).padStart(3, '0')}`, 40 + i / 1000);
    await call(store, 'recent', 1);
    await call(store, 'live', undefined);
    await call(store, 'other-caller', 50, '+33600000000');
    await store.deliveries.create({ callId: 'erased-meanwhile', event: 'call.ended', url: 'https://crm.example.com/hook', payload: '{}', retryUntil: new Date(NOW) });
    const callers: [string, string][] = [['+15550001111', '+34600000000'], ['+15550003333', '+34600000000'], ['+15550001111', '+33600000000']];
    for (const [number, caller] of callers) await store.callerLanguages.remember(number, caller, 'es');
    const finished = [finishedJob('dial', 'dial.c000.agent', { to: '+15550002222' }), finishedJob('outbound', 'outbound.x.1', { to: '+34600000000' })];
    // Over one page of the store's reads (500) and over the bound (510).
    const { retention, removed, scrubbed } = retentionOn(store, { maxPerRequest: 510, finished });
    const before = await kept(store, callers);
    expect(before).toEqual({ calls: 523, deliveries: 524, languages: ['es', 'es', 'es'] });
    const req = { endedBefore: new Date(NOW - 30 * DAY), from: '+34600000000' };

    const preview = await retention.preview(req);
    // The delivery whose call is gone is not this request's: the sweep's.
    expect(preview).toEqual({ calls: 510, deliveries: 510, callerLanguages: 2, more: true });
    expect(await kept(store, callers)).toEqual(before);
    expect(removed).toEqual([]);
    expect(scrubbed()).toBe(0);
    // The same request erases what its dry run said, and the dry run after it says what is left.
    expect(await retention.erase(req)).toEqual(preview);
    expect(await retention.preview(req)).toEqual({ calls: 10, deliveries: 10, callerLanguages: 0, more: false });
    expect(await retention.erase(req)).toEqual({ calls: 10, deliveries: 10, callerLanguages: 0, more: false });
    expect(await retention.preview(req)).toEqual({ calls: 0, deliveries: 0, callerLanguages: 0, more: false });
    expect(await kept(store, callers)).toEqual({ calls: 3, deliveries: 4, languages: [undefined, undefined, 'es'] });
  });
});

/**
 * An erase on request (`POST /api/calls/erase`, its dry run) among many deliveries that are not its
 * calls': other calls' and ones left without their call (the sweep's). It erases and counts its
 * calls' own, and leaves every other where it was.
 */
describe.each(DATABASES)('Retention: an erase among unrelated deliveries on %s', (name, where) => {
  const stores = storesOn(name);

  it("erases only its calls' deliveries, and counts only those", async () => {
    // The store's clock is two minutes behind: the deliveries without their call are past the sweep's grace.
    const store = await stores.open({ ...where(), now: () => NOW - 120_000 });
    for (let i = 0; i < 3; i++) await call(store, `theirs-${i}`, 40 + i, '+34600000000');
    for (let i = 0; i < 20; i++) await call(store, `other-${i}`, 40 + i, '+33600000000');
    for (let i = 0; i < 300; i++) await store.deliveries.create({ callId: `gone-${i}`, event: 'call.ended', url: 'https://crm.example.com/hook', payload: '{}', retryUntil: new Date(NOW) });
    const { retention } = retentionOn(store, { days: 30 });
    const req = { endedBefore: new Date(NOW), from: '+34600000000' };
    const remaining = async (): Promise<Record<string, number>> => {
      const counts: Record<string, number> = {};
      for (const d of await store.deliveries.list({ limit: 1000 })) counts[d.callId.split('-')[0]] = (counts[d.callId.split('-')[0]] ?? 0) + 1;
      return counts;
    };

    expect(await retention.preview(req)).toEqual({ calls: 3, deliveries: 3, callerLanguages: 0, more: false });
    expect(await retention.erase(req)).toEqual({ calls: 3, deliveries: 3, callerLanguages: 0, more: false });
    expect(await remaining()).toEqual({ other: 20, gone: 300 });
    // The sweep is what erases the deliveries left without their call (and the old calls, with theirs).
    expect(await retention.sweep()).toMatchObject({ calls: 20, deliveries: 320 });
    expect(await remaining()).toEqual({});
  });
});

/**
 * A deployment without TOLK_RETENTION_DAYS keeps its calls, but not the webhook deliveries left
 * without their call (recorded as an erase on request removed it): the hourly sweep and one by hand
 * erase those, and nothing else.
 */
describe.each(DATABASES)('Retention without TOLK_RETENTION_DAYS on %s', (name, where) => {
  const stores = storesOn(name);

  it('sweeps, hourly and by hand, only the deliveries left without their call', async () => {
    // The store's clock is two minutes behind: the deliveries without their call are past the sweep's grace.
    const store = await stores.open({ ...where(), now: () => NOW - 120_000 });
    await call(store, 'ancient', 10_000);
    await store.callerLanguages.remember('+15550001111', '+34600000000', 'es');
    const orphan = (callId: string) => store.deliveries.create({ callId, event: 'call.ended', url: 'https://crm.example.com/hook', payload: '{"call":null}', retryUntil: new Date(NOW) });
    await orphan('erased-1');
    await orphan('erased-2');
    const { retention, added } = retentionOn(store);
    const callIds = async (): Promise<string[]> => (await store.deliveries.list({ limit: 10 })).map((d) => d.callId).sort();

    // The hourly sweep is scheduled, and runs by no cut-off.
    retention.start();
    retention.stop();
    const hourly = added[0]?.job as JobRequest<{ slot: number }>;
    expect(hourly).toMatchObject({ id: expect.stringMatching(/^retention\.\d+$/) });
    const swept = await retention.processor()({ id: hourly.id, data: hourly.data, attempt: 1, attempts: 3 });
    expect(swept).toEqual({ calls: 0, deliveries: 2, callerLanguages: 0, more: false });
    expect(await callIds()).toEqual(['ancient']);
    expect(await ids(store)).toEqual(['ancient']);
    expect(await store.callerLanguages.recall('+15550001111', '+34600000000')).toBe('es');

    // By hand: queued with no period, its job erases the one left since.
    await orphan('erased-3');
    const queued = await retention.queueSweep();
    expect(queued).toEqual({ queue: RETENTION_QUEUE, id: expect.stringMatching(/^retention\.byhand\./) });
    const byHand = added.find((a) => a.job.id === queued.id)!.job as JobRequest<Record<string, never>>;
    expect(await retention.processor()({ id: queued.id, data: byHand.data, attempt: 1, attempts: 1 })).toEqual({ calls: 0, deliveries: 1, callerLanguages: 0, more: false });
    expect(await callIds()).toEqual(['ancient']);
    expect(await ids(store)).toEqual(['ancient']);
  });
});

/**
 * Two sweeps at once: the hourly one and one run by hand (`POST /api/calls/sweep`), or two instances
 * sharing a database, each through its own connection. Each batch deletes what is still there and
 * counts only what its own delete removed, so every call goes once, and the two answers add up.
 */
describe.each(DATABASES)('Retention: two sweeps at once on %s', (name, where) => {
  const shared = storesOn(name);

  it('erase each old call once between them, and the rest is kept', async () => {
    const at = where();
    const one = await shared.open(at);
    const other = await shared.open(at);
    for (let i = 0; i < 130; i++) await call(one, `old-${i}`, 31 + i / 1000, i % 2 === 0 ? '+34600000000' : '+33600000000');
    await call(one, 'recent', 29);
    await call(one, 'live', undefined);
    const hourly = retentionOn(one, { days: 30 });
    const byHand = retentionOn(other, { days: 30 });

    const [a, b] = await Promise.all([hourly.retention.sweep(), byHand.retention.sweep()]);
    expect(a.calls + b.calls).toBe(130);
    expect(a.deliveries + b.deliveries).toBe(130);
    expect(await ids(other)).toEqual(['live', 'recent']);
    expect((await other.deliveries.list({ limit: 1000 })).map((d) => d.callId).sort()).toEqual(['live', 'recent']);
    expect(await hourly.retention.sweep()).toMatchObject({ calls: 0, deliveries: 0, callerLanguages: 0, more: false });
  });
});
