/**
 * A call tolk places whose instance stops while the customer's phone rings: the record lists the
 * customer's leg from when the phone network accepted it, so whoever closes the call (a survivor
 * in the cluster, or the instance's next run) cancels the ringing leg instead of leaving the
 * customer to answer to silence.
 */
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { OutboundCall } from '../../src/call/outbound-call';
import { CallReconciler } from '../../src/call/reconciler';
import { recordCalls } from '../../src/call/subscribers/records';
import type { OutboundPlan } from '../../src/store/call-record';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { AGENT_SID, FakeTelephony, NUMBER } from '../call/fakes/fake-telephony';
import { flush, silentLogger } from '../call/fakes/rig-fixtures';
import { callEndsQueueSpec } from '../../src/jobs/call-ends';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';

/** The fake network names every leg it dials so. */
const CUSTOMER_LEG = AGENT_SID;
const CUSTOMER = '+34911234567';

async function ringing() {
  const plan: OutboundPlan = { dueAt: new Date(), attempts: 1, retries: 0, retryAfterSec: 60 };
  const logger = silentLogger();
  const records = new InMemoryCallRecordStore();
  const events = new CallEventBus(logger);
  recordCalls(events, records);
  const ended: CallEvent[] = [];
  events.subscribe((e) => void (e.type === 'call.ended' && ended.push(e)));
  const telephony = new FakeTelephony();
  // As the outbound queue leaves it when it starts an attempt on instance tolk-b.
  const { id } = await records.create({
    number: NUMBER.number,
    from: CUSTOMER,
    destination: NUMBER.destination,
    languages: { caller: NUMBER.callerLanguage, agent: NUMBER.agentLanguage },
    state: 'calling',
    startedAt: new Date(),
    outbound: plan,
    instance: 'tolk-b',
  });
  const call = new OutboundCall({ telephony, events, logger, retry: () => Promise.resolve() }, { id, settings: NUMBER, customer: CUSTOMER, plan });
  call.start();
  await flush();
  await events.settle(id);
  telephony.legs.set(CUSTOMER_LEG, { status: { state: 'ringing' } });
  // A survivor, which serves none of tolk-b's calls.
  const survivor = new CallReconciler({ records, telephony, instance: 'tolk-a', startedAt: new Date(Date.now() - 60_000), intervalMs: 30_000, serving: () => [], events, jobs: new MemoryJobQueues({ specs: [callEndsQueueSpec], logger }), logger });
  return { id, records, telephony, survivor, ended };
}

describe('a call tolk places whose instance stops while the customer is being called', () => {
  it("lists the customer's leg while it rings, and is closed with that leg cancelled", async () => {
    const s = await ringing();
    expect((await s.records.get(s.id))?.legs).toEqual([{ role: 'caller', callSid: CUSTOMER_LEG, language: NUMBER.callerLanguage, dialledAt: expect.any(String) }]);

    expect(await s.survivor.closeLost('tolk-b')).toBe(0);
    expect(s.telephony.cancelled).toEqual([CUSTOMER_LEG]);
    expect(await s.records.get(s.id)).toMatchObject({
      state: 'ended',
      outcome: 'instance_lost',
      endReason: 'the tolk instance serving the call (tolk-b) stopped while it was calling; the phone network reports caller cancelled by tolk',
    });
    expect(s.ended).toEqual([expect.objectContaining({ callId: s.id, outcome: 'instance_lost' })]);
  });
});
