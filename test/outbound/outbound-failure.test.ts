/**
 * A call tolk places whose job fails for good (its last try, or a failure no try can fix), on both
 * job-queue adapters: the call ends as `failed` with a reason, its webhook is owed and
 * tolk_calls_total counts it, as any call's end; a failed try with tries left, or a job put off on
 * its last try, does not end it; and the next start-up does not place a call that ended so.
 */
import { recordCalls } from '../../src/call/subscribers/records';
import { measureCalls } from '../../src/call/subscribers/metrics';
import type { NumberDirectory, NumberSettings } from '../../src/config/numbers';
import { Metrics } from '../../src/http/metrics';
import { FinalJobError, type JobQueues } from '../../src/jobs/queue';
import { OUTBOUND_QUEUE, OutboundCalls, outboundQueueSpec } from '../../src/outbound/outbound-calls';
import { deliverCallSummaries } from '../../src/webhooks/call-summaries';
import { DeliveryService, webhookQueueSpec } from '../../src/webhooks/deliveries';
import { BACKENDS, openTestQueues, silent, waitFor, type Backend, type TestQueues } from '../jobs/helpers';
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

/** An instance's call service as the outbound queue sees it: whether it takes calls, and the calls it started. */
class FakeCalls {
  accepting = true;
  readonly started: string[] = [];
  startOutbound(req: { id: string }): never {
    this.started.push(req.id);
    return undefined as never;
  }
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

  function outboundOn(jobs: JobQueues, bus: ReturnType<typeof newBus>, calls: FakeCalls): OutboundCalls {
    return new OutboundCalls({ records: db.store.calls, numbers, jobs, events: bus, calls, logger: silent, stepTimeoutMs: 10_000, waitForRoomMs: 50, jobRetryMs: 50 });
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
