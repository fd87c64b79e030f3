/**
 * The call core's Telephony port on Twilio's REST API: a dialled leg's voice URL and status
 * callback carry the call id and endpoint (call-params.ts), so its webhooks find their call.
 */
import { LegNotMovedError, type DialRequest, type LegReport, type Telephony } from '../call/ports';
import type { CallAnswerRenderer } from './call-answers';
import { CALL_ID_PARAM, LEG_PARAM } from './call-params';
import { legStatusOf } from './call-status';
import { TwilioApiError } from './rest-errors';
import { TWILIO_PATHS } from './module';
import type { TwilioRestClient } from './rest-client';
import { webhookUrl } from './signature';

export interface TwilioTelephonyDeps {
  rest: TwilioRestClient;
  answers: CallAnswerRenderer;
  /** PUBLIC_URL. */
  publicUrl: string;
}

export class TwilioTelephony implements Telephony {
  constructor(private readonly deps: TwilioTelephonyDeps) {}

  /** A webhook URL on this deployment, as Twilio is told it (and signs it). */
  private url(path: string, query: string): string {
    return webhookUrl(this.deps.publicUrl, `${path}?${query}`);
  }

  async dial(req: DialRequest): Promise<string> {
    const id = encodeURIComponent(req.callId);
    const call = await this.deps.rest.placeCall({
      to: req.destination,
      from: req.callerId,
      url: this.url(TWILIO_PATHS.voice, `${LEG_PARAM}=${encodeURIComponent(req.endpoint)}&${CALL_ID_PARAM}=${id}`),
      statusCallback: this.url(TWILIO_PATHS.status, `${CALL_ID_PARAM}=${id}&${LEG_PARAM}=${encodeURIComponent(req.endpoint)}`),
      timeoutSec: req.ringTimeoutSec,
    });
    return call.sid;
  }

  async hangUp(callSid: string, opts: { ringing?: boolean } = {}): Promise<void> {
    if (opts.ringing) {
      try {
        await this.deps.rest.cancel(callSid);
        return;
      } catch {
        // Already answered between our look and the request: hang it up instead.
      }
    }
    await this.deps.rest.hangUp(callSid);
  }

  /** GET Calls/{sid}: its CallStatus as a leg status, and its end_time; undefined for a call Twilio has not got (404). */
  async lookUp(callSid: string): Promise<LegReport | undefined> {
    let call;
    try {
      call = await this.deps.rest.fetchCall(callSid);
    } catch (err) {
      if (err instanceof TwilioApiError && err.status === 404) return undefined;
      throw err;
    }
    const status = legStatusOf(call.status);
    if (!status) throw new Error(`Twilio reported call ${callSid} in a status tolk does not know: ${call.status.slice(0, 32)}`);
    return { status, ...(call.endTime ? { endedAt: call.endTime } : {}) };
  }

  /**
   * A live-call update with new TwiML: `<Connect><Stream>` to this instance's media path, with a
   * fresh token for the leg. A 4xx other than 429 is Twilio refusing the update (nothing moved); a
   * timeout, or a 429 or 5xx after the retries, may have come after Twilio acted on it, so it is
   * passed on as it is.
   */
  async reconnect(callSid: string, to: { callId: string; endpoint: string }): Promise<void> {
    try {
      await this.deps.rest.redirect(callSid, { twiml: this.deps.answers({ type: 'connect', callId: to.callId, legRef: callSid, endpoint: to.endpoint }) });
    } catch (err) {
      if (err instanceof TwilioApiError && err.status >= 400 && err.status < 500 && !err.retryable) {
        throw new LegNotMovedError(`${err.status}${err.code === undefined ? '' : ` (${err.code})`}: ${err.message}`);
      }
      throw err;
    }
  }

  async sayAndHangUp(callSid: string, text: string, locale: string): Promise<void> {
    await this.deps.rest.redirect(callSid, { twiml: this.deps.answers({ type: 'say-and-hang-up', text, locale }) });
  }
}
