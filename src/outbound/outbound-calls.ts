/**
 * Calls tolk places, now or at a time (`POST /api/calls`): each is a call record from the start
 * (state `scheduled`, its plan in `outbound`) and one job per attempt on the `outbound` queue
 * (`outbound.<call id>.<attempt>`, delayed until it is due), so the same attempt is never queued
 * twice. The record is the truth: a job starts its attempt only by moving the record from
 * `scheduled` to `calling`, which a cancellation (`scheduled` to `ended`) or another instance
 * would have done first. An instance that takes no new call when one falls due (shutting down, at
 * TOLK_MAX_CALLS) puts the job off without spending an attempt, so another instance, this one once
 * a call ends, or its next run starts it; one still not started TOLK_STEP_TIMEOUT_SEC after its
 * time ends as `timeout`. A job that fails for good (its last try, the database unreachable, say,
 * a FinalJobError, or, on Redis, a job BullMQ failed as it stalled too often) ends its call as
 * `failed`, saying why. So does a try that fails once it has moved the call to `calling` but before
 * the customer is being called (the dial refused at once, the write of the move failing): the call
 * never stays `calling` with nobody calling its customer. A call this instance's previous run left
 * `calling` is the reconciler's (reconciler.ts), as any live call nobody serves. The database keeps
 * scheduled calls across restarts, and `resume` queues them again at start-up (a no-op where Redis still holds
 * their jobs waiting, a new job where it holds only a finished one); a call that has ended is not
 * queued again.
 *
 * A server runs this queue whatever TOLK_WORKERS says: the instance that starts a call serves it.
 */
import type { NumberDirectory, NumberSettings } from '../config/numbers';
import type { CallService } from '../call/call-service';
import { outboundDeadlineOf } from '../call/call-state';
import { stamp, type CallEventBus } from '../call/events';
import { jobId } from '../jobs/dial-queue';
import { DeferJobError, FinalJobError, type JobContext, type JobQueues, type Processor, type QueueSpec } from '../jobs/queue';
import type { Logger } from '../log/logger';
import type { CallOutcome, CallRecord, CallRecordWithTranscript, OutboundPlan } from '../store/call-record';
import { MAX_LIST_LIMIT, SCHEDULED_STATE, type CallRecordStore } from '../store/call-record-store';
import type { OutboundRequest } from './request';

export const OUTBOUND_QUEUE = 'outbound';

/** The `endReason` of a call canceled before it started. */
const CANCELED_REASON = 'canceled before it started';

export const outboundQueueSpec: QueueSpec = { name: OUTBOUND_QUEUE, concurrency: 10 };

/** How long a call that fell due where it could not be taken waits before it is looked at again. */
export const DEFAULT_WAIT_FOR_ROOM_MS = 2000;

/** Tries of an attempt's job (the database unreachable, say), not of the call. */
const JOB_TRIES = 5;
/** The wait before an attempt's job is tried again, doubled each try. */
const DEFAULT_JOB_RETRY_MS = 2000;
/** The most of a job's error a call's `endReason` repeats. */
const MAX_ERROR_IN_REASON = 200;

export interface OutboundJob {
  callId: string;
  /** Which attempt this job starts (1: the first). */
  attempt: number;
}

export interface OutboundCallsDeps {
  records: CallRecordStore;
  numbers: NumberDirectory;
  jobs: JobQueues;
  events: CallEventBus;
  /** Absent in a process that serves no calls: it can schedule and cancel, not start. */
  calls?: Pick<CallService, 'accepting' | 'startOutbound' | 'liveCallIds'>;
  logger: Logger;
  /** TOLK_STEP_TIMEOUT_SEC, ms: an attempt this late is not started any more. */
  stepTimeoutMs: number;
  /** TOLK_INSTANCE_ID of this instance. */
  instance?: string;
  /** How long a due call this instance cannot take waits before it is looked at again (default 2 s). */
  waitForRoomMs?: number;
  /** How long an attempt's job that failed waits before its next try, doubled each try (default 2 s). */
  jobRetryMs?: number;
  now?: () => number;
}

export type PlaceResult = { ok: true; call: CallRecord } | { ok: false; problems: { path: string[]; message: string }[] };

export type CancelResult = { ok: true; call: CallRecordWithTranscript } | { ok: false; status: 404 | 409; error: string };

export class OutboundCalls {
  private readonly log: Logger;
  private readonly now: () => number;
  /** When this run started: a call it moved to `calling` since then is its own to end. */
  private readonly runStartedAt: number;

  constructor(private readonly deps: OutboundCallsDeps) {
    this.log = deps.logger.child({ component: 'outbound' });
    this.now = deps.now ?? Date.now;
    this.runStartedAt = this.now();
  }

  /** Records the call and queues its first attempt; a line that is not a tolk number is refused. */
  async place(req: OutboundRequest): Promise<PlaceResult> {
    const number = await this.deps.numbers.lookup(req.line);
    if (!number) return { ok: false, problems: [{ path: ['line'], message: `${req.line} is not a tolk number (see GET /api/numbers)` }] };
    const now = new Date(this.now());
    const plan: OutboundPlan = {
      ...(req.at ? { at: req.at } : {}),
      dueAt: req.at ?? now,
      attempts: 0,
      retries: req.retries,
      retryAfterSec: req.retryAfterSec,
      ...(req.callerLanguage ? { callerLanguage: req.callerLanguage } : {}),
    };
    const call = await this.deps.records.create({
      number: number.number,
      from: req.to,
      destination: req.destination ?? number.destination,
      languages: { caller: req.callerLanguage ?? number.callerLanguage, agent: req.agentLanguage ?? number.agentLanguage },
      state: SCHEDULED_STATE,
      startedAt: now,
      outbound: plan,
    });
    this.log.info({ event: 'outbound.placed', callId: call.id, number: number.number, dueAt: plan.dueAt.toISOString(), retries: plan.retries }, req.at ? 'call scheduled' : 'call placed');
    await this.enqueue(call.id, plan);
    return { ok: true, call };
  }

  /**
   * Cancels a call that has not started: it never dials, and it ends as any call does (its webhook,
   * metrics and logs see `call.ended`, outcome `canceled`). 404: no such call; 409: started or over.
   */
  async cancel(id: string): Promise<CancelResult> {
    const call = await this.deps.records.get(id);
    if (!call) return { ok: false, status: 404, error: `call '${id}' not found` };
    const tried = call.outbound?.attempts ?? 0;
    const reason = tried === 0 ? CANCELED_REASON : `canceled before attempt ${tried + 1}`;
    const at = call.outbound ? await this.endRecord(id, SCHEDULED_STATE, 'canceled', reason) : undefined;
    if (at === undefined) {
      const now = (await this.deps.records.get(id)) ?? call;
      const why = !now.outbound ? 'is not a call tolk was to place' : now.outcome ? `has ended (${now.outcome})` : `has started (${now.state})`;
      return { ok: false, status: 409, error: `call '${id}' ${why}: only a scheduled call can be canceled` };
    }
    if (call.outbound) await this.deps.jobs.remove(OUTBOUND_QUEUE, attemptJobId(id, call.outbound)).catch(() => false);
    this.log.info({ event: 'outbound.cancelled', callId: id }, 'scheduled call canceled');
    await this.announceEnd(id, 'canceled', reason, at);
    return { ok: true, call: (await this.deps.records.get(id)) ?? call };
  }

  /**
   * Another attempt of a call whose attempt failed, due `plan.dueAt`. The call is `calling`, or
   * `scheduled` already (its state written first); one that has ended meanwhile (its attempt's
   * wait for this passed) gets no next attempt: this rejects.
   */
  async retry(callId: string, plan: OutboundPlan): Promise<void> {
    const patch = { state: SCHEDULED_STATE, outbound: plan };
    const saved = (await this.deps.records.transition(callId, 'calling', patch)) || (await this.deps.records.transition(callId, SCHEDULED_STATE, patch));
    if (!saved) throw new Error('the call has ended');
    await this.enqueue(callId, plan);
  }

  /**
   * Queues every scheduled call again (start-up): without Redis their jobs died with the process.
   * A job left finished (failed or completed) for a call still scheduled is replaced, as adding its
   * id again would do nothing.
   */
  async resume(): Promise<number> {
    let cursor: string | undefined;
    let n = 0;
    do {
      const page = await this.deps.records.list({ state: SCHEDULED_STATE, limit: MAX_LIST_LIMIT, ...(cursor ? { cursor } : {}) });
      for (const call of page.items) {
        if (!call.outbound) continue;
        await this.dropFinishedJob(call.id, call.outbound);
        await this.enqueue(call.id, call.outbound);
        n++;
      }
      cursor = page.nextCursor;
    } while (cursor);
    if (n > 0) this.log.info({ event: 'outbound.resumed', calls: n }, 'scheduled calls queued again');
    return n;
  }

  /**
   * Starts attempts as they fall due (this process must serve calls: `calls`). A job whose last try
   * fails, or that fails with a FinalJobError, ends its call as `failed`: the call will not start.
   * A try that fails once it has moved the call to `calling`, its customer not being called, ends
   * the call as `failed` at once.
   */
  processor(): Processor<OutboundJob, string> {
    return async (job) => {
      try {
        return await this.startAttempt(job.data.callId, job.data.attempt);
      } catch (err) {
        // A job put off is not a failure: it spends no try.
        if (err instanceof DeferJobError) throw err;
        const final = err instanceof FinalJobError || job.attempt >= job.attempts;
        // A call this try left calling has ended: the job is done with it.
        const ended = await this.giveUp(job.data, final ? job.attempt : undefined, err);
        if (ended !== undefined) return ended;
        throw err;
      }
    };
  }

  /**
   * What the queue says of an attempt's job that failed without running its last try (on Redis:
   * it stalled too often): its call ends as `failed`, as when its last try fails.
   */
  async abandoned(job: JobContext<OutboundJob>, reason: string): Promise<void> {
    await this.giveUp(job.data, undefined, new Error(`its job was given up (${reason}): the instances that took it stopped or stalled while starting it`), true);
  }

  private async enqueue(callId: string, plan: OutboundPlan): Promise<void> {
    const attempt = plan.attempts + 1;
    await this.deps.jobs.add<OutboundJob>(OUTBOUND_QUEUE, {
      id: attemptJobId(callId, plan),
      data: { callId, attempt },
      runAt: plan.dueAt.getTime(),
      // Tries of the job itself (the database unreachable, say), not of the call: an instance that
      // cannot take the call puts the job off instead.
      attempts: JOB_TRIES,
      backoff: { type: 'exponential', delayMs: this.deps.jobRetryMs ?? DEFAULT_JOB_RETRY_MS },
    });
  }

  /** Removes the scheduled attempt's job when it has finished, so that it can be queued again. */
  private async dropFinishedJob(callId: string, plan: OutboundPlan): Promise<void> {
    const id = attemptJobId(callId, plan);
    const job = await this.deps.jobs.get(OUTBOUND_QUEUE, id);
    if (job?.state !== 'failed' && job?.state !== 'completed') return;
    await this.deps.jobs.remove(OUTBOUND_QUEUE, id);
    this.log.info({ event: 'outbound.requeued', callId, jobId: id, jobState: job.state, failedReason: job.failedReason }, 'scheduled call whose job had finished queued again');
  }

  private async startAttempt(callId: string, attempt: number): Promise<string> {
    const calls = this.deps.calls;
    if (!calls) throw new Error('this process serves no calls');
    const call = await this.deps.records.get(callId);
    // A try before this one moved it to `calling` and failed, and ending it failed too.
    if (call && this.leftCalling(call, attempt)) return this.end(call, 'failed', `not started: tolk could not call the customer (attempt ${attempt}): a try failed once the call was calling`, 'calling');
    if (!call?.outbound || call.state !== SCHEDULED_STATE || call.outbound.attempts !== attempt - 1) return 'not due';
    const now = this.now();
    const lateMs = now - call.outbound.dueAt.getTime();
    const limitMs = outboundDeadlineOf('scheduled', { stepMs: this.deps.stepTimeoutMs, ringTimeoutMs: 0 });
    if (lateMs > limitMs) {
      const why = 'no instance of tolk could take it: none was running, or each was shutting down or at TOLK_MAX_CALLS';
      return this.end(call, 'timeout', `not started: due at ${call.outbound.dueAt.toISOString()}, still waiting ${Math.round(lateMs / 1000)} s later (${why})`);
    }
    const number = await this.deps.numbers.lookup(call.number);
    if (!number) return this.end(call, 'failed', `not started: ${call.number} is not a tolk number any more`);
    if (!calls.accepting) {
      // Looked at again soon, and once more just past the lateness bound to end it if still waiting.
      const everyMs = this.deps.waitForRoomMs ?? DEFAULT_WAIT_FOR_ROOM_MS;
      const waitMs = Math.max(1, Math.min(everyMs, limitMs - lateMs + 1));
      // Told at info as it falls due, at debug each later look.
      this.log[lateMs < everyMs ? 'info' : 'debug']({ event: 'outbound.waiting', callId, attempt, lateMs, retryInMs: waitMs }, 'call due, but this instance takes no new calls now (shutting down, or at TOLK_MAX_CALLS): waiting for one that can');
      throw new DeferJobError('this instance takes no new calls now (shutting down, or at TOLK_MAX_CALLS)', waitMs);
    }
    const plan: OutboundPlan = { ...call.outbound, attempts: attempt };
    const claimed = await this.deps.records.transition(callId, SCHEDULED_STATE, {
      state: 'calling',
      startedAt: new Date(now),
      outbound: plan,
      ...(this.deps.instance ? { instance: this.deps.instance } : {}),
    });
    if (!claimed) return 'not due';
    calls.startOutbound({ id: callId, settings: settingsFor(number, call), customer: call.from, plan, ...(plan.callerLanguage ? { callerLanguage: plan.callerLanguage } : {}) });
    return 'started';
  }

  /**
   * After a try of `job` failed with `err`: a call the try left `calling` with nobody calling its
   * customer ends as `failed` (resolving its outcome); so does a call still waiting for this attempt
   * when the job has failed for good (`tries`: the tries it made, or `abandoned`). When even that
   * fails, a call left `calling` is ended by the job's next try, and a scheduled one stays scheduled
   * until the next start-up queues it again.
   */
  private async giveUp(job: OutboundJob, tries: number | undefined, err: unknown, abandoned = false): Promise<string | undefined> {
    const message = (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_IN_REASON);
    let reason: string | undefined;
    try {
      const call = await this.deps.records.get(job.callId);
      if (!call?.outbound) return undefined;
      if (this.leftCalling(call, job.attempt)) {
        reason = `not started: tolk could not call the customer (attempt ${job.attempt}): ${message}`;
        return await this.end(call, 'failed', reason, 'calling');
      }
      if ((tries === undefined && !abandoned) || call.state !== SCHEDULED_STATE || call.outbound.attempts !== job.attempt - 1) return undefined;
      const tried = tries === undefined ? '' : ` (tried ${tries === 1 ? 'once' : `${tries} times`})`;
      reason = `not started: tolk could not start attempt ${job.attempt}${tried}: ${message}`;
      await this.end(call, 'failed', reason);
      return undefined;
    } catch (endErr) {
      // A try with tries left that could not even read the call (the database unreachable) has nothing to say.
      if (reason === undefined && tries === undefined && !abandoned) return undefined;
      this.log.error({ event: 'outbound.end_failed', callId: job.callId, attempt: job.attempt, reason, err: endErr }, 'could not end a call whose job failed: a call left calling is ended by its next try, a scheduled one stays scheduled until the next start-up queues it again');
      return undefined;
    }
  }

  /**
   * Whether a try of `attempt` on this instance, in this run, moved `call` to `calling` and failed
   * before its customer was being called: nobody serves it.
   */
  private leftCalling(call: CallRecord, attempt: number): boolean {
    return (
      call.state === 'calling' &&
      call.outcome === undefined &&
      call.outbound?.attempts === attempt &&
      call.instance === this.deps.instance &&
      call.startedAt.getTime() >= this.runStartedAt &&
      !(this.deps.calls?.liveCallIds.includes(call.id) ?? false)
    );
  }

  /**
   * Ends a call that will not start (`from` scheduled) or never got to call its customer (`from`
   * calling), as its subscribers (webhook, metrics, logs) see any call end.
   */
  private async end(call: CallRecord, outcome: 'timeout' | 'failed', reason: string, from: 'scheduled' | 'calling' = SCHEDULED_STATE): Promise<string> {
    const at = await this.endRecord(call.id, from, outcome, reason);
    if (at === undefined) return 'not due';
    this.log.warn({ event: 'outbound.not_started', callId: call.id, outcome, reason }, reason);
    await this.announceEnd(call.id, outcome, reason, at);
    return outcome;
  }

  /** Ends the record of a call in state `from` (no outcome yet); resolves the time it ended, or undefined when it was not in `from` any more. */
  private async endRecord(callId: string, from: 'scheduled' | 'calling', outcome: CallOutcome, reason: string): Promise<number | undefined> {
    const at = this.now();
    const ended = await this.deps.records.transition(callId, from, { state: 'ended', outcome, endReason: reason, endedAt: new Date(at) });
    return ended ? at : undefined;
  }

  /** Publishes the end of a call whose record `endRecord` ended, and waits for its subscribers (webhook, metrics, logs). */
  private async announceEnd(callId: string, outcome: CallOutcome, reason: string, at: number): Promise<void> {
    this.deps.events.publish(stamp({ type: 'call.ended', outcome, reason }, { callId }, at));
    await this.deps.events.settle(callId);
  }
}

/** The job of the call's next attempt. */
function attemptJobId(callId: string, plan: OutboundPlan): string {
  return jobId('outbound', callId, String(plan.attempts + 1));
}

/** The number's settings with what the call asked for: its destination and languages, no menu. */
export function settingsFor(number: NumberSettings, call: CallRecord): NumberSettings {
  const { languageMenu: _menu, ...rest } = number;
  return { ...rest, destination: call.destination, callerLanguage: call.languages.caller, agentLanguage: call.languages.agent };
}
