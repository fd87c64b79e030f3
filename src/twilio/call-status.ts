/** Twilio's CallStatus values as the call core's leg statuses. */
import type { LegStatus } from '../call/ports';
import type { CallStatus } from './webhook-params';

/** The leg status a Twilio CallStatus reports; undefined for a value Twilio has not documented. */
export function legStatusOf(status: CallStatus): LegStatus | undefined {
  switch (status) {
    case 'queued':
    case 'initiated':
      return { state: 'dialing' };
    case 'ringing':
      return { state: 'ringing' };
    case 'in-progress':
    case 'answered':
      return { state: 'answered' };
    case 'completed':
      return { state: 'ended', reason: 'completed' };
    case 'busy':
      return { state: 'ended', reason: 'busy' };
    case 'failed':
      return { state: 'ended', reason: 'failed' };
    case 'no-answer':
      return { state: 'ended', reason: 'no-answer' };
    case 'canceled':
      return { state: 'ended', reason: 'canceled' };
    default:
      return undefined;
  }
}
