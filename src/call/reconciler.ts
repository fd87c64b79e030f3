/**
 * Calls no tolk instance serves any more: after a crash, a kill or an out-of-memory stop, the
 * store still holds calls as live ("bridged", no outcome) that nobody will ever end. The reconciler
 * finds them (at start-up, those of this instance's previous run; periodically, those whose
 * instance has stopped saying it serves them), asks the phone network where each leg is, hangs up
 * what is still up (nobody hears anything on it), and closes the record as `interrupted` at the
 * time the network reports, keeping its transcript. The close is published as the call's
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
 * outcome (`call.end_lost`).
 */
import { owedEnd, queueEnd } from '../jobs/call-ends';
import type { JobQueues } from '../jobs/queue';
import type { Logger } from '../log/logger';
import type { CallOutcome, CallRecord } from '../store/call-record';
import { SCHEDULED_STATE, type CallEnd, type CallRecordStore } from '../store/call-record-store';
import { within } from './deadline';
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
  /** How long queueing an end may take before it counts as failed (default 5 s). */
  queueWaitMs?: number;
  /** How long `stop` tries to write the ends kept (default 10 s). */
  stopWriteMs?: number;
  logger: Logger;
  now?: () => number;
}

/** Calls an instance has not marked as served for this many intervals (and STALE_FLOOR_MS) are taken as orphaned. */
export const STALE_INTERVALS = 3;
/** However short the interval, a call is not taken as orphaned sooner (instances may differ in interval). */
const STALE_FLOOR_MS = 30_000;
/** A call whose legs the network could not be told about this many passes in a row is closed anyway. */
const MAX_ATTEMPTS = 5;
/** Records looked at per pass (the next pass takes the rest). */
const BATCH = 100;
/** Calls marked as served per write. */
const TOUCH_BATCH = 500;
const QUEUE_WAIT_MS = 5_000;
const STOP_WRITE_MS = 10_000;

export class CallReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private passing = false;
  /** Failed attempts per call (see MAX_ATTEMPTS). */
  private readonly attempts = new Map<string, number>();
  private stopped = false;
  /** Ends of this instance's calls neither written nor queued (see the header). */
  private readonly kept: KeptEnds;
  /** Ends being queued now (`endNotWritten`). */
  private readonly queueing = new Set<Promise<void>>();
  /** False once `stop` has made its last attempt at the kept ends: an end that cannot be queued then is lost at once. */
  private keeping = true;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly deps: CallReconcilerDeps) {
    this.log = deps.logger.child({ component: 'reconciler' });
    this.now = deps.now ?? Date.now;
    this.kept = new KeptEnds(deps.maxKeptEnds ?? MAX_KEPT_ENDS);
  }

  /**
   * Closes every live call of instance `instance`, which has died, as `instance_lost`; resolves with
   * how many are left open (the network could not be asked about them: try again later).
   */
  async closeLost(instance: string): Promise<number> {
    let left = 0;
    for (;;) {
      const calls = await this.deps.records.unserved({ instance, startedBefore: new Date(this.now() + 60_000), seenBefore: new Date(0), limit: BATCH });
      const theirs = calls.filter((r) => r.instance === instance && !this.deps.serving().includes(r.id));
      let closed = 0;
      for (const record of theirs) {
        try {
          await this.reconcile(record, 'instance_lost', `the tolk instance serving the call (${instance}) stopped while it was ${record.state}`);
          closed++;
        } catch (err) {
          left++;
          this.log.warn({ event: 'call.reconcile_failed', callId: record.id, err }, 'could not close a call of a lost instance; trying again later');
        }
      }
      if (calls.length < BATCH || closed === 0) return left;
    }
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
   */
  private async tick(): Promise<void> {
    if (!this.passing) {
      this.passing = true;
      await this.pass().finally(() => (this.passing = false));
      return;
    }
    await this.touch().catch((err: unknown) => this.log.warn({ event: 'reconcile.touch_failed', err }, 'could not mark live calls as served'));
  }

  /** Marks the calls this instance serves, and those whose ends it keeps, as served. */
  private async touch(): Promise<void> {
    const ids = [...this.deps.serving(), ...this.kept.ids()];
    const at = new Date(this.now());
    for (let i = 0; i < ids.length; i += TOUCH_BATCH) await this.deps.records.touch(ids.slice(i, i + TOUCH_BATCH), at);
  }

  /** Stops the passes, then makes a last attempt, within `stopWriteMs`, at writing the ends kept. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await Promise.all(this.queueing);
    if (this.kept.size > 0) {
      let trying = true;
      await within(this.writeKept(() => trying), this.deps.stopWriteMs ?? STOP_WRITE_MS).catch(() => undefined);
      trying = false;
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
   * the first that can be neither (the rest wait for the next pass), or once `go` says so. Never
   * rejects.
   */
  private async writeKept(go: () => boolean): Promise<void> {
    for (const { callId, end } of this.kept.list()) {
      if (!go()) return;
      if (!this.kept.has(callId)) continue;
      try {
        const written = await this.deps.records.close(callId, end);
        this.kept.delete(callId);
        if (written) this.log.info({ event: 'call.end_written', callId, outcome: end.outcome }, "a call's end kept here written");
        else this.log.warn({ event: 'call.end_superseded', callId, outcome: end.outcome }, "a call's end kept here was not written: its record had an end already, or is gone");
      } catch (writeErr) {
        try {
          await this.queue(callId, end);
          this.kept.delete(callId);
          this.log.warn({ event: 'call.end_unwritten', callId, outcome: end.outcome }, "could not write a call's end: queued to be written again");
        } catch (err) {
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
    const record = await this.deps.records.findByCallSid(legRef).catch(() => undefined);
    // A call tolk places that waits for its next attempt lists the leg of its last one: not orphaned.
    if (!record || record.outcome !== undefined || record.state === SCHEDULED_STATE || this.deps.serving().includes(record.id)) return;
    const mine = record.instance === undefined || record.instance === this.deps.instance;
    if (!mine || record.startedAt.getTime() >= this.deps.startedAt.getTime()) return;
    await this.reconcile(record).catch((err: unknown) => this.log.warn({ event: 'call.reconcile_failed', callId: record.id, err }, 'could not reconcile a call'));
  }

  private async passNow(): Promise<number> {
    if (this.stopped) return 0;
    await this.writeKept(() => !this.stopped);
    const now = this.now();
    const serving = this.deps.serving();
    try {
      await this.touch();
      const orphans = await this.deps.records.unserved({
        instance: this.deps.instance,
        startedBefore: this.deps.startedAt,
        seenBefore: new Date(now - Math.max(STALE_FLOOR_MS, STALE_INTERVALS * this.deps.intervalMs)),
        limit: BATCH,
      });
      let closed = 0;
      for (const record of orphans) {
        if (this.stopped) break;
        // A call whose end is kept here is closed with that end alone (writeKept).
        if (serving.includes(record.id) || this.kept.has(record.id)) continue;
        try {
          if (await this.reconcile(record)) closed++;
          this.attempts.delete(record.id);
        } catch (err) {
          const attempts = (this.attempts.get(record.id) ?? 0) + 1;
          this.attempts.set(record.id, attempts);
          if (attempts < MAX_ATTEMPTS) {
            // The network could not be asked: the next pass tries again.
            this.log.warn({ event: 'call.reconcile_failed', callId: record.id, attempts, err }, 'could not reconcile a call; trying again next pass');
            continue;
          }
          // Never answerable (a status tolk does not know, a leg the network keeps failing on): it must not hold up the others.
          this.attempts.delete(record.id);
          const endReason = `tolk stopped serving the call while it was ${record.state}; the phone network could not be asked about its legs (${MAX_ATTEMPTS} attempts)`;
          if (await this.close(record, { outcome: 'interrupted', endReason, endedAt: new Date(this.now()) })) closed++;
        }
      }
      return closed;
    } catch (err) {
      this.log.error({ event: 'reconcile.failed', err }, 'reconciling live calls failed');
      return 0;
    }
  }

  /**
   * Closes one orphaned call (as interrupted unless told otherwise); false if another instance
   * closed it first, or it had ended already: its end published, only its record not written (that
   * end is written now).
   */
  private async reconcile(
    record: CallRecord,
    outcome: CallOutcome = 'interrupted',
    why = `tolk stopped serving the call while it was ${record.state}`,
  ): Promise<boolean> {
    const kept = this.kept.get(record.id);
    const owed = kept ?? (await owedEnd(this.deps.jobs, record.id));
    if (owed) {
      const written = await this.deps.records.close(record.id, owed);
      this.kept.delete(record.id);
      if (written) {
        this.log.info({ event: 'call.end_written', callId: record.id, outcome: owed.outcome, instance: record.instance }, "a call's end, published by the instance that served it, written");
      }
      return false;
    }
    const found: string[] = [];
    const hungUp: string[] = [];
    let endedAt: Date | undefined;
    // A conference tolk joined: its legs are the parties', who go on without their interpreter.
    const joined = record.kind === 'conference' && record.number === '';
    for (const leg of joined ? [] : record.legs) {
      let report = await this.deps.telephony.lookUp(leg.callSid);
      // Written by a tolk that kept no instance (an older version, perhaps still serving it during an
      // upgrade): closed only once every leg has ended, never hung up.
      if (record.instance === undefined && report && report.status.state !== 'ended') return false;
      if (report && report.status.state !== 'ended') {
        // Still up with nobody serving it: the party hears nothing. Hang it up.
        const ringing = report.status.state === 'dialing' || report.status.state === 'ringing';
        await this.deps.telephony.hangUp(leg.callSid, { ringing });
        hungUp.push(leg.role);
        report = (await this.deps.telephony.lookUp(leg.callSid).catch(() => undefined)) ?? report;
      }
      found.push(`${leg.role} ${describe(report)}`);
      if (report?.endedAt && (!endedAt || report.endedAt > endedAt)) endedAt = report.endedAt;
    }
    const endReason =
      `${why}; ` +
      (joined ? 'the conference goes on without its interpreter' : `the phone network reports ${found.join(', ') || 'no legs'}`) +
      (hungUp.length > 0 ? `; hung up: ${hungUp.join(', ')}` : '');
    const closed = await this.close(record, { outcome, endReason, endedAt: endedAt ?? new Date(this.now()) });
    if (closed && !joined) await this.hangUpListedSince(record);
    return closed;
  }

  /**
   * Hangs up the legs the call's record listed after `before` was read, until it was closed: a leg
   * a dial job placed for the call meanwhile (dial-record.ts; one listed after the close is the
   * job's to hang up).
   */
  private async hangUpListedSince(before: CallRecord): Promise<void> {
    const seen = new Set(before.legs.map((l) => l.callSid));
    const now = await this.deps.records.get(before.id).catch(() => undefined);
    for (const leg of now?.legs ?? []) {
      if (seen.has(leg.callSid)) continue;
      try {
        const report = await this.deps.telephony.lookUp(leg.callSid);
        if (!report || report.status.state === 'ended') continue;
        await this.deps.telephony.hangUp(leg.callSid, { ringing: report.status.state === 'dialing' || report.status.state === 'ringing' });
        this.log.warn({ event: 'call.leg_hung_up', callId: before.id, legSid: leg.callSid, role: leg.role }, 'hung up a leg placed for a call while it was being closed');
      } catch (err) {
        this.log.error({ event: 'call.leg_hang_up_failed', callId: before.id, legSid: leg.callSid, err }, 'could not hang up a leg placed for a call while it was being closed');
      }
    }
  }

  /**
   * Closes the record of a call no instance serves and publishes its end (once its subscribers have
   * finished with it, the pass goes on); false if another instance closed it first.
   */
  private async close(record: CallRecord, end: CallEnd): Promise<boolean> {
    const closed = await this.deps.records.close(record.id, end);
    if (!closed) return false;
    const at = end.endedAt.getTime();
    const ids = { callId: record.id, ...(record.kind === 'conference' && record.conference ? { conferenceId: record.conference } : {}) };
    this.deps.events.publish(stamp(callEnded(end.outcome, end.endReason, { answeredAt: record.answeredAt, endedAt: at }), ids, at));
    await this.deps.events.settle(record.id);
    this.log.warn(
      { event: 'call.reconciled', callId: record.id, previousState: record.state, instance: record.instance, outcome: end.outcome, endReason: end.endReason },
      `call no instance served closed as ${end.outcome}`,
    );
    return true;
  }
}

function describe(report: LegReport | undefined): string {
  if (!report) return 'unknown';
  const s = report.status;
  const word = s.state === 'ended' ? s.reason : s.state;
  return report.endedAt ? `${word} at ${report.endedAt.toISOString()}` : word;
}
