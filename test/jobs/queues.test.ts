/**
 * The job-queue port's contract, held by both adapters: in-process and BullMQ on the real Redis
 * (127.0.0.1:6379, under a prefix of each test's own).
 */
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import { DeferJobError, FinalJobError, JobFailedError, type JobContext } from '../../src/jobs/queue';
import { Redis } from 'ioredis';
import { BACKENDS, openTestQueues, silent, waitFor, type TestQueues } from './helpers';

/** What `p` has settled with so far: 'pending' until it does, then its value or its error. */
function outcomeOf(p: Promise<unknown>): { outcome: unknown } {
  const seen: { outcome: unknown } = { outcome: 'pending' };
  void p.then(
    (v) => (seen.outcome = v),
    (e: unknown) => (seen.outcome = e),
  );
  return seen;
}

describe.each(BACKENDS)('job queues (%s)', (backend) => {
  let q: TestQueues;
  const spec = { name: 'work', concurrency: 2 };
  afterEach(async () => q?.close());

  it('runs a job once however often it is added with the same id', async () => {
    q = openTestQueues(backend, [spec]);
    const runs: string[] = [];
    q.jobs.work<{ n: number }, number>('work', (job) => {
      runs.push(job.id);
      return Promise.resolve(job.data.n * 2);
    });
    const results = await Promise.all([1, 2, 3].map(() => q.jobs.addAndWait<{ n: number }, number>('work', { id: 'double.21', data: { n: 21 } }, 5000)));
    expect(results).toEqual([42, 42, 42]);
    await q.jobs.add('work', { id: 'double.21', data: { n: 21 } });
    await new Promise((r) => setTimeout(r, 200));
    expect(runs).toEqual(['double.21']);
    const job = await q.jobs.get('work', 'double.21');
    expect(job).toMatchObject({ state: 'completed', attemptsMade: 1 });
  });

  it('retries a failing job with backoff until it succeeds, counting the retries', async () => {
    const retried: string[] = [];
    q = openTestQueues(backend, [spec], { events: { retrying: (queue, id) => retried.push(`${queue}/${id}`) } });
    const attempts: number[] = [];
    q.jobs.work('work', (job: JobContext<unknown>) => {
      attempts.push(job.attempt);
      return job.attempt < 3 ? Promise.reject(new Error('not yet')) : Promise.resolve('ok');
    });
    await expect(q.jobs.addAndWait('work', { id: 'flaky', data: {}, attempts: 5, backoff: { type: 'exponential', delayMs: 50 } }, 10_000)).resolves.toBe('ok');
    expect(attempts).toEqual([1, 2, 3]);
    expect(retried).toEqual(['work/flaky', 'work/flaky']);
  });

  it('fails a job at once on a FinalJobError, and after its last attempt otherwise', async () => {
    const failed: string[] = [];
    q = openTestQueues(backend, [spec], { events: { failed: (_q, id) => failed.push(id) } });
    let finalRuns = 0;
    let plainRuns = 0;
    q.jobs.work<{ final: boolean }, never>('work', (job) => {
      if (job.data.final) {
        finalRuns++;
        return Promise.reject(new FinalJobError('refused for good'));
      }
      plainRuns++;
      return Promise.reject(new Error('still broken'));
    });
    await expect(q.jobs.addAndWait('work', { id: 'final', data: { final: true }, attempts: 5, backoff: { type: 'fixed', delayMs: 20 } }, 5000)).rejects.toThrow(JobFailedError);
    await expect(q.jobs.addAndWait('work', { id: 'plain', data: { final: false }, attempts: 2, backoff: { type: 'fixed', delayMs: 20 } }, 5000)).rejects.toThrow(/still broken/);
    expect(finalRuns).toBe(1);
    expect(plainRuns).toBe(2);
    await waitFor(() => failed.length === 2, 5000, 'failure events');
    const listed = await q.jobs.list({ queue: 'work', state: 'failed', limit: 10 });
    expect(listed.map((j) => j.id).sort()).toEqual(['final', 'plain']);
    expect(listed.find((j) => j.id === 'final')?.failedReason).toMatch(/refused for good/);
  });

  it('puts off a job on a DeferJobError without counting an attempt, showing when it is due again', async () => {
    const retried: string[] = [];
    q = openTestQueues(backend, [spec], { events: { retrying: (_q, id) => retried.push(id) } });
    const runs: { attempt: number; at: number }[] = [];
    q.jobs.work('work', (job: JobContext<unknown>) => {
      runs.push({ attempt: job.attempt, at: Date.now() });
      return runs.length < 3 ? Promise.reject(new DeferJobError('not here yet', 400)) : Promise.resolve('ran');
    });
    await q.jobs.add('work', { id: 'deferred', data: {}, attempts: 1 });
    // Put off a second time: due 400 ms after that run, not after the job was added.
    await waitFor(() => runs.length === 2, 5000, 'the second run');
    await waitFor(async () => (await q.jobs.get('work', 'deferred'))?.state === 'delayed', 5000, 'the job to be put off');
    const put = await q.jobs.get('work', 'deferred');
    expect(put).toMatchObject({ state: 'delayed', attemptsMade: 0 });
    expect(put?.runAt).toBeGreaterThan(runs[1].at + 300);
    expect(put?.runAt).toBeLessThan(runs[1].at + 1000);
    await waitFor(async () => (await q.jobs.get('work', 'deferred'))?.state === 'completed', 5000, 'the job to run');
    // Its one attempt was never spent on being put off.
    expect(runs.map((r) => r.attempt)).toEqual([1, 1, 1]);
    expect(runs[2].at - runs[1].at).toBeGreaterThanOrEqual(350);
    expect(await q.jobs.get('work', 'deferred')).toMatchObject({ attemptsMade: 1 });
    expect(retried).toEqual([]);
  });

  it('lists put-off jobs newest first, at most the limit, each with when it is due again', async () => {
    q = openTestQueues(backend, [spec]);
    const runs: Record<string, number> = {};
    q.jobs.work<{ putOffMs: number }, never>('work', (job) => {
      runs[job.id] = Date.now();
      return Promise.reject(new DeferJobError('not yet', job.data.putOffMs));
    });
    const ids = ['a', 'b', 'c'];
    for (const [i, id] of ids.entries()) {
      await q.jobs.add('work', { id, data: { putOffMs: 60_000 * (i + 1) } });
      await waitFor(async () => (await q.jobs.get('work', id))?.state === 'delayed', 5000, `job ${id} to be put off`);
      await new Promise((r) => setTimeout(r, 5)); // each added at a time of its own
    }
    const shown = await Promise.all(['c', 'b', 'a'].map((id) => q.jobs.get('work', id)));
    for (const [i, id] of ids.entries()) {
      const job = shown.find((j) => j?.id === id)!;
      expect(job.runAt).toBeGreaterThanOrEqual(runs[id] + 60_000 * (i + 1));
      expect(job.runAt).toBeLessThan(runs[id] + 60_000 * (i + 1) + 1000);
    }
    expect(await q.jobs.list({ queue: 'work', state: 'delayed', limit: 2 })).toEqual(shown.slice(0, 2));
    expect(await q.jobs.list({ limit: 10 })).toEqual(shown);
  });

  it('runs a delayed job no earlier than its time, and a removed one never', async () => {
    q = openTestQueues(backend, [spec]);
    const ran: { id: string; at: number }[] = [];
    q.jobs.work('work', (job) => {
      ran.push({ id: job.id, at: Date.now() });
      return Promise.resolve();
    });
    const added = Date.now();
    await q.jobs.add('work', { id: 'later', data: {}, runAt: Date.now() + 500 });
    await q.jobs.add('work', { id: 'cancelled', data: {}, runAt: Date.now() + 300 });
    expect((await q.jobs.get('work', 'later'))?.state).toBe('delayed');
    expect(await q.jobs.remove('work', 'cancelled')).toBe(true);
    await waitFor(() => ran.length === 1, 5000, 'the delayed job');
    await new Promise((r) => setTimeout(r, 300));
    expect(ran.map((r) => r.id)).toEqual(['later']);
    expect(ran[0].at - added).toBeGreaterThanOrEqual(490);
    expect(await q.jobs.get('work', 'cancelled')).toBeUndefined();
  });

  it('shows a delayed job due at exactly the time it was asked to run at, however long adding it took', async () => {
    q = openTestQueues(backend, [spec]);
    const runAt = Date.now() + 3_600_000;
    await new Promise((r) => setTimeout(r, 30)); // time passes before the queue stamps the job
    await q.jobs.add('work', { id: 'on-the-hour', data: {}, runAt });
    expect((await q.jobs.get('work', 'on-the-hour'))?.runAt).toBe(runAt);
  });

  it('counts jobs per queue and state, with the age of the oldest waiting one', async () => {
    q = openTestQueues(backend, [spec, { name: 'idle', concurrency: 1 }]);
    await q.jobs.add('idle', { id: 'a', data: {} });
    await q.jobs.add('idle', { id: 'b', data: {} });
    await q.jobs.add('idle', { id: 'c', data: {}, runAt: Date.now() + 60_000 });
    await new Promise((r) => setTimeout(r, 150));
    const counts = await q.jobs.counts();
    const idle = counts.find((c) => c.queue === 'idle');
    expect(idle).toMatchObject({ waiting: 2, delayed: 1, active: 0, completed: 0, failed: 0 });
    expect(idle!.oldestWaitingMs).toBeGreaterThanOrEqual(100);
    expect(counts.find((c) => c.queue === 'work')).toMatchObject({ waiting: 0, delayed: 0 });
    const waiting = await q.jobs.list({ queue: 'idle', state: 'waiting', limit: 10 });
    expect(waiting.map((j) => j.id).sort()).toEqual(['a', 'b']);
  });
  it('ends a wait for a job still unfinished, rejected, when the queues close (no timer left holding the process)', async () => {
    q = openTestQueues(backend, [spec]);
    // Nothing works the queue: the job waits.
    const wait = outcomeOf(q.jobs.addAndWait('work', { id: 'unworked', data: {} }, 60_000));
    await waitFor(async () => (await q.jobs.get('work', 'unworked')) !== undefined, 5000, 'the job to be queued');
    await q.close();
    await new Promise((r) => setImmediate(r));
    expect(wait.outcome).toBeInstanceOf(JobFailedError);
    expect(wait.outcome).toMatchObject({ timedOut: false, message: 'the job queues closed before job unworked finished' });
  });

  it('ends a wait begun as the queues close, and refuses one asked for after, both at once', async () => {
    q = openTestQueues(backend, [spec]);
    const wait = outcomeOf(q.jobs.addAndWait('work', { id: 'racing', data: {} }, 60_000));
    await q.close();
    await new Promise((r) => setImmediate(r));
    expect(wait.outcome).toBeInstanceOf(JobFailedError);
    expect(wait.outcome).toMatchObject({ timedOut: false, message: 'the job queues closed before job racing finished' });
    await expect(q.jobs.addAndWait('work', { id: 'late', data: {} }, 60_000)).rejects.toMatchObject({
      name: 'JobFailedError',
      message: 'the job queues closed before job late finished',
    });
  });
});

describe('Redis queues: listing put-off jobs', () => {
  let q: TestQueues | undefined;
  afterEach(async () => {
    jest.restoreAllMocks();
    await q?.close();
  });

  it("asks Redis when they are due only for the jobs listed, all at once rather than one after another", async () => {
    // Watched from the start: BullMQ's client keeps the methods it has bound once.
    let watching = false;
    let asking = 0;
    let mostAtOnce = 0;
    let asked = 0;
    const original = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Redis.prototype), 'zscore')!.value as (this: Redis, key: string, member: string) => Promise<string | null>;
    jest.spyOn(Redis.prototype, 'zscore').mockImplementation(function (this: Redis, key: string, member: string) {
      if (!watching) return original.call(this, key, member);
      asked++;
      mostAtOnce = Math.max(mostAtOnce, ++asking);
      return original.call(this, key, member).finally(() => asking--);
    } as Redis['zscore']);
    const queues = ['work', 'other'];
    q = openTestQueues('redis', queues.map((name) => ({ name, concurrency: 4 })));
    for (const name of queues) {
      q.jobs.work(name, () => Promise.reject(new DeferJobError('not yet', 60_000)));
      for (const id of ['a', 'b', 'c']) await q.jobs.add(name, { id, data: {} });
    }
    await waitFor(async () => (await q!.jobs.list({ state: 'delayed', limit: 10 })).length === 6, 5000, 'every job to be put off');
    watching = true;
    const listed = await q.jobs.list({ limit: 3 });
    expect(listed).toHaveLength(3);
    expect(listed.every((j) => j.state === 'delayed' && j.runAt !== undefined)).toBe(true);
    expect(asked).toBe(3);
    expect(mostAtOnce).toBe(3);
  });
});

describe('in-process queue: a job delayed for months', () => {
  afterEach(() => jest.useRealTimers());

  it('waits its whole delay, beyond what one timer can wait (about 24.8 days)', async () => {
    jest.useFakeTimers();
    const jobs = new MemoryJobQueues({ specs: [{ name: 'later', concurrency: 1 }], logger: silent });
    const ran: string[] = [];
    jobs.work('later', (job) => {
      ran.push(job.id);
      return Promise.resolve();
    });
    const day = 86_400_000;
    await jobs.add('later', { id: 'in-90-days', data: {}, runAt: Date.now() + 90 * day });
    await jest.advanceTimersByTimeAsync(89 * day);
    expect(ran).toEqual([]);
    await jest.advanceTimersByTimeAsync(day + 1000);
    expect(ran).toEqual(['in-90-days']);
    await jobs.close();
  });
});
