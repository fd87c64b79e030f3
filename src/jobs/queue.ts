/**
 * The job-queue port: named queues of idempotent jobs (a job's id says what it does, so adding the
 * same work twice runs it once), processed by workers with a concurrency and an optional rate
 * limit, retried with backoff, put off without counting an attempt (DeferJobError), inspectable. Two adapters: BullMQ on Redis (bullmq-queues.ts, jobs
 * survive restarts and are shared by every instance) and in-process (memory-queues.ts, one
 * process, no Redis). Work that must outlive a process without Redis is kept in the database by
 * its owner and handed to the queue again at start-up.
 */

export const JOB_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Waits between attempts: `delayMs`, doubled each retry when exponential, with up to 50 % jitter. */
export interface Backoff {
  type: 'fixed' | 'exponential';
  delayMs: number;
}

export interface JobRequest<D> {
  /** What the job does, e.g. `dial:<callId>:agent`; a job with this id already queued is not added again. */
  id: string;
  data: D;
  /**
   * Run no earlier than this time (ms since the epoch); absent or past: at once. An absolute time,
   * so the time shown as the job's `runAt` is exactly this one, however long adding it took.
   */
  runAt?: number;
  /** Attempts in all, the first included. Default 1. */
  attempts?: number;
  backoff?: Backoff;
}

/** A job as the API shows it. */
export interface JobView {
  queue: string;
  id: string;
  state: JobState;
  data: unknown;
  /** Attempts finished so far (failed ones and the successful one). */
  attemptsMade: number;
  attempts: number;
  /** ms since the epoch. */
  createdAt: number;
  /** When it is due (delayed jobs, retries waiting for their backoff). */
  runAt?: number;
  finishedAt?: number;
  failedReason?: string;
  /** What a completed job's processor returned, where it returned something. */
  result?: unknown;
}

export interface QueueCounts {
  queue: string;
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  failed: number;
  /** Age of the oldest job that is due and not yet started, ms (0 when none). */
  oldestWaitingMs: number;
}

export interface JobContext<D> {
  id: string;
  data: D;
  /** 1 for the first attempt. */
  attempt: number;
  /** Attempts in all. */
  attempts: number;
}

export type Processor<D, R> = (job: JobContext<D>) => Promise<R>;

/** What a queue's owner learns besides what its processor sees. */
export interface WorkOptions<D> {
  /**
   * A job failed for good without its processor having run its last try (on Redis: BullMQ fails a
   * job whose workers stopped or stalled while running it more than twice, and does not run it
   * again). `reason`: why, as the queue has it. The in-process adapter never abandons a job.
   */
  abandoned?(job: JobContext<D>, reason: string): Promise<void>;
}

/** How a queue's workers run. */
export interface QueueSpec {
  name: string;
  /** Jobs of this queue at once per worker process. */
  concurrency: number;
  /** At most `max` jobs started per `durationMs`, across every worker sharing the queue. */
  limiter?: { max: number; durationMs: number };
}

/** Thrown by a processor for a failure no retry can fix: the job fails at once. */
export class FinalJobError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FinalJobError';
  }
}

/**
 * Thrown by a processor for a job that cannot run here now but will later (this instance takes no
 * new work for the moment): the job waits `delayMs` and is tried again, by any worker, without
 * counting an attempt.
 */
export class DeferJobError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'DeferJobError';
  }
}

/** A job waited for (`addAndWait`) failed, or did not finish in time. */
export class JobFailedError extends Error {
  constructor(
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'JobFailedError';
  }
}

/** What a wait for a job (`addAndWait`) rejects with when the job did not finish within `timeoutMs`. */
export function notFinishedWithin(id: string, timeoutMs: number): JobFailedError {
  return new JobFailedError(`job ${id} did not finish within ${timeoutMs} ms`, true);
}

/** What a wait for a job (`addAndWait`) rejects with when the queues close before the job finished. */
export function closedBeforeFinished(id: string): JobFailedError {
  return new JobFailedError(`the job queues closed before job ${id} finished`);
}

export interface JobQueueEvents {
  /** An attempt failed and the job will be tried again. */
  retrying?(queue: string, id: string, err: Error): void;
  failed?(queue: string, id: string, err: Error): void;
}

export interface JobQueues {
  /** 'redis' (BullMQ) or 'in-process'. */
  readonly kind: 'redis' | 'in-process';
  readonly queueNames: readonly string[];
  /** Adds a job unless one with its id is already in the queue (in any state). */
  add<D>(queue: string, job: JobRequest<D>): Promise<void>;
  /** Adds a job and resolves with its result; rejects with JobFailedError when it fails or takes longer than `timeoutMs`. */
  addAndWait<D, R>(queue: string, job: JobRequest<D>, timeoutMs: number): Promise<R>;
  /** Removes a job that has not started; false when there is none or it is running. */
  remove(queue: string, id: string): Promise<boolean>;
  get(queue: string, id: string): Promise<JobView | undefined>;
  /** Jobs of one queue (or every queue) in one state (or every state), newest first, at most `limit`. */
  list(filter: { queue?: string; state?: JobState; limit: number }): Promise<JobView[]>;
  counts(): Promise<QueueCounts[]>;
  /** Starts processing `queue` in this process. */
  work<D, R>(queue: string, processor: Processor<D, R>, options?: WorkOptions<D>): void;
  /**
   * Stops the workers (running jobs finish first) and closes connections; a wait (`addAndWait`)
   * for a job still unfinished then rejects with JobFailedError instead of holding its timer.
   */
  close(): Promise<void>;
}

/** The wait before attempt `attempt + 1` after attempt `attempt` failed. */
export function backoffDelay(backoff: Backoff | undefined, attempt: number, random: () => number = Math.random): number {
  if (!backoff) return 0;
  const base = backoff.type === 'exponential' ? backoff.delayMs * 2 ** (attempt - 1) : backoff.delayMs;
  return Math.round(base * (1 - 0.5 * random()));
}

export function isJobState(s: string): s is JobState {
  return (JOB_STATES as readonly string[]).includes(s);
}
