/**
 * A call ends once, in every store: the end written first (by the call-ends job, or a reconciler
 * closing a call it took for one nobody serves) stays, whatever end, state or answer time the call's
 * events write after it, so History and the webhook never see its outcome or duration change.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CallEventBus, stamp, type UnstampedCallEvent } from '../../src/call/events';
import { recordCalls } from '../../src/call/subscribers/records';
import { callEndsProcessor, type CallEndJob } from '../../src/jobs/call-ends';
import type { JobContext } from '../../src/jobs/queue';
import type { CallRecordStore } from '../../src/store/call-record-store';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { dropStaleSchemas, ensureTestDatabase, TEST_DATABASE_URL, uniqueSchema } from '../store/helpers/postgres';
import { storeHarness } from '../store/helpers/store-harness';
import { bridgedCall } from './fakes/call-records';
import { silentLogger } from './fakes/rig-fixtures';

const T0 = Date.parse('2026-01-01T12:00:00Z');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-first-end-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await ensureTestDatabase();
  await dropStaleSchemas();
});

const sqlite = storeHarness(() => ({ sqlitePath: path.join(dir, `${uniqueSchema()}.db`) }));
const postgres = storeHarness(() => ({ databaseUrl: TEST_DATABASE_URL, schema: uniqueSchema() }));

const stores: [string, () => Promise<CallRecordStore>][] = [
  ['in memory', () => Promise.resolve(new InMemoryCallRecordStore())],
  ['SQLite', async () => (await sqlite.open()).calls],
  ['PostgreSQL', async () => (await postgres.open()).calls],
];

/** A live call of `store`, and the call events of an instance whose records subscriber writes to it. */
async function liveCall(store: CallRecordStore) {
  await store.create(bridgedCall('c1', { startedAt: new Date(T0), answeredAt: new Date(T0 + 1000), instance: 'tolk-a' }));
  const events = new CallEventBus(silentLogger());
  recordCalls(events, store);
  let at = T0 + 60_000;
  const publish = async (e: UnstampedCallEvent): Promise<void> => {
    events.publish(stamp(e, { callId: 'c1' }, (at += 1000)));
    await events.settle('c1');
  };
  return { publish };
}

describe.each(stores)("a call's first end stays (%s)", (_name, open) => {
  it('when the call-ends job wrote it before the call ended again here', async () => {
    const store = await open();
    const call = await liveCall(store);
    const job: JobContext<CallEndJob> = { id: 'end.c1', attempt: 1, attempts: 10, data: { callId: 'c1', outcome: 'completed', endReason: 'the caller hung up', endedAt: T0 + 30_000 } };
    expect(await callEndsProcessor(store, silentLogger())(job)).toBe(true);

    await call.publish({ type: 'call.state', from: 'bridged', to: 'ended', trigger: 'shutdown' });
    await call.publish({ type: 'call.ended', outcome: 'interrupted', reason: 'tolk shut down after its drain timeout', durationMs: 60_000 });
    expect(await store.get('c1')).toMatchObject({ state: 'ended', outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(T0 + 30_000) });
  });

  it('when a reconciler closed it while its events still came in here: no state after it either', async () => {
    const store = await open();
    const call = await liveCall(store);
    expect(await store.close('c1', { outcome: 'instance_lost', endReason: 'the tolk instance serving the call (tolk-a) stopped while it was bridged', endedAt: new Date(T0 + 20_000) })).toBe(true);

    await call.publish({ type: 'call.state', from: 'ended', to: 'bridged', trigger: 'agent-status' });
    expect(await store.get('c1')).toMatchObject({ state: 'ended', outcome: 'instance_lost' });
    await call.publish({ type: 'call.ended', outcome: 'completed', reason: 'the other party hung up', durationMs: 60_000 });
    expect(await store.get('c1')).toMatchObject({
      state: 'ended',
      outcome: 'instance_lost',
      endReason: 'the tolk instance serving the call (tolk-a) stopped while it was bridged',
      endedAt: new Date(T0 + 20_000),
    });
  });

  it("when a reconciler closed it before its parties' connection came in here: its answeredAt, and History's duration, stay", async () => {
    const store = await open();
    const call = await liveCall(store);
    expect(await store.close('c1', { outcome: 'interrupted', endReason: 'tolk stopped serving the call while it was bridged', endedAt: new Date(T0 + 20_000) })).toBe(true);

    await call.publish({ type: 'call.connected', trigger: 'agent-joined' });
    expect(await store.get('c1')).toMatchObject({ state: 'ended', outcome: 'interrupted', answeredAt: new Date(T0 + 1000), endedAt: new Date(T0 + 20_000) });
  });

  it('and a live call is written as before: its states, then its one end', async () => {
    const store = await open();
    const call = await liveCall(store);
    await call.publish({ type: 'call.state', from: 'bridged', to: 'ended', trigger: 'caller-status' });
    expect(await store.get('c1')).toMatchObject({ state: 'ended' });
    expect(await store.get('c1')).not.toHaveProperty('outcome');
    await call.publish({ type: 'call.ended', outcome: 'completed', reason: 'the caller hung up', durationMs: 59_000 });
    expect(await store.get('c1')).toMatchObject({ state: 'ended', outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(T0 + 62_000) });
  });
});
