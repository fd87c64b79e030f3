/**
 * Erasing what tolk keeps about calls once it is no longer wanted: an ended call's record, its
 * transcript, the CallSids it had and its webhook deliveries (their payloads hold the transcript),
 * and the languages remembered for callers.
 *  - On a schedule (TOLK_RETENTION_DAYS): every hour a job of the `retention` queue erases the calls
 *    that ended more than that many days ago and forgets the callers whose language was last
 *    remembered before then. The job's id names its hour, so however many servers schedule it, it
 *    runs once an hour; each run schedules the next.
 *  - On request (`POST /api/calls/erase`, `tolk calls erase`): the calls that ended before a time,
 *    or every ended call of one caller (whose remembered languages are forgotten too).
 * A call still live is never erased. Each run erases at most MAX_ERASED_PER_RUN calls, in batches,
 * and says whether more are left (the next hour's sweep, or the operator asking again, goes on).
 */
import type { JobQueues, Processor, QueueSpec } from '../jobs/queue';
import type { Logger } from '../log/logger';
import type { CallRecordStore } from '../store/call-record-store';
import type { CallerLanguageStore } from '../store/caller-language-store';
import type { DeliveryStore } from '../store/delivery-store';

export const RETENTION_QUEUE = 'retention';
export const retentionQueueSpec: QueueSpec = { name: RETENTION_QUEUE, concurrency: 1 };

/** How often the scheduled erasure runs. */
export const SWEEP_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Calls erased per database round (their deliveries first, then the calls). */
const BATCH = 200;
/** Most calls one run erases; the rest are left to the next run (`more`). */
export const MAX_ERASED_PER_RUN = 20_000;

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
  /** Calls matching were left for another run (MAX_ERASED_PER_RUN was reached). */
  more: boolean;
}

export interface RetentionDeps {
  calls: Pick<CallRecordStore, 'ended' | 'erase'>;
  deliveries: Pick<DeliveryStore, 'eraseForCalls'>;
  /** Absent: no caller languages are kept in a database. */
  callerLanguages?: Pick<CallerLanguageStore, 'forgetBefore' | 'forgetCaller'>;
  jobs: Pick<JobQueues, 'add'>;
  logger: Logger;
  /** TOLK_RETENTION_DAYS; undefined: nothing is erased on a schedule. */
  days?: number;
  now?: () => number;
  /** Most calls one run erases (default MAX_ERASED_PER_RUN). */
  maxPerRun?: number;
}

interface SweepJob {
  /** The hour (since the epoch) the run belongs to. */
  slot: number;
}

export class Retention {
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly maxPerRun: number;

  constructor(private readonly deps: RetentionDeps) {
    this.now = deps.now ?? Date.now;
    this.maxPerRun = deps.maxPerRun ?? MAX_ERASED_PER_RUN;
    this.log = deps.logger.child({ component: 'retention' });
  }

  /** Erases the ended calls the request names (see EraseRequest). */
  async erase(req: EraseRequest): Promise<EraseResult> {
    const result: EraseResult = { calls: 0, deliveries: 0, callerLanguages: 0, more: false };
    for (;;) {
      const room = this.maxPerRun - result.calls;
      if (room <= 0) {
        result.more = (await this.deps.calls.ended({ ...req, limit: 1 })).length > 0;
        break;
      }
      const ids = await this.deps.calls.ended({ ...req, limit: Math.min(BATCH, room) });
      if (ids.length === 0) break;
      // Deliveries first: a run cut short leaves calls to erase again, never deliveries without their call.
      result.deliveries += await this.deps.deliveries.eraseForCalls(ids);
      result.calls += await this.deps.calls.erase(ids);
      if (ids.length < Math.min(BATCH, room)) break;
    }
    if (req.from !== undefined && this.deps.callerLanguages) result.callerLanguages = await this.deps.callerLanguages.forgetCaller(req.from);
    return result;
  }

  /** Erases what is older than TOLK_RETENTION_DAYS; undefined when it is unset. */
  async sweep(): Promise<EraseResult | undefined> {
    const { days } = this.deps;
    if (days === undefined) return undefined;
    const before = new Date(this.now() - days * DAY_MS);
    const result = await this.erase({ endedBefore: before });
    if (this.deps.callerLanguages) result.callerLanguages = await this.deps.callerLanguages.forgetBefore(before);
    this.log.info({ event: 'retention.swept', days, before: before.toISOString(), ...result }, `erased ${result.calls} calls ended before ${before.toISOString()}`);
    return result;
  }

  /** Queues the next hour's sweep (once however often it is asked for); nothing without TOLK_RETENTION_DAYS. */
  async schedule(): Promise<void> {
    if (this.deps.days === undefined) return;
    const now = this.now();
    const slot = Math.floor(now / SWEEP_INTERVAL_MS) + 1;
    await this.deps.jobs.add<SweepJob>(RETENTION_QUEUE, { id: `retention.${slot}`, data: { slot }, delayMs: slot * SWEEP_INTERVAL_MS - now, attempts: 3, backoff: { type: 'exponential', delayMs: 60_000 } });
  }

  /** The `retention` queue's processor: queues the next sweep (so a failing one does not end them), then sweeps. */
  processor(): Processor<SweepJob, EraseResult | undefined> {
    return async () => {
      await this.schedule();
      return this.sweep();
    };
  }
}
