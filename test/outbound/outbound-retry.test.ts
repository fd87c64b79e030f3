/**
 * A call tolk places whose attempt was busy or unanswered, with a retry left, whose next attempt
 * cannot be saved (the database failing as it is written): nobody would call the customer again,
 * so the call ends as `failed` at once, saying why, as any call ends (its webhook owed, counted by
 * tolk_calls_total), instead of staying `calling` until the reconciler closes it.
 */
import { CallEventBus } from '../../src/call/events';
import { OutboundCall } from '../../src/call/outbound-call';
import { measureCalls } from '../../src/call/subscribers/metrics';
import { recordCalls } from '../../src/call/subscribers/records';
import { Metrics } from '../../src/http/metrics';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import { OUTBOUND_QUEUE, OutboundCalls, outboundQueueSpec } from '../../src/outbound/outbound-calls';
import type { CallRecordPatch } from '../../src/store/call-record';
import type { CallRecordStore } from '../../src/store/call-record-store';
import { deliverCallSummaries } from '../../src/webhooks/call-summaries';
import { DeliveryService, webhookQueueSpec } from '../../src/webhooks/deliveries';
import { AGENT_SID, FakeTelephony, NUMBER } from '../call/fakes/fake-telephony';
import { flush } from '../call/fakes/rig-fixtures';
import { silent } from '../jobs/helpers';
import { LINE, tempStore } from '../webhooks/helpers';

/** The fake network names every leg it dials so. */
const CUSTOMER_LEG = AGENT_SID;

/** `inner`, except that saving a call's next attempt (its plan) goes to `save` instead. */
function savingPlansWith(inner: CallRecordStore, save: (write: () => Promise<boolean>) => Promise<boolean>): CallRecordStore {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'update') {
        return (id: string, patch: CallRecordPatch): Promise<boolean> => (patch.outbound ? save(() => target.update(id, patch)) : target.update(id, patch));
      }
      if (prop === 'transition') {
        return (id: string, from: string, patch: CallRecordPatch): Promise<boolean> =>
          patch.outbound && patch.state === 'scheduled' ? save(() => target.transition(id, from, patch)) : target.transition(id, from, patch);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** `inner`, except that saving a call's next attempt (its plan) fails. */
function failingToSavePlans(inner: CallRecordStore): CallRecordStore {
  return savingPlansWith(inner, () => Promise.reject(new Error('the database is unreachable')));
}

describe('a call tolk places that is to be tried again', () => {
  let db: Awaited<ReturnType<typeof tempStore>>;
  let jobs: MemoryJobQueues;
  afterEach(async () => {
    await jobs?.close();
    await db?.close();
  });

  it('ends as failed at once, as any call ends, when its next attempt cannot be saved', async () => {
    db = await tempStore();
    const { store } = db;
    await store.numbers.upsert({ ...NUMBER, number: LINE, webhookUrl: 'https://crm.example.com/tolk' });
    jobs = new MemoryJobQueues({ specs: [outboundQueueSpec, webhookQueueSpec], logger: silent });
    const events = new CallEventBus(silent);
    const metrics = new Metrics({ defaultMetrics: false });
    // As the server wires them: the record, the metrics and the webhook follow the call events.
    recordCalls(events, store.calls);
    measureCalls(events, metrics);
    const deliveries = new DeliveryService({ store: store.deliveries, jobs, send: undefined, logger: silent });
    deliverCallSummaries(events, { numbers: store.numbers, records: store.calls, deliveries, logger: silent });
    const records = failingToSavePlans(store.calls);
    const outbound = new OutboundCalls({ records, numbers: store.numbers, jobs, events, logger: silent, stepTimeoutMs: 60_000 });

    const placed = await outbound.place({ line: LINE, to: '+34911234567', retries: 1, retryAfterSec: 60 });
    if (!placed.ok) throw new Error(JSON.stringify(placed.problems));
    const id = placed.call.id;
    // Its first attempt, as the outbound queue starts it.
    const plan = { ...placed.call.outbound!, attempts: 1 };
    await store.calls.transition(id, 'scheduled', { state: 'calling', outbound: plan });
    const telephony = new FakeTelephony();
    const call = new OutboundCall({ telephony, events, logger: silent, retry: (callId, next) => outbound.retry(callId, next) }, { id, settings: { ...NUMBER, number: LINE }, customer: '+34911234567', plan });
    const done = new Promise((resolve) => call.onDone(resolve));
    call.start();
    await flush();
    call.customerStatus(CUSTOMER_LEG, { state: 'ended', reason: 'busy' });
    await done;
    await events.settle(id);

    const reason = "the customer's line: busy; tolk could not schedule attempt 2: the database is unreachable";
    expect(await store.calls.get(id)).toMatchObject({ state: 'ended', outcome: 'failed', endReason: reason });
    expect(await jobs.get(OUTBOUND_QUEUE, `outbound.${id}.2`)).toBeUndefined();
    const owed = await store.deliveries.list({ callId: id, limit: 5 });
    expect(owed).toHaveLength(1);
    expect(JSON.parse(owed[0].payload)).toMatchObject({ event: 'call.ended', callId: id, outcome: 'failed', call: { id, outcome: 'failed', endReason: reason } });
    expect(await metrics.render()).toMatch(/^tolk_calls_total\{outcome="failed"\} 1$/m);
  });

  it('ends as failed once saving its next attempt has not answered within TOLK_STEP_TIMEOUT_SEC; the save answering later schedules nothing', async () => {
    db = await tempStore();
    const { store } = db;
    await store.numbers.upsert({ ...NUMBER, number: LINE });
    jobs = new MemoryJobQueues({ specs: [outboundQueueSpec], logger: silent });
    const events = new CallEventBus(silent);
    recordCalls(events, store.calls);
    // The database takes the plan, but answers only when the test lets it.
    const held: (() => void)[] = [];
    const records = savingPlansWith(store.calls, (write) => new Promise<void>((resolve) => held.push(resolve)).then(write));
    const outbound = new OutboundCalls({ records, numbers: store.numbers, jobs, events, logger: silent, stepTimeoutMs: 500 });

    const placed = await outbound.place({ line: LINE, to: '+34911234567', retries: 1, retryAfterSec: 60 });
    if (!placed.ok) throw new Error(JSON.stringify(placed.problems));
    const id = placed.call.id;
    const plan = { ...placed.call.outbound!, attempts: 1 };
    await store.calls.transition(id, 'scheduled', { state: 'calling', outbound: plan });
    const telephony = new FakeTelephony();
    const call = new OutboundCall(
      { telephony, events, logger: silent, stepTimeoutMs: 500, retry: (callId, next) => outbound.retry(callId, next) },
      { id, settings: { ...NUMBER, number: LINE }, customer: '+34911234567', plan },
    );
    const done = new Promise((resolve) => call.onDone(resolve));
    call.start();
    await flush();
    call.customerStatus(CUSTOMER_LEG, { state: 'ended', reason: 'no-answer' });
    await done;
    await events.settle(id);

    expect(call.state).toBe('ended');
    const reason = "the customer's line: no-answer; tolk could not schedule attempt 2: it was not saved within 0.5 s (TOLK_STEP_TIMEOUT_SEC)";
    expect(await store.calls.get(id)).toMatchObject({ state: 'ended', outcome: 'failed', endReason: reason });
    // The database answers at last: the ended call stays ended, with no next attempt queued.
    expect(held.length).toBeGreaterThan(0);
    for (const answer of held.splice(0)) answer();
    await flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(await store.calls.get(id)).toMatchObject({ state: 'ended', outcome: 'failed', endReason: reason, outbound: { attempts: 1 } });
    expect(await jobs.get(OUTBOUND_QUEUE, `outbound.${id}.2`)).toBeUndefined();
  });
});
