/**
 * `tolk twilio configure-number NUMBER`: point a Twilio number at this deployment;
 * `tolk twilio configure-app`: create or update the interpreter's TwiML App. The Twilio SDK
 * is loaded only when this command runs, so the other commands start quickly.
 */
import { Command } from 'commander';
import { CONFIGURE_NUMBER_ENV_HELP } from '../twilio-env-help';
import { outputFor, type CliContext } from '../context';
import { CliError, EXIT_FAILURE, EXIT_UNREACHABLE, usageError } from '../errors';
import { cliLogLevel } from '../log-level';
import { phoneNumber } from '../option-parsers';
import { printJson } from '../output';

export function twilioCommand(ctx: CliContext): Command {
  const twilio = new Command('twilio').description('set up Twilio for this deployment');
  twilio
    .command('configure-number')
    .description("set a Twilio number's Voice URL to PUBLIC_URL/twilio/voice and its status callback to PUBLIC_URL/twilio/status (POST)")
    .argument('<number>', 'your Twilio number (E.164)', phoneNumber)
    .addHelpText('after', `\nTalks to Twilio's REST API, not to tolk.\n${CONFIGURE_NUMBER_ENV_HELP}`)
    .action(async (number: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const [{ configureTwilioNumber, describeConfiguredNumber }, { createLogger }] = await Promise.all([import('../configure-number.js'), import('../../log/logger.js')]);
      const logger = createLogger({ level: cliLogLevel(ctx.env), destination: { write: (s: string) => o.err(s) } });
      const outcome = await configureTwilioNumber(number, ctx.env, logger);
      if (outcome.ok) {
        if (o.json) printJson(o, outcome.number);
        else o.out(describeConfiguredNumber(outcome.number));
        return;
      }
      if (outcome.kind === 'config') throw usageError(`invalid Twilio configuration:\n${outcome.problems.map((p) => `  - ${p}`).join('\n')}`);
      throw new CliError(outcome.message, outcome.kind === 'unreachable' ? EXIT_UNREACHABLE : EXIT_FAILURE);
    });
  twilio
    .command('configure-app')
    .description("create (or update) the interpreter's TwiML App, whose Voice URL is PUBLIC_URL/twilio/interpreter (POST), and print its SID for TWILIO_TWIML_APP_SID")
    .option('--name <name>', 'friendly name of the app (an app with this name is updated)', 'tolk interpreter')
    .addHelpText('after', `\nTalks to Twilio's REST API, not to tolk. Conference mode and joining conferences need the app.\n${CONFIGURE_NUMBER_ENV_HELP}`)
    .action(async (opts: { name: string }, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const [{ configureTwilioApp, describeConfiguredApp }, { createLogger }] = await Promise.all([import('../configure-number.js'), import('../../log/logger.js')]);
      const logger = createLogger({ level: cliLogLevel(ctx.env), destination: { write: (s: string) => o.err(s) } });
      const outcome = await configureTwilioApp(opts.name, ctx.env, logger);
      if (outcome.ok) {
        if (o.json) printJson(o, outcome.app);
        else o.out(describeConfiguredApp(outcome.app));
        return;
      }
      if (outcome.kind === 'config') throw usageError(`invalid Twilio configuration:\n${outcome.problems.map((p) => `  - ${p}`).join('\n')}`);
      throw new CliError(outcome.message, outcome.kind === 'unreachable' ? EXIT_UNREACHABLE : EXIT_FAILURE);
    });
  return twilio;
}
