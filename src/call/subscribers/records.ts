/**
 * Keeps each call's record from its events: state changes, the time it was answered (a direct call
 * bridged; a conference's parties connected, `call.connected`, whether or not it was bridged), the
 * legs and their languages as participants join and their languages become known, with how they
 * became known where they were not given (a participant whose language is not known yet is listed
 * once it is), a leg tolk dialled from when the network accepted it (`leg.dialled`, the customer
 * of a call tolk places or the agent of a direct call or a conference while it rings, with
 * `dialledAt`), every
 * final utterance of the transcript
 * with the leg of who said it (where the event names the participant), why its interpretation
 * failed (its first translation session that failed for good), and the outcome. Each write
 * is returned to the event bus, so the call waits for them before it reports that it has ended. An
 * end that cannot be written is handed on (`endNotWritten`) to be written again later; legs the
 * store gives up writing (the call has ended or is gone, or its legs kept changing) are logged.
 *
 * A call ends once: its end is written only to a record that has none yet, and its state and the
 * time it was answered only while it has none (another instance, its reconciler, or the call-ends
 * job may have written the end first: that one stays, and what History and the webhook show of it,
 * its duration included, never changes).
 *
 * The writes of one call run one at a time, in the order of its events: a write starts once the
 * one before it has finished, and writes the legs as they are when it starts: a slow write can
 * never land after a later one with the legs as they were before (the record would lose a leg),
 * nor a state after the end.
 */
import type { CallLeg } from '../../store/call-record';
import type { CallEnd } from '../../store/call-record-store';
import type { CallEvent, CallEventSource } from '../events';
import type { CallRecords } from '../ports';
import { interpretationFailureText } from '../../shared/interpretation-failure';
import type { Logger } from '../../log/logger';

export interface RecordCallsOptions {
  /**
   * A call's end (its `call.ended` published) could not be written: its record still holds it as
   * live, and must be ended with this, not closed as a call nobody served (reconciler.ts).
   */
  endNotWritten?: (callId: string, end: CallEnd) => void;
  /** Where a write of a call's legs the store gave up on is logged (`call.legs_unwritten`). */
  logger?: Logger;
}

export function recordCalls(events: CallEventSource, records: CallRecords, opts: RecordCallsOptions = {}): () => void {
  /** The legs of each live call, as its record lists them. */
  const legs = new Map<string, Map<string, CallLeg>>();
  /** Per call, participants with a leg whose language is not known yet: listed once it is. */
  const unlisted = new Map<string, Map<string, Omit<CallLeg, 'language'>>>();
  /** Calls whose parties' connection (`call.connected`) gave their `answeredAt`. */
  const connected = new Set<string>();
  /** Calls whose interpretation failure is recorded (the first session failure of each is kept). */
  const interpretationFailed = new Set<string>();
  /** Per call, the last write queued (see the header). */
  const queues = new Map<string, Promise<unknown>>();

  /** Runs `write` once the call's writes queued before it have finished (failed ones included). */
  const serial = <T>(callId: string, write: () => Promise<T>): Promise<T> => {
    const run = (queues.get(callId) ?? Promise.resolve()).then(write, write);
    const tail = run.catch(() => undefined);
    queues.set(callId, tail);
    void tail.then(() => {
      if (queues.get(callId) === tail) queues.delete(callId);
    });
    return run;
  };
  /**
   * Writes the call's legs as they are when the write starts (those of a call that moved here
   * included) over those its record lists when written: a leg listed there by another writer (a dial
   * job listing the leg it placed) stays, unless it is one of these, or another leg of the caller or
   * the agent listed here (each party has one leg: an earlier attempt's is not listed any more).
   */
  const writeLegs = (callId: string): Promise<boolean> =>
    serial(callId, () => {
      const here = [...(legs.get(callId)?.values() ?? [])];
      const sids = new Set(here.map((l) => l.callSid));
      const parties = new Set<string>(here.map((l) => l.role).filter((role) => role === 'caller' || role === 'agent'));
      return records.updateLegs(callId, (stored) => [...stored.filter((l) => !sids.has(l.callSid) && !parties.has(l.role)), ...here]).then((written) => {
        if (!written) {
          opts.logger?.warn(
            { event: 'call.legs_unwritten', component: 'records', callId, legSids: here.map((l) => l.callSid) },
            "could not write the call's legs to its record (it has ended or is gone, or its legs kept changing under 5 tries): the record lacks these",
          );
        }
        return written;
      });
    });
  const forget = (callId: string): void => {
    legs.delete(callId);
    connected.delete(callId);
    unlisted.delete(callId);
    interpretationFailed.delete(callId);
  };
  /** The call's entry of `byCall`, made empty the first time. */
  const entryOf = <V>(byCall: Map<string, Map<string, V>>, callId: string): Map<string, V> => {
    let call = byCall.get(callId);
    if (!call) byCall.set(callId, (call = new Map<string, V>()));
    return call;
  };
  const legsOf = (callId: string): Map<string, CallLeg> => entryOf(legs, callId);

  return events.subscribe((e: CallEvent) => {
    switch (e.type) {
      case 'call.state': {
        // A conference's time is its parties' connection (`call.connected`) alone, which may come
        // before it is bridged (interpreted), or after (the agent dialled for its caller still rang).
        const answered = e.to === 'bridged' && e.conferenceId === undefined && !connected.has(e.callId);
        // A call tolk places waits for its next attempt, perhaps on another instance: the leg of
        // this one is not listed again, nor kept here.
        if (e.to === 'scheduled') forget(e.callId);
        return serial(e.callId, () => records.updateLive(e.callId, { state: e.to, ...(answered ? { answeredAt: new Date(e.at) } : {}) }));
      }
      case 'call.connected':
        connected.add(e.callId);
        return serial(e.callId, () => records.updateLive(e.callId, { answeredAt: new Date(e.at) }));
      case 'participant.joined': {
        if (!e.legRef) return undefined;
        const language = e.language ?? e.provisionalLanguage;
        const known = { role: e.role as CallLeg['role'], callSid: e.legRef, ...(e.streamRef ? { streamSid: e.streamRef } : {}) };
        if (!language) {
          entryOf(unlisted, e.callId).set(e.participantId, known);
          return undefined;
        }
        const leg: CallLeg = { ...known, language, ...(e.language && e.languageSource ? { languageSource: e.languageSource } : {}) };
        const call = legsOf(e.callId);
        // The participant's leg, listed already (dialled, or recorded before the call moved here), is theirs now.
        for (const [key, listed] of call) if (key !== e.participantId && listed.callSid === leg.callSid) call.delete(key);
        call.set(e.participantId, leg);
        return writeLegs(e.callId);
      }
      case 'leg.dialled':
        // The leg of an attempt before this one (a call tolk places, tried again) is not listed any more.
        legsOf(e.callId).set(`dialled:${e.role}`, { role: e.role, callSid: e.legRef, language: e.language, dialledAt: new Date(e.at).toISOString() });
        return writeLegs(e.callId);
      case 'participant.language': {
        const leg = legs.get(e.callId)?.get(e.participantId);
        const waiting = unlisted.get(e.callId)?.get(e.participantId);
        if (leg) Object.assign(leg, { language: e.language, languageSource: e.source });
        else if (waiting) {
          unlisted.get(e.callId)?.delete(e.participantId);
          legsOf(e.callId).set(e.participantId, { ...waiting, language: e.language, languageSource: e.source });
        } else return undefined;
        return writeLegs(e.callId);
      }
      case 'utterance.final': {
        // A speaker whose language is not known yet (named by their speech) is not listed, but is named.
        const by = e.participantId === undefined ? undefined : (legs.get(e.callId)?.get(e.participantId) ?? unlisted.get(e.callId)?.get(e.participantId));
        return serial(e.callId, () =>
          records.appendUtterance(e.callId, {
            direction: e.routeId,
            ...(by ? { speaker: { role: by.role, callSid: by.callSid } } : {}),
            source: e.source,
            translation: e.translation,
            startMs: e.startMs,
            endMs: e.endMs,
            ...(e.latencyMs !== undefined ? { latencyMs: e.latencyMs } : {}),
            ...(e.lagMs !== undefined ? { lagMs: e.lagMs } : {}),
          }),
        );
      }
      case 'call.moved':
        // The instance serving the call now records it from here on.
        if (e.direction === 'out') return serial(e.callId, () => Promise.resolve(void forget(e.callId)));
        // The legs its record lists already are read before any leg joining here is written (the
        // writes are serial), so that the record never lists fewer meanwhile.
        return serial(e.callId, async () => {
          const r = await records.get(e.callId);
          const call = legsOf(e.callId);
          const here = new Set([...call.values()].map((l) => l.callSid));
          for (const l of r?.legs ?? []) if (!here.has(l.callSid)) call.set(`recorded:${l.callSid}`, l);
        });
      case 'session.state': {
        if (e.state !== 'failed' || interpretationFailed.has(e.callId)) return undefined;
        interpretationFailed.add(e.callId);
        const kind = e.kind ?? 'unknown';
        return serial(e.callId, () => records.updateLive(e.callId, { interpretationFailure: { kind, message: interpretationFailureText(kind) } }));
      }
      case 'call.ended': {
        const end: CallEnd = { outcome: e.outcome, endReason: e.reason, endedAt: new Date(e.at) };
        return serial(e.callId, () => {
          forget(e.callId);
          return records.close(e.callId, end);
        }).catch((err: unknown) => {
          opts.endNotWritten?.(e.callId, end);
          throw err;
        });
      }
      default:
        return undefined;
    }
  });
}
