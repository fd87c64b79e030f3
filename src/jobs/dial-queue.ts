/**
 * Dialling under the phone provider's rate limit: every leg tolk places (a call's other party, the
 * customer of a call tolk places, a party or an interpreter leg added to a conference) is a job of
 * the `dial` queue, whose limiter holds TWILIO_CPS calls per second across every instance sharing
 * the queue.
 * A burst queues instead of failing; while a dial waits its call stays in 'dialing' (the caller
 * hears ringback). Refusals worth retrying (Twilio: 429, 5xx) are retried with backoff until the
 * leg's ring timeout has passed.
 *
 * A dial job outlives the instance waiting for its leg (on Redis): one whose call has ended (closed
 * by another instance, say, after the one serving it died), waits for its next attempt, or whose
 * waiting instance has stopped (the cluster's directory shows it down and it does not answer its
 * health check), places nothing, as no call would take the leg once answered. A call's party it places is listed in the call's record by the job itself
 * (dial-record.ts), so that whoever closes the call hangs it up even if its waiter died unseen.
 * A job run again (its worker died or stalled while running it) places its leg once
 * (dial-ledger.ts).
 */
import {
  InterpreterLegRefusedError,
  WhisperRefusedError,
  type AddInterpreterRequest,
  type AddPartyRequest,
  type ConferenceEvent,
  type ConferenceInfo,
  type ConferenceTelephony,
  type DialRequest,
  type LegReport,
  type Telephony,
} from '../call/ports';
import { SCHEDULED_STATE, type CallRecordStore } from '../store/call-record-store';
import type { Logger } from '../log/logger';
import { CUSTOMER_ENDPOINT } from '../call/outbound-call';
import { within } from '../call/deadline';
import type { DialLedger } from './dial-ledger';
import { placeOnce } from './dial-once';
import { recordPlacedLeg, type PlacedLeg } from './dial-record';
import { backoffDelay, FinalJobError, JobFailedError, type Backoff, type JobContext, type JobQueues, type Processor, type QueueSpec } from './queue';

export const DIAL_QUEUE = 'dial';

/** One leg to place: a call's leg, or a conference's party or interpreter leg. */
export type DialLeg = { request: DialRequest } | { party: AddPartyRequest } | { interpreter: AddInterpreterRequest };

export type DialJob = DialLeg & {
  /**
   * ms since the epoch after which the leg is not placed any more, nor answered with (one placed
   * by then is hung up): ANSWER_GRACE_MS before the instance waiting for it stops waiting.
   */
  deadline: number;
  /** TOLK_INSTANCE_ID of the instance waiting for the leg. */
  waiter?: string;
};

/**
 * What a dial job answers: the leg's reference, or why the telephony refused an interpreter leg's
 * whisper, or the interpreter leg itself: for good, or (`temporary`) still failing in a way that
 * may pass when the leg's time to be placed ran out.
 */
export type DialResult = string | { whisperRefused: string } | { legRefused: string; temporary?: boolean };

/** How long an interpreter leg (which has no ring timeout) may wait its turn. */
const INTERPRETER_WAIT_MS = 30_000;

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

/**
 * How long a dial job waits on its call's record: to read it before placing the leg (one not read
 * by then does not stop the dial), and to list the leg placed in it before answering with the leg
 * anyway. The instance waiting for the leg must have it well within its ring timeout.
 */
const RECORD_LEG_MS = 3000;

/** How long a dial job waits for the network to hang up a leg nobody waits for. */
const HANG_UP_MS = 5000;

/** How long a dial job waits to learn whether the instance waiting for its leg is up, or answers. */
const INSTANCE_CHECK_MS = 2000;

/**
 * How long before the instance waiting for a leg stops waiting (its ring timeout) the dial job stops
 * answering with it: time for the answer to reach that instance (the queue's events, another
 * machine's clock), so that a leg the job answers with is never one nobody takes.
 */
const ANSWER_GRACE_MS = 1000;

/**
 * The read of a dial job whose wait ran out, and its removal, are each waited for this long at
 * most (the wait may have run out because Redis stalled): the call hears of its dial either way.
 */
const LATE_READ_MS = 2000;

/** Attempts of one dial: enough for several backoffs within a ring timeout. */
const DIAL_ATTEMPTS = 6;
/** The wait between a dial's attempts. */
const DIAL_BACKOFF: Backoff = { type: 'exponential', delayMs: 1000 };

/**
 * Queues the dial job `id` for `leg` and waits for its result: the leg is placed within `waitMs`
 * (its ring timeout, or an interpreter leg's wait) or not at all (one the job places too late is
 * hung up).
 */
async function dialWithin<R extends DialResult>(jobs: JobQueues, id: string, leg: DialLeg, waitMs: number, opts: QueuedDialOptions): Promise<R> {
  const now = opts.now ?? Date.now;
  const data: DialJob = { ...leg, deadline: now() + waitMs - ANSWER_GRACE_MS, ...(opts.waiter ? { waiter: opts.waiter } : {}) };
  try {
    return await jobs.addAndWait<DialJob, R>(DIAL_QUEUE, { id, data, attempts: DIAL_ATTEMPTS, backoff: DIAL_BACKOFF }, waitMs);
  } catch (err) {
    if (!(err instanceof JobFailedError && err.timedOut)) throw err;
    // The job's result may have been written just as the wait ran out (its news still on its way):
    // the leg it placed, by its deadline, is answered with, not dropped with the job.
    const late = await within(jobs.get(DIAL_QUEUE, id), LATE_READ_MS).then(
      (job) => job,
      () => 'unread' as const,
    );
    if (late !== 'unread' && late?.state === 'completed' && late.result !== undefined) return late.result as R;
    // Nobody waits for the leg any more: a job still queued must not place it later (the job's own
    // check of its deadline goes by the clock of the machine running it). One running hangs up
    // the leg it places past its deadline; one that starts after this read is past its deadline
    // and places nothing, so removing it drops no leg.
    if (late === 'unread' || late?.state === 'waiting' || late?.state === 'delayed') await within(jobs.remove(DIAL_QUEUE, id), LATE_READ_MS).catch(() => false);
    throw err;
  }
}

/** How an instance queues its dials. */
export interface QueuedDialOptions {
  /** TOLK_INSTANCE_ID of this instance, named in each dial job as the one waiting for its leg. */
  waiter?: string;
  now?: () => number;
}

/** The Telephony port with `dial` through the dial queue; hanging up and speaking go straight to `inner`. */
export class QueuedTelephony implements Telephony {
  constructor(
    private readonly inner: Telephony,
    private readonly jobs: JobQueues,
    private readonly opts: QueuedDialOptions = {},
  ) {}

  dial(req: DialRequest): Promise<string> {
    const id = jobId('dial', req.callId, req.endpoint, ...(req.attempt && req.attempt > 1 ? [String(req.attempt)] : []));
    return dialWithin<string>(this.jobs, id, { request: req }, req.ringTimeoutSec * 1000, this.opts);
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

  get reconnect(): Telephony['reconnect'] {
    const inner = this.inner;
    return inner.reconnect && ((legRef, to) => inner.reconnect!(legRef, to));
  }
}

/**
 * The ConferenceTelephony port with parties and interpreter legs placed through the dial queue;
 * the rest goes straight to `inner`.
 */
export class QueuedConferences implements ConferenceTelephony {
  private readonly now: () => number;

  constructor(
    private readonly inner: ConferenceTelephony,
    private readonly jobs: JobQueues,
    private readonly opts: QueuedDialOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  addParty(req: AddPartyRequest): Promise<string> {
    return dialWithin<string>(this.jobs, jobId('dial', req.callId, 'party'), { party: req }, req.ringTimeoutSec * 1000, this.opts);
  }

  async addInterpreter(req: AddInterpreterRequest): Promise<string> {
    // An endpoint dropped and wanted again is a new leg: its job is a new one.
    const id = jobId('dial', req.callId, req.endpoint, String(this.now()));
    const result = await dialWithin<DialResult>(this.jobs, id, { interpreter: req }, INTERPRETER_WAIT_MS, this.opts);
    if (typeof result === 'string') return result;
    if ('legRefused' in result) throw new InterpreterLegRefusedError(result.legRefused, { temporary: result.temporary === true });
    throw new WhisperRefusedError(result.whisperRefused);
  }

  find(conference: string): Promise<ConferenceInfo | undefined> {
    return this.inner.find(conference);
  }

  removeLeg(conference: string, legRef: string): Promise<void> {
    return this.inner.removeLeg(conference, legRef);
  }

  end(conference: string): Promise<void> {
    return this.inner.end(conference);
  }

  watch(conference: ConferenceInfo, onEvent: (e: ConferenceEvent) => void): () => void {
    return this.inner.watch(conference, onEvent);
  }

  announce(conference: string, legRef: string, text: string, locale: string): Promise<void> {
    return this.inner.announce(conference, legRef, text, locale);
  }
}

/**
 * Whether an instance is up (the cluster's directory) and, for one the directory shows down,
 * whether it still answers its health check: one down and not answering has stopped; a late
 * heartbeat alone stops no dial.
 */
export interface InstanceChecks {
  up(instance: string): Promise<boolean>;
  answers(instance: string): Promise<boolean>;
}

export interface DialProcessorOptions {
  /** Places conference parties and interpreter legs; absent: such jobs fail. */
  conferences?: ConferenceTelephony;
  /**
   * The calls' records: a leg of a call that has ended, or waits for its next attempt, is not
   * placed; a call's party placed is listed there at once (dial-record.ts).
   */
  calls?: Pick<CallRecordStore, 'get' | 'updateLegs'>;
  /** The cluster's instances: a leg whose waiter has stopped is not placed. */
  instances?: InstanceChecks;
  /** Which run of a job places its leg (REDIS_URL): a job run again (it stalled) places it once. */
  ledger?: DialLedger;
  logger?: Logger;
  now?: () => number;
}

function callIdOf(data: DialLeg): string {
  return 'request' in data ? data.request.callId : 'party' in data ? data.party.callId : data.interpreter.callId;
}

/**
 * Why nobody waits for the leg of `data` any more, or undefined while its call may take it. What
 * cannot be read (the database or Redis failing) does not stop a dial: a live call's leg is placed.
 */
async function unwaited(data: DialJob, opts: DialProcessorOptions): Promise<string | undefined> {
  const why = await callGone(callIdOf(data), opts);
  if (why !== undefined) return why;
  if (data.waiter && (await waiterStopped(data.waiter, opts))) return `the instance waiting for it (${data.waiter}) has stopped`;
  return undefined;
}

/**
 * Whether instance `waiter` has stopped, by the rule the cluster takes an instance for lost by
 * (lost-instances.ts): the directory shows it down and it does not answer its health check.
 */
async function waiterStopped(waiter: string, opts: DialProcessorOptions): Promise<boolean> {
  const instances = opts.instances;
  if (!instances) return false;
  if (await within(instances.up(waiter), INSTANCE_CHECK_MS).catch(() => true)) return false;
  return !(await within(instances.answers(waiter), INSTANCE_CHECK_MS).catch(() => true));
}

/** Why call `callId` takes no leg any more (it has ended, or waits for its next attempt), or undefined. */
async function callGone(callId: string, opts: DialProcessorOptions): Promise<string | undefined> {
  const call = opts.calls && (await within(opts.calls.get(callId), RECORD_LEG_MS).catch(() => undefined));
  if (call?.outcome !== undefined) return `call ${callId} has ended (${call.outcome})`;
  if (call?.state === SCHEDULED_STATE) return `call ${callId} waits for its next attempt`;
  return undefined;
}

/** Places the leg through `telephony` (or `conferences`); `retryable` says which of its errors are worth another attempt. */
export function dialProcessor(telephony: Telephony, retryable: (err: unknown) => boolean, opts: DialProcessorOptions = {}): Processor<DialJob, DialResult> {
  const now = opts.now ?? Date.now;
  return async (job) => {
    const data = job.data;
    if (now() >= data.deadline) throw new FinalJobError(`not dialled: the leg's time to be placed passed while the dial waited (${job.id})`);
    const why = await unwaited(data, opts);
    if (why !== undefined) throw new FinalJobError(`not dialled: ${why} (${job.id})`);
    const once = opts.ledger && { ledger: opts.ledger, telephony, now, ...(opts.logger ? { logger: opts.logger } : {}) };
    const result = once ? await placeOnce({ id: job.id, callId: callIdOf(data), deadline: data.deadline }, () => place(job), once) : await place(job);
    const role = 'request' in data ? (data.request.endpoint === CUSTOMER_ENDPOINT ? 'caller' : 'agent') : 'party' in data ? 'agent' : undefined;
    let listing: 'recorded' | 'hung up' | 'unknown' | undefined;
    if (typeof result === 'string' && role && opts.calls) {
      const deps = { calls: opts.calls, telephony, gone: () => callGone(callIdOf(data), opts), now, ...(opts.logger ? { logger: opts.logger } : {}) };
      const leg: PlacedLeg = { callId: callIdOf(data), role, legRef: result, jobId: job.id };
      // The database being slow must not keep the leg from the instance waiting for it: past the
      // bound the leg is left to that instance (the listing may still land, or hang it up, later).
      listing = await within(recordPlacedLeg(leg, deps), RECORD_LEG_MS).catch(() => {
        opts.logger?.warn({ event: 'dial.leg_unrecorded', component: 'dial', callId: leg.callId, jobId: job.id, legSid: result }, `could not list a placed leg in its call's record within ${RECORD_LEG_MS / 1000} s: left to the instance waiting for it`);
        return 'unknown' as const;
      });
    }
    if (typeof result === 'string' && now() >= data.deadline) {
      // The instance waiting for the leg has stopped waiting (or will have, before the answer
      // reaches it): nobody would take the leg, nor hang it up once its call ends.
      if (listing !== 'hung up') await hangUpUnwaited(job.id, callIdOf(data), result);
      throw new FinalJobError(`placed the leg after the call stopped waiting for it: hung up (${job.id})`);
    }
    return result;
  };

  async function hangUpUnwaited(id: string, callId: string, legRef: string): Promise<void> {
    const log = opts.logger?.child({ component: 'dial', callId, jobId: id, legSid: legRef });
    try {
      await within(telephony.hangUp(legRef, { ringing: true }), HANG_UP_MS);
      log?.warn({ event: 'dial.leg_unwaited' }, 'placed a leg after the call stopped waiting for it: hung up');
    } catch (err) {
      log?.error({ event: 'dial.leg_unwaited_hang_up_failed', err }, 'placed a leg after the call stopped waiting for it, and could not hang it up');
    }
  }

  async function place(job: JobContext<DialJob>): Promise<DialResult> {
    const data = job.data;
    // The checks before placing may have taken seconds: a leg nobody waits for any more is not placed.
    if (now() >= data.deadline) throw new FinalJobError(`not dialled: the leg's time to be placed passed while the dial checked its call and its waiting instance (${job.id})`);
    try {
      if ('request' in data) return await telephony.dial(data.request);
      if (!opts.conferences) throw new FinalJobError('conference legs cannot be placed here (TWILIO_TWIML_APP_SID is not set)');
      if ('party' in data) return await opts.conferences.addParty(data.party);
      return await opts.conferences.addInterpreter(data.interpreter).catch((err: unknown) => {
        if (err instanceof WhisperRefusedError) return { whisperRefused: err.reason };
        if (err instanceof InterpreterLegRefusedError) return { legRefused: err.reason, ...(err.temporary ? { temporary: true } : {}) };
        // Worth retrying, but no further attempt would start before the leg's time is over (the
        // backoff before the next one may reach its full length): this dial gives up, and says
        // the refusal may pass (the call may ask for the leg again later).
        if (retryable(err) && (job.attempt >= job.attempts || now() + backoffDelay(DIAL_BACKOFF, job.attempt, () => 0) >= data.deadline)) {
          const why = err instanceof Error ? err.message : String(err);
          return { legRefused: `${why} (still failing after ${job.attempt} attempt${job.attempt === 1 ? '' : 's'})`, temporary: true };
        }
        throw err;
      });
    } catch (err) {
      if (err instanceof FinalJobError || !retryable(err)) throw err instanceof FinalJobError ? err : new FinalJobError(err instanceof Error ? err.message : String(err), { cause: err });
      throw err;
    }
  }
}
