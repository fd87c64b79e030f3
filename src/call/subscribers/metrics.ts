/** Counts what the call events report into the call metrics (per-frame measures are taken where they happen). */
import type { CallEvent, CallEventSource } from '../events';
import type { CallMetrics } from '../ports';

export function measureCalls(events: CallEventSource, metrics: CallMetrics): () => void {
  /** The kind of each live call, for the kind label of its end. */
  const kinds = new Map<string, string>();
  /**
   * Per live call, the parties counted as left uninterpreted alone (scope party): a party told that
   * interpretation is back counts as restored alone only if it was one of them (one of a conference
   * left uninterpreted as a whole is restored with it).
   */
  const partiesDown = new Map<string, Set<string>>();
  return events.subscribe((e: CallEvent) => {
    switch (e.type) {
      case 'call.created':
        kinds.set(e.callId, e.kind);
        metrics.callStarted(e.kind);
        return;
      case 'call.moved':
        if (e.direction === 'in') kinds.set(e.callId, e.kind);
        else {
          kinds.delete(e.callId);
          partiesDown.delete(e.callId);
        }
        metrics.callMoved?.(e.direction, e.kind);
        return;
      case 'call.ended': {
        const kind = kinds.get(e.callId);
        // A call tolk placed that ended before its customer answered was never counted as active.
        if (kind === undefined) metrics.callRejected(e.outcome);
        else metrics.callEnded(e.outcome, kind);
        kinds.delete(e.callId);
        partiesDown.delete(e.callId);
        return;
      }
      case 'interpreter.unavailable':
        if (e.party !== undefined) partiesDown.set(e.callId, (partiesDown.get(e.callId) ?? new Set()).add(e.party));
        metrics.conferenceUninterpreted(e.party === undefined ? 'conference' : 'party');
        return;
      case 'interpreter.available':
        if (e.party === undefined) metrics.conferenceInterpretationRestored('conference');
        else if (partiesDown.get(e.callId)?.delete(e.party)) metrics.conferenceInterpretationRestored('party');
        return;
      case 'utterance.latency':
        metrics.observeUtteranceDelay(e.routeId, e);
        return;
      case 'session.state':
        if (e.state === 'connecting') metrics.translationSessionOpened();
        else if (e.state === 'closed') metrics.translationSessionClosed();
        else if (e.state === 'reconnecting') metrics.translationReconnected(e.routeId);
        else if (e.state === 'failed') metrics.translationFailed(e.kind ?? 'unknown');
        return;
      default:
        return;
    }
  });
}
