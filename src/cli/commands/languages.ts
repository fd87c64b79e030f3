/** `tolk languages`: the supported language codes. */
import { Command } from 'commander';
import { clientFor, outputFor, type CliContext } from '../context';
import { printJson, table } from '../output';

export function languagesCommand(ctx: CliContext): Command {
  return new Command('languages')
    .description('list the languages a number can use (as the deployment supports them)')
    .action(async (_opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const body = await clientFor(ctx, cmd).listLanguages();
      if (o.json) printJson(o, body);
      else o.out(table(['CODE', 'LANGUAGE'], body.languages.map((l) => [l.code, l.name])));
    });
}
