/**
 * Starting the calls tolk places on both job-queue adapters (in-process, and BullMQ on the test
 * Redis): a call that falls due while its instance takes no new calls (shutting down, at
 * TOLK_MAX_CALLS) waits, spending none of its job's attempts, until an instance can take it, and
 * ends as `timeout` when none could within the lateness bound; resuming at start-up queues again a
 * scheduled call whose job was left finished.
 */
import { StaticNumberDirectory, type NumberSettings } from '../../src/config/numbers';
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { FinalJobError, type JobQueues } from '../../src/jobs/queue';
import { OUTBOUND_QUEUE, OutboundCalls, outboundQueueSpec, type OutboundJob } from '../../src/outbound/outbound-calls';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { BACKENDS, openTestQueues, silent, waitFor, type Backend, type TestQueues } from '../jobs/helpers';

jest.setTimeout(20_000);

const LINE = '+15550001111';
const CUSTOMER = '+34911234567';
const number: NumberSettings = { number: LINE, destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', echoTargetLanguage: false, originalVolume: 0.16 };

/** An instance's call service as the outbound queue sees it: whether it takes calls, and the calls it started. */
class FakeCalls {
  accepting = false;
  readonly started: string[] = [];
  startOutbound(req: { id: string }): never {
    this.started.push(req.id);
    return undefined as never;
  }
  get liveCallIds(): string[] {
    return this.started;
  }
}

interface Instance {
  queues: TestQueues;
  outbound: OutboundCalls;
  calls: FakeCalls;
}

describe.each(BACKENDS)('calls tolk places (job queues %s)', (backend: Backend) => {
  let records: InMemoryCallRecordStore;
  let events: CallEventBus;
  let ended: CallEvent[];
  const open: TestQueues[] = [];

  beforeEach(() => {
    records = new InMemoryCallRecordStore();
    events = new CallEventBus(silent);
    ended = [];
    events.subscribe((e) => void (e.type === 'call.ended' && ended.push(e)));
  });
  afterEach(async () => {
    for (const q of open.splice(0)) await q.close();
  });

  function outboundOn(jobs: JobQueues, calls: FakeCalls, stepTimeoutMs = 10_000): OutboundCalls {
    return new OutboundCalls({ records, numbers: new StaticNumberDirectory([number]), jobs, events, calls, logger: silent, stepTimeoutMs, waitForRoomMs: 100 });
  }

  /** One instance running the outbound queue (`prefix`: sharing a Redis namespace with an earlier one). */
  function instance(opts: { stepTimeoutMs?: number; prefix?: string; calls?: FakeCalls } = {}): Instance {
    const queues = openTestQueues(backend, [outboundQueueSpec], opts.prefix ? { prefix: opts.prefix } : {});
    open.push(queues);
    const calls = opts.calls ?? new FakeCalls();
    const outbound = outboundOn(queues.jobs, calls, opts.stepTimeoutMs);
    queues.jobs.work(OUTBOUND_QUEUE, outbound.processor());
    return { queues, outbound, calls };
  }

  async function placeCall(outbound: OutboundCalls, at?: Date): Promise<string> {
    const placed = await outbound.place({ line: LINE, to: CUSTOMER, retries: 0, retryAfterSec: 60, ...(at ? { at } : {}) });
    if (!placed.ok) throw new Error(JSON.stringify(placed.problems));
    return placed.call.id;
  }

  it('a call due while the instance takes no new calls waits without spending attempts, and starts once it can', async () => {
    const { queues, outbound, calls } = instance();
    const id = await placeCall(outbound);
    const jobId = `outbound.${id}.1`;
    // Looked at every 100 ms meanwhile, none of the job's five attempts spent.
    await new Promise((r) => setTimeout(r, 1200));
    expect(calls.started).toEqual([]);
    const waiting = await queues.jobs.get(OUTBOUND_QUEUE, jobId);
    expect(waiting).toMatchObject({ attemptsMade: 0 });
    // Between two looks, or in one.
    expect(['delayed', 'waiting', 'active']).toContain(waiting?.state);
    expect((await records.get(id))?.state).toBe('scheduled');

    calls.accepting = true;
    await waitFor(() => calls.started.length > 0, 5000, 'the call to start');
    expect(calls.started).toEqual([id]);
    expect(await records.get(id)).toMatchObject({ state: 'calling', outbound: { attempts: 1 } });
    await waitFor(async () => (await queues.jobs.get(OUTBOUND_QUEUE, jobId))?.state === 'completed', 5000, 'the job to complete');
    expect(await queues.jobs.get(OUTBOUND_QUEUE, jobId)).toMatchObject({ attemptsMade: 1 });
    expect(ended).toEqual([]);
  });

  it('a call no instance can take ends as timeout just past the lateness bound, as any call ends', async () => {
    const { queues, outbound, calls } = instance({ stepTimeoutMs: 1000 });
    const due = Date.now() + 300;
    const id = await placeCall(outbound, new Date(due));
    await waitFor(() => ended.length > 0, 10_000, 'the call to end');
    const endedAt = Date.now();
    expect(endedAt - due).toBeGreaterThan(1000);
    expect(endedAt - due).toBeLessThan(2500);
    expect(ended[0]).toMatchObject({ callId: id, outcome: 'timeout' });
    expect(await records.get(id)).toMatchObject({ state: 'ended', outcome: 'timeout', endReason: expect.stringMatching(/no instance of tolk could take it/) as unknown });
    expect(calls.started).toEqual([]);
    await waitFor(async () => (await queues.jobs.get(OUTBOUND_QUEUE, `outbound.${id}.1`))?.state === 'completed', 5000, 'the job to complete');
  });

  it('a call put off by an instance that stops is started by the next run', async () => {
    const first = instance();
    const id = await placeCall(first.outbound);
    await waitFor(async () => (await first.queues.jobs.get(OUTBOUND_QUEUE, `outbound.${id}.1`))?.state === 'delayed', 5000, 'the call to be put off');
    await first.queues.jobs.close();

    const next = instance({ prefix: first.queues.prefix, calls: Object.assign(new FakeCalls(), { accepting: true }) });
    expect(await next.outbound.resume()).toBe(1);
    await waitFor(() => next.calls.started.length > 0, 5000, 'the call to start');
    expect(next.calls.started).toEqual([id]);
    expect(first.calls.started).toEqual([]);
  });

  it.each([
    ['within its lateness bound is started', 0, 'calling'],
    ['past its lateness bound ends as timeout', 60_000, 'ended'],
  ])('resuming a scheduled call whose job was left failed: one %s', async (_what, lateMs, state) => {
    // The call's job fails for good while the call stays scheduled.
    const failing = openTestQueues(backend, [outboundQueueSpec]);
    open.push(failing);
    const id = await placeCall(outboundOn(failing.jobs, new FakeCalls()));
    const jobId = `outbound.${id}.1`;
    failing.jobs.work<OutboundJob, never>(OUTBOUND_QUEUE, () => Promise.reject(new FinalJobError('this instance takes no new calls now')));
    await waitFor(async () => (await failing.jobs.get(OUTBOUND_QUEUE, jobId))?.state === 'failed', 5000, 'the job to fail');
    const call = await records.get(id);
    await records.update(id, { outbound: { ...call!.outbound!, dueAt: new Date(Date.now() - lateMs) } });

    // The next run: on the same Redis, or (in-process) the same queues taken over by the server's processor.
    const calls = Object.assign(new FakeCalls(), { accepting: true });
    let resumed: OutboundCalls;
    if (backend === 'redis') {
      await failing.jobs.close();
      resumed = instance({ prefix: failing.prefix, calls }).outbound;
    } else {
      resumed = outboundOn(failing.jobs, calls);
      failing.jobs.work(OUTBOUND_QUEUE, resumed.processor());
    }
    expect(await resumed.resume()).toBe(1);
    await waitFor(async () => (await records.get(id))?.state !== 'scheduled', 5000, 'the call to leave scheduled');
    expect((await records.get(id))?.state).toBe(state);
    if (state === 'ended') {
      expect(ended).toMatchObject([{ callId: id, outcome: 'timeout' }]);
      expect(calls.started).toEqual([]);
    } else expect(calls.started).toEqual([id]);
  });
});
