/**
 * The start-up check of the interpreter's TwiML App (TWILIO_TWIML_APP_SID): that the Twilio account
 * has it, and that its Voice URL is this deployment's PUBLIC_URL/twilio/interpreter. Without it
 * every interpreter leg of a conference is refused, and its parties talk with no interpretation.
 */
import type { Logger } from '../log/logger';
import { TWILIO_PATHS } from './module';
import type { TwilioRestClient } from './rest-client';
import { webhookUrl } from './signature';

/**
 * Logs what is wrong with the TwiML App `appSid`, if anything: `config.twiml_app_missing` (error)
 * when the account has no such app, `config.twiml_app_elsewhere` (warn) when its Voice URL is not
 * this deployment's, `config.twiml_app_unchecked` (warn) when Twilio could not be asked. Never throws.
 */
export async function checkInterpreterApp(rest: Pick<TwilioRestClient, 'findApplication'>, appSid: string, publicUrl: string, log: Logger): Promise<void> {
  const expected = webhookUrl(publicUrl, TWILIO_PATHS.interpreter);
  const fix = 'run `tolk twilio configure-app` and set TWILIO_TWIML_APP_SID to the SID it prints, then restart tolk';
  let app: { voiceUrl: string } | undefined;
  try {
    app = await rest.findApplication(appSid);
  } catch (err) {
    log.warn({ event: 'config.twiml_app_unchecked', appSid, err: err instanceof Error ? err.message : String(err) }, `could not check the TwiML App TWILIO_TWIML_APP_SID=${appSid} with Twilio`);
    return;
  }
  if (!app) {
    log.error(
      { event: 'config.twiml_app_missing', appSid },
      `TWILIO_TWIML_APP_SID=${appSid} is not a TwiML App of this Twilio account: conference calls will not be interpreted; ${fix}`,
    );
    return;
  }
  if (app.voiceUrl !== expected) {
    log.warn(
      { event: 'config.twiml_app_elsewhere', appSid, voiceUrl: app.voiceUrl, expected },
      `the TwiML App TWILIO_TWIML_APP_SID=${appSid} sends its calls to ${app.voiceUrl || '(no Voice URL)'}, not to ${expected}: conference calls will not be interpreted here; ${fix}`,
    );
  }
}
