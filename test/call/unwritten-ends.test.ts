/**
 * A call whose end was published (its webhook owed, its metrics counted) but could not be written
 * ends once: an instance that dies before the write succeeds does not leave it to a survivor to close
 * as `instance_lost` with a second `call.ended` (the survivor writes the end that was published), and
 * a database that keeps failing does not have it tried for ever: it is given up after its tries,
 * with an error log and a metric.
 */
import { Writable } from 'node:stream';
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { CallReconciler } from '../../src/call/reconciler';
import { recordCalls } from '../../src/call/subscribers/records';
import { Metrics } from '../../src/http/metrics';
import { CALL_ENDS_QUEUE, callEndsProcessor, callEndsQueueSpec } from '../../src/jobs/call-ends';
import { createLogger } from '../../src/log/logger';
import type { CallRecordPatch } from '../../src/store/call-record';
import type { CallRecordStore } from '../../src/store/call-record-store';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { openTestQueues, silent, uniquePrefix, waitFor, type TestQueues } from '../jobs/helpers';
import type { LegReport } from '../../src/call/ports';
import { bridgedCall } from './fakes/call-records';

/** `inner`, except that writing a call's end fails (`tried` counts the tries). */
function failingEnds(inner: CallRecordStore, tried: { writes: number } = { writes: 0 }): CallRecordStore {
  const fail = (): Promise<boolean> => (tried.writes++, Promise.reject(new Error('the database is unreachable')));
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'close') return fail;
      if (prop === 'update') return (id: string, patch: CallRecordPatch): Promise<boolean> => (patch.outcome ? fail() : target.update(id, patch));
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const network = {
  hungUp: [] as string[],
  lookUp: (): Promise<LegReport | undefined> => Promise.resolve({ status: { state: 'ended', reason: 'completed' }, endedAt: new Date() }),
  hangUp(callSid: string): Promise<void> {
    this.hungUp.push(callSid);
    return Promise.resolve();
  },
};

/** Instance `instance`: its call events (the records follow them through `records`) and its reconciler. */
function instanceOf(instance: string, records: CallRecordStore, jobs: TestQueues['jobs'], opts: { endRetryMs?: number; logger?: ReturnType<typeof createLogger> } = {}) {
  const logger = opts.logger ?? silent;
  const events = new CallEventBus(logger);
  const ended: CallEvent[] = [];
  events.subscribe((e) => void (e.type === 'call.ended' && ended.push(e)));
  const reconciler = new CallReconciler({ records, telephony: network, instance, startedAt: new Date(Date.now() - 60_000), intervalMs: 30_000, serving: () => [], events, jobs, logger, ...(opts.endRetryMs ? { endRetryMs: opts.endRetryMs } : {}) });
  recordCalls(events, records, { endNotWritten: (id, end) => reconciler.endNotWritten(id, end) });
  return { events, ended, reconciler };
}

async function liveCall(store: InMemoryCallRecordStore, id: string, instance: string): Promise<void> {
  await store.create(bridgedCall(id, { startedAt: new Date(Date.now() - 30_000), answeredAt: new Date(Date.now() - 25_000), instance }));
}

const theEnd = (id: string, at: number): CallEvent => ({ type: 'call.ended', callId: id, at, outcome: 'completed', reason: 'the caller hung up', durationMs: 25_000 });

describe('a call whose end was published but not written', () => {
  const opened: TestQueues[] = [];
  afterEach(async () => {
    for (const q of opened.splice(0).reverse()) await q.close();
  });

  it('keeps its one end when its instance dies before the write succeeds: the survivor writes that end, publishing none (Redis)', async () => {
    const store = new InMemoryCallRecordStore();
    await liveCall(store, 'c1', 'tolk-a');
    const prefix = uniquePrefix();
    // tolk-a: the call ends there, and the database fails the write of its end.
    const a = openTestQueues('redis', [callEndsQueueSpec], { prefix });
    const dying = instanceOf('tolk-a', failingEnds(store), a.jobs);
    const endedAt = Date.now() - 1000;
    dying.events.publish(theEnd('c1', endedAt));
    await dying.events.settle('c1');
    await waitFor(async () => (await a.jobs.get(CALL_ENDS_QUEUE, 'end.c1')) !== undefined, 5000, 'the end to be queued');
    // It dies before any write succeeds (its keys stay in Redis).
    await a.jobs.close();
    expect(await store.get('c1')).toMatchObject({ state: 'bridged' });
    expect(await store.get('c1')).not.toHaveProperty('outcome');

    // tolk-b finds tolk-a lost and closes its calls.
    const b = openTestQueues('redis', [callEndsQueueSpec], { prefix });
    opened.push(b);
    const survivor = instanceOf('tolk-b', store, b.jobs);
    expect(await survivor.reconciler.closeLost('tolk-a')).toBe(0);
    expect(await store.get('c1')).toMatchObject({ state: 'ended', outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(endedAt) });
    expect(survivor.ended).toEqual([]);
    expect(dying.ended.map((e) => e.type === 'call.ended' && e.outcome)).toEqual(['completed']);
    expect(network.hungUp).toEqual([]);
  }, 20_000);

  it('is given up after its tries while the database keeps failing, with an error log and a metric, and no pass tries it again', async () => {
    const store = new InMemoryCallRecordStore();
    await liveCall(store, 'c2', 'tolk-a');
    const metrics = new Metrics({ defaultMetrics: false });
    const q = openTestQueues('in-process', [callEndsQueueSpec], { events: metrics.jobEvents() });
    opened.push(q);
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }) });
    const tried = { writes: 0 };
    const counting = failingEnds(store, tried);
    q.jobs.work(CALL_ENDS_QUEUE, callEndsProcessor(counting, logger));
    const a = instanceOf('tolk-a', counting, q.jobs, { endRetryMs: 5, logger });
    a.events.publish(theEnd('c2', Date.now()));
    await a.events.settle('c2');

    await waitFor(async () => (await q.jobs.get(CALL_ENDS_QUEUE, 'end.c2'))?.state === 'failed', 20_000, 'the end to be given up');
    expect(lines.filter((l) => l.event === 'call.end_lost')).toEqual([expect.objectContaining({ level: 'error', callId: 'c2', outcome: 'completed', tries: 10 })]);
    expect(await metrics.render()).toMatch(/^tolk_job_failures_total\{queue="call-ends"\} 1$/m);
    // The subscriber's write and the job's 10 tries; passes of the reconciler try nothing more.
    expect(tried.writes).toBe(11);
    for (let i = 0; i < 3; i++) await a.reconciler.pass();
    expect(tried.writes).toBe(11);
  }, 30_000);
});
