/**
 * Transcript delivery as the customer's server sees it, on both job-queue adapters: every ended
 * call is POSTed once, signed, retried through 500s and a timeout until it is accepted; a 400 is
 * final and listed as failed; a private address is refused unless allowed.
 */
import { verifyTolkSignature } from '../../src/webhooks/signature';
import { deliverCallSummaries } from '../../src/webhooks/call-summaries';
import { DeliveryService, webhookQueueSpec, WEBHOOK_QUEUE, type RetryPolicy } from '../../src/webhooks/deliveries';
import { WebhookSender } from '../../src/webhooks/sender';
import type { Store } from '../../src/store/open-store';
import { BACKENDS, openTestQueues, silent, waitFor, type TestQueues } from '../jobs/helpers';
import { CALLER_SID, LINE, newBus, playCall, playMovedInCall, startReceiver, tempStore, type Answer, type Receiver } from './helpers';

const SECRET = 'whsec-test-0123456789abcdef';

describe.each(BACKENDS)('webhook deliveries (%s)', (backend) => {
  let q: TestQueues;
  let db: { store: Store; close(): Promise<void> };
  let receiver: Receiver;
  let deliveries: DeliveryService;

  async function setUp(script: Answer[], opts: { allowPrivate?: boolean; url?: string; retry?: Partial<RetryPolicy> } = {}): Promise<Store> {
    receiver = await startReceiver(script);
    db = await tempStore();
    await db.store.numbers.upsert({ number: LINE, destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', webhookUrl: opts.url ?? receiver.url });
    q = openTestQueues(backend, [webhookQueueSpec]);
    const sender = new WebhookSender({ secret: SECRET, allowHttp: true, allowPrivate: opts.allowPrivate ?? true, timeoutMs: 300 });
    deliveries = new DeliveryService({ store: db.store.deliveries, jobs: q.jobs, send: (r) => sender.send(r), logger: silent, retry: opts.retry ?? { baseDelayMs: 50, maxDelayMs: 200 } });
    q.jobs.work(WEBHOOK_QUEUE, deliveries.processor());
    return db.store;
  }

  afterEach(async () => {
    await deliveries?.stop();
    await q?.close();
    await receiver?.close();
    await db?.close();
  });

  it('retries through 500s and a timeout, then delivers the call signed, with how long it was connected, its transcript (each line with its speaker), latency and lag', async () => {
    const store = await setUp([500, 500, 'hang', 200]);
    const bus = newBus();
    deliverCallSummaries(bus, { numbers: store.numbers, records: store.calls, deliveries, logger: silent });
    await playCall(store, bus, 'call-retried');
    await waitFor(async () => (await store.deliveries.list({ status: 'delivered', limit: 1 })).length === 1, 15_000, 'the delivery');

    expect(receiver.received).toHaveLength(4);
    const last = receiver.received[3];
    expect(verifyTolkSignature(SECRET, last.headers['tolk-signature'] as string, last.body)).toBe(true);
    expect(verifyTolkSignature('another-secret-0123456789', last.headers['tolk-signature'] as string, last.body)).toBe(false);
    expect(verifyTolkSignature(SECRET, last.headers['tolk-signature'] as string, last.body.replace('Hola', 'Adios'))).toBe(false);
    // Every attempt is the same delivery: same body, same idempotency key (the call id).
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(receiver.received.map((r) => r.headers['idempotency-key'])).toEqual(Array(4).fill('call-retried'));
    const body = JSON.parse(last.body) as Record<string, unknown>;
    expect(body).toMatchObject({ event: 'call.ended', callId: 'call-retried', outcome: 'completed', durationMs: 42_000 });
    // durationMs is the record's own answered-to-ended time (not the call core's time since it started).
    const call = body.call as { answeredAt: string };
    expect(body.durationMs).toBe(Date.parse(body.endedAt as string) - Date.parse(call.answeredAt));
    expect(body.call).toMatchObject({ id: 'call-retried', number: LINE, transcript: [{ speaker: { role: 'caller', callSid: CALLER_SID }, source: { text: 'Hola' }, translation: { text: 'Hello' } }] });
    expect(body.latency).toEqual({
      'caller->agent': { utterances: 2, meanMs: 1000, p50Ms: 900, p95Ms: 1100, maxMs: 1100 },
      'agent->caller': { utterances: 1, meanMs: 800, p50Ms: 800, p95Ms: 800, maxMs: 800 },
    });
    expect(body.lag).toEqual({ 'caller->agent': { utterances: 2, meanMs: 1800, p50Ms: 1600, p95Ms: 2000, maxMs: 2000 } });
    const [d] = await store.deliveries.list({ limit: 5 });
    expect(d).toMatchObject({ status: 'delivered', attempts: 4, lastStatus: 200 });
  });

  it("sends the call's record as ended, with its outcome and reason, though the end is not written yet when the summary is made", async () => {
    const store = await setUp([200]);
    const bus = newBus();
    deliverCallSummaries(bus, { numbers: store.numbers, records: store.calls, deliveries, logger: silent });
    await playCall(store, bus, 'call-racing', { endWrittenFirst: false });
    await waitFor(async () => (await store.deliveries.list({ status: 'delivered', limit: 1 })).length === 1, 15_000, 'the delivery');
    const body = JSON.parse(receiver.received[0].body) as { endedAt: string; call: Record<string, unknown> };
    expect(body.call).toMatchObject({ id: 'call-racing', state: 'ended', outcome: 'completed', endReason: 'the caller hung up', endedAt: body.endedAt });
  });

  it('sends the end a reconciler wrote first, as History shows it, not the one the call reported after it', async () => {
    const store = await setUp([200]);
    const bus = newBus();
    deliverCallSummaries(bus, { numbers: store.numbers, records: store.calls, deliveries, logger: silent });
    const closedAt = new Date(Date.now() + 20_000);
    const reason = 'tolk stopped serving the call while it was bridged; the phone network reports caller completed';
    await playCall(store, bus, 'call-reconciled', { beforeEnd: async () => void (await store.calls.close('call-reconciled', { outcome: 'interrupted', endReason: reason, endedAt: closedAt })) });
    await waitFor(async () => (await store.deliveries.list({ status: 'delivered', limit: 1 })).length === 1, 15_000, 'the delivery');
    const body = JSON.parse(receiver.received[0].body) as { call: { answeredAt: string } };
    expect(await store.calls.get('call-reconciled')).toMatchObject({ outcome: 'interrupted', endReason: reason, endedAt: closedAt });
    expect(body).toMatchObject({ outcome: 'interrupted', endedAt: closedAt.toISOString(), call: { outcome: 'interrupted', endReason: reason, endedAt: closedAt.toISOString() } });
    expect(body).toHaveProperty('durationMs', closedAt.getTime() - Date.parse(body.call.answeredAt));
  });

  it("sends the call an instance adopted in a move (it never saw the call start) to its number's webhook, with the latency and lag measured since the move", async () => {
    const store = await setUp([200]);
    const bus = newBus();
    deliverCallSummaries(bus, { numbers: store.numbers, records: store.calls, deliveries, logger: silent });
    await playMovedInCall(store, bus, 'call-moved-in');
    await waitFor(async () => (await store.deliveries.list({ status: 'delivered', limit: 1 })).length === 1, 15_000, 'the delivery');
    const body = JSON.parse(receiver.received[0].body) as Record<string, unknown>;
    expect(body).toMatchObject({ event: 'call.ended', callId: 'call-moved-in', call: { number: LINE } });
    expect(body.latency).toEqual({
      'caller->agent': { utterances: 1, meanMs: 700, p50Ms: 700, p95Ms: 700, maxMs: 700 },
      'agent->caller': { utterances: 1, meanMs: 600, p50Ms: 600, p95Ms: 600, maxMs: 600 },
    });
    expect(body.lag).toEqual({ 'caller->agent': { utterances: 1, meanMs: 1500, p50Ms: 1500, p95Ms: 1500, maxMs: 1500 } });
  });

  it('takes a 400 as final: one attempt, listed as failed with the answer', async () => {
    const store = await setUp([400]);
    const bus = newBus();
    deliverCallSummaries(bus, { numbers: store.numbers, records: store.calls, deliveries, logger: silent });
    await playCall(store, bus, 'call-refused');
    await waitFor(async () => (await deliveries.list({ status: 'failed', limit: 5 })).length === 1, 10_000, 'the failure');
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(1);
    const [failed] = await deliveries.list({ status: 'failed', limit: 5 });
    expect(failed).toMatchObject({ callId: 'call-refused', attempts: 1, lastStatus: 400, lastError: 'answered HTTP 400' });
  });

  it('refuses a loopback target unless private addresses are allowed, and sends nothing', async () => {
    const store = await setUp([200], { allowPrivate: false });
    const bus = newBus();
    deliverCallSummaries(bus, { numbers: store.numbers, records: store.calls, deliveries, logger: silent });
    await playCall(store, bus, 'call-ssrf');
    await waitFor(async () => (await deliveries.list({ status: 'failed', limit: 5 })).length === 1, 10_000, 'the refusal');
    const [refused] = await deliveries.list({ status: 'failed', limit: 5 });
    expect(refused.lastError).toMatch(/refused 127\.0\.0\.1:\d+: a loopback, private or reserved address/);
    expect(refused.attempts).toBe(1);
    expect(receiver.received).toEqual([]);
  });

  it('sends a failed delivery again when asked, and it arrives', async () => {
    // No time left for retries: the 503 is the end of it, until someone asks again.
    const store = await setUp([503, 200], { retry: { windowMs: 0 } });
    const d = await deliveries.record('call-again', 'call.ended', receiver.url, '{"event":"call.ended"}');
    await waitFor(async () => (await store.deliveries.get(d!.id))?.status === 'failed', 10_000, 'the failure');
    expect(await store.deliveries.get(d!.id)).toMatchObject({ attempts: 1, lastStatus: 503 });
    await deliveries.redeliver(d!.id);
    await waitFor(async () => (await store.deliveries.get(d!.id))?.status === 'delivered', 10_000, 'the delivery');
    expect(await store.deliveries.get(d!.id)).toMatchObject({ attempts: 2, lastStatus: 200 });
    expect(receiver.received).toHaveLength(2);
  });
});
