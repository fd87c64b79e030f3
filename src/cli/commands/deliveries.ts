/** `tolk deliveries ...`: webhook deliveries (list, show) and sending a failed one again (retry). */
import { Command, Option } from 'commander';
import { DELIVERY_STATUSES } from '../../store/delivery-store';
import { MIN_ID_PREFIX, resolveCallId } from '../call-id';
import { clientFor, outputFor, type CliContext } from '../context';
import { wholeNumber } from '../option-parsers';
import { printJson, table } from '../output';
import type { DeliveryJson } from '../api-client';

function deliveryBlock(d: DeliveryJson): string {
  const rows: [string, string | undefined][] = [
    ['Delivery', d.id],
    ['Call', d.callId],
    ['Event', d.event],
    ['URL', d.url],
    ['Status', d.status],
    ['Attempts', String(d.attempts)],
    ['Next attempt', d.nextAttemptAt],
    ['Retried until', d.retryUntil],
    ['Last answer', d.lastStatus !== undefined ? `HTTP ${d.lastStatus}` : undefined],
    ['Last error', d.lastError],
    ['Created', d.createdAt],
    ['Delivered', d.deliveredAt],
  ];
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined);
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

export function deliveriesCommand(ctx: CliContext): Command {
  const deliveries = new Command('deliveries').description("webhook deliveries of ended calls: what was sent where, and what the customer's server answered");

  deliveries
    .command('list')
    .description('list deliveries, newest first')
    .addOption(new Option('--status <status>', 'only deliveries in this state').choices(DELIVERY_STATUSES))
    .option('--call <id>', `only the deliveries of this call (its id, or the first ${MIN_ID_PREFIX} or more characters of it)`)
    .option('--limit <n>', 'how many (1 to 200)', wholeNumber(1, 200), 20)
    .action(async (opts: { status?: string; call?: string; limit: number }, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const client = clientFor(ctx, cmd);
      // A call no longer on record (evicted from memory) may still have deliveries: its id is used as given.
      const call = opts.call === undefined ? undefined : await resolveCallId(client, opts.call, { noneAsGiven: true });
      const body = await client.listDeliveries({ ...opts, call });
      if (o.json) {
        printJson(o, body);
        return;
      }
      if (body.deliveries.length === 0) {
        o.out('No deliveries.\n');
        return;
      }
      o.out(table(['ID', 'CALL', 'STATUS', 'ATTEMPTS', 'CREATED', 'LAST ANSWER', 'URL'], body.deliveries.map((d) => [d.id, d.callId, d.status, String(d.attempts), d.createdAt, d.lastStatus !== undefined ? `HTTP ${d.lastStatus}` : (d.lastError ?? ''), d.url])));
    });

  deliveries
    .command('show')
    .description('show one delivery and the payload it sends')
    .argument('<id>', 'the delivery id (first column of tolk deliveries list)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const d = await clientFor(ctx, cmd).getDelivery(id);
      if (o.json) printJson(o, d);
      else o.out(`${deliveryBlock(d)}Payload:\n${JSON.stringify(d.payload, null, 2)}\n`);
    });

  deliveries
    .command('retry')
    .description('send a failed delivery again now (with a fresh 24 h of retries)')
    .argument('<id>', 'the delivery id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const d = await clientFor(ctx, cmd).retryDelivery(id);
      if (o.json) printJson(o, d);
      else o.out(`Delivery ${d.id} queued again.\n`);
    });

  return deliveries;
}
