/**
 * Two survivors of a cluster find the same instance lost, on a real Redis (the test one, under a
 * prefix of this test's own): only one of them closes its calls, however long the closing takes.
 */
import { CallEventBus, type CallEvent } from '../../src/call/events';
import type { LegReport } from '../../src/call/ports';
import { CallReconciler } from '../../src/call/reconciler';
import { LostInstances } from '../../src/cluster/lost-instances';
import { openClusterRedis, type ClusterRedis } from '../../src/cluster/redis';
import { callEndsQueueSpec } from '../../src/jobs/call-ends';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { dropPrefix, REDIS_URL, silent, uniquePrefix } from '../jobs/helpers';

const CALLER = 'CA' + '1'.repeat(32);
const AGENT = 'CA' + '2'.repeat(32);

let redis: ClusterRedis[] = [];
let prefix = '';

beforeEach(() => {
  prefix = uniquePrefix();
});

afterEach(async () => {
  for (const r of redis) await r.close();
  redis = [];
  await dropPrefix(prefix);
});

/** The phone network, answering every question about a leg only once `answer` is called. */
class SlowNetwork {
  legs = new Map<string, LegReport>([
    [CALLER, { status: { state: 'answered' } }],
    [AGENT, { status: { state: 'answered' } }],
  ]);
  hungUp: string[] = [];
  private held: (() => void)[] = [];
  lookUp(callSid: string): Promise<LegReport | undefined> {
    return new Promise((r) => this.held.push(() => r(this.legs.get(callSid))));
  }
  hangUp(callSid: string): Promise<void> {
    this.hungUp.push(callSid);
    this.legs.set(callSid, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date() });
    return Promise.resolve();
  }
  /** Answers the questions asked so far, and every one after. */
  answer(): void {
    this.lookUp = (callSid) => Promise.resolve(this.legs.get(callSid));
    for (const release of this.held.splice(0)) release();
  }
}

describe('an instance of the cluster that died', () => {
  it('has its calls closed by one survivor only, even when closing them outlasts the lock', async () => {
    const records = new InMemoryCallRecordStore();
    await records.create({
      id: 'lost-1',
      number: '+15550001111',
      from: '+34600000000',
      destination: '+15550002222',
      languages: { caller: 'es', agent: 'en' },
      legs: [
        { role: 'caller', callSid: CALLER, language: 'es' },
        { role: 'agent', callSid: AGENT, language: 'en' },
      ],
      state: 'bridged',
      startedAt: new Date(Date.now() - 60_000),
      answeredAt: new Date(Date.now() - 50_000),
      instance: 'tolk-c',
    });
    const network = new SlowNetwork();
    const events = new CallEventBus(silent);
    const ended: CallEvent[] = [];
    events.subscribe((e) => void (e.type === 'call.ended' && ended.push(e)));
    const jobs = new MemoryJobQueues({ specs: [callEndsQueueSpec], logger: silent });
    const closing: string[] = [];
    const survivor = (self: string): LostInstances => {
      const r = openClusterRedis({ url: REDIS_URL, prefix });
      redis.push(r);
      const reconciler = new CallReconciler({ records, telephony: network, instance: self, startedAt: new Date(), intervalMs: 30_000, serving: () => [], events, jobs, logger: silent });
      return new LostInstances({
        directory: { self: { id: self, url: '' }, members: () => Promise.resolve([{ id: 'tolk-c', url: '', up: false }]), forget: () => Promise.resolve() },
        redis: r,
        closeLost: (id) => (closing.push(self), reconciler.closeLost(id)),
        answers: () => Promise.resolve(false),
        lockMs: 300,
        logger: silent,
      });
    };
    const a = survivor('tolk-a');
    const b = survivor('tolk-b');

    // a claims tolk-c and closes its call, the network slow to answer: longer than the lock's life.
    const aChecking = a.check();
    while (closing.length === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 1_000));
    // b looks meanwhile: tolk-c is a's to close.
    const bChecking = b.check();
    await new Promise((r) => setTimeout(r, 100));
    network.answer();
    await Promise.all([aChecking, bChecking]);

    expect(closing).toEqual(['tolk-a']);
    expect(network.hungUp).toEqual([CALLER, AGENT]);
    expect(ended.map((e) => e.callId)).toEqual(['lost-1']);
    expect(await records.get('lost-1')).toMatchObject({ outcome: 'instance_lost' });
    // Done, a's lock is gone: tolk-c is anyone's again.
    await b.check();
    expect(closing).toEqual(['tolk-a', 'tolk-b']);
  });
});
