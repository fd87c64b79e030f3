/** `tolk jobs`: the background job queues (counts per queue, newest jobs); `tolk worker`: run the job processors. */
import { Command, Option } from 'commander';
import { JOB_STATES } from '../../jobs/queue';
import { clientFor, outputFor, type CliContext } from '../context';
import { CliError, EXIT_USAGE } from '../errors';
import { wholeNumber } from '../option-parsers';
import { printJson, seconds, table } from '../output';
import { runWorkerProcess } from '../worker-process';

export function jobsCommand(ctx: CliContext): Command {
  return new Command('jobs')
    .description('show the background job queues: how many jobs wait, run, finished or failed, and the newest jobs')
    .option('--queue <name>', 'only jobs of this queue (dial, webhooks, outbound, retention, call-ends)')
    .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES))
    .option('--limit <n>', 'how many jobs (1 to 200)', wholeNumber(1, 200), 20)
    .action(async (opts: { queue?: string; state?: string; limit: number }, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const body = await clientFor(ctx, cmd).listJobs(opts);
      if (o.json) {
        printJson(o, body);
        return;
      }
      o.out(`Queues (${body.backend}):\n`);
      o.out(table(['QUEUE', 'WAITING', 'DELAYED', 'ACTIVE', 'COMPLETED', 'FAILED', 'OLDEST WAITING'], body.queues.map((q) => [q.queue, String(q.waiting), String(q.delayed), String(q.active), String(q.completed), String(q.failed), q.waiting > 0 ? seconds(q.oldestWaitingMs) : '-'])));
      if (body.jobs.length === 0) {
        o.out('No jobs.\n');
        return;
      }
      o.out('\n');
      o.out(table(['QUEUE', 'ID', 'STATE', 'ATTEMPTS', 'CREATED', 'DUE / FINISHED', 'FAILURE'], body.jobs.map((j) => [j.queue, j.id, j.state, `${j.attemptsMade}/${j.attempts}`, j.createdAt, j.runAt ?? j.finishedAt ?? '', j.failedReason ?? ''])));
    });
}

export function workerCommand(ctx: CliContext): Command {
  return new Command('worker')
    .description('run the background job processors (dialling, webhook deliveries, retention; the servers start the calls tolk places) on the Redis queues of REDIS_URL, until SIGINT/SIGTERM; reads the same environment as the server')
    .action(async () => {
      const problem = await runWorkerProcess(ctx.env, ctx.io);
      if (problem) throw new CliError(problem, EXIT_USAGE);
    });
}
