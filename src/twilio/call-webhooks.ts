/**
 * Twilio's webhooks and media streams as calls into the call service: which call a voice webhook
 * or status callback belongs to is read from the query parameters tolk put on the URLs it gave
 * Twilio (call-params.ts), Twilio's CallStatus becomes a leg status, the service's answers become
 * TwiML, and an authenticated media stream becomes participant media.
 *
 *   POST /twilio/voice                          a caller on a tolk number
 *   POST /twilio/voice?leg=<endpoint>&call=<id> the party tolk dialled picked up
 *   POST /twilio/voice?step=language&call=<id>  the language menu's answer (Gather action)
 *   POST /twilio/status?call=<id>               status callbacks of the dialled leg
 */
import type { CallAnswer, LegStatus, ParticipantMedia } from '../call/ports';
import type { CallAnswerRenderer } from './call-answers';
import { CALL_ID_PARAM, LEG_PARAM, STEP_PARAM } from './call-params';
import { legStatusOf } from './call-status';
import type { TwilioHandlers } from './module';
import { TwilioParticipantMedia } from './participant-media';

/** What the webhooks need of the call service. */
export interface CallWebhookTarget {
  incoming(req: { legRef: string; from?: string; to?: string }): Promise<CallAnswer>;
  otherPartyAnswered(callId: string, legRef: string, endpoint: string): CallAnswer;
  languageChosen(callId: string, digits: string | undefined): CallAnswer;
  legStatus(legRef: string, status: LegStatus, callId?: string): void;
  attach(media: ParticipantMedia): void;
}

export function callWebhookHandlers(calls: CallWebhookTarget, render: CallAnswerRenderer): TwilioHandlers {
  return {
    voice: async (p, ctx) => {
      const callId = ctx.query[CALL_ID_PARAM] ?? '';
      const endpoint = ctx.query[LEG_PARAM];
      if (endpoint) return render(calls.otherPartyAnswered(callId, p.CallSid, endpoint));
      if (ctx.query[STEP_PARAM] === 'language') return render(calls.languageChosen(callId, str(p.Digits)));
      return render(await calls.incoming({ legRef: p.CallSid, from: str(p.From), to: str(p.To) }));
    },
    status: (p, ctx) => {
      const status = legStatusOf(String(p.CallStatus));
      if (status) calls.legStatus(str(p.CallSid) ?? '', status, ctx.query[CALL_ID_PARAM]);
    },
    leg: (leg) => calls.attach(new TwilioParticipantMedia(leg)),
  };
}

/** A single form value (Twilio never repeats the ones tolk reads). */
function str(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
