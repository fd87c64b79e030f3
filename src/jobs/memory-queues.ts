/**
 * The job-queue port in this process, for a deployment without Redis: the same ids, delays,
 * retries, backoff, concurrency and rate limits as the BullMQ adapter, kept in memory (a job dies
 * with the process; owners of lasting work keep it in the database and add it again at start-up).
 */
import type { Logger } from '../log/logger';
import {
  backoffDelay,
  closedBeforeFinished,
  DeferJobError,
  FinalJobError,
  JobFailedError,
  notFinishedWithin,
  type Backoff,
  type JobQueueEvents,
  type JobQueues,
  type JobRequest,
  type JobState,
  type JobView,
  type Processor,
  type QueueCounts,
  type QueueSpec,
} from './queue';

/** The longest delay one Node timer can wait. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Finished jobs kept per queue for inspection. */
const KEEP_FINISHED = 1000;

interface MemJob {
  id: string;
  data: unknown;
  state: JobState;
  attempts: number;
  attemptsMade: number;
  backoff?: Backoff;
  createdAt: number;
  runAt: number;
  seq: number;
  finishedAt?: number;
  failedReason?: string;
  result?: unknown;
  timer?: NodeJS.Timeout;
  waiters: { resolve(v: unknown): void; reject(e: Error): void }[];
}

interface MemQueue {
  spec: QueueSpec;
  jobs: Map<string, MemJob>;
  processor?: Processor<unknown, unknown>;
  active: number;
  /** Start times within the limiter's window. */
  starts: number[];
  limiterTimer?: NodeJS.Timeout;
}

export interface MemoryJobQueuesOptions {
  specs: readonly QueueSpec[];
  logger: Logger;
  events?: JobQueueEvents;
  now?: () => number;
}

export class MemoryJobQueues implements JobQueues {
  readonly kind = 'in-process';
  readonly queueNames: readonly string[];
  private readonly queues = new Map<string, MemQueue>();
  private readonly now: () => number;
  private seq = 0;
  private closed = false;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly opts: MemoryJobQueuesOptions) {
    this.now = opts.now ?? Date.now;
    for (const spec of opts.specs) this.queues.set(spec.name, { spec, jobs: new Map(), active: 0, starts: [] });
    this.queueNames = opts.specs.map((s) => s.name);
  }

  async add<D>(queue: string, req: JobRequest<D>): Promise<void> {
    this.addJob(queue, req);
    return Promise.resolve();
  }

  addAndWait<D, R>(queue: string, req: JobRequest<D>, timeoutMs: number): Promise<R> {
    if (this.closed) return Promise.reject(closedBeforeFinished(req.id));
    const job = this.addJob(queue, req);
    if (job.state === 'completed') return Promise.resolve(job.result as R);
    if (job.state === 'failed') return Promise.reject(new JobFailedError(job.failedReason ?? 'failed'));
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => reject(notFinishedWithin(req.id, timeoutMs)), timeoutMs);
      job.waiters.push({
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as R);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  async remove(queue: string, id: string): Promise<boolean> {
    const q = this.queue(queue);
    const job = q.jobs.get(id);
    if (!job || job.state === 'active') return Promise.resolve(false);
    clearTimeout(job.timer);
    q.jobs.delete(id);
    for (const w of job.waiters) w.reject(new JobFailedError(`job ${id} was removed`));
    return Promise.resolve(true);
  }

  async get(queue: string, id: string): Promise<JobView | undefined> {
    const job = this.queue(queue).jobs.get(id);
    return Promise.resolve(job ? view(queue, job) : undefined);
  }

  async list(filter: { queue?: string; state?: JobState; limit: number }): Promise<JobView[]> {
    const all: { job: MemJob; queue: string }[] = [];
    for (const [name, q] of this.queues) {
      if (filter.queue && filter.queue !== name) continue;
      for (const job of q.jobs.values()) if (!filter.state || job.state === filter.state) all.push({ job, queue: name });
    }
    all.sort((a, b) => b.job.seq - a.job.seq);
    return Promise.resolve(all.slice(0, filter.limit).map((e) => view(e.queue, e.job)));
  }

  async counts(): Promise<QueueCounts[]> {
    const now = this.now();
    return Promise.resolve(
      [...this.queues].map(([name, q]) => {
        const c: QueueCounts = { queue: name, waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, oldestWaitingMs: 0 };
        for (const job of q.jobs.values()) {
          c[job.state]++;
          if (job.state === 'waiting') c.oldestWaitingMs = Math.max(c.oldestWaitingMs, now - job.runAt);
        }
        return c;
      }),
    );
  }

  work<D, R>(queue: string, processor: Processor<D, R>): void {
    const q = this.queue(queue);
    q.processor = processor as Processor<unknown, unknown>;
    this.pump(q);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queues.values()) {
      clearTimeout(q.limiterTimer);
      for (const job of q.jobs.values()) clearTimeout(job.timer);
    }
    await Promise.all([...this.running]);
    for (const q of this.queues.values()) {
      for (const job of q.jobs.values()) for (const w of job.waiters.splice(0)) w.reject(closedBeforeFinished(job.id));
    }
  }

  private queue(name: string): MemQueue {
    const q = this.queues.get(name);
    if (!q) throw new Error(`no queue named '${name}'`);
    return q;
  }

  private addJob<D>(queue: string, req: JobRequest<D>): MemJob {
    const q = this.queue(queue);
    const existing = q.jobs.get(req.id);
    if (existing) return existing;
    const now = this.now();
    const delay = Math.max(0, (req.runAt ?? now) - now);
    const job: MemJob = {
      id: req.id,
      data: req.data,
      state: delay > 0 ? 'delayed' : 'waiting',
      attempts: Math.max(1, req.attempts ?? 1),
      attemptsMade: 0,
      backoff: req.backoff,
      createdAt: now,
      runAt: now + delay,
      seq: ++this.seq,
      waiters: [],
    };
    q.jobs.set(job.id, job);
    if (delay > 0) this.due(q, job, delay);
    else this.pump(q);
    return job;
  }

  private due(q: MemQueue, job: MemJob, delayMs: number): void {
    // A timer fires at once beyond 2^31 - 1 ms (about 24.8 days): a longer delay waits in steps.
    const step = Math.min(delayMs, MAX_TIMER_MS);
    job.timer = setTimeout(() => {
      job.timer = undefined;
      if (q.jobs.get(job.id) !== job || job.state !== 'delayed') return;
      if (delayMs > step) {
        this.due(q, job, delayMs - step);
        return;
      }
      job.state = 'waiting';
      this.pump(q);
    }, step);
  }

  /** Starts due jobs, oldest first, while the concurrency and the rate limit allow. */
  private pump(q: MemQueue): void {
    if (!q.processor || this.closed) return;
    while (q.active < q.spec.concurrency) {
      const job = this.nextWaiting(q);
      if (!job) return;
      const wait = this.limiterWait(q);
      if (wait > 0) {
        if (!q.limiterTimer) {
          q.limiterTimer = setTimeout(() => {
            q.limiterTimer = undefined;
            this.pump(q);
          }, wait);
        }
        return;
      }
      if (q.spec.limiter) q.starts.push(this.now());
      this.start(q, job);
    }
  }

  private nextWaiting(q: MemQueue): MemJob | undefined {
    let next: MemJob | undefined;
    for (const job of q.jobs.values()) if (job.state === 'waiting' && (!next || job.runAt < next.runAt)) next = job;
    return next;
  }

  /** ms until the limiter lets another job start (0: now). */
  private limiterWait(q: MemQueue): number {
    const lim = q.spec.limiter;
    if (!lim) return 0;
    const now = this.now();
    q.starts = q.starts.filter((t) => t > now - lim.durationMs);
    return q.starts.length < lim.max ? 0 : q.starts[0] + lim.durationMs - now;
  }

  private start(q: MemQueue, job: MemJob): void {
    job.state = 'active';
    job.attemptsMade++;
    q.active++;
    const processor = q.processor!;
    const run = (async () => {
      try {
        const result = await processor({ id: job.id, data: job.data, attempt: job.attemptsMade, attempts: job.attempts });
        this.finish(q, job, 'completed', result);
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        if (err instanceof DeferJobError) {
          // Put off: this attempt does not count, and the job waits in the queue (a closed queue keeps it there).
          job.attemptsMade--;
          job.state = 'delayed';
          const delay = Math.max(0, err.delayMs);
          job.runAt = this.now() + delay;
          if (!this.closed) this.due(q, job, delay);
        } else if (err instanceof FinalJobError || job.attemptsMade >= job.attempts || this.closed) {
          this.finish(q, job, 'failed', undefined, err);
        } else {
          this.opts.events?.retrying?.(q.spec.name, job.id, err);
          job.state = 'delayed';
          job.failedReason = err.message;
          const delay = backoffDelay(job.backoff, job.attemptsMade);
          job.runAt = this.now() + delay;
          this.due(q, job, delay);
        }
      } finally {
        q.active--;
        this.pump(q);
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private finish(q: MemQueue, job: MemJob, state: 'completed' | 'failed', result?: unknown, err?: Error): void {
    job.state = state;
    job.finishedAt = this.now();
    job.result = result;
    if (err) {
      job.failedReason = err.message;
      this.opts.events?.failed?.(q.spec.name, job.id, err);
      this.opts.logger.warn({ event: 'job.failed', queue: q.spec.name, jobId: job.id, attempts: job.attemptsMade, err: err.message }, 'job failed');
    }
    for (const w of job.waiters.splice(0)) {
      if (err) w.reject(new JobFailedError(err.message));
      else w.resolve(result);
    }
    this.trim(q);
  }

  private trim(q: MemQueue): void {
    const finished = [...q.jobs.values()].filter((j) => j.state === 'completed' || j.state === 'failed');
    if (finished.length <= KEEP_FINISHED) return;
    finished.sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0));
    for (const j of finished.slice(0, finished.length - KEEP_FINISHED)) q.jobs.delete(j.id);
  }
}

function view(queue: string, job: MemJob): JobView {
  return {
    queue,
    id: job.id,
    state: job.state,
    data: job.data,
    attemptsMade: job.attemptsMade,
    attempts: job.attempts,
    createdAt: job.createdAt,
    ...(job.state === 'delayed' ? { runAt: job.runAt } : {}),
    ...(job.finishedAt !== undefined ? { finishedAt: job.finishedAt } : {}),
    ...(job.failedReason !== undefined && job.state !== 'completed' ? { failedReason: job.failedReason } : {}),
    ...(job.state === 'completed' && job.result !== undefined ? { result: job.result } : {}),
  };
}
