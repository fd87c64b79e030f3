/**
 * Twilio's webhooks as calls into the call service: which call a voice webhook or status callback
 * belongs to is read from the query parameters tolk put on the URLs it gave Twilio, so the call
 * core never sees them.
 *
 *   POST /twilio/voice                      a caller on a tolk number
 *   POST /twilio/voice?leg=agent&call=<id>  the party tolk dialled picked up
 *   POST /twilio/voice?step=language&call=<id>  the language menu's answer (Gather action)
 *   POST /twilio/status?call=<id>           status callbacks of the dialled leg
 */
import type { MediaLeg } from './media-leg';
import type { TwilioHandlers } from './module';

/** Query parameters tolk puts on the webhook URLs it hands Twilio. */
export const LEG_PARAM = 'leg';
export const CALL_ID_PARAM = 'call';
export const STEP_PARAM = 'step';

/** What the webhooks need of the call service. */
export interface CallWebhookTarget {
  /** A caller reached a tolk number; resolves with the TwiML to answer. */
  incoming(req: { callSid: string; from?: string; to?: string }): Promise<string>;
  /** The party dialled for call `callId` answered on `callSid`. */
  otherPartyAnswered(callId: string, callSid: string): string;
  /** The caller of `callId` answered the language menu (no digits: pressed nothing). */
  languageChosen(callId: string, digits: string | undefined): string;
  /** A status callback for one of the legs of a call (`callId` when the URL carried it). */
  legStatus(callSid: string, status: string, callId?: string): void;
  /** A media stream authenticated for one of the call's legs. */
  leg(media: MediaLeg): void;
}

export function callWebhookHandlers(calls: CallWebhookTarget): TwilioHandlers {
  return {
    voice: (p, ctx) => {
      const callId = ctx.query[CALL_ID_PARAM] ?? '';
      if (ctx.query[LEG_PARAM] === 'agent') return Promise.resolve(calls.otherPartyAnswered(callId, p.CallSid));
      if (ctx.query[STEP_PARAM] === 'language') return Promise.resolve(calls.languageChosen(callId, str(p.Digits)));
      return calls.incoming({ callSid: p.CallSid, from: str(p.From), to: str(p.To) });
    },
    status: (p, ctx) => calls.legStatus(str(p.CallSid) ?? '', String(p.CallStatus), ctx.query[CALL_ID_PARAM]),
    leg: (media) => calls.leg(media),
  };
}

/** A single form value (Twilio never repeats the ones tolk reads). */
function str(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
