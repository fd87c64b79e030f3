/**
 * A leg a dial job placed is in its call's record from the moment the network accepted it, written
 * by the job itself: the instance waiting for the leg may have died meanwhile (nobody would record
 * it, nor hang it up), and whoever closes the call (reconciler.ts) hangs up the legs its record
 * lists. The leg is written only while the call is live; one placed for a call that has ended (or
 * gone back to waiting for its next attempt) by the time it is recorded is hung up at once: the
 * record is read again after the write, so that a close landing between the check before placing
 * and the write cannot miss it. A leg listed is left to the call: whoever closes it (a survivor
 * once its waiting instance is lost) hangs it up; a waiting instance showing down for a moment (a
 * late heartbeat) is no reason to hang up a leg it may be about to take.
 *
 * The leg is listed as `leg.dialled` lists it (records.ts): the call's other party (the agent, or
 * the customer of a call tolk places) with `dialledAt`, replacing an earlier attempt's, among the
 * legs as the record has them when written (one its waiting instance lists meanwhile stays).
 * Interpreter legs are not listed (a record lists parties' legs); one nobody waits for reaches
 * tolk's own voice webhook for a call no instance serves, and ends there.
 */
import type { Telephony } from '../call/ports';
import type { Logger } from '../log/logger';
import type { CallLeg } from '../store/call-record';
import type { CallRecordStore } from '../store/call-record-store';

/** The leg a dial placed, as its call's record lists it. */
export interface PlacedLeg {
  callId: string;
  role: 'caller' | 'agent';
  legRef: string;
  /** The job that placed it, for the logs. */
  jobId: string;
}

export interface RecordPlacedDeps {
  calls: Pick<CallRecordStore, 'get' | 'updateLegs'>;
  /** Hangs up a leg nobody takes (it still rings). */
  telephony: Pick<Telephony, 'hangUp'>;
  /** Why the call takes the leg no more (it has ended), or undefined. */
  gone: () => Promise<string | undefined>;
  logger?: Logger;
  now: () => number;
}

/**
 * Lists `leg` in its call's record, or hangs it up when the call takes it no more. Resolves 'recorded', 'hung
 * up', or 'unknown' when the record could not be read or written (the leg is left to the instance
 * waiting for it).
 */
export async function recordPlacedLeg(leg: PlacedLeg, deps: RecordPlacedDeps): Promise<'recorded' | 'hung up' | 'unknown'> {
  const log = deps.logger?.child({ component: 'dial', callId: leg.callId, jobId: leg.jobId, legSid: leg.legRef });
  const record = await deps.calls.get(leg.callId).catch(() => undefined);
  let why: string | undefined;
  if (record?.outcome !== undefined) why = `call ${leg.callId} has ended (${record.outcome})`;
  else if (record) {
    const listed: CallLeg = { role: leg.role, callSid: leg.legRef, language: record.languages[leg.role], dialledAt: new Date(deps.now()).toISOString() };
    // An earlier attempt's leg for the same party is not listed any more, as `leg.dialled` has it;
    // the others are kept as they are when written (a leg the call's instance lists meanwhile too).
    const change = (legs: CallLeg[]): CallLeg[] => [...legs.filter((l) => l.callSid !== leg.legRef && !(l.role === leg.role && l.dialledAt !== undefined)), listed];
    const written = await deps.calls.updateLegs(leg.callId, change).catch(() => false);
    why = await deps.gone();
    if (!written && why === undefined) {
      log?.warn({ event: 'dial.leg_unrecorded' }, "could not list a placed leg in its call's record: left to the instance waiting for it");
      return 'unknown';
    }
  } else {
    log?.warn({ event: 'dial.leg_unrecorded' }, "could not read the call's record of a placed leg: left to the instance waiting for it");
    return 'unknown';
  }
  if (why === undefined) return 'recorded';
  try {
    await deps.telephony.hangUp(leg.legRef, { ringing: true });
    log?.warn({ event: 'dial.leg_hung_up', reason: why }, 'placed a leg for a call that takes it no more: hung up');
  } catch (err) {
    log?.error({ event: 'dial.leg_hang_up_failed', reason: why, err }, 'placed a leg for a call that takes it no more, and could not hang it up');
  }
  return 'hung up';
}
