/**
 * The `tolk` command line: global options, the command groups, and the mapping of every outcome
 * to an exit code (0 ok, 1 refused by tolk/Twilio, 2 usage, 3 unreachable). Nothing here touches
 * `process`: `runCli` gets its arguments, environment and output and returns the exit code.
 */
import { Command, CommanderError } from 'commander';
import { callsCommand } from './commands/calls';
import { conferencesCommand } from './commands/conferences';
import { deliveriesCommand } from './commands/deliveries';
import { jobsCommand, workerCommand } from './commands/jobs';
import { languagesCommand } from './commands/languages';
import { numbersCommand } from './commands/numbers';
import { twilioCommand } from './commands/twilio';
import type { CliContext, CliIo } from './context';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE } from './errors';
import { tolkVersion } from './version';

const MORE_HELP = `
Environment (and .env in the working folder, as the server reads it; the environment wins):
  TOLK_URL     the deployment to manage (default http://127.0.0.1:$PORT, PORT defaulting to 8080)
  ADMIN_TOKEN  the deployment's admin token (sent as a bearer token)

Exit codes: ${EXIT_OK} ok, ${EXIT_FAILURE} refused or failed by tolk (or Twilio), ${EXIT_USAGE} usage error, ${EXIT_UNREACHABLE} cannot reach tolk (or Twilio).
Every command takes --help.`;

function everyCommand(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(everyCommand)];
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('tolk')
    .description("manage a tolk deployment through its admin API: numbers, languages, calls and transcripts")
    .option('--url <url>', 'base URL of the tolk deployment (default: TOLK_URL, else http://127.0.0.1:$PORT)')
    .option('--json', 'print JSON (the API\'s answer) instead of text, for scripts')
    .version(tolkVersion(), '--version', "print tolk's version")
    .addHelpText('after', MORE_HELP)
    .addCommand(numbersCommand(ctx))
    .addCommand(callsCommand(ctx))
    .addCommand(conferencesCommand(ctx))
    .addCommand(languagesCommand(ctx))
    .addCommand(twilioCommand(ctx))
    .addCommand(deliveriesCommand(ctx))
    .addCommand(jobsCommand(ctx))
    .addCommand(workerCommand(ctx));
  for (const cmd of everyCommand(program)) {
    cmd
      .exitOverride()
      .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) })
      .showHelpAfterError('(add --help for usage)')
      .allowExcessArguments(false);
  }
  return program;
}

function reportError(io: CliIo, err: CliError, json: boolean): void {
  if (json) {
    io.err(`${JSON.stringify({ error: err.message, ...(err.problems.length > 0 ? { problems: err.problems } : {}), ...(err.status ? { status: err.status } : {}) })}\n`);
  } else {
    io.err(`tolk: ${err.message}\n`);
  }
}

/** Runs one command line (without `node` and the script); resolves the exit code. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const program = buildProgram({ io, env });
  if (argv.length === 0) {
    io.err(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (err instanceof CliError) {
      reportError(io, err, argv.includes('--json'));
      return err.exitCode;
    }
    io.err(`tolk: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT_FAILURE;
  }
}
