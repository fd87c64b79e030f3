/**
 * Calls no tolk instance serves any more: after a crash, a kill or an out-of-memory stop, the
 * store still holds calls as live ("bridged", no outcome) that nobody will ever end. The reconciler
 * finds them (at start-up, those of this instance's previous run; periodically, those whose
 * instance has stopped saying it serves them), asks the phone network where each leg is, hangs up
 * what is still up (nobody hears anything on it), and closes the record as `interrupted` at the
 * time the network reports, keeping its transcript. A leg Twilio fails to look up or hang up is not
 * asked about again for a while, longer after each failure (`twilio`), until its call is closed. The close is published as the call's
 * `call.ended` event, as any call's end is, so the subscribers of the call event stream follow it
 * like any other (the customer's webhook is owed the record, live viewers see the call end, the
 * metrics count it). It also keeps this instance's own live calls
 * marked as served, so that other instances sharing the database leave them alone. In a cluster,
 * the calls of an instance that died are closed the same way, as `instance_lost` (`closeLost`).
 *
 * The legs of a conference tolk joined are the customer's parties, not tolk's: they are never hung up.
 *
 * A call of this instance that ended (its `call.ended` published: its webhook owed, its metrics
 * counted) but whose record could not be written is not such a call: its end is queued to be
 * written again (`endNotWritten`, call-ends.ts), and whoever finds the call live meanwhile (this
 * instance, another, or a survivor after this one died) writes that end, publishing nothing, so that
 * it never ends a second time with a second `call.ended`. An end that cannot be queued either (the
 * job queue failing too) is kept here (kept-ends.ts, bounded): each pass writes it, or queues it,
 * before anything else; meanwhile its call is marked as served, so other instances leave it alone,
 * and `stop` makes a last attempt, within a deadline, logging each end it could not write with its
 * outcome (`call.end_lost`). A call the job queue cannot say that of in time (Redis slow or failing)
 * has the legs still up hung up (if its end was published they are gone already; if not, nobody hears
 * anything on them), but its record is left live until the queue can say: closing it as interrupted
 * could end it a second time, with the wrong outcome.
 *
 * A pass waits on the database, the job queue and the phone network within one deadline
 * (`passLimitMs`); past it the pass is abandoned, logged with what it had left (`reconcile.pass_abandoned`),
 * and the next starts on time. A close the database writes after its pass was abandoned is still
 * published. Closing a lost instance's calls (`closeLost`) and a call whose leg ended (`legEnded`)
 * are given the same deadline each. `stopClosing` waits for a pass and those running within its own
 * deadline, then abandons them, and waits as long again for the closes the database has not
 * answered yet: once it resolves nothing more is published (a close the database writes later still
 * is logged with its end, `call.end_unpublished`), so the app settles the call events after it.
 * `stop` then makes the last attempt at the ends kept.
 */
import { owedEnd, queueEnd } from '../jobs/call-ends';
import type { JobQueues } from '../jobs/queue';
import type { Logger } from '../log/logger';
import type { CallOutcome, CallRecord } from '../store/call-record';
import { SCHEDULED_STATE, type CallEnd, type CallRecordStore } from '../store/call-record-store';
import { BoundedWaits, UNBOUNDED, type Waits } from './bounded-waits';
import { DEFAULT_STEP_TIMEOUT_MS, startDeadline, within } from './deadline';
import { callEnded, stamp, type CallEventBus } from './events';
import { KeptEnds, MAX_KEPT_ENDS } from './kept-ends';
import type { LegReport, Telephony } from './ports';

export interface CallReconcilerDeps {
  records: Pick<CallRecordStore, 'touch' | 'unserved' | 'close' | 'findByCallSid' | 'get'>;
  telephony: Pick<Telephony, 'lookUp' | 'hangUp'>;
  /** TOLK_INSTANCE_ID: this instance's name, kept with each call it serves. */
  instance: string;
  /** When this run of the instance started: its calls from before are its previous run's. */
  startedAt: Date;
  /** TOLK_RECONCILE_INTERVAL_SEC: how often live calls are marked as served and others checked. */
  intervalMs: number;
  /** Ids of the calls this instance serves now. */
  serving: () => readonly string[];
  /** Where a call closed here is published as ended (the bus the live calls publish on). */
  events: Pick<CallEventBus, 'publish' | 'settle'>;
  /** The job queues: the ends not written are the `call-ends` queue's (call-ends.ts). */
  jobs: Pick<JobQueues, 'add' | 'get'>;
  /** The wait before an end not written is tried again, doubled each try (default 1 s). */
  endRetryMs?: number;
  /** Ends neither written nor queued kept at most (default MAX_KEPT_ENDS); beyond, the oldest is lost. */
  maxKeptEnds?: number;
  /** Legs remembered as hung up here or failed on by Twilio, or as found ended, at most each (default MAX_LEGS_REMEMBERED); beyond, the oldest is forgotten. */
  maxLegsRemembered?: number;
  /** How long queueing an end, or asking the queue whether one is owed, may take before it counts as failed (default 5 s). */
  queueWaitMs?: number;
  /** How long `stopClosing` waits for a pass running, then for the closes not answered, and `stop` for the ends kept (default 10 s each; the app gives `stopWriteMsWithin(SHUTDOWN_GRACE_MS)`). */
  stopWriteMs?: number;
  /**
   * How long a pass may wait on the database, the job queue and the phone network, all told, before
   * it is abandoned (default PASS_STEPS × the default TOLK_STEP_TIMEOUT_SEC; the app gives PASS_STEPS × TOLK_STEP_TIMEOUT_SEC).
   */
  passLimitMs?: number;
  logger: Logger;
  now?: () => number;
}

/** Calls an instance has not marked as served for this many intervals (and STALE_FLOOR_MS) are taken as orphaned. */
export const STALE_INTERVALS = 3;
/** However short the interval, a call is not taken as orphaned sooner (instances may differ in interval). */
const STALE_FLOOR_MS = 30_000;
/**
 * A call whose legs the network could not be told about this many passes is closed anyway (a pass
 * that asks nothing, a leg waiting to be asked again, is none: see `twilio`).
 */
const MAX_ATTEMPTS = 5;
/** The longest a leg Twilio failed on waits before it is asked about again (see `failedOn`). */
const MAX_BACKOFF_MS = 10 * 60_000;
/** Records looked at per pass (the next pass takes the rest). */
const BATCH = 100;
/** Calls marked as served per write. */
const TOUCH_BATCH = 500;
/** Legs remembered as hung up here or failed on by Twilio, or as found ended, their calls not closed yet, at most each (beyond, the oldest is forgotten). */
const MAX_LEGS_REMEMBERED = 10_000;
const QUEUE_WAIT_MS = 5_000;
const STOP_WRITE_MS = 10_000;

/**
 * `stopWriteMs` for a process given `graceMs` to close down once its calls have ended: stopping
 * waits up to three of them on the reconciler (`stopClosing`: a pass running, then the closes the
 * database has not answered; `stop`: the ends kept), so each is a fifth of the grace (at most the
 * default 10 s), leaving the rest for settling the call events and closing the queues and the database.
 */
export function stopWriteMsWithin(graceMs: number): number {
  return Math.min(STOP_WRITE_MS, Math.floor(graceMs / 5));
}
/** A pass is given this many step timeouts (TOLK_STEP_TIMEOUT_SEC) to finish its waits on the outside world. */
export const PASS_STEPS = 3;

/** The job queue could not say in time whether an end is owed for the call: it is left live for now. */
class OwedEndUnknownError extends Error {
  constructor(readonly callId: string, options: { cause: unknown }) {
    super('the job queue could not say whether an end was owed for the call', options);
    this.name = 'OwedEndUnknownError';
  }
}

/** A leg of the call waits before Twilio is asked about it again (see `twilio`): the call is left live for now. */
class LegBackingOffError extends Error {
  constructor() {
    super('a leg of the call waits before Twilio is asked about it again, having failed on it');
    this.name = 'LegBackingOffError';
  }
}

/** What a pass is doing, for the log when it is abandoned. */
interface PassProgress {
  step: 'writing the ends kept' | 'marking live calls as served' | 'listing the calls nobody serves' | 'closing the calls nobody serves';
  /** The calls nobody serves it has not closed yet, the one it is closing first. */
  left: string[];
}

export class CallReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private passing = false;
  /** The waits of the pass running, if one runs. */
  private current: BoundedWaits | undefined;
  /** `closeLost` and `legEnded` running now (settling once they are over), with their waits. */
  private readonly others = new Map<Promise<void>, BoundedWaits>();
  /** Failed attempts per call (see MAX_ATTEMPTS). */
  private readonly attempts = new Map<string, number>();
  /** Legs of calls not closed yet that this instance hung up (or cancelled), or Twilio failed to look up or hang up (see LegMemory). */
  private readonly legMemory = new Map<string, LegMemory>();
  /** Legs of calls left live (see `hangUpUp`) the network reported ended, or did not know: not asked about again until their call is closed. */
  private readonly endedSeen = new Set<string>();
  private stopped = false;
  /** Ends of this instance's calls neither written nor queued (see the header). */
  private readonly kept: KeptEnds;
  /** The database's writes marking calls as served that it has not answered yet. */
  private readonly touching = new Set<Promise<unknown>>();
  /** Ends being queued now (`endNotWritten`). */
  private readonly queueing = new Set<Promise<void>>();
  /** Closes the database had not answered when their waits were given up, until it answers and they are published. */
  private readonly lateCloses = new Set<Promise<void>>();
  /** False once `stopClosing` is over: a close written later is not published. */
  private publishing = true;
  private closing: Promise<void> | undefined;
  /** False once `stop` has made its last attempt at the kept ends: an end that cannot be queued then is lost at once. */
  private keeping = true;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly maxLegs: number;

  constructor(private readonly deps: CallReconcilerDeps) {
    this.log = deps.logger.child({ component: 'reconciler' });
    this.now = deps.now ?? Date.now;
    this.kept = new KeptEnds(deps.maxKeptEnds ?? MAX_KEPT_ENDS);
    this.maxLegs = deps.maxLegsRemembered ?? MAX_LEGS_REMEMBERED;
  }

  /**
   * Closes every live call of instance `instance`, which has died, as `instance_lost`; resolves with
   * how many are left open (the network could not be asked about them: try again later).
   */
  closeLost(instance: string): Promise<number> {
    return this.bounded(async (waits) => {
      let left = 0;
      for (;;) {
        const calls = await waits.wait(() => this.deps.records.unserved({ instance, startedBefore: new Date(this.now() + 60_000), seenBefore: new Date(0), limit: BATCH }));
        const theirs = calls.filter((r) => r.instance === instance && !this.deps.serving().includes(r.id));
        let closed = 0;
        for (const record of theirs) {
          try {
            await this.reconcile(record, waits, 'instance_lost', `the tolk instance serving the call (${instance}) stopped while it was ${record.state}`);
            closed++;
          } catch (err) {
            if (waits.givenUp) throw err;
            left++;
            if (!(err instanceof LegBackingOffError)) this.log.warn({ event: 'call.reconcile_failed', callId: record.id, err }, 'could not close a call of a lost instance; trying again later');
          }
        }
        if (calls.length < BATCH || closed === 0) return left;
      }
    });
  }

  /**
   * Runs `work` with waits given `passLimitMs` (abandoned at once once tolk is stopping), kept
   * until it is over so that `stop` can wait for it.
   */
  private bounded<T>(work: (waits: Waits) => Promise<T>): Promise<T> {
    const waits = new BoundedWaits(this.deps.passLimitMs ?? PASS_STEPS * DEFAULT_STEP_TIMEOUT_MS);
    if (this.stopped) waits.abandon('tolk is stopping');
    const run = work(waits).finally(() => waits.done());
    const over = run.then(
      () => undefined,
      () => undefined,
    );
    this.others.set(over, waits);
    void over.then(() => this.others.delete(over));
    return run;
  }

  /** Runs a pass now (in the background), then one every interval. */
  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  /**
   * Every interval: this instance's calls are marked as served whatever else is going on (a slow
   * pass must not make other instances take them as orphaned), and a pass starts unless one runs.
   * Marking them is waited for one step (a pass's limit over PASS_STEPS), and not tried again while
   * the database has not answered the last write.
   */
  private async tick(): Promise<void> {
    if (!this.passing) {
      this.passing = true;
      await this.pass().finally(() => (this.passing = false));
      return;
    }
    // A database that has not answered the last write yet is not sent another.
    if (this.touching.size > 0) {
      this.log.warn({ event: 'reconcile.touch_skipped', writes: this.touching.size }, 'did not mark live calls as served: the database has not answered the last time yet');
      return;
    }
    const waits = new BoundedWaits((this.deps.passLimitMs ?? PASS_STEPS * DEFAULT_STEP_TIMEOUT_MS) / PASS_STEPS);
    await this.touch(waits)
      .catch((err: unknown) => this.log.warn({ event: 'reconcile.touch_failed', err }, 'could not mark live calls as served'))
      .finally(() => waits.done());
  }

  /** Marks the calls this instance serves, and those whose ends it keeps, as served. */
  private async touch(waits: Waits): Promise<void> {
    const ids = [...this.deps.serving(), ...this.kept.ids()];
    const at = new Date(this.now());
    for (let i = 0; i < ids.length; i += TOUCH_BATCH) {
      await waits.wait(() => {
        const write = this.deps.records.touch(ids.slice(i, i + TOUCH_BATCH), at);
        this.touching.add(write);
        const settled = (): void => void this.touching.delete(write);
        write.then(settled, settled);
        return write;
      });
    }
  }

  /**
   * Stops the passes (one running, and `closeLost` and `legEnded` running, are waited for up to
   * `stopWriteMs`, then abandoned), then waits up to `stopWriteMs` more for the closes the database
   * had not answered when they were abandoned, publishing those it writes meanwhile. Once it
   * resolves, the reconciler publishes nothing more.
   */
  stopClosing(): Promise<void> {
    this.closing ??= (async () => {
      this.stopped = true;
      clearInterval(this.timer);
      const limitMs = this.deps.stopWriteMs ?? STOP_WRITE_MS;
      const abandoning = startDeadline(limitMs, () => {
        this.current?.abandon('tolk is stopping');
        for (const waits of this.others.values()) waits.abandon('tolk is stopping');
      });
      await Promise.all([this.running, ...this.others.keys()]);
      clearTimeout(abandoning);
      if (this.lateCloses.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        const late = [...this.lateCloses];
        await Promise.race([Promise.all(late), new Promise<void>((resolve) => (timer = startDeadline(limitMs, resolve)))]);
        clearTimeout(timer);
      }
      this.publishing = false;
    })();
    return this.closing;
  }

  /** `stopClosing`, then a last attempt, within `stopWriteMs`, at writing the ends kept. */
  async stop(): Promise<void> {
    await this.stopClosing();
    const limitMs = this.deps.stopWriteMs ?? STOP_WRITE_MS;
    await Promise.all(this.queueing);
    if (this.kept.size > 0) {
      const waits = new BoundedWaits(limitMs);
      await this.writeKept(waits);
      waits.done();
    }
    this.keeping = false;
    for (const { callId, end } of this.kept.list()) {
      this.kept.delete(callId);
      this.lost(callId, end, 'tolk stopped before it could write it');
    }
  }

  /**
   * A call of this instance ended (its `call.ended` published) but its record could not be written
   * (the records subscriber's `endNotWritten`): its end is queued to be written (call-ends.ts), or
   * kept here when it cannot be.
   */
  endNotWritten(callId: string, end: CallEnd): void {
    const queued = this.queue(callId, end).then(
      () => this.log.warn({ event: 'call.end_unwritten', callId, outcome: end.outcome }, "could not write a call's end: queued to be written again"),
      (err: unknown) => this.keep(callId, end, err),
    );
    this.queueing.add(queued);
    void queued.finally(() => this.queueing.delete(queued));
  }

  private queue(callId: string, end: CallEnd): Promise<void> {
    return within(queueEnd(this.deps.jobs, callId, end, this.deps.endRetryMs), this.deps.queueWaitMs ?? QUEUE_WAIT_MS);
  }

  private keep(callId: string, end: CallEnd, err: unknown): void {
    if (!this.keeping) {
      this.lost(callId, end, 'nor queue it, and tolk has stopped', err);
      return;
    }
    const dropped = this.kept.keep(callId, end);
    this.log.warn({ event: 'call.end_kept', callId, outcome: end.outcome, kept: this.kept.size, err }, "could not write a call's end, nor queue it: kept here and written again each pass");
    if (dropped) this.lost(dropped.callId, dropped.end, `more than ${this.kept.cap} ends were kept`);
  }

  /** Logs an end given up, with all of it, so an operator can still tell how the call ended. */
  private lost(callId: string, end: CallEnd, why: string, err?: unknown): void {
    this.log.error(
      { event: 'call.end_lost', callId, outcome: end.outcome, endReason: end.endReason, endedAt: end.endedAt.toISOString(), ...(err === undefined ? {} : { err }) },
      `could not write a call's end (${why}): its record stays live until an instance closes it`,
    );
  }

  /**
   * Writes the ends kept, oldest first, or queues those the database still fails to write; stops at
   * the first that can be neither (the rest wait for the next pass), once `go` says so, or once
   * `waits` are given up. Never rejects.
   */
  private async writeKept(waits: Waits, go: () => boolean = () => true): Promise<void> {
    for (const { callId, end } of this.kept.list()) {
      if (!go() || waits.givenUp) return;
      if (!this.kept.has(callId)) continue;
      try {
        const written = await waits.wait(
          () => this.deps.records.close(callId, end),
          () => this.kept.delete(callId),
        );
        this.kept.delete(callId);
        if (written) this.log.info({ event: 'call.end_written', callId, outcome: end.outcome }, "a call's end kept here written");
        else this.log.warn({ event: 'call.end_superseded', callId, outcome: end.outcome }, "a call's end kept here was not written: its record had an end already, or is gone");
      } catch (writeErr) {
        if (waits.givenUp) return;
        try {
          await waits.wait(() => this.queue(callId, end));
          this.kept.delete(callId);
          this.log.warn({ event: 'call.end_unwritten', callId, outcome: end.outcome }, "could not write a call's end: queued to be written again");
        } catch (err) {
          if (waits.givenUp) return;
          this.log.warn({ event: 'call.ends_kept', kept: this.kept.size, err: writeErr, queueErr: err }, "could not write the calls' ends kept here, nor queue them: trying again next pass");
          return;
        }
      }
    }
  }

  /** Marks this instance's calls as served, then closes the calls nobody serves; resolves with how many it closed. */
  pass(): Promise<number> {
    const run = this.running.then(() => this.passNow());
    this.running = run.catch(() => undefined);
    return run;
  }

  /**
   * The network reported a leg ended that no call of this instance holds: if the store has it as a
   * live call nobody serves (this instance's previous run), it is closed now.
   */
  async legEnded(legRef: string): Promise<void> {
    if (this.stopped) return;
    await this.bounded(async (waits) => {
      const record = await waits.wait(() => this.deps.records.findByCallSid(legRef)).catch(() => undefined);
      // A call tolk places that waits for its next attempt lists the leg of its last one: not orphaned.
      if (!record || record.outcome !== undefined || record.state === SCHEDULED_STATE || this.deps.serving().includes(record.id)) return;
      const mine = record.instance === undefined || record.instance === this.deps.instance;
      if (!mine || record.startedAt.getTime() >= this.deps.startedAt.getTime()) return;
      await this.reconcile(record, waits).catch((err: unknown) => {
        if (!(err instanceof LegBackingOffError)) this.log.warn({ event: 'call.reconcile_failed', callId: record.id, err }, 'could not reconcile a call');
      });
    });
  }

  private async passNow(): Promise<number> {
    if (this.stopped) return 0;
    const waits = new BoundedWaits(this.deps.passLimitMs ?? PASS_STEPS * DEFAULT_STEP_TIMEOUT_MS);
    this.current = waits;
    const progress: PassProgress = { step: 'writing the ends kept', left: [] };
    try {
      return await this.passWithin(waits, progress);
    } catch (err) {
      if (!waits.givenUp) {
        this.log.error({ event: 'reconcile.failed', err }, 'reconciling live calls failed');
        return 0;
      }
      this.log.error(
        { event: 'reconcile.pass_abandoned', step: progress.step, callIds: progress.left, keptEnds: this.kept.size, limitMs: waits.limitMs, err },
        `a reconciler pass was abandoned while ${progress.step}: the database, the job queue or the phone network did not answer in time; the next pass takes what was left`,
      );
      return 0;
    } finally {
      waits.done();
      if (this.current === waits) this.current = undefined;
    }
  }

  private async passWithin(waits: BoundedWaits, progress: PassProgress): Promise<number> {
    await this.writeKept(waits, () => !this.stopped);
    if (waits.givenUp) throw waits.givenUp;
    const now = this.now();
    const serving = this.deps.serving();
    progress.step = 'marking live calls as served';
    await this.touch(waits);
    progress.step = 'listing the calls nobody serves';
    const orphans = await waits.wait(() =>
      this.deps.records.unserved({
        instance: this.deps.instance,
        startedBefore: this.deps.startedAt,
        seenBefore: new Date(now - Math.max(STALE_FLOOR_MS, STALE_INTERVALS * this.deps.intervalMs)),
        limit: BATCH,
      }),
    );
    progress.step = 'closing the calls nobody serves';
    progress.left = orphans.filter((r) => !serving.includes(r.id)).map((r) => r.id);
    let closed = 0;
    for (const record of orphans) {
      if (this.stopped) break;
      // A call whose end is kept here is closed with that end alone (writeKept).
      if (serving.includes(record.id) || this.kept.has(record.id)) continue;
      progress.left = progress.left.slice(progress.left.indexOf(record.id));
      try {
        if (await this.reconcile(record, waits)) closed++;
        this.attempts.delete(record.id);
      } catch (err) {
        if (waits.givenUp) throw err;
        // Not an attempt: the network is not asked before its time.
        if (err instanceof LegBackingOffError) continue;
        if (err instanceof OwedEndUnknownError) {
          this.log.warn({ event: 'call.reconcile_deferred', callId: record.id, err }, "left a call's record live (its legs still up hung up): the job queue could not say whether its end was published; trying again next pass");
        } else {
          const attempts = (this.attempts.get(record.id) ?? 0) + 1;
          this.attempts.set(record.id, attempts);
          if (attempts < MAX_ATTEMPTS) {
            // The network could not be asked: a later pass tries again.
            this.log.warn({ event: 'call.reconcile_failed', callId: record.id, attempts, err }, 'could not reconcile a call; trying again later');
            continue;
          }
          // Never answerable (a status tolk does not know, a leg the network keeps failing on): it must not hold up the others.
          this.attempts.delete(record.id);
          const endReason = `tolk stopped serving the call while it was ${record.state}; the phone network could not be asked about its legs (${MAX_ATTEMPTS} attempts)`;
          if (await this.close(record, { outcome: 'interrupted', endReason, endedAt: new Date(this.now()) }, waits)) closed++;
          this.forgetLegs(record);
        }
      }
    }
    return closed;
  }

  /**
   * Closes one orphaned call (as interrupted unless told otherwise); false if another instance
   * closed it first, or it had ended already: its end published, only its record not written (that
   * end is written now). Rejects with an OwedEndUnknownError when the job queue cannot say in time
   * whether that is so, once it has hung up the legs still up (`hangUpUp`), leaving the record live.
   */
  private async reconcile(
    record: CallRecord,
    waits: Waits,
    outcome: CallOutcome = 'interrupted',
    why = `tolk stopped serving the call while it was ${record.state}`,
  ): Promise<boolean> {
    const kept = this.kept.get(record.id);
    let owed: CallEnd | undefined;
    try {
      owed = kept ?? (await this.owedEnd(record.id, waits));
    } catch (err) {
      if (err instanceof OwedEndUnknownError) await this.hangUpUp(record, waits);
      throw err;
    }
    if (owed) {
      const written = await waits.wait(() => this.deps.records.close(record.id, owed));
      this.kept.delete(record.id);
      this.forgetLegs(record);
      if (written) {
        this.log.info({ event: 'call.end_written', callId: record.id, outcome: owed.outcome, instance: record.instance }, "a call's end, published by the instance that served it, written");
      }
      return false;
    }
    const found: string[] = [];
    let endedAt: Date | undefined;
    // A conference tolk joined: its legs are the parties', who go on without their interpreter.
    const joined = record.kind === 'conference' && record.number === '';
    const legs = joined ? [] : record.legs;
    if (legs.some((leg) => this.backingOff(leg.callSid))) throw new LegBackingOffError();
    for (const leg of legs) {
      let report = await this.twilio(record.id, leg.callSid, waits, () => this.deps.telephony.lookUp(leg.callSid));
      // Written by a tolk that kept no instance (an older version, perhaps still serving it during an
      // upgrade): closed only once every leg has ended, never hung up.
      if (record.instance === undefined && report && report.status.state !== 'ended') return false;
      if (report && report.status.state !== 'ended') {
        // Still up with nobody serving it: the party hears nothing. Hang it up.
        const ringing = report.status.state === 'dialing' || report.status.state === 'ringing';
        await this.twilio(record.id, leg.callSid, waits, () => this.deps.telephony.hangUp(leg.callSid, { ringing }));
        this.hungUp(leg.callSid, ringing);
        const after = await waits.wait(() => this.deps.telephony.lookUp(leg.callSid)).catch(() => undefined);
        if (waits.givenUp) throw waits.givenUp;
        report = after ?? report;
      }
      found.push(`${leg.role} ${describe(report, this.legMemory.get(leg.callSid)?.endedBy)}`);
      if (report?.endedAt && (!endedAt || report.endedAt > endedAt)) endedAt = report.endedAt;
    }
    const endReason = `${why}; ` + (joined ? 'the conference goes on without its interpreter' : `the phone network reports ${found.join(', ') || 'no legs'}`);
    const closed = await this.close(record, { outcome, endReason, endedAt: endedAt ?? new Date(this.now()) }, waits);
    this.forgetLegs(record);
    if (closed && !joined) await this.hangUpListedSince(record, waits);
    return closed;
  }

  /**
   * Hangs up the legs of an orphaned call that are still up, leaving its record as it is (the job
   * queue could not say whether its end was published). Never the legs of a conference tolk joined,
   * nor those of a call written by a tolk that kept no instance (see `reconcile`). A leg hung up here
   * or found ended before is not asked about again (the call may be left live pass after pass while
   * the job queue cannot answer); a leg the network cannot be asked about is left for a later pass
   * (`twilio`).
   * Rejects only once `waits` are given up.
   */
  private async hangUpUp(record: CallRecord, waits: Waits): Promise<void> {
    if ((record.kind === 'conference' && record.number === '') || record.instance === undefined) return;
    for (const leg of record.legs) {
      if (this.legMemory.get(leg.callSid)?.endedBy || this.endedSeen.has(leg.callSid) || this.backingOff(leg.callSid)) continue;
      try {
        const report = await this.twilio(record.id, leg.callSid, waits, () => this.deps.telephony.lookUp(leg.callSid));
        if (!report || report.status.state === 'ended') {
          if (this.endedSeen.size >= this.maxLegs) this.endedSeen.delete(this.endedSeen.values().next().value!);
          this.endedSeen.add(leg.callSid);
          continue;
        }
        const ringing = report.status.state === 'dialing' || report.status.state === 'ringing';
        await this.twilio(record.id, leg.callSid, waits, () => this.deps.telephony.hangUp(leg.callSid, { ringing }));
        this.hungUp(leg.callSid, ringing);
        this.log.warn({ event: 'call.leg_hung_up', callId: record.id, legSid: leg.callSid, role: leg.role }, "hung up a leg of a call nobody serves; its record stays live until the job queue says whether its end was published");
      } catch (err) {
        if (waits.givenUp) throw waits.givenUp;
        this.log.warn({ event: 'call.leg_hang_up_failed', callId: record.id, legSid: leg.callSid, err }, 'could not hang up a leg of a call nobody serves; trying again later');
      }
    }
  }

  /** Remembers leg `callSid` as hung up here (cancelled when it was still ringing), for its call's end reason. */
  private hungUp(callSid: string, ringing: boolean): void {
    this.remember(callSid, { ...this.legMemory.get(callSid), endedBy: ringing ? 'cancelled' : 'hung up' });
  }

  /**
   * `ask`, a lookup or a hang-up of leg `callSid` of call `callId` within `waits`. Should Twilio
   * fail it, the leg is not asked about again for a while: a pass's interval after its first
   * failure, doubled after each of the next, up to MAX_BACKOFF_MS (or an interval, if longer),
   * until its call is closed.
   */
  private async twilio<T>(callId: string, callSid: string, waits: Waits, ask: () => Promise<T>): Promise<T> {
    try {
      return await waits.wait(ask);
    } catch (err) {
      if (!waits.givenUp) this.failedOn(callId, callSid);
      throw err;
    }
  }

  /** Twilio failed on leg `callSid` once more: it waits longer before it is asked about again. */
  private failedOn(callId: string, callSid: string): void {
    const memory = this.legMemory.get(callSid);
    const failures = (memory?.failed?.failures ?? 0) + 1;
    const waitMs = Math.min(this.deps.intervalMs * 2 ** (failures - 1), Math.max(MAX_BACKOFF_MS, this.deps.intervalMs));
    this.remember(callSid, { ...memory, failed: { failures, retryAt: this.now() + waitMs } });
    this.log.info({ event: 'call.leg_backing_off', callId, legSid: callSid, failures, waitMs }, `Twilio failed on a leg of a call nobody serves: not asked about again for ${Math.round(waitMs / 1000)} s`);
  }

  /** Whether leg `callSid` waits before it is asked about again (see `twilio`). */
  private backingOff(callSid: string): boolean {
    const retryAt = this.legMemory.get(callSid)?.failed?.retryAt;
    return retryAt !== undefined && retryAt > this.now();
  }

  /** Keeps `memory` of leg `callSid`, as the newest remembered, forgetting the oldest beyond `maxLegs`. */
  private remember(callSid: string, memory: LegMemory): void {
    this.legMemory.delete(callSid);
    if (this.legMemory.size >= this.maxLegs) this.legMemory.delete(this.legMemory.keys().next().value!);
    this.legMemory.set(callSid, memory);
  }

  /** Forgets what was remembered of the legs of a call now closed. */
  private forgetLegs(record: CallRecord): void {
    for (const leg of record.legs) {
      this.legMemory.delete(leg.callSid);
      this.endedSeen.delete(leg.callSid);
    }
  }

  /**
   * The end owed for call `callId` (`owedEnd`, within `queueWaitMs`); an OwedEndUnknownError when
   * the queue does not answer in time, or fails: the call may have ended with its own outcome, which
   * closing it as interrupted would lose.
   */
  private async owedEnd(callId: string, waits: Waits): Promise<CallEnd | undefined> {
    try {
      return await waits.wait(() => within(owedEnd(this.deps.jobs, callId), this.deps.queueWaitMs ?? QUEUE_WAIT_MS));
    } catch (err) {
      if (waits.givenUp) throw err;
      throw new OwedEndUnknownError(callId, { cause: err });
    }
  }

  /**
   * Hangs up the legs the call's record listed after `before` was read, until it was closed: a leg
   * a dial job placed for the call meanwhile (dial-record.ts; one listed after the close is the
   * job's to hang up).
   */
  private async hangUpListedSince(before: CallRecord, waits: Waits): Promise<void> {
    const seen = new Set(before.legs.map((l) => l.callSid));
    const now = await waits.wait(() => this.deps.records.get(before.id)).catch(() => undefined);
    for (const leg of now?.legs ?? []) {
      if (seen.has(leg.callSid) || waits.givenUp) continue;
      try {
        const report = await waits.wait(() => this.deps.telephony.lookUp(leg.callSid));
        if (!report || report.status.state === 'ended') continue;
        await waits.wait(() => this.deps.telephony.hangUp(leg.callSid, { ringing: report.status.state === 'dialing' || report.status.state === 'ringing' }));
        this.log.warn({ event: 'call.leg_hung_up', callId: before.id, legSid: leg.callSid, role: leg.role }, 'hung up a leg placed for a call while it was being closed');
      } catch (err) {
        this.log.error({ event: 'call.leg_hang_up_failed', callId: before.id, legSid: leg.callSid, err }, 'could not hang up a leg placed for a call while it was being closed');
      }
    }
  }

  /**
   * Closes the record of a call no instance serves and publishes its end (once its subscribers have
   * finished with it, the pass goes on); false if another instance closed it first. Written after
   * `waits` were given up, the end is published all the same (the record has it), unless
   * `stopClosing` is over by then.
   */
  private async close(record: CallRecord, end: CallEnd, waits: Waits): Promise<boolean> {
    let write: Promise<boolean> | undefined;
    let closed: boolean;
    try {
      closed = await waits.wait(() => (write = this.deps.records.close(record.id, end)));
    } catch (err) {
      if (write && waits.givenUp) this.closedLate(record, end, write);
      throw err;
    }
    if (!closed) return false;
    await this.announce(record, end, waits);
    return true;
  }

  /** Publishes the end of a close the database answers after its waits were given up, while `stopClosing` is not over. */
  private closedLate(record: CallRecord, end: CallEnd, write: Promise<boolean>): void {
    const late = write.then(
      async (closed) => {
        if (!closed) return;
        if (this.publishing) return this.announce(record, end, UNBOUNDED);
        this.log.error(
          { event: 'call.end_unpublished', callId: record.id, outcome: end.outcome, endReason: end.endReason, endedAt: end.endedAt.toISOString() },
          "the database wrote a call's end after tolk had stopped publishing call events: its record has the end, but its webhook and metrics were not sent",
        );
      },
      () => undefined,
    );
    const tracked = late.catch(() => undefined);
    this.lateCloses.add(tracked);
    void tracked.finally(() => this.lateCloses.delete(tracked));
  }

  /** Publishes the end of a call closed here, and waits for its subscribers. */
  private async announce(record: CallRecord, end: CallEnd, waits: Waits): Promise<void> {
    const at = end.endedAt.getTime();
    const ids = { callId: record.id, ...(record.kind === 'conference' && record.conference ? { conferenceId: record.conference } : {}) };
    this.deps.events.publish(stamp(callEnded(end.outcome, end.endReason, { answeredAt: record.answeredAt, endedAt: at }), ids, at));
    this.log.warn(
      { event: 'call.reconciled', callId: record.id, previousState: record.state, instance: record.instance, outcome: end.outcome, endReason: end.endReason },
      `call no instance served closed as ${end.outcome}`,
    );
    await waits.wait(() => this.deps.events.settle(record.id));
  }
}

/** How tolk itself ended a leg of a call nobody served. */
type TolkEnded = 'hung up' | 'cancelled';

/** What is remembered of a leg of a call nobody serves, until the call is closed. */
interface LegMemory {
  /** tolk hung it up: its call's end reason says so. */
  endedBy?: TolkEnded;
  /** Twilio failed to look it up or hang it up this many times: it is not asked about again before `retryAt` (ms since the epoch). */
  failed?: { failures: number; retryAt: number };
}

/**
 * A leg as its call's end reason tells it: as the network reports it, or, for one tolk hung up (the
 * network then reports it `completed` or `canceled`, as if a party had), that tolk did.
 */
function describe(report: LegReport | undefined, byTolk?: TolkEnded): string {
  if (byTolk) return report?.endedAt ? `${byTolk} by tolk at ${report.endedAt.toISOString()}` : `${byTolk} by tolk`;
  if (!report) return 'unknown';
  const s = report.status;
  const word = s.state === 'ended' ? s.reason : s.state;
  return report.endedAt ? `${word} at ${report.endedAt.toISOString()}` : word;
}
