/** Counts what the call events report into the call metrics (per-frame measures are taken where they happen). */
import type { CallEvent, CallEventSource } from '../events';
import type { CallMetrics } from '../ports';

export function measureCalls(events: CallEventSource, metrics: CallMetrics): () => void {
  /** The kind of each live call, for the kind label of its end. */
  const kinds = new Map<string, string>();
  return events.subscribe((e: CallEvent) => {
    switch (e.type) {
      case 'call.created':
        kinds.set(e.callId, e.kind);
        metrics.callStarted(e.kind);
        return;
      case 'call.moved':
        if (e.direction === 'in') kinds.set(e.callId, e.kind);
        else kinds.delete(e.callId);
        metrics.callMoved?.(e.direction, e.kind);
        return;
      case 'call.ended': {
        const kind = kinds.get(e.callId);
        // A call tolk placed that ended before its customer answered was never counted as active.
        if (kind === undefined) metrics.callRejected(e.outcome);
        else metrics.callEnded(e.outcome, kind);
        kinds.delete(e.callId);
        return;
      }
      case 'interpreter.unavailable':
        metrics.conferenceUninterpreted(e.party === undefined ? 'conference' : 'party');
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
