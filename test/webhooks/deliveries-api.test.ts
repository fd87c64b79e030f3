/** Failed deliveries as an operator finds and resends them: `/api/deliveries` and `tolk deliveries`. */
import request from 'supertest';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import { DeliveryService, webhookQueueSpec, WEBHOOK_QUEUE } from '../../src/webhooks/deliveries';
import { WebhookSender } from '../../src/webhooks/sender';
import { startTolkServer, type TolkServer } from '../cli/helpers/run-tolk';
import { auth } from '../http/helpers/admin-app';
import { silent, waitFor } from '../jobs/helpers';
import { startReceiver, tempStore, type Receiver } from './helpers';
import type { Store } from '../../src/store/open-store';

jest.setTimeout(60_000);

let receiver: Receiver;
let db: { store: Store; close(): Promise<void> };
let jobs: MemoryJobQueues;
let deliveries: DeliveryService;
let server: TolkServer;
let failedId: string;
let deliveredId: string;

beforeAll(async () => {
  // The customer refuses the first call's delivery (400) and accepts everything after.
  receiver = await startReceiver([400, 200]);
  db = await tempStore();
  jobs = new MemoryJobQueues({ specs: [webhookQueueSpec], logger: silent });
  const sender = new WebhookSender({ secret: 'whsec-test-0123456789abcdef', allowHttp: true, allowPrivate: true });
  deliveries = new DeliveryService({ store: db.store.deliveries, jobs, send: (r) => sender.send(r), logger: silent });
  jobs.work(WEBHOOK_QUEUE, deliveries.processor());
  failedId = (await deliveries.record('call-refused', 'call.ended', receiver.url, '{"event":"call.ended","callId":"call-refused"}'))!.id;
  await waitFor(async () => (await db.store.deliveries.get(failedId))?.status === 'failed');
  deliveredId = (await deliveries.record('call-fine', 'call.ended', receiver.url, '{"event":"call.ended","callId":"call-fine"}'))!.id;
  await waitFor(async () => (await db.store.deliveries.get(deliveredId))?.status === 'delivered');
  server = await startTolkServer({ deliveries });
});

afterAll(async () => {
  await server.close();
  await jobs.close();
  await receiver.close();
  await db.close();
});

describe('/api/deliveries', () => {
  it('lists deliveries newest first, and the failed ones with their answer', async () => {
    const all = await request(server.http.app).get('/api/deliveries').set(auth).expect(200);
    const list = (all.body as { deliveries: { id: string; status: string }[] }).deliveries;
    expect(list.map((d) => [d.id, d.status])).toEqual([
      [deliveredId, 'delivered'],
      [failedId, 'failed'],
    ]);
    const failed = await request(server.http.app).get('/api/deliveries?status=failed').set(auth).expect(200);
    expect((failed.body as { deliveries: unknown[] }).deliveries).toEqual([
      expect.objectContaining({ id: failedId, callId: 'call-refused', status: 'failed', attempts: 1, lastStatus: 400, lastError: 'answered HTTP 400', url: receiver.url }),
    ]);
  });

  it('shows one with its payload; 404 for none', async () => {
    const one = await request(server.http.app).get(`/api/deliveries/${failedId}`).set(auth).expect(200);
    expect((one.body as { payload: unknown }).payload).toEqual({ event: 'call.ended', callId: 'call-refused' });
    await request(server.http.app).get('/api/deliveries/nope').set(auth).expect(404);
  });

  it('refuses a bad status or limit, and retrying one that was delivered', async () => {
    const bad = await request(server.http.app).get('/api/deliveries?status=lost&limit=500').set(auth).expect(400);
    expect((bad.body as { problems: { path: string[] }[] }).problems.map((p) => p.path[0])).toEqual(['status', 'limit']);
    await request(server.http.app).post(`/api/deliveries/${deliveredId}/retry`).set(auth).expect(409);
    await request(server.http.app).post('/api/deliveries/nope/retry').set(auth).expect(404);
  });
});

describe('tolk deliveries', () => {
  it("--call: a call's deliveries, also for a call no longer on record (its id as given)", async () => {
    const listed = await server.tolk('deliveries', 'list', '--call', 'call-refused', '--json');
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { deliveries: { id: string }[] }).deliveries.map((d) => d.id)).toEqual([failedId]);
  });

  it('lists the failed ones, and retry sends one again until it is delivered', async () => {
    const listed = await server.tolk('deliveries', 'list', '--status', 'failed');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+CALL\s+STATUS\s+ATTEMPTS\s+CREATED\s+LAST ANSWER\s+URL\n/);
    expect(listed.stdout).toMatch(new RegExp(`${failedId}\\s+call-refused\\s+failed\\s+1\\s+\\S+\\s+HTTP 400\\s+http://127\\.0\\.0\\.1`));
    expect(listed.stdout).not.toContain(deliveredId);

    const retried = await server.tolk('deliveries', 'retry', failedId);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toBe(`Delivery ${failedId} queued again.\n`);
    await waitFor(async () => (await db.store.deliveries.get(failedId))?.status === 'delivered');
    expect(receiver.received.filter((r) => r.headers['idempotency-key'] === 'call-refused')).toHaveLength(2);

    const again = await server.tolk('deliveries', 'retry', failedId);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('was delivered already');
  });
});
