/**
 * Twilio's webhooks and media streams as calls into the call service: which call a voice webhook
 * or status callback belongs to is read from the query parameters tolk put on the URLs it gave
 * Twilio (call-params.ts), Twilio's CallStatus becomes a leg status, the service's answers become
 * TwiML, and an authenticated media stream becomes participant media.
 *
 *   POST /twilio/voice                          a caller on a tolk number
 *   POST /twilio/voice?leg=<endpoint>&call=<id> the party tolk dialled picked up (leg=caller: the
 *                                               customer of a call tolk places)
 *   POST /twilio/voice?step=language&call=<id>  the language menu's answer (Gather action)
 *   POST /twilio/status?call=<id>&leg=<endpoint> status callbacks of a dialled leg
 *   POST /twilio/conference?call=<id>           events of a conference tolk created for a caller
 *   POST /twilio/interpreter                    an interpreter leg's TwiML App (token: conferences.ts)
 */
import type { CallAnswer, ConferenceEvent, LeaveCause, LegStatus, ParticipantMedia } from '../call/ports';
import { CUSTOMER_ENDPOINT } from '../call/outbound-call';
import type { CallAnswerRenderer } from './call-answers';
import { CALL_ID_PARAM, LEG_PARAM, STEP_PARAM } from './call-params';
import { legStatusOf } from './call-status';
import type { TwilioHandlers } from './module';
import { callIdOfTicket } from './conferences';
import { TwilioParticipantMedia } from './participant-media';
import type { StreamTokens } from './stream-token';
import type { TwilioConferenceParams } from './webhook-params';
import type { Logger } from '../log/logger';

/** What the webhooks need of the call service. */
export interface CallWebhookTarget {
  incoming(req: { legRef: string; from?: string; to?: string }): Promise<CallAnswer>;
  otherPartyAnswered(callId: string, legRef: string, endpoint: string): CallAnswer;
  /** The customer of a call tolk places answered (its leg dialled for endpoint CUSTOMER_ENDPOINT). */
  customerAnswered?(callId: string, legRef: string): Promise<CallAnswer>;
  languageChosen(callId: string, digits: string | undefined): CallAnswer;
  legStatus(legRef: string, status: LegStatus, callId?: string, endpoint?: string): void;
  attach(media: ParticipantMedia): void;
  /** Conference interpreting (a service without it hangs interpreter legs up). */
  conferenceEvent?(callId: string, event: ConferenceEvent): void;
  interpreterAnswered?(callId: string, legRef: string, endpoint: string): CallAnswer;
}

export function callWebhookHandlers(calls: CallWebhookTarget, render: CallAnswerRenderer, tokens?: StreamTokens, logger?: Logger): TwilioHandlers {
  return {
    conference: (p, ctx) => {
      const event = conferenceEventOf(p, ctx.sinceArrivalMs?.() ?? 0);
      if (event) calls.conferenceEvent?.(ctx.query[CALL_ID_PARAM] ?? '', event);
    },
    interpreter: async (p, ctx) => {
      const token = str(p.token) ?? ctx.query.token ?? '';
      const ticket = token.split('.')[1] ?? '';
      const callId = callIdOfTicket(ticket);
      const check = callId && tokens ? await tokens.verify(token, ticket) : { ok: false as const, reason: 'malformed' as const };
      if (!check.ok || !callId || !calls.interpreterAnswered) {
        logger?.warn({ event: 'twilio.interpreter.refused', callSid: p.CallSid, reason: check.ok ? 'no_call' : check.reason }, 'interpreter leg without a valid token: hung up');
        return render({ type: 'say-and-hang-up', text: '', locale: 'en-US' });
      }
      return render(calls.interpreterAnswered(callId, p.CallSid, check.role));
    },
    voice: async (p, ctx) => {
      const callId = ctx.query[CALL_ID_PARAM] ?? '';
      const endpoint = ctx.query[LEG_PARAM];
      if (endpoint === CUSTOMER_ENDPOINT && calls.customerAnswered) return render(await calls.customerAnswered(callId, p.CallSid));
      if (endpoint) return render(calls.otherPartyAnswered(callId, p.CallSid, endpoint));
      if (ctx.query[STEP_PARAM] === 'language') return render(calls.languageChosen(callId, str(p.Digits)));
      return render(await calls.incoming({ legRef: p.CallSid, from: str(p.From), to: str(p.To) }));
    },
    status: (p, ctx) => {
      const status = legStatusOf(String(p.CallStatus));
      if (status) calls.legStatus(str(p.CallSid) ?? '', status, ctx.query[CALL_ID_PARAM], ctx.query[LEG_PARAM]);
    },
    leg: (leg) => calls.attach(new TwilioParticipantMedia(leg)),
  };
}

/**
 * A conference status callback in the core's words (events tolk does not act on: undefined); it
 * reached tolk `sinceArrivalMs` ago.
 */
function conferenceEventOf(p: TwilioConferenceParams, sinceArrivalMs: number): ConferenceEvent | undefined {
  const conferenceRef = p.ConferenceSid;
  switch (p.StatusCallbackEvent) {
    case 'conference-start':
      return { type: 'started', conferenceRef };
    case 'conference-end': {
      const endedBy = str(p.CallSidEndingConference);
      return { type: 'ended', conferenceRef, ...(endedBy ? { endedBy } : {}) };
    }
    case 'participant-join':
      return p.CallSid ? { type: 'joined', conferenceRef, legRef: p.CallSid, whispering: str(p.Coaching) === 'true' } : undefined;
    case 'participant-leave': {
      if (!p.CallSid) return undefined;
      const cause = leaveCauseOf(str(p.ReasonParticipantLeft));
      return { type: 'left', conferenceRef, legRef: p.CallSid, ...(cause ? { cause } : {}) };
    }
    case 'participant-speech-start':
    case 'participant-speech-stop':
      if (!p.CallSid) return undefined;
      return {
        type: 'speech',
        conferenceRef,
        legRef: p.CallSid,
        speaking: p.StatusCallbackEvent === 'participant-speech-start',
        ...(p.SequenceNumber !== undefined ? { sequence: Number(p.SequenceNumber) } : {}),
        sinceArrivalMs,
      };
    default:
      return undefined;
  }
}

/** Twilio's ReasonParticipantLeft in the core's words (one it does not know: undefined). */
function leaveCauseOf(reason: string | undefined): LeaveCause | undefined {
  switch (reason) {
    case 'participant_hung_up':
      return 'hung-up';
    case 'participant_updated_via_api':
      return 'removed';
    case 'participant_with_end_conference_on_exit_left':
    case 'participant_with_end_conference_on_exit_kicked':
    case 'conference_ended_via_api':
      return 'conference-ended';
    default:
      return undefined;
  }
}

/** A single form value (Twilio never repeats the ones tolk reads). */
function str(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
