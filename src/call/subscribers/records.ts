/**
 * Keeps each call's record from its events: state changes (with the time it was answered), the
 * legs and their languages as participants join and their languages become known, every final
 * utterance of the transcript, and the outcome. Each write is returned to the event bus, so the
 * call waits for them before it reports that it has ended.
 */
import type { CallLeg } from '../../store/call-record';
import type { CallEvent, CallEventSource } from '../events';
import type { CallRecords } from '../ports';

export function recordCalls(events: CallEventSource, records: CallRecords): () => void {
  /** The legs of each live call, as its record lists them. */
  const legs = new Map<string, Map<string, CallLeg>>();
  const writeLegs = (callId: string): Promise<boolean> => records.update(callId, { legs: [...(legs.get(callId)?.values() ?? [])] });
  /**
   * A call moved here from another instance: the legs its record lists already, read before the
   * legs joining here are written, so that the record never lists fewer meanwhile.
   */
  const recorded = new Map<string, Promise<void>>();
  const movedIn = (callId: string): Promise<void> => {
    const seeded = records.get(callId).then((r) => {
      const call = legs.get(callId) ?? new Map<string, CallLeg>();
      const here = new Set([...call.values()].map((l) => l.callSid));
      for (const l of r?.legs ?? []) if (!here.has(l.callSid)) call.set(`recorded:${l.callSid}`, l);
      legs.set(callId, call);
    });
    recorded.set(callId, seeded);
    return seeded;
  };

  return events.subscribe((e: CallEvent) => {
    switch (e.type) {
      case 'call.state':
        return records.update(e.callId, { state: e.to, ...(e.to === 'bridged' ? { answeredAt: new Date(e.at) } : {}) });
      case 'participant.joined': {
        const language = e.language ?? e.provisionalLanguage;
        if (!e.legRef || !language) return undefined;
        const leg: CallLeg = { role: e.role as CallLeg['role'], callSid: e.legRef, ...(e.streamRef ? { streamSid: e.streamRef } : {}), language };
        const join = (): Promise<boolean> => {
          let call = legs.get(e.callId);
          if (!call) legs.set(e.callId, (call = new Map<string, CallLeg>()));
          call.delete(`recorded:${leg.callSid}`);
          call.set(e.participantId, leg);
          return writeLegs(e.callId);
        };
        const seeded = recorded.get(e.callId);
        return seeded ? seeded.then(join) : join();
      }
      case 'participant.language': {
        const leg = legs.get(e.callId)?.get(e.participantId);
        if (!leg) return undefined;
        leg.language = e.language;
        return writeLegs(e.callId);
      }
      case 'utterance.final':
        return records.appendUtterance(e.callId, {
          direction: e.routeId,
          source: e.source,
          translation: e.translation,
          startMs: e.startMs,
          endMs: e.endMs,
          ...(e.latencyMs !== undefined ? { latencyMs: e.latencyMs } : {}),
        });
      case 'call.moved':
        // The instance serving the call now records it from here on.
        if (e.direction === 'in') return movedIn(e.callId);
        legs.delete(e.callId);
        recorded.delete(e.callId);
        return undefined;
      case 'call.ended':
        legs.delete(e.callId);
        recorded.delete(e.callId);
        return records.update(e.callId, { state: 'ended', outcome: e.outcome, endReason: e.reason, endedAt: new Date(e.at) });
      default:
        return undefined;
    }
  });
}
