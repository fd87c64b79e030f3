/** The queues as an operator inspects them: `GET /api/jobs` and `tolk jobs`. */
import request from 'supertest';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import { FinalJobError } from '../../src/jobs/queue';
import { startTolkServer, type TolkServer } from '../cli/helpers/run-tolk';
import { auth } from '../http/helpers/admin-app';
import { silent, waitFor } from './helpers';

jest.setTimeout(60_000);

let jobs: MemoryJobQueues;
let server: TolkServer;
/** When the delayed dial was asked to run. */
let askedRunAt = 0;
beforeAll(async () => {
  jobs = new MemoryJobQueues({ specs: [{ name: 'dial', concurrency: 1 }, { name: 'webhooks', concurrency: 1 }], logger: silent });
  jobs.work('webhooks', (job) => Promise.reject(new FinalJobError(`endpoint answered 400 for ${job.id}`)));
  await jobs.add('webhooks', { id: 'delivery.1', data: { url: 'https://crm.example.com/hook' } });
  await jobs.add('dial', { id: 'dial.call-9.agent', data: { to: '+15550002222' } });
  askedRunAt = Date.now() + 3_600_000;
  await jobs.add('dial', { id: 'dial.call-10.agent', data: { to: '+15550003333' }, runAt: askedRunAt });
  await waitFor(async () => (await jobs.get('webhooks', 'delivery.1'))?.state === 'failed');
  server = await startTolkServer({ jobs });
});
afterAll(async () => {
  await server.close();
  await jobs.close();
});

describe('GET /api/jobs', () => {
  it('lists the queues with their counts and the newest jobs', async () => {
    const res = await request(server.http.app).get('/api/jobs').set(auth).expect(200);
    expect((res.body as { backend: string }).backend).toBe('in-process');
    const body = res.body as { backend: string; queues: unknown[]; jobs: { id: string; runAt: string; createdAt: string }[] };
    expect(body.queues).toEqual([
      expect.objectContaining({ queue: 'dial', waiting: 1, delayed: 1, active: 0, failed: 0 }),
      expect.objectContaining({ queue: 'webhooks', waiting: 0, failed: 1 }),
    ]);
    expect(body.jobs.map((j) => j.id)).toEqual(['dial.call-10.agent', 'dial.call-9.agent', 'delivery.1']);
    const delayed = body.jobs[0];
    expect(delayed).toMatchObject({ queue: 'dial', state: 'delayed', attemptsMade: 0, data: { to: '+15550003333' } });
    // It runs when it was asked to, an hour after it was added (a millisecond may pass between the two).
    expect(Date.parse(delayed.runAt)).toBe(askedRunAt);
    expect(Date.parse(delayed.runAt) - Date.parse(delayed.createdAt)).toBeGreaterThan(3_600_000 - 1000);
    expect(Date.parse(delayed.runAt) - Date.parse(delayed.createdAt)).toBeLessThanOrEqual(3_600_000);
  });

  it('filters by queue and state', async () => {
    const res = await request(server.http.app).get('/api/jobs?queue=webhooks&state=failed').set(auth).expect(200);
    expect(res.body.jobs).toEqual([expect.objectContaining({ id: 'delivery.1', state: 'failed', failedReason: 'endpoint answered 400 for delivery.1' })]);
  });

  it('refuses an unknown queue, state or limit with one problem each', async () => {
    const res = await request(server.http.app).get('/api/jobs?queue=nope&state=sleeping&limit=0').set(auth).expect(400);
    const problems = (res.body as { problems: { path: string[]; message: string }[] }).problems;
    expect(problems.map((p) => p.path[0])).toEqual(['queue', 'state', 'limit']);
    expect(problems[0].message).toBe('must be one of dial, webhooks');
  });

  it('needs the admin token', async () => {
    await request(server.http.app).get('/api/jobs').expect(401);
    await request(server.http.app).get('/api/jobs/webhooks/delivery.1').expect(401);
  });
});

describe('GET /api/jobs/{queue}/{id}', () => {
  it('answers one job with its state, times and failure; 404 for a queue or job there is not', async () => {
    const failed = (await request(server.http.app).get('/api/jobs/webhooks/delivery.1').set(auth).expect(200)).body as Record<string, unknown>;
    expect(failed).toMatchObject({ queue: 'webhooks', id: 'delivery.1', state: 'failed', failedReason: 'endpoint answered 400 for delivery.1', data: { url: 'https://crm.example.com/hook' } });
    expect(Date.parse(String(failed.finishedAt))).toBeGreaterThanOrEqual(Date.parse(String(failed.createdAt)));
    expect((await request(server.http.app).get('/api/jobs/dial/dial.call-10.agent').set(auth).expect(200)).body).toMatchObject({ state: 'delayed', runAt: expect.any(String) });
    expect((await request(server.http.app).get('/api/jobs/dial/dial.nope').set(auth).expect(404)).body).toEqual({ error: "no job 'dial.nope' in queue dial" });
    expect((await request(server.http.app).get('/api/jobs/nope/x').set(auth).expect(404)).body).toEqual({ error: "no queue 'nope' (the queues: dial, webhooks)" });
  });
});

describe('tolk jobs', () => {
  it('prints the queues (how long the oldest waiting job has waited, - for none) and jobs as tables, and the API answer with --json', async () => {
    const [text, json, failed] = await Promise.all([server.tolk('jobs'), server.tolk('jobs', '--json'), server.tolk('jobs', '--state', 'failed')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Queues \(in-process\):\nQUEUE\s+WAITING\s+DELAYED\s+ACTIVE\s+COMPLETED\s+FAILED\s+OLDEST WAITING\ndial\s+1\s+1\s+0\s+0\s+0\s+\d+\.\d s\nwebhooks\s+0\s+0\s+0\s+0\s+1\s+-\n/);
    expect(text.stdout).toMatch(/dial\s+dial\.call-10\.agent\s+delayed\s+0\/1/);
    expect((JSON.parse(json.stdout) as { jobs: unknown[] }).jobs).toHaveLength(3);
    expect(failed.stdout).toMatch(/webhooks\s+delivery\.1\s+failed\s+1\/1\s+\S+\s+\S+\s+endpoint answered 400 for delivery\.1/);
    expect(failed.stdout).not.toContain('dial.call-9');
  });

  it('refuses a state that is none, exit 2', async () => {
    const r = await server.tolk('jobs', '--state', 'sleeping');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Allowed choices are waiting, delayed, active, completed, failed');
  });
});
