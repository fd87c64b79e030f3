/**
 * A call tolk was to place, cancelled before it starts, ends as every call does: the customer's
 * webhook is owed its record (outcome canceled) and tolk_calls_total counts it.
 */
import { recordCalls } from '../../src/call/subscribers/records';
import { measureCalls } from '../../src/call/subscribers/metrics';
import { Metrics } from '../../src/http/metrics';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import { OUTBOUND_QUEUE, OutboundCalls, outboundQueueSpec } from '../../src/outbound/outbound-calls';
import { deliverCallSummaries } from '../../src/webhooks/call-summaries';
import { DeliveryService, webhookQueueSpec } from '../../src/webhooks/deliveries';
import { silent } from '../jobs/helpers';
import { LINE, newBus, tempStore } from '../webhooks/helpers';

const HOUR = 3_600_000;

describe('cancelling a call tolk was to place', () => {
  let db: Awaited<ReturnType<typeof tempStore>>;
  let jobs: MemoryJobQueues;
  afterEach(async () => {
    await jobs?.close();
    await db?.close();
  });

  it('ends it as any call ends: its webhook delivery is recorded and tolk_calls_total counts it canceled', async () => {
    db = await tempStore();
    const { store } = db;
    await store.numbers.upsert({ number: LINE, destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', webhookUrl: 'https://crm.example.com/tolk' });
    jobs = new MemoryJobQueues({ specs: [outboundQueueSpec, webhookQueueSpec], logger: silent });
    const bus = newBus();
    const metrics = new Metrics({ defaultMetrics: false });
    // As the server wires them: the record, the metrics and the webhook follow the call events.
    recordCalls(bus, store.calls);
    measureCalls(bus, metrics);
    const deliveries = new DeliveryService({ store: store.deliveries, jobs, send: undefined, logger: silent });
    deliverCallSummaries(bus, { numbers: store.numbers, records: store.calls, deliveries, logger: silent });
    const outbound = new OutboundCalls({ records: store.calls, numbers: store.numbers, jobs, events: bus, logger: silent, stepTimeoutMs: 60_000 });

    const placed = await outbound.place({ line: LINE, to: '+34911234567', at: new Date(Date.now() + HOUR), retries: 0, retryAfterSec: 60 });
    if (!placed.ok) throw new Error(JSON.stringify(placed.problems));
    const id = placed.call.id;
    const cancelled = await outbound.cancel(id);
    expect(cancelled).toMatchObject({ ok: true, call: { state: 'ended', outcome: 'canceled', endReason: 'canceled before it started' } });
    // Its attempt will not run.
    expect(await jobs.get(OUTBOUND_QUEUE, `outbound.${id}.1`)).toBeUndefined();

    const owed = await store.deliveries.list({ callId: id, limit: 5 });
    expect(owed).toHaveLength(1);
    const payload = JSON.parse(owed[0].payload) as Record<string, unknown>;
    expect(payload).toMatchObject({ event: 'call.ended', callId: id, outcome: 'canceled', call: { id, outcome: 'canceled' } });
    // Never connected: it has no duration (not 0).
    expect(payload).not.toHaveProperty('durationMs');
    expect(await metrics.render()).toMatch(/^tolk_calls_total\{outcome="canceled"\} 1$/m);

    // Once over, it cannot be cancelled again, and nothing more is owed or counted.
    expect(await outbound.cancel(id)).toMatchObject({ ok: false, status: 409 });
    expect(await store.deliveries.list({ callId: id, limit: 5 })).toHaveLength(1);
    expect(await metrics.render()).toMatch(/^tolk_calls_total\{outcome="canceled"\} 1$/m);

    // One waiting to try again says which attempt it did not make.
    const again = await outbound.place({ line: LINE, to: '+34911234568', retries: 1, retryAfterSec: 60 });
    if (!again.ok) throw new Error(JSON.stringify(again.problems));
    await outbound.retry(again.call.id, { ...again.call.outbound!, attempts: 1, dueAt: new Date(Date.now() + HOUR) });
    expect(await outbound.cancel(again.call.id)).toMatchObject({ ok: true, call: { outcome: 'canceled', endReason: 'canceled before attempt 2' } });
    expect(await metrics.render()).toMatch(/^tolk_calls_total\{outcome="canceled"\} 2$/m);
  });
});
