/**
 * A dial outlives the instance waiting for it (its job is in Redis): once that instance has died, a
 * worker of another instance must not place the leg for a call that nobody will take it for (the
 * customer would answer to "unreachable"): not for a call the survivors closed, nor for one whose
 * waiting instance has stopped (the cluster's directory shows it down and it does not answer its
 * health check). A dial of a live call is placed, also when its waiting instance's heartbeat is
 * merely late.
 */
import type { DialRequest } from '../../src/call/ports';
import { DIAL_QUEUE, dialProcessor, dialQueueSpec, QueuedTelephony } from '../../src/jobs/dial-queue';
import type { JobRequest } from '../../src/jobs/queue';
import type { NewCallRecord } from '../../src/store/call-record';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { RecordingTelephony, retryable } from '../call/fakes/recording-telephony';
import { openTestQueues, uniquePrefix, waitFor, type TestQueues } from './helpers';

const calling = (id: string): NewCallRecord => ({
  id,
  number: '+15550001111',
  from: '+34911234567',
  destination: '+15550002222',
  languages: { caller: 'es', agent: 'en' },
  state: 'calling',
  startedAt: new Date(),
  instance: 'tolk-a',
});

/** The customer's dial of call `callId`, as instance tolk-a queues it. */
const customerDial = (callId: string): DialRequest => ({ callId, endpoint: 'caller', destination: '+34911234567', callerId: '+15550001111', ringTimeoutSec: 30, attempt: 1 });

describe('a dial still queued when the instance waiting for it dies (Redis)', () => {
  let survivor: TestQueues | undefined;
  afterEach(async () => survivor?.close());

  /** Instance `waiter` queues the customers' dials of calls `callIds` (no worker takes them yet), then its connections go. */
  async function queueDials(prefix: string, waiter: string, callIds: string[]): Promise<void> {
    const q = openTestQueues('redis', [dialQueueSpec(1)], { prefix });
    // It queues each dial as any instance does; no result reaches it.
    const neverAnswered = new Proxy(q.jobs, {
      get: (target, prop) =>
        prop === 'addAndWait' ? (queue: string, job: JobRequest<unknown>) => target.add(queue, job).then(() => new Promise<never>(() => undefined)) : (Reflect.get(target, prop, target) as unknown),
    });
    const telephony = new QueuedTelephony(new RecordingTelephony(), neverAnswered, { waiter });
    try {
      for (const id of callIds) void telephony.dial(customerDial(id));
      await waitFor(async () => (await Promise.all(callIds.map((id) => q.jobs.get(DIAL_QUEUE, `dial.${id}.caller`)))).every((j) => j?.state === 'waiting'), 5000, 'the dials to be queued');
    } finally {
      // Its jobs stay in Redis (its keys are not dropped).
      await q.jobs.close();
    }
  }

  async function settledJob(q: TestQueues, id: string) {
    await waitFor(async () => ['failed', 'completed'].includes((await q.jobs.get(DIAL_QUEUE, id))?.state ?? ''), 10_000, `dial ${id} to settle`);
    return q.jobs.get(DIAL_QUEUE, id);
  }

  it("does not place the leg of a call the survivors closed, nor of one whose waiting instance stopped; a live call's is placed", async () => {
    const records = new InMemoryCallRecordStore();
    for (const id of ['closed', 'orphaned', 'live']) await records.create(calling(id));
    const prefix = uniquePrefix();
    // tolk-a dies with a dial queued; tolk-b, up, has two queued, and one of its calls is closed meanwhile.
    await queueDials(prefix, 'tolk-a', ['orphaned']);
    await queueDials(prefix, 'tolk-b', ['closed', 'live']);
    await records.close('closed', { outcome: 'instance_lost', endReason: 'the tolk instance serving the call stopped while it was calling', endedAt: new Date() });
    survivor = openTestQueues('redis', [dialQueueSpec(1)], { prefix });
    const network = new RecordingTelephony();
    survivor.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable, { calls: records, instances: { up: (id) => Promise.resolve(id === 'tolk-b'), answers: () => Promise.resolve(false) } }));

    expect(await settledJob(survivor, 'dial.closed.caller')).toMatchObject({ state: 'failed', failedReason: expect.stringMatching(/call closed has ended \(instance_lost\)/) as unknown });
    expect(await settledJob(survivor, 'dial.orphaned.caller')).toMatchObject({ state: 'failed', failedReason: expect.stringMatching(/the instance waiting for it \(tolk-a\) has stopped/) as unknown });
    expect(await settledJob(survivor, 'dial.live.caller')).toMatchObject({ state: 'completed' });
    expect(network.placed.map((p) => p.callId)).toEqual(['live']);
  }, 30_000);

  it('places the leg of a call whose waiting instance shows down only because its heartbeat is late (it still answers its health check)', async () => {
    const records = new InMemoryCallRecordStore();
    await records.create(calling('late-beat'));
    const prefix = uniquePrefix();
    await queueDials(prefix, 'tolk-a', ['late-beat']);
    survivor = openTestQueues('redis', [dialQueueSpec(1)], { prefix });
    const network = new RecordingTelephony();
    survivor.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable, { calls: records, instances: { up: () => Promise.resolve(false), answers: (id) => Promise.resolve(id === 'tolk-a') } }));
    expect(await settledJob(survivor, 'dial.late-beat.caller')).toMatchObject({ state: 'completed' });
    expect(network.placed.map((p) => p.callId)).toEqual(['late-beat']);
  }, 20_000);

  it('does not place the customer of a call tolk places whose attempt has gone back to waiting for the next one', async () => {
    const records = new InMemoryCallRecordStore();
    await records.create({ ...calling('rescheduled'), state: 'scheduled' });
    const prefix = uniquePrefix();
    await queueDials(prefix, 'tolk-a', ['rescheduled']);
    survivor = openTestQueues('redis', [dialQueueSpec(1)], { prefix });
    const network = new RecordingTelephony();
    survivor.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable, { calls: records }));
    expect(await settledJob(survivor, 'dial.rescheduled.caller')).toMatchObject({ state: 'failed', failedReason: expect.stringMatching(/waits for its next attempt/) as unknown });
    expect(network.placed).toEqual([]);
  }, 20_000);
});

describe('a dial whose checks before placing outlast the leg\'s time to be placed', () => {
  it('places nothing once the call waiting for the leg has stopped waiting (its ring timeout passed)', async () => {
    const records = new InMemoryCallRecordStore();
    await records.create(calling('slow-checks'));
    let clock = Date.parse('2026-12-07T10:00:00.000Z');
    const deadline = clock + 30_000;
    const network = new RecordingTelephony();
    // The directory shows the waiting instance down (a late heartbeat); by the time its health
    // check answers that it is up, the leg's ring timeout has passed.
    const instances = {
      up: () => Promise.resolve(false),
      answers: () => Promise.resolve(void (clock = deadline)).then(() => true),
    };
    const dial = dialProcessor(network, retryable, { calls: records, instances, now: () => clock });
    const job = { id: 'dial.slow-checks.caller', data: { request: customerDial('slow-checks'), deadline, waiter: 'tolk-a' }, attempt: 1, attempts: 6 };
    await expect(dial(job)).rejects.toThrow(/time to be placed passed/);
    expect(network.placed).toEqual([]);
  });
});
