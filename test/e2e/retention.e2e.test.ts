/**
 * Erasing ended calls in a running tolk, over its real database and job queues (in this process
 * and on the test Redis): TOLK_RETENTION_DAYS puts an hourly sweep in the `retention` queue, and an
 * operator's request erases an ended call with its transcript and webhook delivery (its dry run
 * erases nothing), and the sweep runs at once when asked.
 */
import { dropPrefix, uniquePrefix, REDIS_URL } from '../jobs/helpers';
import { ADMIN_TOKEN, TOLK_NUMBER, startRig, waitUntil, type Rig } from './harness';
import { SWEEP_INTERVAL_MS } from '../../src/retention/retention';

jest.setTimeout(60_000);

const CUSTOMER = '+34911234567';

let rig: Rig | undefined;
let prefix: string | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  if (prefix) await dropPrefix(prefix);
  prefix = undefined;
});

async function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${rig!.tolk.address.port}/api${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.each(['in-process', 'redis'] as const)('retention (job queues %s)', (backend) => {
  it('schedules the sweep for the top of the next hour, erases an ended call on request (a dry run first changing nothing), and sweeps by hand', async () => {
    if (backend === 'redis') prefix = uniquePrefix();
    rig = await startRig({
      env: { TOLK_RETENTION_DAYS: '30', TOLK_WEBHOOK_URL: 'http://127.0.0.1:9/hook', TOLK_WEBHOOK_SECRET: 'webhook-secret-0123456789', TOLK_ALLOW_HTTP_WEBHOOKS: 'true', TOLK_ALLOW_PRIVATE_WEBHOOKS: 'true', ...(prefix ? { REDIS_URL, TOLK_QUEUE_PREFIX: prefix } : {}) },
    });
    const slot = Math.floor(Date.now() / SWEEP_INTERVAL_MS) + 1;
    const slots = [slot, slot + 1]; // the hour may turn as tolk starts
    let jobs: { id: string; state: string; runAt?: string }[] = [];
    await waitUntil(async () => {
      jobs = (await api('/jobs?queue=retention')).body.jobs as typeof jobs;
      return jobs.length > 0;
    }, 10_000, 'the retention sweep to be scheduled');
    expect(jobs).toEqual([expect.objectContaining({ state: 'delayed' })]);
    const scheduled = Number(jobs[0].id.replace('retention.', ''));
    expect(slots).toContain(scheduled);
    // Due at the top of the hour, to the millisecond, however long adding the job took.
    expect(Date.parse(jobs[0].runAt!)).toBe(scheduled * SWEEP_INTERVAL_MS);

    // A call that ends at once (the customer tolk calls is busy); its end is owed to the webhook.
    rig.twilio.setCallee(CUSTOMER, { scenario: { kind: 'busy' } });
    const placed = await api('/calls', { method: 'POST', body: { line: TOLK_NUMBER, to: CUSTOMER } });
    expect(placed.status).toBe(202);
    const id = String(placed.body.id);
    await waitUntil(async () => (await api(`/calls/${id}`)).body.outcome === 'busy', 20_000, 'the call to end');
    await waitUntil(async () => ((await api(`/deliveries?call=${id}`)).body.deliveries as unknown[]).length > 0, 10_000, 'the delivery owed for the call');

    const finishedJobs = async (): Promise<string> => JSON.stringify([(await api('/jobs?state=completed')).body.jobs, (await api('/jobs?state=failed')).body.jobs]);
    await waitUntil(async () => (await finishedJobs()).includes(CUSTOMER), 10_000, 'the dial job to finish');
    // A dry run says what would go and leaves the call, its delivery and the jobs about it.
    const jobsBefore = await finishedJobs();
    const dry = await api('/calls/erase', { method: 'POST', body: { from: CUSTOMER, dryRun: true } });
    expect(dry).toEqual({ status: 200, body: { calls: 1, deliveries: 1, callerLanguages: 0, more: false, dryRun: true } });
    expect((await api(`/calls/${id}`)).status).toBe(200);
    expect((await api(`/deliveries?call=${id}`)).body.deliveries).toHaveLength(1);
    expect(await finishedJobs()).toBe(jobsBefore);
    const erased = await api('/calls/erase', { method: 'POST', body: { from: CUSTOMER } });
    expect(erased).toEqual({ status: 200, body: { calls: 1, deliveries: 1, callerLanguages: 0, more: false } });
    expect((await api(`/calls/${id}`)).status).toBe(404);
    expect((await api(`/deliveries?call=${id}`)).body.deliveries).toEqual([]);
    // The finished jobs that dialled them are gone too: nothing tolk shows names them any more.
    expect(await finishedJobs()).not.toContain(CUSTOMER);
    expect(await finishedJobs()).not.toContain(id);
    // The sweep by hand is queued at once, by the deployment's period, and runs as a job of the
    // retention queue (nothing of today's is 30 days old).
    const queued = await api('/calls/sweep', { method: 'POST' });
    expect(queued).toEqual({ status: 202, body: { queue: 'retention', id: expect.stringMatching(/^retention\.byhand\./), days: 30, before: expect.any(String) } });
    expect(Math.abs(Date.parse(String(queued.body.before)) - (Date.now() - 30 * 86_400_000))).toBeLessThan(60_000);
    let job: Record<string, unknown> = {};
    await waitUntil(async () => {
      job = (await api(`/jobs/retention/${String(queued.body.id)}`)).body;
      return job.state === 'completed' || job.state === 'failed';
    }, 10_000, 'the sweep by hand to run');
    expect(job).toMatchObject({ state: 'completed', result: { calls: 0, deliveries: 0, callerLanguages: 0, more: false, days: 30, before: queued.body.before } });
  });
});
