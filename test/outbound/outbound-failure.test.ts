/**
 * A call tolk places whose job fails for good (its last try, a failure no try can fix, or on Redis
 * a job BullMQ gave up on as it stalled too often), or whose try fails once the call is `calling`
 * but before its customer is called, on both job-queue adapters: the call ends as `failed` with a
 * reason, its webhook is owed and tolk_calls_total counts it, as any call's end; a failed try with
 * tries left, or a job put off on its last try, does not end it; and the next start-up does not
 * place a call that ended so.
 */
import { Worker } from 'bullmq';
import { recordCalls } from '../../src/call/subscribers/records';
import { measureCalls } from '../../src/call/subscribers/metrics';
import type { NumberDirectory, NumberSettings } from '../../src/config/numbers';
import { Metrics } from '../../src/http/metrics';
import { FinalJobError, type JobQueues } from '../../src/jobs/queue';
import { OUTBOUND_QUEUE, OutboundCalls, outboundQueueSpec } from '../../src/outbound/outbound-calls';
import type { CallRecordPatch } from '../../src/store/call-record';
import type { CallRecordStore } from '../../src/store/call-record-store';
import { deliverCallSummaries } from '../../src/webhooks/call-summaries';
import { DeliveryService, webhookQueueSpec } from '../../src/webhooks/deliveries';
import { BACKENDS, openTestQueues, REDIS_URL, silent, waitFor, type Backend, type TestQueues } from '../jobs/helpers';
import { LINE, newBus, tempStore } from '../webhooks/helpers';

jest.setTimeout(20_000);

const CUSTOMER = '+34911234567';

/** The number directory of an instance whose database fails the next `failures` look-ups, with `error`. */
class FlakyNumbers implements NumberDirectory {
  failures = 0;
  error: Error = new Error('the database is unreachable');
  lookups = 0;
  constructor(private readonly inner: NumberDirectory) {}
  lookup(number: string): Promise<NumberSettings | undefined> {
    this.lookups++;
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(this.error);
    }
    return this.inner.lookup(number);
  }
  list(): Promise<NumberSettings[]> {
    return this.inner.list();
  }
}

/**
 * An instance's call service as the outbound queue sees it: whether it takes calls, and the calls it
 * started (live here); `refusal`: starting one throws it (the dial refused at once, say).
 */
class FakeCalls {
  accepting = true;
  refusal: Error | undefined;
  readonly started: string[] = [];
  startOutbound(req: { id: string }): never {
    if (this.refusal) throw this.refusal;
    this.started.push(req.id);
    return undefined as never;
  }
  get liveCallIds(): string[] {
    return this.started;
  }
}

/**
 * `inner`, except that the first move of a call to `calling` is written but reported failed (the
 * connection lost as it answered); `andItsEnd`: the first try to end a call `calling` fails too.
 */
function losingTheFirstMove(inner: CallRecordStore, andItsEnd = false): CallRecordStore {
  let lost = false;
  let endFails = andItsEnd;
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'transition') {
        return async (id: string, from: string, patch: CallRecordPatch): Promise<boolean> => {
          if (from === 'calling' && endFails) {
            endFails = false;
            throw new Error('the database is unreachable');
          }
          const moved = await target.transition(id, from, patch);
          if (moved && patch.state === 'calling' && !lost) {
            lost = true;
            throw new Error('the connection to the database was lost');
          }
          return moved;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe.each(BACKENDS)('a call tolk places whose job fails (job queues %s)', (backend: Backend) => {
  let db: Awaited<ReturnType<typeof tempStore>>;
  let metrics: Metrics;
  let numbers: FlakyNumbers;
  const open: TestQueues[] = [];

  afterEach(async () => {
    for (const q of open.splice(0)) await q.close();
    await db?.close();
  });

  /** The store, and the call events followed as the server wires them: the record, the metrics and the webhook. */
  async function setUp(): Promise<ReturnType<typeof newBus>> {
    db = await tempStore();
    const { store } = db;
    await store.numbers.upsert({ number: LINE, destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', webhookUrl: 'https://crm.example.com/tolk' });
    numbers = new FlakyNumbers(store.numbers);
    metrics = new Metrics({ defaultMetrics: false });
    return newBus();
  }

  function queues(prefix?: string): TestQueues {
    const q = openTestQueues(backend, [outboundQueueSpec, webhookQueueSpec], prefix ? { prefix } : {});
    open.push(q);
    return q;
  }

  function outboundOn(jobs: JobQueues, bus: ReturnType<typeof newBus>, calls: FakeCalls, records: CallRecordStore = db.store.calls): OutboundCalls {
    return new OutboundCalls({ records, numbers, jobs, events: bus, calls, logger: silent, stepTimeoutMs: 10_000, waitForRoomMs: 50, jobRetryMs: 50 });
  }

  function follow(bus: ReturnType<typeof newBus>, jobs: JobQueues): void {
    recordCalls(bus, db.store.calls);
    measureCalls(bus, metrics);
    const deliveries = new DeliveryService({ store: db.store.deliveries, jobs, send: undefined, logger: silent });
    deliverCallSummaries(bus, { numbers: db.store.numbers, records: db.store.calls, deliveries, logger: silent });
  }

  /** Places a call to start now; its job runs once `jobs` is worked. */
  async function placeCall(outbound: OutboundCalls): Promise<string> {
    const placed = await outbound.place({ line: LINE, to: CUSTOMER, retries: 0, retryAfterSec: 60 });
    if (!placed.ok) throw new Error(JSON.stringify(placed.problems));
    return placed.call.id;
  }

  async function jobState(jobs: JobQueues, id: string): Promise<string | undefined> {
    return (await jobs.get(OUTBOUND_QUEUE, `outbound.${id}.1`))?.state;
  }

  it.each([
    ['on its last try', new Error('the database is unreachable'), 'tried 5 times', 5],
    ['at once when no try can fix it', new FinalJobError('the line is misconfigured'), 'tried once', 1],
  ])('ends it as failed %s, as any call ends, and the next start-up does not place it', async (_when, error, tries, attemptsMade) => {
    const bus = await setUp();
    const first = queues();
    follow(bus, first.jobs);
    const calls = new FakeCalls();
    const outbound = outboundOn(first.jobs, bus, calls);
    const id = await placeCall(outbound);
    numbers.failures = Infinity;
    numbers.error = error;
    first.jobs.work(OUTBOUND_QUEUE, outbound.processor());

    await waitFor(async () => (await jobState(first.jobs, id)) === 'failed', 10_000, 'the job to fail');
    expect(await first.jobs.get(OUTBOUND_QUEUE, `outbound.${id}.1`)).toMatchObject({ attemptsMade });
    const reason = `not started: tolk could not start attempt 1 (${tries}): ${error.message}`;
    expect(await db.store.calls.get(id)).toMatchObject({ state: 'ended', outcome: 'failed', endReason: reason });
    expect(calls.started).toEqual([]);
    const owed = await db.store.deliveries.list({ callId: id, limit: 5 });
    expect(owed).toHaveLength(1);
    const payload = JSON.parse(owed[0].payload) as Record<string, unknown>;
    expect(payload).toMatchObject({ event: 'call.ended', callId: id, outcome: 'failed', call: { id, outcome: 'failed', endReason: reason } });
    // Never connected: it has no duration (not 0).
    expect(payload).not.toHaveProperty('durationMs');
    expect(await metrics.render()).toMatch(/^tolk_calls_total\{outcome="failed"\} 1$/m);

    // The next run, its database back: on the same Redis, or (in-process) the same queues taken over.
    numbers.failures = 0;
    const nextCalls = new FakeCalls();
    let next: OutboundCalls;
    let nextJobs: JobQueues;
    if (backend === 'redis') {
      await first.jobs.close();
      nextJobs = queues(first.prefix).jobs;
      next = outboundOn(nextJobs, bus, nextCalls);
      nextJobs.work(OUTBOUND_QUEUE, next.processor());
    } else {
      nextJobs = first.jobs;
      next = outboundOn(nextJobs, bus, nextCalls);
    }
    expect(await next.resume()).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(await jobState(nextJobs, id)).toBe('failed');
    expect(nextCalls.started).toEqual([]);
    expect(await db.store.calls.get(id)).toMatchObject({ state: 'ended', outcome: 'failed', endReason: reason });
    expect(await db.store.deliveries.list({ callId: id, limit: 5 })).toHaveLength(1);
    expect(await metrics.render()).toMatch(/^tolk_calls_total\{outcome="failed"\} 1$/m);
  });

  it.each([
    ['starting it throws (the dial refused at once)', 'the telephony refused the dial'],
    ['the move to calling is written but reported failed', 'the connection to the database was lost'],
  ])('ends it as failed at once, as any call ends, when a try fails once the call is calling: %s', async (how, message) => {
    const bus = await setUp();
    const { jobs } = queues();
    follow(bus, jobs);
    const calls = new FakeCalls();
    const losing = how.startsWith('the move');
    if (!losing) calls.refusal = new Error(message);
    const outbound = outboundOn(jobs, bus, calls, losing ? losingTheFirstMove(db.store.calls) : db.store.calls);
    const id = await placeCall(outbound);
    jobs.work(OUTBOUND_QUEUE, outbound.processor());

    const reason = `not started: tolk could not call the customer (attempt 1): ${message}`;
    await waitFor(async () => (await db.store.calls.get(id))?.state === 'ended', 5000, 'the call to end');
    expect(await db.store.calls.get(id)).toMatchObject({ state: 'ended', outcome: 'failed', endReason: reason, outbound: { attempts: 1 } });
    // Done with: not tried again, and its customer never called.
    await waitFor(async () => (await jobState(jobs, id)) === 'completed', 5000, 'the job to complete');
    expect(await jobs.get(OUTBOUND_QUEUE, `outbound.${id}.1`)).toMatchObject({ attemptsMade: 1 });
    expect(calls.started).toEqual([]);
    const owed = await db.store.deliveries.list({ callId: id, limit: 5 });
    expect(owed).toHaveLength(1);
    expect(JSON.parse(owed[0].payload)).toMatchObject({ event: 'call.ended', callId: id, outcome: 'failed', call: { id, outcome: 'failed', endReason: reason } });
    expect(await metrics.render()).toMatch(/^tolk_calls_total\{outcome="failed"\} 1$/m);
  });

  if (backend === 'redis') {
    it('ends it as failed, as any call ends, when its job stalled too often and Redis failed it without running it', async () => {
      const bus = await setUp();
      const q = queues();
      follow(bus, q.jobs);
      const calls = new FakeCalls();
      const outbound = outboundOn(q.jobs, bus, calls);
      const id = await placeCall(outbound);
      // Instances that take the job and stop before they finish it: their locks lapse, and BullMQ's
      // stalled-job check puts it back, three times, which is once too often.
      const dying = new Worker(OUTBOUND_QUEUE, null, { connection: { url: REDIS_URL }, prefix: q.prefix, autorun: false, lockDuration: 200, stalledInterval: 200, maxStalledCount: 2 });
      try {
        void dying.startStalledCheckTimer();
        for (let i = 1; i <= 3; i++) {
          await waitFor(async () => (await dying.getNextJob(`dying-${i}`, { block: false })) !== undefined, 5000, `instance ${i} to take the job`);
          await waitFor(async () => (await jobState(q.jobs, id)) === 'waiting', 5000, `the job to be put back from instance ${i}`);
        }
      } finally {
        await dying.close(true);
      }

      q.jobs.work(OUTBOUND_QUEUE, outbound.processor(), { abandoned: (job, why) => outbound.abandoned(job, why) });
      const reason = 'not started: tolk could not start attempt 1: its job was given up (job stalled more than allowable limit): the instances that took it stopped or stalled while starting it';
      await waitFor(async () => (await db.store.calls.get(id))?.state === 'ended', 5000, 'the call to end');
      expect(await jobState(q.jobs, id)).toBe('failed');
      expect(await db.store.calls.get(id)).toMatchObject({ state: 'ended', outcome: 'failed', endReason: reason });
      expect(calls.started).toEqual([]);
      const owed = await db.store.deliveries.list({ callId: id, limit: 5 });
      expect(owed).toHaveLength(1);
      expect(JSON.parse(owed[0].payload)).toMatchObject({ event: 'call.ended', callId: id, outcome: 'failed', call: { id, outcome: 'failed', endReason: reason } });
      expect(await metrics.render()).toMatch(/^tolk_calls_total\{outcome="failed"\} 1$/m);
    });
  }

  it('ends it on the next try when even ending it failed as the move to calling was reported failed', async () => {
    const bus = await setUp();
    const { jobs } = queues();
    follow(bus, jobs);
    const calls = new FakeCalls();
    const outbound = outboundOn(jobs, bus, calls, losingTheFirstMove(db.store.calls, true));
    const id = await placeCall(outbound);
    jobs.work(OUTBOUND_QUEUE, outbound.processor());

    await waitFor(async () => (await db.store.calls.get(id))?.state === 'ended', 5000, 'the call to end');
    expect(await db.store.calls.get(id)).toMatchObject({ outcome: 'failed', endReason: 'not started: tolk could not call the customer (attempt 1): a try failed once the call was calling' });
    await waitFor(async () => (await jobState(jobs, id)) === 'completed', 5000, 'the job to complete');
    expect(await jobs.get(OUTBOUND_QUEUE, `outbound.${id}.1`)).toMatchObject({ attemptsMade: 2 });
    expect(calls.started).toEqual([]);
    expect(await db.store.deliveries.list({ callId: id, limit: 5 })).toHaveLength(1);
    expect(await metrics.render()).toMatch(/^tolk_calls_total\{outcome="failed"\} 1$/m);
  });

  it('does not end it while the job has tries left, nor when its last try is put off: the call starts once it can', async () => {
    const bus = await setUp();
    const { jobs } = queues();
    follow(bus, jobs);
    const calls = new FakeCalls();
    calls.accepting = false;
    const outbound = outboundOn(jobs, bus, calls);
    const id = await placeCall(outbound);
    const placing = numbers.lookups;
    // Four tries fail; the fifth and last finds the instance taking no new calls, and is put off.
    numbers.failures = 4;
    jobs.work(OUTBOUND_QUEUE, outbound.processor());
    await waitFor(() => numbers.lookups - placing >= 7, 10_000, 'the last try to be put off twice');
    expect(await db.store.calls.get(id)).toMatchObject({ state: 'scheduled' });
    expect(await db.store.deliveries.list({ callId: id, limit: 5 })).toHaveLength(0);

    calls.accepting = true;
    await waitFor(() => calls.started.length > 0, 5000, 'the call to start');
    expect(calls.started).toEqual([id]);
    expect(await db.store.calls.get(id)).toMatchObject({ state: 'calling', outbound: { attempts: 1 } });
    // Completed by its last try: being put off spent none.
    await waitFor(async () => (await jobState(jobs, id)) === 'completed', 5000, 'the job to complete');
    expect(await jobs.get(OUTBOUND_QUEUE, `outbound.${id}.1`)).toMatchObject({ attemptsMade: 5 });
    expect(await db.store.deliveries.list({ callId: id, limit: 5 })).toHaveLength(0);
    expect(await metrics.render()).not.toMatch(/^tolk_calls_total\{/m);
  });
});
