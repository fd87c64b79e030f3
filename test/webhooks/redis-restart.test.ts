/**
 * Redis stops in the middle of a call and comes back empty (a restart without persistence): the
 * call's delivery, written to the database when the call ended, is queued again once Redis answers
 * and reaches the customer once. Runs a private redis-server on a free port (never the shared one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../src/emulators/free-port';
import { BullJobQueues } from '../../src/jobs/bullmq-queues';
import { deliverCallSummaries } from '../../src/webhooks/call-summaries';
import { DeliveryService, webhookQueueSpec, WEBHOOK_QUEUE } from '../../src/webhooks/deliveries';
import { WebhookSender } from '../../src/webhooks/sender';
import { verifyTolkSignature } from '../../src/webhooks/signature';
import { silent, uniquePrefix, waitFor } from '../jobs/helpers';
import { LINE, newBus, playCall, startReceiver, tempStore } from './helpers';

jest.setTimeout(60_000);

const SECRET = 'whsec-test-0123456789abcdef';

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => /Ready to accept connections/.test(out), 10_000, 'redis-server to start');
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

it('loses no delivery when Redis stops during a call and restarts empty', async () => {
  const port = await freePort();
  let redis = await startRedis(port);
  const receiver = await startReceiver([200]);
  const db = await tempStore();
  const jobs = new BullJobQueues({ redisUrl: `redis://127.0.0.1:${port}`, prefix: uniquePrefix(), specs: [webhookQueueSpec], logger: silent });
  const sender = new WebhookSender({ secret: SECRET, allowHttp: true, allowPrivate: true, timeoutMs: 2000 });
  const deliveries = new DeliveryService({ store: db.store.deliveries, jobs, send: (r) => sender.send(r), logger: silent, enqueueTimeoutMs: 300 });
  try {
    await db.store.numbers.upsert({ number: LINE, destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', webhookUrl: receiver.url });
    jobs.work(WEBHOOK_QUEUE, deliveries.processor());
    deliveries.start(200);
    const bus = newBus();
    deliverCallSummaries(bus, { numbers: db.store.numbers, records: db.store.calls, deliveries, logger: silent });

    await playCall(db.store, bus, 'call-through-outage', { beforeEnd: () => stopRedis(redis) });
    // The call ended while Redis was down: the delivery is in the database, owed.
    const [owed] = await db.store.deliveries.list({ limit: 5 });
    expect(owed).toMatchObject({ callId: 'call-through-outage', status: 'pending' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.received).toEqual([]);

    redis = await startRedis(port);
    await waitFor(async () => (await db.store.deliveries.get(owed.id))?.status === 'delivered', 30_000, 'the delivery after Redis came back');
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received).toHaveLength(1);
    expect(verifyTolkSignature(SECRET, receiver.received[0].headers['tolk-signature'] as string, receiver.received[0].body)).toBe(true);
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({ callId: 'call-through-outage', call: { transcript: [{ source: { text: 'Hola' } }] } });
  } finally {
    await deliveries.stop();
    await stopRedis(redis);
    await jobs.close().catch(() => undefined);
    await receiver.close();
    await db.close();
  }
});
