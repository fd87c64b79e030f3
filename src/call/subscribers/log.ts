/** One structured log line per call event worth an operator's attention, with the call (and conference) id. */
import type { Logger } from '../../log/logger';
import type { CallEvent, CallEventSource } from '../events';

export interface CallLogOptions {
  /** Whether a transcript line's words are logged (TOLK_LOG_TRANSCRIPTS); without them, their length in characters. Default true. */
  transcripts?: boolean;
}

/** A transcript's text as logged: the words, or only how many characters they are. */
function said(t: { text: string; languageCode: string }, words: boolean): { text: string; languageCode: string } | { chars: number; languageCode: string } {
  return words ? t : { chars: t.text.length, languageCode: t.languageCode };
}

export function logCalls(events: CallEventSource, logger: Logger, opts: CallLogOptions = {}): () => void {
  const words = opts.transcripts !== false;
  return events.subscribe((e: CallEvent) => {
    const ids = { callId: e.callId, ...(e.conferenceId ? { conferenceId: e.conferenceId } : {}) };
    switch (e.type) {
      case 'call.created':
        logger.info({ ...ids, event: 'call.created', kind: e.kind, number: e.number, from: e.from, destination: e.destination }, 'call created');
        return;
      case 'call.state':
        logger.info({ ...ids, event: 'call.transition', from: e.from, to: e.to, trigger: e.trigger, status: e.status, outcome: e.outcome }, `${e.from} -> ${e.to}`);
        return;
      case 'call.connected':
        logger.info({ ...ids, event: 'call.connected', trigger: e.trigger }, 'the parties are connected');
        return;
      case 'call.moved':
        logger.info({ ...ids, event: `call.moved_${e.direction}`, kind: e.kind, fromInstance: e.from, toInstance: e.to }, `call moved from ${e.from} to ${e.to}`);
        return;
      case 'call.ended':
        logger.info({ ...ids, event: 'call.ended', outcome: e.outcome, reason: e.reason, ...(e.durationMs === undefined ? {} : { durationMs: e.durationMs }) }, `call ended: ${e.outcome} (${e.reason})`);
        return;
      case 'participant.joined':
        logger.info({ ...ids, event: 'call.participant_joined', participant: e.participantId, role: e.role, language: e.language, callSid: e.legRef }, `${e.role} joined`);
        return;
      case 'interpreter.leg':
        logger.info({ ...ids, event: `conference.interpreter_${e.action}`, endpoint: e.endpoint, callSid: e.legRef, whisperTo: e.whisperTo }, `interpreter leg ${e.endpoint} ${e.action}`);
        return;
      case 'interpreter.mode':
        logger.info({ ...ids, event: 'conference.mode', mode: e.mode, requestedMode: e.requestedMode, fallback: e.fallback }, `interpreting ${e.mode}`);
        return;
      case 'participant.language':
        logger.info({ ...ids, event: 'call.participant_language', participant: e.participantId, language: e.language, previous: e.previous, source: e.source }, `participant speaks ${e.language}`);
        return;
      case 'participant.left':
        logger.info({ ...ids, event: 'call.participant_left', participant: e.participantId }, 'participant left');
        return;
      case 'utterance.final':
        logger.info(
          { ...ids, event: 'transcript.utterance', direction: e.routeId, participant: e.participantId, source: said(e.source, words), translation: said(e.translation, words), startMs: e.startMs, endMs: e.endMs, latencyMs: e.latencyMs, lagMs: e.lagMs },
          words ? `${e.routeId}: ${e.source.text} => ${e.translation.text}` : `${e.routeId}: ${e.source.languageCode} => ${e.translation.languageCode}`,
        );
        return;
      case 'utterance.latency':
        logger.info({ ...ids, event: 'translate.latency', route: e.routeId, latencyMs: e.latencyMs, lagMs: e.lagMs }, 'utterance latency');
        return;
      case 'language.detected':
        logger.info({ ...ids, event: 'translate.language', route: e.routeId, languageCode: e.languageCode, sameAsListener: e.sameAsTarget }, 'speaker language detected');
        return;
      case 'session.state':
        if (e.state === 'closed') logger.info({ ...ids, event: 'translate.closed', route: e.routeId, session: e.sessionId, ...e.stats }, 'translation closed');
        else logger.info({ ...ids, event: 'translate.state', route: e.routeId, session: e.sessionId, state: e.state, kind: e.kind, reason: e.reason }, `translation ${e.state}`);
        return;
      default:
        return;
    }
  });
}
