/**
 * Erasing what tolk keeps about calls once it is no longer wanted: an ended call's record, its
 * transcript, the CallSids it had, its webhook deliveries (their payloads hold the transcript) and
 * the finished background jobs about it (a dial job holds the number dialled), and the languages
 * remembered for callers.
 *  - On a schedule: every hour a job of the `retention` queue erases the webhook deliveries left
 *    without their call and, with TOLK_RETENTION_DAYS, the calls that ended more than that many days
 *    ago, and forgets the callers whose language was last remembered before then. The job's id names
 *    its hour, so every process that schedules it (each server and worker, at start and every quarter
 *    of an hour) schedules the same one; each run schedules the next before it sweeps.
 *  - On request (`POST /api/calls/erase`, `tolk calls erase`): the calls that ended before a time,
 *    or every ended call of one caller (whose remembered languages are forgotten too). A dry run
 *    (`preview`) counts what that would erase and changes nothing.
 *  - The scheduled sweep by hand (`POST /api/calls/sweep`, `tolk calls sweep`): the same sweep, as a
 *    job of the same queue added at once (`queueSweep`), by the cut-off of when it was asked for
 *    (without TOLK_RETENTION_DAYS: none, only the deliveries left without their call); the request
 *    answers with the job's id, which the job's result can be read by, and does none of the erasing
 *    itself.
 * A request erases its calls' own deliveries only (found by call id); the deliveries left without
 * their call (recorded as their call was erased) are the sweep's, which looks through them all.
 * A call still live is never erased. Calls go in small batches with a pause between them (SQLite
 * blocks the event loop while it deletes); a run erases at most its bound and says whether more
 * are left. Runs at the same time (the hourly sweep and one by hand, or on several instances
 * sharing a database) each erase a call at most once: each batch is a delete of what is still
 * there, and a run counts only the rows its own deletes removed.
 */
import { randomUUID } from 'node:crypto';
import type { JobQueues, JobState, Processor, QueueSpec } from '../jobs/queue';
import type { Logger } from '../log/logger';
import { MAX_LIST_LIMIT, type CallRecordStore } from '../store/call-record-store';
import type { CallerLanguageStore } from '../store/caller-language-store';
import type { DeliveryStore } from '../store/delivery-store';

export const RETENTION_QUEUE = 'retention';
export const retentionQueueSpec: QueueSpec = { name: RETENTION_QUEUE, concurrency: 1 };

/** How often the scheduled erasure runs. */
export const SWEEP_INTERVAL_MS = 3_600_000;
/** How often each process makes sure the next sweep is scheduled (a lost job does not end them). */
const RESCHEDULE_MS = 900_000;
/** A day of the retention period (TOLK_RETENTION_DAYS), in ms. */
export const DAY_MS = 86_400_000;
/** Calls erased per database round (their deliveries first, then the calls). */
const BATCH = 50;
/** Most calls one request erases (it answers within seconds); the rest are left for another (`more`). */
export const MAX_ERASED_PER_REQUEST = 2_000;
/** Most calls one scheduled sweep erases; the next hour's goes on. */
export const MAX_ERASED_PER_SWEEP = 50_000;
/** Finished jobs looked through per queue and state for ones about erased calls. */
const JOBS_SCANNED = 1_000;
const FINISHED: readonly JobState[] = ['completed', 'failed'];
/** A delivery without its call is left this long (it may be being written as its call ends) before it is erased. */
const ORPHAN_GRACE_MS = 60_000;

export interface EraseRequest {
  /** Calls that ended before this time. */
  endedBefore: Date;
  /** Only this caller's calls (for a call tolk placed, the customer's); their remembered languages are forgotten too. */
  from?: string;
}

export interface EraseResult {
  calls: number;
  deliveries: number;
  callerLanguages: number;
  /** Calls matching were left for another run (the run's bound was reached). */
  more: boolean;
}

/**
 * What a sweep erased, and by which period: calls that ended (and languages last remembered) before
 * `before`. Without a period (no TOLK_RETENTION_DAYS) `days` and `before` are absent: the sweep
 * erased only deliveries left without their call (and the finished jobs about them).
 */
export interface SweepResult extends EraseResult {
  days?: number;
  /** ISO 8601. */
  before?: string;
}

/** What a sweep erases by: a retention period and its cut-off; null: none (only the deliveries left without their call). */
export type SweepPeriod = { days: number; before: Date } | null;

export interface RetentionDeps {
  calls: Pick<CallRecordStore, 'ended' | 'erase'>;
  deliveries: Pick<DeliveryStore, 'eraseForCalls' | 'eraseOrphans' | 'countForCalls'>;
  /** Absent: no caller languages are kept in a database. */
  callerLanguages?: Pick<CallerLanguageStore, 'forgetBefore' | 'forgetCaller' | 'countCaller'>;
  jobs: Pick<JobQueues, 'add' | 'list' | 'remove' | 'queueNames'>;
  /** Run after an erasure that erased something, so what was erased leaves the database's files too (Store.scrub). */
  scrub?: () => Promise<void>;
  logger: Logger;
  /** TOLK_RETENTION_DAYS; undefined: the sweep erases only the deliveries left without their call. */
  days?: number;
  now?: () => number;
  /** Most calls one request erases (default MAX_ERASED_PER_REQUEST). */
  maxPerRequest?: number;
}

/** A sweep job: the hourly one (`slot`), or one asked for by hand (`days` and `before`; neither: by no period). */
interface SweepJob {
  /** The hour (since the epoch) the run belongs to; absent for a sweep by hand. */
  slot?: number;
  /** A sweep by hand: the period and cut-off it was asked with (ISO 8601). */
  days?: number;
  before?: string;
}

/** A sweep by hand, queued: its job (queue `retention`) and the cut-off it sweeps by (absent: none, see SweepResult). */
export interface QueuedSweep {
  queue: typeof RETENTION_QUEUE;
  id: string;
  days?: number;
  /** ISO 8601: what ended (or was last remembered) before this goes. */
  before?: string;
}

const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Retention {
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly maxPerRequest: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RetentionDeps) {
    this.now = deps.now ?? Date.now;
    this.maxPerRequest = deps.maxPerRequest ?? MAX_ERASED_PER_REQUEST;
    this.log = deps.logger.child({ component: 'retention' });
  }

  /** TOLK_RETENTION_DAYS; undefined: the sweep erases only the deliveries left without their call. */
  get days(): number | undefined {
    return this.deps.days;
  }

  /** Erases the ended calls the request names (see EraseRequest), at most a request's bound of them, with their own deliveries. */
  erase(req: EraseRequest): Promise<EraseResult> {
    return this.eraseUpTo(req, this.maxPerRequest, false);
  }

  /**
   * A dry run of `erase`: what it would erase now (the same counts, within the same bound, `more`
   * when more match), reading only: nothing is erased, no job removed, nothing scrubbed.
   */
  async preview(req: EraseRequest): Promise<EraseResult> {
    const max = this.maxPerRequest;
    const result: EraseResult = { calls: 0, deliveries: 0, callerLanguages: 0, more: false };
    for (;;) {
      const room = max - result.calls;
      if (room <= 0) {
        result.more = (await this.deps.calls.ended({ ...req, offset: result.calls, limit: 1 })).length > 0;
        break;
      }
      const limit = Math.min(MAX_LIST_LIMIT, room);
      const ids = await this.deps.calls.ended({ ...req, offset: result.calls, limit });
      result.calls += ids.length;
      result.deliveries += await this.deps.deliveries.countForCalls(ids);
      if (ids.length < limit) break;
      await pause();
    }
    if (req.from !== undefined && this.deps.callerLanguages) result.callerLanguages = await this.deps.callerLanguages.countCaller(req.from);
    return result;
  }

  /** The period TOLK_RETENTION_DAYS sets, by the cut-off of now; null without it. */
  private period(): SweepPeriod {
    const { days } = this.deps;
    return days === undefined ? null : { days, before: new Date(this.now() - days * DAY_MS) };
  }

  /**
   * The sweep (the hourly job, or `POST /api/calls/sweep` at once): erases the deliveries left
   * without their call and, by `period` (default TOLK_RETENTION_DAYS by now), what is older than it.
   */
  async sweep(period: SweepPeriod = this.period()): Promise<SweepResult> {
    if (period === null) {
      const result = await this.eraseUpTo(undefined, 0, true);
      this.log.info({ event: 'retention.swept', ...result }, `erased ${result.deliveries} webhook deliveries left without their call (no TOLK_RETENTION_DAYS: no calls)`);
      return result;
    }
    const { days, before } = period;
    const result = await this.eraseUpTo({ endedBefore: before }, MAX_ERASED_PER_SWEEP, true);
    if (this.deps.callerLanguages) {
      result.callerLanguages = await this.deps.callerLanguages.forgetBefore(before);
      if (result.callerLanguages > 0) await this.deps.scrub?.();
    }
    this.log.info({ event: 'retention.swept', days, before: before.toISOString(), ...result }, `erased ${result.calls} calls ended before ${before.toISOString()}`);
    return { ...result, days, before: before.toISOString() };
  }

  /**
   * Queues a sweep to run at once (`POST /api/calls/sweep`), by the cut-off of now (none without
   * TOLK_RETENTION_DAYS): whichever process runs the `retention` queue runs it.
   */
  async queueSweep(): Promise<QueuedSweep> {
    const now = this.now();
    const period = this.period();
    const asked = period ? { days: period.days, before: period.before.toISOString() } : {};
    const id = `retention.byhand.${now}.${randomUUID().slice(0, 8)}`;
    await this.deps.jobs.add<SweepJob>(RETENTION_QUEUE, { id, data: asked, attempts: 1 });
    return { queue: RETENTION_QUEUE, id, ...asked };
  }

  /** Queues the sweep of the hour after `afterSlot` (default: the hour now), once however often it is asked for. */
  async schedule(afterSlot?: number): Promise<void> {
    const now = this.now();
    const slot = Math.max(afterSlot ?? 0, Math.floor(now / SWEEP_INTERVAL_MS)) + 1;
    await this.deps.jobs.add<SweepJob>(RETENTION_QUEUE, {
      id: `retention.${slot}`,
      data: { slot },
      runAt: slot * SWEEP_INTERVAL_MS,
      attempts: 3,
      backoff: { type: 'exponential', delayMs: 60_000 },
    });
  }

  /** Schedules the next sweep now and every quarter of an hour until `stop`. */
  start(): void {
    if (this.timer) return;
    const schedule = (): void => void this.schedule().catch((err: unknown) => this.log.error({ event: 'retention.schedule_failed', err }, 'could not schedule the erasure of old calls'));
    schedule();
    this.timer = setInterval(schedule, RESCHEDULE_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * The `retention` queue's processor. An hourly sweep queues the next hour's first (so a failing
   * one does not end them; after the job's own hour even when its timer fired a moment early), then
   * sweeps; a sweep by hand sweeps by the cut-off it was asked with, or by none.
   */
  processor(): Processor<SweepJob, SweepResult> {
    return async (job) => {
      const { slot, days, before } = job.data;
      if (slot === undefined) return this.sweep(days !== undefined && before !== undefined ? { days, before: new Date(before) } : null);
      await this.schedule(slot);
      return this.sweep();
    };
  }

  /**
   * Erases up to `max` of the calls `req` names (none without `req`), with their deliveries;
   * `orphans`: also every delivery left without its call (the sweep's), else once more the
   * deliveries of the calls erased, any recorded as they were erased.
   */
  private async eraseUpTo(req: EraseRequest | undefined, max: number, orphans: boolean): Promise<EraseResult> {
    const result: EraseResult = { calls: 0, deliveries: 0, callerLanguages: 0, more: false };
    /** Ids of the calls and deliveries erased: the finished jobs about them go too. */
    const erased = new Set<string>();
    const callIds = req ? await this.eraseCalls(req, max, result, erased) : [];
    // A delivery recorded for a call as it was erased (it ended as an erasure ran) is left without it:
    // the sweep looks through every delivery for such, a request through its own calls' once more.
    const late = orphans ? await this.deps.deliveries.eraseOrphans(new Date(this.now() - ORPHAN_GRACE_MS)) : await this.eraseDeliveriesOf(callIds);
    result.deliveries += late.length;
    for (const id of late) erased.add(id);
    const from = req?.from;
    if (from !== undefined && this.deps.callerLanguages) result.callerLanguages = await this.deps.callerLanguages.forgetCaller(from);
    await this.eraseJobs(erased, from);
    if (result.calls + result.deliveries + result.callerLanguages > 0) await this.deps.scrub?.();
    return result;
  }

  /**
   * Erases up to `max` of the calls `req` names, a batch at a time, each batch's deliveries first;
   * counts them in `result` (`more` when some are left), adds their ids and their deliveries' to
   * `erased`, and resolves the ids of the calls erased.
   */
  private async eraseCalls(req: EraseRequest, max: number, result: EraseResult, erased: Set<string>): Promise<string[]> {
    const callIds: string[] = [];
    for (;;) {
      const room = max - result.calls;
      if (room <= 0) {
        result.more = (await this.deps.calls.ended({ ...req, limit: 1 })).length > 0;
        break;
      }
      const limit = Math.min(BATCH, room);
      const ids = await this.deps.calls.ended({ ...req, limit });
      if (ids.length === 0) break;
      // Deliveries first: a run cut short leaves calls to erase again, never deliveries without their call.
      const deliveries = await this.deps.deliveries.eraseForCalls(ids);
      result.deliveries += deliveries.length;
      result.calls += await this.deps.calls.erase(ids);
      callIds.push(...ids);
      for (const id of [...ids, ...deliveries]) erased.add(id);
      if (ids.length < limit) break;
      await pause();
    }
    return callIds;
  }

  /** Erases the deliveries of these calls, a batch at a time; resolves the ids erased. */
  private async eraseDeliveriesOf(callIds: readonly string[]): Promise<string[]> {
    const erased: string[] = [];
    for (let i = 0; i < callIds.length; i += BATCH) {
      if (i > 0) await pause();
      erased.push(...(await this.deps.deliveries.eraseForCalls(callIds.slice(i, i + BATCH))));
    }
    return erased;
  }

  /**
   * Removes the finished jobs about erased calls and deliveries (ids `<queue>.<call or delivery
   * id>...`: a dial job with the number it dialled, a delivery's attempts) or, for one caller's
   * erasure, any whose data names their number.
   */
  private async eraseJobs(erased: ReadonlySet<string>, from: string | undefined): Promise<void> {
    if (erased.size === 0 && from === undefined) return;
    const quoted = from === undefined ? undefined : JSON.stringify(from);
    const about = (id: string, data: unknown): boolean => erased.has(id.split('.')[1] ?? '') || (quoted !== undefined && JSON.stringify(data ?? null).includes(quoted));
    for (const queue of this.deps.jobs.queueNames) {
      for (const state of FINISHED) {
        const jobs = await this.deps.jobs.list({ queue, state, limit: JOBS_SCANNED });
        for (const job of jobs) if (about(job.id, job.data)) await this.deps.jobs.remove(job.queue, job.id);
      }
    }
  }
}
