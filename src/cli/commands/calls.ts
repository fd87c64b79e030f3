/** `tolk calls ...`: list call records, show one with its transcript, end one in progress. */
import { Command, Option } from 'commander';
import { CALL_OUTCOMES } from '../../store/call-record';
import { MAX_LIST_LIMIT } from '../../store/call-record-store';
import { clientFor, outputFor, type CliContext } from '../context';
import { CliError } from '../errors';
import { phoneNumber, wholeNumber } from '../option-parsers';
import { callDetail, callsTable, printJson, problemLines } from '../output';

interface ListOptions {
  number?: string;
  from?: string;
  to?: string;
  outcome?: string;
  limit: number;
  cursor?: string;
}

export function callsCommand(ctx: CliContext): Command {
  const calls = new Command('calls').description('read call records and transcripts');

  calls
    .command('list')
    .description('list calls, newest first')
    .option('--number <number>', 'only calls to this tolk number', phoneNumber)
    .option('--from <iso>', 'only calls started at or after this date or date-time (2025-01-31, 2025-01-31T09:00:00Z)')
    .option('--to <iso>', 'only calls started before this date or date-time')
    .addOption(new Option('--outcome <outcome>', 'only calls that ended this way').choices(CALL_OUTCOMES))
    .option('--limit <n>', `how many calls (1 to ${MAX_LIST_LIMIT})`, wholeNumber(1, MAX_LIST_LIMIT), 20)
    .option('--cursor <cursor>', 'continue after a previous page (its "next page" cursor)')
    .action(async (opts: ListOptions, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      let page;
      try {
        page = await clientFor(ctx, cmd).listCalls(opts);
      } catch (err) {
        if (err instanceof CliError && err.problems.length > 0) {
          throw new CliError(`${err.message}:\n${problemLines(err.problems).trimEnd()}`, err.exitCode, err.problems, err.status);
        }
        throw err;
      }
      if (o.json) {
        printJson(o, page);
        return;
      }
      o.out(callsTable(page.calls));
      if (page.nextCursor) o.out(`More calls: add --cursor ${page.nextCursor}\n`);
    });

  calls
    .command('show')
    .description('show a call: numbers, languages, times, outcome and transcript')
    .argument('<id>', 'the call id (first column of tolk calls list)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const call = await clientFor(ctx, cmd).getCall(id);
      if (o.json) printJson(o, call);
      else o.out(callDetail(call));
    });

  calls
    .command('hangup')
    .description('end a call in progress: hang up both parties (recorded as hungup_by_operator)')
    .argument('<id>', 'the call id (tolk calls list, or the Live page)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const call = await clientFor(ctx, cmd).hangUpCall(id);
      if (o.json) printJson(o, call);
      else o.out(`Call ${call.id} ended: both parties hung up (${call.outcome ?? 'hungup_by_operator'}).\n`);
    });

  return calls;
}
