import request from 'supertest';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import { retentionQueueSpec } from '../../src/retention/retention';
import { silentLogger } from '../store/helpers/silent-logger';
import { adminSetup, auth } from './helpers/admin-app';

type Problems = { error: string; problems: { path: string[]; message: string }[] };
const listed = async (app: Parameters<typeof request>[0]): Promise<string[]> =>
  ((await request(app).get('/api/calls').set(auth).expect(200)).body as { calls: { id: string }[] }).calls.map((c) => c.id);

describe('POST /api/calls/erase', () => {
  it('erases the calls that ended before a time, with their transcripts, and keeps later and live ones', async () => {
    const { http } = await adminSetup();
    // call-1 ended 10:01:00, call-2 at 10:01:20, call-3 is still ringing.
    const res = await request(http.app).post('/api/calls/erase').set(auth).send({ endedBefore: '2025-01-01T10:01:10Z' }).expect(200);
    expect(res.body).toEqual({ calls: 1, deliveries: 0, callerLanguages: 0, more: false });
    await request(http.app).get('/api/calls/call-1').set(auth).expect(404);
    expect(await listed(http.app)).toEqual(['call-3', 'call-2']);
    // Without endedBefore: every ended call of one caller (here none left but the live one).
    expect((await request(http.app).post('/api/calls/erase').set(auth).send({ from: '+34 600 000 001' }).expect(200)).body).toMatchObject({ calls: 0 });
    expect(await listed(http.app)).toEqual(['call-3', 'call-2']);
  });

  it("erases one caller's ended calls, whenever they ended", async () => {
    const { http } = await adminSetup();
    expect((await request(http.app).post('/api/calls/erase').set(auth).send({ from: '+4930000000' }).expect(200)).body).toMatchObject({ calls: 1 });
    expect(await listed(http.app)).toEqual(['call-3', 'call-1']);
  });

  it('answers 400 naming each bad field, and erases nothing', async () => {
    const { http } = await adminSetup();
    const problems = async (body: unknown) => ((await request(http.app).post('/api/calls/erase').set(auth).send(body as object).type('json').expect(400)).body as Problems).problems;
    expect(await problems({})).toEqual([{ path: [], message: expect.stringContaining('say which calls') }]);
    expect(await problems(JSON.stringify(null))).toEqual([{ path: [], message: expect.stringContaining('must be a JSON object') }]);
    const many = await problems({ endedBefore: '2025-02-30', from: 'anyone', colour: 'red' });
    expect(Object.fromEntries(many.map((p) => [p.path[0] ?? '', p.message]))).toEqual({
      '': expect.stringContaining("unknown field 'colour'"),
      endedBefore: 'there is no 2025-02-30: February 2025 has 28 days',
      from: expect.stringContaining("'anyone' is not an E.164 number"),
    });
    expect(await problems({ endedBefore: '31/01/2025' })).toEqual([{ path: ['endedBefore'], message: expect.stringContaining("'31/01/2025' is not an ISO 8601 date") }]);
    expect(await problems({ endedBefore: '2999-01-01' })).toEqual([{ path: ['endedBefore'], message: expect.stringContaining('is in the future') }]);
    expect(await problems({ endedBefore: 20250101 })).toEqual([{ path: ['endedBefore'], message: 'must be a string' }]);
    expect(await problems({ from: '+1'.repeat(40) })).toEqual([{ path: ['from'], message: 'must be at most 64 characters' }]);
    expect(await listed(http.app)).toEqual(['call-3', 'call-2', 'call-1']);
  });

  it('with dryRun answers what the same request would erase, and erases nothing', async () => {
    const { http } = await adminSetup();
    const dry = await request(http.app).post('/api/calls/erase').set(auth).send({ endedBefore: '2025-01-01T10:01:30Z', dryRun: true }).expect(200);
    expect(dry.body).toEqual({ calls: 2, deliveries: 0, callerLanguages: 0, more: false, dryRun: true });
    expect(await listed(http.app)).toEqual(['call-3', 'call-2', 'call-1']);
    await request(http.app).get('/api/calls/call-1').set(auth).expect(200);
    expect((await request(http.app).post('/api/calls/erase').set(auth).send({ from: '+34600000000', dryRun: true }).expect(200)).body).toEqual({ calls: 1, deliveries: 0, callerLanguages: 0, more: false, dryRun: true });
    expect(await listed(http.app)).toEqual(['call-3', 'call-2', 'call-1']);
    // dryRun false is a real erasure, which erases what the dry run counted.
    expect((await request(http.app).post('/api/calls/erase').set(auth).send({ endedBefore: '2025-01-01T10:01:30Z', dryRun: false }).expect(200)).body).toEqual({ calls: 2, deliveries: 0, callerLanguages: 0, more: false });
    expect(await listed(http.app)).toEqual(['call-3']);
  });

  it('refuses a dryRun that is not a boolean, and a dry run that does not say which calls', async () => {
    const { http } = await adminSetup();
    const problems = async (body: object) => ((await request(http.app).post('/api/calls/erase').set(auth).send(body).expect(400)).body as Problems).problems;
    expect(await problems({ endedBefore: '2025-01-02', dryRun: 'yes' })).toEqual([{ path: ['dryRun'], message: 'must be true or false' }]);
    expect(await problems({ dryRun: true })).toEqual([{ path: [], message: expect.stringContaining('say which calls') }]);
    expect(await listed(http.app)).toHaveLength(3);
  });

  it('needs the admin token', async () => {
    const { http } = await adminSetup();
    await request(http.app).post('/api/calls/erase').send({ endedBefore: '2025-01-02' }).expect(401);
    await request(http.app).post('/api/calls/erase').send({ endedBefore: '2025-01-02', dryRun: true }).expect(401);
    expect(await listed(http.app)).toHaveLength(3);
  });
});

describe('POST /api/calls/sweep', () => {
  // 30 days after 2025-01-01T10:01:10Z: call-1 ended before that (10:01:00), call-2 after (10:01:20).
  const NOW = Date.parse('2025-01-31T10:01:10Z');

  /** The job the API answered with, once it is no longer waiting or running. */
  const finished = async (app: Parameters<typeof request>[0], location: string): Promise<Record<string, unknown>> => {
    for (;;) {
      const job = (await request(app).get(location).set(auth).expect(200)).body as Record<string, unknown>;
      if (job.state === 'completed' || job.state === 'failed') return job;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('answers 202 at once with the job that sweeps and its cut-off; the job erases what is that old and its result says what', async () => {
    const { http } = await adminSetup({ retentionDays: 30, now: () => NOW });
    const res = await request(http.app).post('/api/calls/sweep').set(auth).expect(202);
    const queued = res.body as { queue: string; id: string; days: number; before: string };
    expect(queued).toEqual({ queue: 'retention', id: expect.stringMatching(/^retention\.byhand\./), days: 30, before: '2025-01-01T10:01:10.000Z' });
    expect(res.headers.location).toBe(`/api/jobs/retention/${queued.id}`);
    const job = await finished(http.app, res.headers.location);
    expect(job).toMatchObject({ queue: 'retention', id: queued.id, state: 'completed', data: { days: 30, before: '2025-01-01T10:01:10.000Z' } });
    expect(job.result).toEqual({ calls: 1, deliveries: 0, callerLanguages: 0, more: false, days: 30, before: '2025-01-01T10:01:10.000Z' });
    expect(await listed(http.app)).toEqual(['call-3', 'call-2']);
    // Run again at once: a job of its own, and nothing more is that old.
    const again = await request(http.app).post('/api/calls/sweep').set(auth).expect(202);
    expect(again.body.id).not.toBe(queued.id);
    expect((await finished(http.app, again.headers.location)).result).toMatchObject({ calls: 0, more: false });
    expect(await listed(http.app)).toEqual(['call-3', 'call-2']);
  });

  it('answers before the sweep has erased anything: the request does none of the erasing', async () => {
    // A queue nobody works: the sweep waits there, and the calls are all still listed.
    const jobs = new MemoryJobQueues({ specs: [retentionQueueSpec], logger: silentLogger() });
    const { http } = await adminSetup({ retentionDays: 30, now: () => NOW, retentionJobs: jobs });
    const res = await request(http.app).post('/api/calls/sweep').set(auth).expect(202);
    expect((await request(http.app).get(res.headers.location).set(auth).expect(200)).body).toMatchObject({ state: 'waiting' });
    expect(await listed(http.app)).toHaveLength(3);
    await jobs.close();
  });

  it('without TOLK_RETENTION_DAYS queues a sweep by no cut-off, which erases no call', async () => {
    const { http } = await adminSetup({ now: () => NOW });
    const res = await request(http.app).post('/api/calls/sweep').set(auth).expect(202);
    const queued = res.body as { id: string };
    expect(queued).toEqual({ queue: 'retention', id: expect.stringMatching(/^retention\.byhand\./) });
    const job = await finished(http.app, res.headers.location);
    expect(job).toMatchObject({ state: 'completed', data: {} });
    expect(job.result).toEqual({ calls: 0, deliveries: 0, callerLanguages: 0, more: false });
    expect(await listed(http.app)).toHaveLength(3);
  });

  it('needs the admin token', async () => {
    const { http } = await adminSetup({ retentionDays: 30, now: () => NOW });
    await request(http.app).post('/api/calls/sweep').expect(401);
    expect(await listed(http.app)).toHaveLength(3);
  });
});
