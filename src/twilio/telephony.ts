/**
 * The call core's Telephony and CallTwiml on top of the Twilio edge: the REST client places and
 * ends legs, the TwiML renderer answers webhooks, stream tokens bind each media stream to its leg.
 */
import type { CallTwiml, MenuOption } from '../call/call-service';
import type { DialRequest, Telephony } from '../call/telephony';
import { CALL_ID_PARAM, LEG_PARAM, STEP_PARAM } from './call-webhooks';
import { TWILIO_PATHS } from './module';
import type { TwilioRestClient } from './rest-client';
import { webhookUrl } from './signature';
import type { StreamTokens } from './stream-token';
import type { TwimlDocuments, TwimlRenderer } from './twiml';

export interface TwilioAdapterDeps {
  rest: TwilioRestClient;
  twiml: TwimlRenderer;
  tokens: StreamTokens;
  /** PUBLIC_URL. */
  publicUrl: string;
  /** wss URL of the media endpoint. */
  streamUrl: string;
}

export class TwilioTelephony implements Telephony, CallTwiml {
  constructor(private readonly deps: TwilioAdapterDeps) {}

  /** A webhook URL on this deployment, as Twilio is told it (and signs it). */
  private url(path: string, query: string): string {
    return webhookUrl(this.deps.publicUrl, `${path}?${query}`);
  }

  async dial(req: DialRequest): Promise<string> {
    const id = encodeURIComponent(req.callId);
    const call = await this.deps.rest.placeCall({
      to: req.destination,
      from: req.callerId,
      url: this.url(TWILIO_PATHS.voice, `${LEG_PARAM}=agent&${CALL_ID_PARAM}=${id}`),
      statusCallback: this.url(TWILIO_PATHS.status, `${CALL_ID_PARAM}=${id}`),
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

  async sayAndHangUp(callSid: string, text: string, sayLocale: string): Promise<void> {
    await this.deps.rest.redirect(callSid, { twiml: this.sayAndHangUpTwiml({ text, sayLocale }) });
  }

  callerStream(v: { callSid: string; greeting?: string; sayLocale: string }): string {
    return this.deps.twiml.render('caller-stream', {
      streamUrl: this.deps.streamUrl,
      token: this.deps.tokens.issue({ callSid: v.callSid, role: 'caller' }),
      role: 'caller',
      greeting: v.greeting ?? '',
      language: v.sayLocale,
    });
  }

  languageMenu(v: { callId: string; options: MenuOption[] }): string {
    const values: Record<string, string> = {
      action: this.url(TWILIO_PATHS.voice, `${STEP_PARAM}=language&${CALL_ID_PARAM}=${encodeURIComponent(v.callId)}`),
    };
    v.options.slice(0, 9).forEach((o, i) => {
      values[`option${i + 1}`] = o.text;
      values[`locale${i + 1}`] = o.sayLocale;
    });
    return this.deps.twiml.render('language-menu', values as TwimlDocuments['language-menu']);
  }

  agentStream(v: { callSid: string }): string {
    return this.deps.twiml.render('agent-stream', {
      streamUrl: this.deps.streamUrl,
      token: this.deps.tokens.issue({ callSid: v.callSid, role: 'agent' }),
      role: 'agent',
    });
  }

  sayAndHangUpTwiml(v: { text: string; sayLocale: string }): string {
    return this.deps.twiml.render('say-hangup', { message: v.text, language: v.sayLocale });
  }
}
