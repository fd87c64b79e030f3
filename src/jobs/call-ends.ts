/**
 * Ends of calls that were published (`call.ended`: their webhook owed, their metrics counted) but
 * whose record could not be written: each is a job of the `call-ends` queue, which writes it, tried
 * again with backoff, END_TRIES tries in all (about 4 to 9 minutes), then given up (`call.end_lost`
 * in the log, `tolk_job_failures_total{queue="call-ends"}`). The job is kept in the queue (on Redis,
 * a week once failed), so whoever finds the call still live (a survivor closing a lost instance's
 * calls, a reconciler pass) can tell that its end was published and write that end instead of
 * closing it a second time (`owedEnd`).
 */
import type { Logger } from '../log/logger';
import type { CallEnd, CallRecordStore } from '../store/call-record-store';
import { jobId } from './dial-queue';
import type { JobQueues, Processor, QueueSpec } from './queue';

export const CALL_ENDS_QUEUE = 'call-ends';

export const callEndsQueueSpec: QueueSpec = { name: CALL_ENDS_QUEUE, concurrency: 5 };

/** Tries of a call's end: waits of 1 s doubling, with up to half of each cut by jitter. */
const END_TRIES = 10;
const END_RETRY_MS = 1000;

/** A call's end as a job carries it. */
export interface CallEndJob {
  callId: string;
  outcome: CallEnd['outcome'];
  endReason: string;
  /** ms since the epoch. */
  endedAt: number;
}

function endJobId(callId: string): string {
  return jobId('end', callId);
}

/** Queues the writing of `end` for call `callId` (once: a call's end is queued at most once). */
export function queueEnd(jobs: Pick<JobQueues, 'add'>, callId: string, end: CallEnd, retryMs = END_RETRY_MS): Promise<void> {
  const data: CallEndJob = { callId, outcome: end.outcome, endReason: end.endReason, endedAt: end.endedAt.getTime() };
  return jobs.add<CallEndJob>(CALL_ENDS_QUEUE, { id: endJobId(callId), data, attempts: END_TRIES, backoff: { type: 'exponential', delayMs: retryMs } });
}

/** The end published for call `callId` and queued to be written, whatever became of its job; undefined when none was. */
export async function owedEnd(jobs: Pick<JobQueues, 'get'>, callId: string): Promise<CallEnd | undefined> {
  const job = await jobs.get(CALL_ENDS_QUEUE, endJobId(callId));
  if (!job) return undefined;
  const data = job.data as CallEndJob;
  return { outcome: data.outcome, endReason: data.endReason, endedAt: new Date(data.endedAt) };
}

/** Writes a call's end (nothing when its record has an outcome already); its last try failing is logged as `call.end_lost`. */
export function callEndsProcessor(records: Pick<CallRecordStore, 'close'>, logger: Logger): Processor<CallEndJob, boolean> {
  const log = logger.child({ component: 'call-ends' });
  return async (job) => {
    const { callId, outcome, endReason, endedAt } = job.data;
    try {
      const written = await records.close(callId, { outcome, endReason, endedAt: new Date(endedAt) });
      if (written) log.info({ event: 'call.end_written', callId, outcome, tries: job.attempt }, "a call's end written after it had failed");
      return written;
    } catch (err) {
      if (job.attempt >= job.attempts) {
        log.error({ event: 'call.end_lost', callId, outcome, endReason, tries: job.attempt, err }, `could not write a call's end after ${job.attempt} tries: its record stays live until an instance closes it with this end`);
      }
      throw err;
    }
  };
}
