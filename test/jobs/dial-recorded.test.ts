/**
 * A leg a dial job places is in its call's record as soon as the network accepted it, whether or
 * not the instance waiting for it is still there: a dial that runs in the seconds after its waiting
 * instance died, before the cluster's directory shows it down, places the leg, and the survivor
 * that closes the call hangs that leg up (no phone rings for nobody). A leg placed for a call that
 * was closed meanwhile is hung up by the job itself; one listed while the survivor was closing the
 * call, by the survivor; one whose waiter shows down only for a moment is left to the call. A
 * database that does not answer neither stops the dial nor keeps the leg from the instance waiting
 * for it for more than a few seconds.
 */
import { CallEventBus } from '../../src/call/events';
import type { DialRequest, LegReport, Telephony } from '../../src/call/ports';
import { CallReconciler } from '../../src/call/reconciler';
import { callEndsQueueSpec } from '../../src/jobs/call-ends';
import { DIAL_QUEUE, dialProcessor, dialQueueSpec, QueuedTelephony, type DialJob } from '../../src/jobs/dial-queue';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import type { NewCallRecord } from '../../src/store/call-record';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { retryable } from '../call/fakes/recording-telephony';
import { openTestQueues, silent, waitFor, type TestQueues } from './helpers';

/** The phone network: legs placed ring until hung up. */
class Network implements Telephony {
  readonly placed: string[] = [];
  readonly hungUp: string[] = [];
  onDial: (req: DialRequest) => Promise<void> = () => Promise.resolve();
  async dial(req: DialRequest): Promise<string> {
    await this.onDial(req);
    const sid = `CA-${req.callId}-${req.endpoint}`;
    this.placed.push(sid);
    return sid;
  }
  hangUp(legRef: string): Promise<void> {
    this.hungUp.push(legRef);
    return Promise.resolve();
  }
  async sayAndHangUp(): Promise<void> {}
  lookUp(legRef: string): Promise<LegReport | undefined> {
    if (!this.placed.includes(legRef)) return Promise.resolve(undefined);
    return Promise.resolve({ status: this.hungUp.includes(legRef) ? { state: 'ended', reason: 'canceled' } : { state: 'ringing' } } as LegReport);
  }
  ringing(): string[] {
    return this.placed.filter((sid) => !this.hungUp.includes(sid));
  }
}

const calling = (id: string, instance: string): NewCallRecord => ({
  id,
  number: '+15550001111',
  from: '+34911234567',
  destination: '+15550002222',
  languages: { caller: 'es', agent: 'en' },
  state: 'dialing',
  startedAt: new Date(),
  instance,
});

const agentDial = (callId: string, waiter: string): DialJob => ({
  request: { callId, endpoint: 'agent', destination: '+15550002222', callerId: '+15550001111', ringTimeoutSec: 30 },
  deadline: Date.now() + 30_000,
  waiter,
});

const alwaysUp = { up: () => Promise.resolve(true), answers: () => Promise.resolve(true) };

describe('a leg placed by a dial job (Redis)', () => {
  let q: TestQueues | undefined;
  afterEach(async () => q?.close());

  async function run(records: InMemoryCallRecordStore, network: Network, instanceUp: (id: string) => Promise<boolean>, callId: string): Promise<void> {
    q = openTestQueues('redis', [dialQueueSpec(5)]);
    q.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable, { calls: records, instances: { up: instanceUp, answers: () => Promise.resolve(false) }, logger: silent }));
    // Its waiting instance is gone: nobody waits for the result.
    await q.jobs.add(DIAL_QUEUE, { id: `dial.${callId}.agent`, data: agentDial(callId, 'tolk-a'), attempts: 6 });
    await waitFor(async () => ['completed', 'failed'].includes((await q!.jobs.get(DIAL_QUEUE, `dial.${callId}.agent`))?.state ?? ''), 10_000, 'the dial to settle');
  }

  it('is listed in the record of a call whose waiting instance died unseen, and the survivor closing the call hangs it up', async () => {
    const records = new InMemoryCallRecordStore();
    await records.create(calling('unseen', 'tolk-a'));
    const network = new Network();
    // The directory still shows tolk-a up (it died a moment ago).
    await run(records, network, () => Promise.resolve(true), 'unseen');
    expect(network.placed).toEqual(['CA-unseen-agent']);
    expect((await records.get('unseen'))?.legs).toEqual([{ role: 'agent', callSid: 'CA-unseen-agent', language: 'en', dialledAt: expect.any(String) as unknown }]);

    // tolk-a shows down: a survivor closes its calls.
    const events = new CallEventBus(silent);
    const survivor = new CallReconciler({ records, telephony: network, instance: 'tolk-b', startedAt: new Date(), intervalMs: 30_000, serving: () => [], events, jobs: new MemoryJobQueues({ specs: [callEndsQueueSpec], logger: silent }), logger: silent });
    expect(await survivor.closeLost('tolk-a')).toBe(0);
    expect((await records.get('unseen'))?.outcome).toBe('instance_lost');
    expect(network.ringing()).toEqual([]);
  }, 20_000);

  it('is hung up at once when the call was closed while it was being placed', async () => {
    const records = new InMemoryCallRecordStore();
    await records.create(calling('closed-meanwhile', 'tolk-a'));
    const network = new Network();
    network.onDial = async (req) => {
      await records.close(req.callId, { outcome: 'instance_lost', endReason: 'the tolk instance serving the call (tolk-a) stopped while it was dialing', endedAt: new Date() });
    };
    await run(records, network, () => Promise.resolve(true), 'closed-meanwhile');
    expect(network.placed).toEqual(['CA-closed-meanwhile-agent']);
    expect(network.ringing()).toEqual([]);
  }, 20_000);

  it('is listed and left ringing when its waiting instance shows down only for a moment once it was placed (a late heartbeat)', async () => {
    const records = new InMemoryCallRecordStore();
    await records.create(calling('late-beat', 'tolk-a'));
    const network = new Network();
    let up = true;
    network.onDial = () => Promise.resolve(void (up = false));
    await run(records, network, () => Promise.resolve(up), 'late-beat');
    expect(network.placed).toEqual(['CA-late-beat-agent']);
    expect(network.ringing()).toEqual(['CA-late-beat-agent']);
    expect((await records.get('late-beat'))?.legs.map((l) => l.callSid)).toEqual(['CA-late-beat-agent']);
  }, 20_000);

  it('is hung up by the survivor when listed while the survivor was closing the call (after the job saw it live)', async () => {
    const records = new InMemoryCallRecordStore();
    await records.create({ ...calling('listed-meanwhile', 'tolk-a'), legs: [{ role: 'caller', callSid: 'CA-listed-meanwhile-caller', language: 'es' }] });
    const network = new Network();
    network.placed.push('CA-listed-meanwhile-caller');
    const lookUp = network.lookUp.bind(network);
    let listed = false;
    network.lookUp = async (legRef) => {
      if (!listed) {
        // While the survivor asks the network about the legs it read, the dial job places the
        // agent's leg, lists it, and finds the call still live.
        listed = true;
        await q!.jobs.add(DIAL_QUEUE, { id: 'dial.listed-meanwhile.agent', data: agentDial('listed-meanwhile', 'tolk-a'), attempts: 6 });
        await waitFor(async () => (await q!.jobs.get(DIAL_QUEUE, 'dial.listed-meanwhile.agent'))?.state === 'completed', 10_000, 'the dial to complete');
      }
      return lookUp(legRef);
    };
    q = openTestQueues('redis', [dialQueueSpec(5)]);
    q.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable, { calls: records, instances: alwaysUp, logger: silent }));
    const survivor = new CallReconciler({ records, telephony: network, instance: 'tolk-b', startedAt: new Date(), intervalMs: 30_000, serving: () => [], events: new CallEventBus(silent), jobs: new MemoryJobQueues({ specs: [callEndsQueueSpec], logger: silent }), logger: silent });
    expect(await survivor.closeLost('tolk-a')).toBe(0);
    expect(network.placed).toEqual(['CA-listed-meanwhile-caller', 'CA-listed-meanwhile-agent']);
    expect(network.ringing()).toEqual([]);
  }, 20_000);

  it("reaches the instance waiting for it within its ring timeout while the call's record does not answer", async () => {
    const records = new InMemoryCallRecordStore();
    await records.create(calling('slow-db', 'tolk-a'));
    const network = new Network();
    // The database stops answering once the leg is placed.
    let hanging = false;
    network.onDial = () => Promise.resolve(void (hanging = true));
    const calls = {
      get: (id: string) => (hanging ? new Promise<never>(() => undefined) : records.get(id)),
      updateLegs: (id: string, change: Parameters<InMemoryCallRecordStore['updateLegs']>[1]) => (hanging ? new Promise<never>(() => undefined) : records.updateLegs(id, change)),
    };
    q = openTestQueues('in-process', [dialQueueSpec(5)]);
    q.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable, { calls, instances: alwaysUp, logger: silent }));
    const waiting = new QueuedTelephony(network, q.jobs, { waiter: 'tolk-a' });
    const dialled = await waiting.dial({ callId: 'slow-db', endpoint: 'agent', destination: '+15550002222', callerId: '+15550001111', ringTimeoutSec: 6 }).catch((err: unknown) => err);
    expect(dialled).toBe('CA-slow-db-agent');
    expect(network.ringing()).toEqual(['CA-slow-db-agent']);
  }, 20_000);

  it("keeps a leg the call's instance lists while the job lists its own", async () => {
    const records = new InMemoryCallRecordStore();
    await records.create(calling('both-legs', 'tolk-a'));
    const network = new Network();
    let placed = false;
    network.onDial = () => Promise.resolve(void (placed = true));
    const callerLeg = { role: 'caller' as const, callSid: 'CA-both-legs-caller', language: 'es' };
    let listedCaller = false;
    const calls = {
      // Once the agent's leg is placed, the call's instance lists the caller's leg just after the
      // job has read the record.
      get: async (id: string) => {
        const record = await records.get(id);
        if (placed && !listedCaller) {
          listedCaller = true;
          await records.update(id, { legs: [...(record?.legs ?? []), callerLeg] });
        }
        return record;
      },
      updateLive: records.updateLive.bind(records),
      updateLegs: records.updateLegs.bind(records),
    };
    q = openTestQueues('in-process', [dialQueueSpec(5)]);
    q.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable, { calls, instances: alwaysUp, logger: silent }));
    await q.jobs.add(DIAL_QUEUE, { id: 'dial.both-legs.agent', data: agentDial('both-legs', 'tolk-a'), attempts: 6 });
    await waitFor(async () => (await q!.jobs.get(DIAL_QUEUE, 'dial.both-legs.agent'))?.state === 'completed', 10_000, 'the dial to complete');
    expect((await records.get('both-legs'))?.legs.map((l) => l.callSid).sort()).toEqual(['CA-both-legs-agent', 'CA-both-legs-caller']);
  }, 20_000);

  it('is hung up when placed after the call stopped waiting for it, though the call was live when it was listed and then ended normally', async () => {
    const records = new InMemoryCallRecordStore();
    await records.create(calling('gave-up', 'tolk-a'));
    const network = new Network();
    q = openTestQueues('in-process', [dialQueueSpec(5)]);
    q.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable, { calls: records, instances: alwaysUp, logger: silent }));
    const waiting = new QueuedTelephony(network, q.jobs, { waiter: 'tolk-a' });
    let gaveUp: Promise<unknown> = Promise.resolve();
    // The network takes its time: the call stops waiting for the leg before it is placed.
    network.onDial = () => gaveUp.then(() => undefined);
    gaveUp = waiting.dial({ callId: 'gave-up', endpoint: 'agent', destination: '+15550002222', callerId: '+15550001111', ringTimeoutSec: 2 }).catch((err: unknown) => err);
    expect(await gaveUp).toMatchObject({ timedOut: true });
    await waitFor(async () => ['completed', 'failed'].includes((await q!.jobs.get(DIAL_QUEUE, 'dial.gave-up.agent'))?.state ?? ''), 10_000, 'the dial to settle');
    expect((await records.get('gave-up'))?.legs.map((l) => l.callSid)).toEqual(['CA-gave-up-agent']);
    // The caller was told nobody answered, and hung up: the call ends as any call does.
    await records.close('gave-up', { outcome: 'no-answer', endReason: 'the agent could not be dialled', endedAt: new Date() });
    expect(network.placed).toEqual(['CA-gave-up-agent']);
    expect(network.ringing()).toEqual([]);
  }, 20_000);

  it("is placed, and reaches the instance waiting for it within its ring timeout, while the call's record does not answer at all", async () => {
    const network = new Network();
    const hangs = () => new Promise<never>(() => undefined);
    q = openTestQueues('in-process', [dialQueueSpec(5)]);
    q.jobs.work(DIAL_QUEUE, dialProcessor(network, retryable, { calls: { get: hangs, updateLegs: hangs }, instances: alwaysUp, logger: silent }));
    const waiting = new QueuedTelephony(network, q.jobs, { waiter: 'tolk-a' });
    const dialled = await waiting.dial({ callId: 'no-db', endpoint: 'agent', destination: '+15550002222', callerId: '+15550001111', ringTimeoutSec: 10 }).catch((err: unknown) => err);
    expect(dialled).toBe('CA-no-db-agent');
  }, 20_000);
});
