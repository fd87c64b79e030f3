/**
 * The job-queue port on BullMQ and Redis (REDIS_URL): jobs live in Redis, so they survive a
 * worker's or a server's restart (a job whose worker died is found by BullMQ's stalled-job check
 * and run again; one found so a third time is failed without running, and the queue's owner is
 * told: `abandoned`), every instance sharing the Redis shares the queues, and a queue's rate limit
 * holds across all of them. Keys are namespaced by `prefix` (TOLK_QUEUE_PREFIX).
 */
import { EventEmitter } from 'node:events';
import { DelayedError, Queue, QueueEvents, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from '../log/logger';
import {
  closedBeforeFinished,
  DeferJobError,
  FinalJobError,
  isJobState,
  JobFailedError,
  notFinishedWithin,
  type JobQueueEvents,
  type JobQueues,
  type JobRequest,
  type JobState,
  type JobView,
  type Processor,
  type QueueCounts,
  type QueueSpec,
  type WorkOptions,
} from './queue';

/** The reason BullMQ's own job waits are given when the queues close (see `close`). */
const QUEUES_CLOSED = 'tolk: the job queues closed';

export interface BullJobQueuesOptions {
  redisUrl: string;
  /** Namespace of every Redis key (default 'tolk'). */
  prefix?: string;
  specs: readonly QueueSpec[];
  logger: Logger;
  events?: JobQueueEvents;
  /** How long a worker holds a job before others may take it as stalled (TOLK_JOB_LOCK_MS, default 30 s). */
  lockDurationMs?: number;
}

/** Our state names to BullMQ's. */
const BULL_STATE: Record<JobState, 'wait' | 'delayed' | 'active' | 'completed' | 'failed'> = {
  waiting: 'wait',
  delayed: 'delayed',
  active: 'active',
  completed: 'completed',
  failed: 'failed',
};

/** Finished jobs kept for inspection: a day, at most 1000 per queue (failed: a week). */
const KEEP_COMPLETED = { age: 24 * 3600, count: 1000 };
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 1000 };

export class BullJobQueues implements JobQueues {
  readonly kind = 'redis';
  readonly queueNames: readonly string[];
  private readonly specs = new Map<string, QueueSpec>();
  private readonly queues = new Map<string, Queue>();
  private readonly queueEvents = new Map<string, QueueEvents>();
  private readonly workers: Worker[] = [];
  private readonly connection: ConnectionOptions;
  private readonly prefix: string;
  private readonly log: Logger;
  private closed = false;
  /** The waits (`addAndWait`) not settled yet: each ends, rejected, when the queues close. */
  private readonly waits = new Set<() => void>();

  constructor(private readonly opts: BullJobQueuesOptions) {
    for (const s of opts.specs) this.specs.set(s.name, s);
    this.queueNames = opts.specs.map((s) => s.name);
    this.prefix = opts.prefix ?? 'tolk';
    this.connection = { url: opts.redisUrl };
    this.log = opts.logger.child({ component: 'jobs' });
  }

  async add<D>(queue: string, req: JobRequest<D>): Promise<void> {
    await this.addJob(queue, req);
  }

  /**
   * The wait is tolk's own (its timer, and `close` ending it): BullMQ's `waitUntilFinished` is given
   * no timeout, so no timer of its own outlives the queues, and its listeners go when the job
   * finishes or the queue closes.
   */
  async addAndWait<D, R>(queue: string, req: JobRequest<D>, timeoutMs: number): Promise<R> {
    if (this.closed) throw closedBeforeFinished(req.id);
    let end!: (err: JobFailedError) => void;
    const ended = new Promise<never>((_, reject) => (end = reject));
    const closing = (): void => end(closedBeforeFinished(req.id));
    this.waits.add(closing);
    const timer = setTimeout(() => end(notFinishedWithin(req.id, timeoutMs)), timeoutMs);
    try {
      const events = this.events(queue);
      await Promise.race([events.waitUntilReady(), ended]);
      const job = await Promise.race([this.addJob(queue, req), ended]);
      return (await Promise.race([job.waitUntilFinished(events), ended])) as R;
    } catch (err) {
      if (err instanceof JobFailedError) throw err;
      if (this.closed) throw closedBeforeFinished(req.id);
      throw new JobFailedError(err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
      this.waits.delete(closing);
    }
  }

  async remove(queue: string, id: string): Promise<boolean> {
    const job = await this.queue(queue).getJob(id);
    if (!job) return false;
    const state = await job.getState();
    if (state === 'active') return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // it started meanwhile (locked)
    }
  }

  async get(queue: string, id: string): Promise<JobView | undefined> {
    const job = await this.queue(queue).getJob(id);
    if (!job) return undefined;
    const state = toState(await job.getState());
    const [dueAt] = await this.dueTimes([{ queue, job, state }]);
    return view(queue, job, state, dueAt);
  }

  async list(filter: { queue?: string; state?: JobState; limit: number }): Promise<JobView[]> {
    const names = filter.queue ? [filter.queue] : this.queueNames;
    const states: JobState[] = filter.state ? [filter.state] : ['waiting', 'delayed', 'active', 'completed', 'failed'];
    const found: FoundJob[] = [];
    for (const name of names) {
      const q = this.queue(name);
      for (const state of states) {
        const jobs = await q.getJobs(BULL_STATE[state], 0, filter.limit - 1, false);
        for (const job of jobs) if (job) found.push({ queue: name, job: job as Job, state });
      }
    }
    const listed = found.sort((a, b) => b.job.timestamp - a.job.timestamp).slice(0, filter.limit);
    const due = await this.dueTimes(listed);
    return listed.map((f, i) => view(f.queue, f.job, f.state, due[i]));
  }

  async counts(): Promise<QueueCounts[]> {
    const now = Date.now();
    return Promise.all(
      this.queueNames.map(async (name) => {
        const q = this.queue(name);
        const c = await q.getJobCounts('wait', 'delayed', 'active', 'completed', 'failed', 'prioritized');
        const oldest = (await q.getJobs('wait', -1, -1, false))[0] ?? (await q.getJobs('wait', 0, 0, true))[0];
        const due = oldest ? oldest.timestamp + (oldest.opts.delay ?? 0) : now;
        return {
          queue: name,
          waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
          delayed: c.delayed ?? 0,
          active: c.active ?? 0,
          completed: c.completed ?? 0,
          failed: c.failed ?? 0,
          oldestWaitingMs: Math.max(0, now - due),
        };
      }),
    );
  }

  work<D, R>(queue: string, processor: Processor<D, R>, options: WorkOptions<D> = {}): void {
    const spec = this.spec(queue);
    /** Jobs this worker ran the processor for: a job that fails without being among them was failed by BullMQ itself. */
    const ran = new WeakSet<Job>();
    const worker = new Worker(
      queue,
      async (job: Job, token?: string) => {
        ran.add(job);
        try {
          return await processor({ id: job.id ?? '', data: job.data as D, attempt: job.attemptsMade + 1, attempts: job.opts.attempts ?? 1 });
        } catch (err) {
          if (err instanceof FinalJobError) throw new UnrecoverableError(err.message);
          if (err instanceof DeferJobError) {
            // Back to the delayed set without counting an attempt; DelayedError tells the worker it was moved.
            await job.moveToDelayed(Date.now() + Math.max(0, err.delayMs), token);
            throw new DelayedError();
          }
          throw err;
        }
      },
      {
        connection: this.connection,
        prefix: this.prefix,
        concurrency: spec.concurrency,
        ...(spec.limiter ? { limiter: { max: spec.limiter.max, duration: spec.limiter.durationMs } } : {}),
        ...(this.opts.lockDurationMs ? { lockDuration: this.opts.lockDurationMs, stalledInterval: this.opts.lockDurationMs } : {}),
        // A job is taken over when its worker stops renewing its lock (died, or its event loop
        // stalled); twice is still a worker's fault, a third time it is the job's and it fails.
        maxStalledCount: 2,
      },
    );
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      if (final) {
        this.opts.events?.failed?.(queue, job.id ?? '', err);
        this.log.warn({ event: 'job.failed', queue, jobId: job.id, attempts: job.attemptsMade, err: err.message }, 'job failed');
        // Failed without running (it stalled too often): its owner's processor never sees it.
        if (!ran.has(job) && options.abandoned) {
          const context = { id: job.id ?? '', data: job.data as D, attempt: job.attemptsMade + 1, attempts: job.opts.attempts ?? 1 };
          options.abandoned(context, err.message).catch((e: unknown) => {
            this.log.error({ event: 'job.abandoned_failed', queue, jobId: job.id, err: e instanceof Error ? e.message : String(e) }, 'could not handle a job that failed without running');
          });
        }
      } else {
        this.opts.events?.retrying?.(queue, job.id ?? '', err);
      }
    });
    worker.on('error', (err) => this.log.warn({ event: 'jobs.worker_error', queue, err: err.message }, 'queue worker error (Redis unreachable?)'));
    this.workers.push(worker);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
    for (const end of [...this.waits]) end();
    // BullMQ's `waitUntilFinished` drops its listeners when its queue emits 'closing', which
    // Queue#close does not emit itself.
    for (const q of this.queues.values()) EventEmitter.prototype.emit.call(q, 'closing', QUEUES_CLOSED);
    await Promise.all([...this.queueEvents.values()].map((e) => e.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

  private spec(name: string): QueueSpec {
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`no queue named '${name}'`);
    return spec;
  }

  private queue(name: string): Queue {
    this.spec(name);
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: { removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED } });
      // Every job waited for adds a listener while it is being added; a burst is not a leak.
      q.setMaxListeners(0);
      q.on('error', (err) => this.log.warn({ event: 'jobs.queue_error', queue: name, err: err.message }, 'queue error (Redis unreachable?)'));
      this.queues.set(name, q);
    }
    return q;
  }

  private events(name: string): QueueEvents {
    this.spec(name);
    let e = this.queueEvents.get(name);
    if (!e) {
      e = new QueueEvents(name, { connection: this.connection, prefix: this.prefix });
      e.on('error', (err) => this.log.warn({ event: 'jobs.events_error', queue: name, err: err.message }, 'queue events error (Redis unreachable?)'));
      this.queueEvents.set(name, e);
    }
    return e;
  }

  /**
   * When each delayed job that has run before (put off, or waiting to be retried) is due: its score
   * in the delayed set (ms << 12), as its own fields say only when it was added and its first delay;
   * undefined for the others. The scores are asked all at once, so they are pipelined on each
   * queue's connection: one round trip for a whole listing, not one a job. (BullMQ's typed
   * pipeline() has no ZSCORE.)
   */
  private dueTimes(found: readonly FoundJob[]): Promise<(number | undefined)[]> {
    return Promise.all(
      found.map(async ({ queue, job, state }) => {
        if (state !== 'delayed' || !job.processedOn || !job.id) return undefined;
        const q = this.queue(queue);
        const score = await (await q.getBackend().client).zscore(q.keys.delayed, job.id);
        return score === null ? undefined : Math.floor(Number(score) / 0x1000);
      }),
    );
  }

  private async addJob<D>(queue: string, req: JobRequest<D>): Promise<Job> {
    // BullMQ keeps when the job was added and its delay: the job is stamped here with the same
    // `now` its delay is counted from, so the two add up to `runAt` exactly.
    const now = Date.now();
    const delay = req.runAt === undefined ? 0 : Math.round(req.runAt - now);
    return this.queue(queue).add(queue, req.data, {
      jobId: req.id,
      timestamp: now,
      ...(delay > 0 ? { delay } : {}),
      attempts: Math.max(1, req.attempts ?? 1),
      ...(req.backoff ? { backoff: { type: req.backoff.type, delay: req.backoff.delayMs, jitter: 0.5 } } : {}),
    });
  }
}

/** A job found in one of a queue's states. */
interface FoundJob {
  queue: string;
  job: Job;
  state: JobState;
}

function toState(s: string): JobState {
  if (s === 'wait' || s === 'prioritized' || s === 'waiting-children') return 'waiting';
  return isJobState(s) ? s : 'waiting';
}

function view(queue: string, job: Job, state: JobState, dueAt?: number): JobView {
  const runAt = dueAt ?? job.timestamp + (job.delay ?? 0);
  return {
    queue,
    id: job.id ?? '',
    state,
    data: job.data,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    createdAt: job.timestamp,
    ...(state === 'delayed' ? { runAt } : {}),
    ...(job.finishedOn ? { finishedAt: job.finishedOn } : {}),
    ...(job.failedReason && state !== 'completed' ? { failedReason: job.failedReason } : {}),
    ...(state === 'completed' && job.returnvalue !== undefined && job.returnvalue !== null ? { result: job.returnvalue as unknown } : {}),
  };
}
