/**
 * Pointing Twilio at this deployment: a number's Voice URL becomes PUBLIC_URL/twilio/voice and its
 * status callback PUBLIC_URL/twilio/status (both POST), shared by `tolk twilio configure-number` and
 * `npm run configure-number` (scripts/configure-number.ts); and the interpreter's TwiML App runs
 * PUBLIC_URL/twilio/interpreter (`tolk twilio configure-app`).
 */
import { envSchema } from '../config/env';
import type { Logger } from '../log/logger';
import { TWILIO_PATHS, TwilioApiError, TwilioRestClient, webhookUrl, type NumberInfo } from '../twilio';

export { CONFIGURE_NUMBER_ENV_HELP } from './twilio-env-help';

const twilioEnv = envSchema.pick({ PUBLIC_URL: true, TWILIO_ACCOUNT_SID: true, TWILIO_AUTH_TOKEN: true, TWILIO_API_URL: true });

export type ConfigureNumberOutcome =
  | { ok: true; number: NumberInfo }
  /** The environment lacks or has bad Twilio settings; one line per variable. */
  | { ok: false; kind: 'config'; problems: string[] }
  /** Twilio answered with an error. */
  | { ok: false; kind: 'twilio'; message: string }
  /** Twilio could not be reached. */
  | { ok: false; kind: 'unreachable'; message: string };

export async function configureTwilioNumber(number: string, env: NodeJS.ProcessEnv, logger: Logger): Promise<ConfigureNumberOutcome> {
  return withTwilio(env, logger, (rest, config) =>
    rest.configureNumber(number, { voiceUrl: webhookUrl(config.PUBLIC_URL, TWILIO_PATHS.voice), statusCallback: webhookUrl(config.PUBLIC_URL, TWILIO_PATHS.status) }),
  ).then((o) => (o.ok ? { ok: true, number: o.value } : o));
}

export interface ConfiguredApp {
  sid: string;
  friendlyName: string;
  voiceUrl: string;
  voiceMethod: string;
  created: boolean;
}

/**
 * The interpreter's TwiML App: created (or, when one with this name exists, updated) with its
 * Voice URL at PUBLIC_URL/twilio/interpreter (POST). Its SID goes in TWILIO_TWIML_APP_SID.
 */
export async function configureTwilioApp(
  friendlyName: string,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<{ ok: true; app: ConfiguredApp } | Exclude<ConfigureNumberOutcome, { ok: true }>> {
  const o = await withTwilio(env, logger, (rest, config) => rest.configureApplication(friendlyName, webhookUrl(config.PUBLIC_URL, TWILIO_PATHS.interpreter)));
  return o.ok ? { ok: true, app: o.value } : o;
}

export function describeConfiguredApp(a: ConfiguredApp): string {
  return (
    `${a.created ? 'Created' : 'Updated'} TwiML App ${a.friendlyName} (${a.sid}):\n` +
    `  Voice URL  ${a.voiceMethod} ${a.voiceUrl}\n` +
    `Set TWILIO_TWIML_APP_SID=${a.sid} in tolk's environment (.env) to interpret conferences.\n`
  );
}

async function withTwilio<T>(
  env: NodeJS.ProcessEnv,
  logger: Logger,
  fn: (rest: TwilioRestClient, config: { PUBLIC_URL: string }) => Promise<T>,
): Promise<{ ok: true; value: T } | Exclude<ConfigureNumberOutcome, { ok: true }>> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = twilioEnv.safeParse(cleaned);
  if (!parsed.success) {
    return {
      ok: false,
      kind: 'config',
      problems: parsed.error.issues.map((i) => {
        const name = i.path.join('.');
        return `${name} ${cleaned[name] === undefined ? 'is required but not set' : i.message}`;
      }),
    };
  }
  const config = parsed.data;
  const rest = new TwilioRestClient({ accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN, apiUrl: config.TWILIO_API_URL, logger });
  try {
    return { ok: true, value: await fn(rest, config) };
  } catch (err) {
    if (err instanceof TwilioApiError && err.status === 0) return { ok: false, kind: 'unreachable', message: unreachable(config.TWILIO_API_URL, err.cause ?? err) };
    if (err instanceof TwilioApiError) {
      const status = err.status ? ` (HTTP ${err.status}${err.code ? `, Twilio error ${err.code}` : ''})` : '';
      const hint = err.status === 401 ? `\n  Twilio did not accept the account: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (in the environment, else .env)` : '';
      return { ok: false, kind: 'twilio', message: `${err.message}${status}${hint}${err.moreInfo ? `\n  see ${err.moreInfo}` : ''}` };
    }
    if (typeof (err as { code?: unknown } | null)?.code === 'string') return { ok: false, kind: 'unreachable', message: unreachable(config.TWILIO_API_URL, err) };
    return { ok: false, kind: 'twilio', message: err instanceof Error ? err.message : String(err) };
  }
}

/** No answer from Twilio: where tolk tried (TWILIO_API_URL when set) and the network's reason. */
function unreachable(apiUrl: string | undefined, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  return apiUrl ? `cannot reach Twilio at ${apiUrl} (TWILIO_API_URL): ${reason}` : `cannot reach Twilio (${reason}); check this machine's network`;
}

export function describeConfiguredNumber(n: NumberInfo): string {
  return (
    `Configured ${n.phoneNumber} (${n.sid}):\n` +
    `  Voice URL        ${n.voiceMethod} ${n.voiceUrl}\n` +
    `  Status callback  ${n.statusCallbackMethod} ${n.statusCallback}\n`
  );
}
