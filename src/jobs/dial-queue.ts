/**
 * Dialling under the phone provider's rate limit: every leg tolk places is a job of the `dial`
 * queue, whose limiter holds TWILIO_CPS calls per second across every instance sharing the queue.
 * A burst queues instead of failing; while a dial waits its call stays in 'dialing' (the caller
 * hears ringback). Refusals worth retrying (Twilio: 429, 5xx) are retried with backoff until the
 * leg's ring timeout has passed.
 */
import type { DialRequest, LegReport, Telephony } from '../call/ports';
import { FinalJobError, type JobQueues, type Processor, type QueueSpec } from './queue';

export const DIAL_QUEUE = 'dial';

export interface DialJob {
  request: DialRequest;
  /** ms since the epoch after which the leg is not placed any more (its ring timeout has passed). */
  deadline: number;
}

/**
 * The limiter's window: a second and 5 % more, so that timers firing late on a busy machine and
 * Twilio counting by its own clock still see at most TWILIO_CPS calls in any second.
 */
const DIAL_WINDOW_MS = 1050;

export function dialQueueSpec(callsPerSecond: number): QueueSpec {
  return { name: DIAL_QUEUE, concurrency: Math.max(1, Math.min(20, callsPerSecond * 2)), limiter: { max: callsPerSecond, durationMs: DIAL_WINDOW_MS } };
}

/** A job id says what the job does; BullMQ ids may not contain ':'. */
export function jobId(...parts: string[]): string {
  return parts.map((p) => p.replace(/[:\s]/g, '_')).join('.');
}

/** Attempts of one dial: enough for several backoffs within a ring timeout. */
const DIAL_ATTEMPTS = 6;

/** The Telephony port with `dial` through the dial queue; hanging up and speaking go straight to `inner`. */
export class QueuedTelephony implements Telephony {
  constructor(
    private readonly inner: Telephony,
    private readonly jobs: JobQueues,
    private readonly now: () => number = Date.now,
  ) {}

  dial(req: DialRequest): Promise<string> {
    const ringMs = req.ringTimeoutSec * 1000;
    return this.jobs.addAndWait<DialJob, string>(
      DIAL_QUEUE,
      {
        id: jobId('dial', req.callId, req.endpoint, ...(req.attempt && req.attempt > 1 ? [String(req.attempt)] : [])),
        data: { request: req, deadline: this.now() + ringMs },
        attempts: DIAL_ATTEMPTS,
        backoff: { type: 'exponential', delayMs: 1000 },
      },
      ringMs,
    );
  }

  lookUp(legRef: string): Promise<LegReport | undefined> {
    return this.inner.lookUp(legRef);
  }

  hangUp(legRef: string, opts?: { ringing?: boolean }): Promise<void> {
    return this.inner.hangUp(legRef, opts);
  }

  sayAndHangUp(legRef: string, text: string, locale: string): Promise<void> {
    return this.inner.sayAndHangUp(legRef, text, locale);
  }
}

/** Places the leg through `telephony`; `retryable` says which of its errors are worth another attempt. */
export function dialProcessor(telephony: Telephony, retryable: (err: unknown) => boolean, now: () => number = Date.now): Processor<DialJob, string> {
  return async (job) => {
    if (now() > job.data.deadline) throw new FinalJobError(`not dialled: the ring timeout of call ${job.data.request.callId} passed while the dial waited`);
    try {
      return await telephony.dial(job.data.request);
    } catch (err) {
      if (retryable(err)) throw err;
      throw new FinalJobError(err instanceof Error ? err.message : String(err), { cause: err });
    }
  };
}
