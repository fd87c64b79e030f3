/**
 * Points one of your Twilio numbers at this tolk deployment: sets its Voice URL to
 * PUBLIC_URL/twilio/voice and its status callback to PUBLIC_URL/twilio/status (both POST).
 *
 *   npm run configure-number -- +15551234567
 *
 * Reads PUBLIC_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and (optionally) TWILIO_API_URL from the
 * environment or from .env.
 */
import { CONFIGURE_NUMBER_ENV_HELP, configureTwilioNumber, describeConfiguredNumber } from '../src/cli/configure-number';
import { loadDotEnv } from '../src/config/dotenv';
import { EXIT_FAILURE, EXIT_UNREACHABLE, EXIT_USAGE } from '../src/cli/errors';
import { cliLogLevel } from '../src/cli/log-level';
import { createLogger } from '../src/log/logger';
import { runMain } from '../src/cli/run-main';

const HELP = `Usage: npm run configure-number -- NUMBER
       (or: tolk twilio configure-number NUMBER)

Sets the Voice URL of your Twilio number NUMBER (E.164, e.g. +15551234567) to
  <PUBLIC_URL>/twilio/voice    (HTTP POST)
and its call status callback to
  <PUBLIC_URL>/twilio/status   (HTTP POST)

${CONFIGURE_NUMBER_ENV_HELP}
Options:
  -h, --help          show this help

Exit codes: 0 ok, 1 refused by Twilio, 2 usage error or missing settings, 3 cannot reach Twilio.
`;

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
    return EXIT_USAGE;
  }
  const logger = createLogger({ level: cliLogLevel(env), destination: { write: (s: string) => io.err(s) } });
  const outcome = await configureTwilioNumber(args[0], env, logger);
  if (outcome.ok) {
    io.out(describeConfiguredNumber(outcome.number));
    return 0;
  }
  if (outcome.kind === 'config') {
    io.err(`configure-number: invalid configuration:\n${outcome.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return EXIT_USAGE;
  }
  io.err(`configure-number: ${outcome.message}\n`);
  return outcome.kind === 'unreachable' ? EXIT_UNREACHABLE : EXIT_FAILURE;
}

if (require.main === module) {
  try {
    loadDotEnv();
    runMain('configure-number', runConfigureNumber);
  } catch (err) {
    process.stderr.write(`configure-number: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_USAGE;
  }
}
