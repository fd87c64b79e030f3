/**
 * `tolk calls ...`: list call records, show one with its transcript, end one in progress, place an
 * interpreted call now or at a time, cancel one not yet started, erase ended ones (or see what
 * would go: --dry-run), run the retention sweep now.
 */
import { Command, Option } from 'commander';
import { CALL_STATES } from '../../call/call-state';
import { CALL_OUTCOMES } from '../../store/call-record';
import { MAX_RETRIES, MAX_RETRY_AFTER_SEC, MAX_SCHEDULE_DAYS, MIN_RETRY_AFTER_SEC } from '../../outbound/request';
import { MAX_ERASED_PER_REQUEST, MAX_ERASED_PER_SWEEP, RETENTION_QUEUE } from '../../retention/retention';
import { MAX_LIST_LIMIT } from '../../store/call-record-store';
import type { AdminClient, EraseResultJson, SweepResultJson } from '../api-client';
import { MIN_ID_PREFIX, onCall } from '../call-id';
import { clientFor, outputFor, type CliContext } from '../context';
import { CliError, EXIT_FAILURE, usageError } from '../errors';
import { phoneNumber, wholeNumber } from '../option-parsers';
import { callDetail, callsTable, hungUpText, printJson, shownTime, withProblemLines } from '../output';

/** How long `tolk calls sweep` follows its job, and how often it asks. */
const FOLLOW_MINUTES = 10;
const POLL_MS = 500;

/** Waits for the sweep job `id` to finish; its result, or a CliError saying why there is none (yet). */
async function followSweep(client: AdminClient, id: string): Promise<SweepResultJson> {
  const giveUpAt = Date.now() + FOLLOW_MINUTES * 60_000;
  for (;;) {
    const job = await client.getJob(RETENTION_QUEUE, id);
    if (!job) throw new CliError(`no sweep job '${id}' (a finished job is kept until newer ones push it out)`, EXIT_FAILURE);
    if (job.state === 'completed') {
      if (job.result === undefined || job.result === null) throw new CliError(`the sweep (job ${id}) completed without saying what it erased`, EXIT_FAILURE);
      return job.result as SweepResultJson;
    }
    if (job.state === 'failed') throw new CliError(`the sweep (job ${id}) failed: ${job.failedReason ?? 'no reason given'}`, EXIT_FAILURE);
    if (Date.now() >= giveUpAt) {
      const idle = job.state === 'waiting' ? ' (no process has taken it: with TOLK_WORKERS=off, is a tolk worker running?)' : '';
      throw new CliError(`the sweep (job ${id}) is still ${job.state} after ${FOLLOW_MINUTES} minutes${idle}; follow it with: tolk calls sweep --job ${id}`, EXIT_FAILURE);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

interface ListOptions {
  number?: string;
  from?: string;
  to?: string;
  outcome?: string;
  state?: string;
  limit: number;
  cursor?: string;
}

interface PlaceOptions {
  at?: string;
  destination?: string;
  callerLanguage?: string;
  agentLanguage?: string;
  retries?: number;
  retryAfter?: number;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** `2 calls (2 webhook deliveries, 1 remembered language)`. */
/** The period a sweep goes by, as its lines say it. */
function sweptBy(s: { days?: number; before?: string }): string {
  return s.days !== undefined && s.before !== undefined ? `TOLK_RETENTION_DAYS=${s.days}, what ended before ${s.before}` : 'no TOLK_RETENTION_DAYS: no calls, only webhook deliveries left without their call';
}

function erasedCounts(r: EraseResultJson): string {
  return `${plural(r.calls, 'call', 'calls')} (${plural(r.deliveries, 'webhook delivery', 'webhook deliveries')}, ${plural(r.callerLanguages, 'remembered language', 'remembered languages')})`;
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
    .addOption(new Option('--state <state>', 'only calls in this state (scheduled: calls tolk will place later)').choices(CALL_STATES))
    .option('--limit <n>', `how many calls (1 to ${MAX_LIST_LIMIT})`, wholeNumber(1, MAX_LIST_LIMIT), 20)
    .option('--cursor <cursor>', 'continue after a previous page (its "next page" cursor)')
    .action(async (opts: ListOptions, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const page = await withProblemLines(clientFor(ctx, cmd).listCalls(opts));
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
    .argument('<id>', `the call id (first column of tolk calls list), or its first ${MIN_ID_PREFIX} or more characters`)
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const client = clientFor(ctx, cmd);
      const call = await onCall(client, id, (callId) => client.getCall(callId));
      if (o.json) printJson(o, call);
      else o.out(callDetail(call));
    });

  calls
    .command('hangup')
    .description('end a call in progress: hang up both parties; a conference tolk created ends for everyone, one it joined goes on without tolk (recorded as hungup_by_operator)')
    .argument('<id>', `the call id (tolk calls list, or the Live page), or its first ${MIN_ID_PREFIX} or more characters`)
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const client = clientFor(ctx, cmd);
      const call = await onCall(client, id, (callId) => client.hangUpCall(callId));
      if (o.json) printJson(o, call);
      else o.out(hungUpText(call));
    });

  calls
    .command('place')
    .description('call a customer from a tolk number, now or at a time; once they answer, tolk dials the other party and interprets')
    .argument('<line>', 'the tolk number to call from (its settings supply what the options leave out)', phoneNumber)
    .argument('<to>', 'the customer to call (E.164)', phoneNumber)
    .option('--at <time>', `when to call: an ISO 8601 date-time with a zone (2025-01-31T10:30:00Z), at most ${MAX_SCHEDULE_DAYS} days ahead; default now`)
    .option('--destination <destination>', "who to dial once the customer answers (E.164, sip: or client:); default: the number's")
    .option('--caller-language <code>', "the customer's language, or auto; default: the number's")
    .option('--agent-language <code>', "the other party's language; default: the number's")
    .option('--retries <n>', `further attempts when the customer is busy, does not answer or cannot be reached (0 to ${MAX_RETRIES})`, wholeNumber(0, MAX_RETRIES))
    .option('--retry-after <seconds>', `seconds between attempts (${MIN_RETRY_AFTER_SEC} to ${MAX_RETRY_AFTER_SEC})`, wholeNumber(MIN_RETRY_AFTER_SEC, MAX_RETRY_AFTER_SEC))
    .action(async (line: string, to: string, opts: PlaceOptions, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const call = await withProblemLines(
        clientFor(ctx, cmd).placeCall({
          line,
          to,
          ...(opts.at !== undefined ? { at: opts.at } : {}),
          ...(opts.destination !== undefined ? { destination: opts.destination } : {}),
          ...(opts.callerLanguage !== undefined ? { callerLanguage: opts.callerLanguage } : {}),
          ...(opts.agentLanguage !== undefined ? { agentLanguage: opts.agentLanguage } : {}),
          ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
          ...(opts.retryAfter !== undefined ? { retryAfterSec: opts.retryAfter } : {}),
        }),
        true,
      );
      if (o.json) {
        printJson(o, call);
        return;
      }
      const then = `then ${call.destination} (${call.languages.caller}<>${call.languages.agent})`;
      o.out(
        call.outbound?.at
          ? `Call ${call.id} scheduled for ${shownTime(call.outbound.at)}: tolk will call ${call.from} from ${call.number}, ${then}.\n`
          : `Call ${call.id} placed: tolk calls ${call.from} from ${call.number} now, ${then}.\n`,
      );
      o.out(`Follow it with: tolk calls show ${call.id}${call.outbound?.at ? `; cancel it before it starts with: tolk calls cancel ${call.id}` : ''}\n`);
    });

  calls
    .command('cancel')
    .description('cancel a call tolk was to place, before it starts: it never dials')
    .argument('<id>', `the call id (tolk calls place, or tolk calls list --state scheduled), or its first ${MIN_ID_PREFIX} or more characters`)
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const client = clientFor(ctx, cmd);
      const call = await onCall(client, id, (callId) => client.cancelCall(callId));
      if (o.json) printJson(o, call);
      else o.out(`Call ${call.id} canceled: it will not be placed.\n`);
    });

  calls
    .command('erase')
    .description("erase ended calls (records, transcripts, webhook deliveries): those that ended before a time, or one caller's")
    .option('--ended-before <iso>', 'calls that ended before this date or date-time (2025-01-31, 2025-01-31T09:00:00Z); default: now')
    .option('--from <number>', "only this caller's calls (E.164); their remembered languages are forgotten too", phoneNumber)
    .option('--dry-run', 'erase nothing: say what the same command would erase now')
    .action(async (opts: { endedBefore?: string; from?: string; dryRun?: boolean }, cmd: Command) => {
      if (opts.endedBefore === undefined && opts.from === undefined) throw usageError('say which calls: --ended-before DATE, --from NUMBER, or both');
      const o = outputFor(ctx, cmd);
      const dryRun = opts.dryRun === true;
      const erased = await withProblemLines(clientFor(ctx, cmd).eraseCalls({ endedBefore: opts.endedBefore, from: opts.from, ...(dryRun ? { dryRun } : {}) }));
      if (o.json) {
        printJson(o, erased);
        return;
      }
      if (dryRun) {
        o.out(`Dry run, nothing was erased: this would erase ${erasedCounts(erased)}.\n`);
        if (erased.more) o.out('More calls match than one erase takes: it would leave the rest for the same command run again.\n');
        if (opts.from !== undefined) o.out('A call of theirs in progress, or one tolk has yet to place, would be kept.\n');
        o.out('To erase them, run the same command without --dry-run.\n');
        return;
      }
      o.out(`Erased ${erasedCounts(erased)}.\n`);
      if (erased.more) o.out('More calls match: run the same command again.\n');
      if (opts.from !== undefined) o.out('A call of theirs still in progress, or one tolk has yet to place, is never erased: if they have one, erase again once it has ended.\n');
    });

  calls
    .command('sweep')
    .description('run the retention sweep now, as the hourly one does: erase the webhook deliveries left without their call and, with TOLK_RETENTION_DAYS, the calls that ended more than that many days ago, and forget the callers last remembered before then')
    .option('--no-wait', 'only start it: print the job that sweeps, and go')
    .option('--job <id>', 'follow a sweep already started (the job --no-wait printed) instead of starting one')
    .addHelpText(
      'after',
      `\nThe sweep runs on the deployment as a background job of its retention queue (a server, or tolk worker); this command waits for it (at most ${FOLLOW_MINUTES} minutes) and says what it erased.\n` +
        `The deployment's TOLK_RETENTION_DAYS sets the period; without it no call is erased and no language forgotten, only the webhook deliveries left without their call. To see first which calls would go:\n  tolk calls erase --ended-before <that many days ago> --dry-run\nIt counts at most ${MAX_ERASED_PER_REQUEST.toLocaleString('en-US')} of them (a sweep takes up to ${MAX_ERASED_PER_SWEEP.toLocaleString('en-US')}), and neither the remembered languages the sweep forgets (those last remembered before then) nor the webhook deliveries left without their call, which the sweep erases too.`,
    )
    .action(async (opts: { wait: boolean; job?: string }, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const client = clientFor(ctx, cmd);
      let id = opts.job;
      if (id === undefined) {
        const queued = await client.sweepCalls();
        if (!opts.wait) {
          if (o.json) printJson(o, queued);
          else o.out(`Sweep started as job ${queued.id} (${sweptBy(queued)}); follow it with: tolk calls sweep --job ${queued.id}\n`);
          return;
        }
        id = queued.id;
      }
      const swept = await followSweep(client, id);
      if (o.json) {
        printJson(o, swept);
        return;
      }
      o.out(`Swept (${sweptBy(swept)}): erased ${erasedCounts(swept)}.\n`);
      if (swept.more) o.out('More calls are that old than one sweep takes: the next sweep goes on (or run this again).\n');
    });

  return calls;
}
