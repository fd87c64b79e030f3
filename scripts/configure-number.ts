/**
 * Points one of your Twilio numbers at this tolk deployment: sets its Voice URL to
 * PUBLIC_URL/twilio/voice and its status callback to PUBLIC_URL/twilio/status (both POST).
 *
 *   npm run configure-number -- +15551234567
 *
 * Reads PUBLIC_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and (optionally) TWILIO_API_URL from the
 * environment or from .env.
 */
import { z } from 'zod';
import { envSchema } from '../src/config/env';
import { createLogger } from '../src/log/logger';
import { TwilioApiError, TwilioRestClient, publicBase } from '../src/twilio';

const HELP = `Usage: npm run configure-number -- NUMBER

Sets the Voice URL of your Twilio number NUMBER (E.164, e.g. +15551234567) to
  <PUBLIC_URL>/twilio/voice    (HTTP POST)
and its call status callback to
  <PUBLIC_URL>/twilio/status   (HTTP POST)

Environment (or .env):
  PUBLIC_URL          https base URL where Twilio reaches tolk (required)
  TWILIO_ACCOUNT_SID  AC... account that owns the number (required)
  TWILIO_AUTH_TOKEN   that account's auth token (required)
  TWILIO_API_URL      REST API base URL, only to target an emulator (optional)

Options:
  -h, --help          show this help
`;

const twilioEnv = envSchema.pick({ PUBLIC_URL: true, TWILIO_ACCOUNT_SID: true, TWILIO_AUTH_TOKEN: true, TWILIO_API_URL: true });

export interface ScriptIo {
  out(text: string): void;
  err(text: string): void;
}

/** Runs the script; returns the process exit code. */
export async function runConfigureNumber(argv: string[], env: NodeJS.ProcessEnv, io: ScriptIo): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.out(HELP);
    return 0;
  }
  const args = argv.filter((a) => a !== '--');
  if (args.length !== 1 || !/^\+[1-9]\d{6,14}$/.test(args[0])) {
    io.err(`configure-number: expected exactly one phone number in E.164 form (e.g. +15551234567)\n\n${HELP}`);
    return 64; // EX_USAGE
  }
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = twilioEnv.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const name = i.path.join('.');
      return `  - ${name} ${cleaned[name] === undefined ? 'is required but not set' : i.message}`;
    });
    io.err(`configure-number: invalid configuration:\n${problems.join('\n')}\n`);
    return 78; // EX_CONFIG
  }
  const config: z.infer<typeof twilioEnv> = parsed.data;
  const logger = createLogger({ level: 'warn', destination: { write: (s: string) => io.err(s) } });
  const rest = new TwilioRestClient({
    accountSid: config.TWILIO_ACCOUNT_SID,
    authToken: config.TWILIO_AUTH_TOKEN,
    apiUrl: config.TWILIO_API_URL,
    logger,
  });
  const base = publicBase(config.PUBLIC_URL);
  const voiceUrl = `${base}/twilio/voice`;
  const statusCallback = `${base}/twilio/status`;
  try {
    const n = await rest.configureNumber(args[0], { voiceUrl, statusCallback });
    io.out(
      `Configured ${n.phoneNumber} (${n.sid}):\n` +
        `  Voice URL        ${n.voiceMethod} ${n.voiceUrl}\n` +
        `  Status callback  ${n.statusCallbackMethod} ${n.statusCallback}\n`,
    );
    return 0;
  } catch (err) {
    const msg =
      err instanceof TwilioApiError
        ? `${err.message}${err.status ? ` (HTTP ${err.status}${err.code ? `, Twilio error ${err.code}` : ''})` : ''}${err.moreInfo ? `\n  see ${err.moreInfo}` : ''}`
        : String(err);
    io.err(`configure-number: ${msg}\n`);
    return 1;
  }
}

if (require.main === module) {
  try {
    process.loadEnvFile?.('.env');
  } catch {
    // no .env: the environment alone configures the script
  }
  runConfigureNumber(process.argv.slice(2), process.env, {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`configure-number: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
