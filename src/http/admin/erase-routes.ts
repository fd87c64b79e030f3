/**
 * `POST /api/calls/erase`: an operator erases ended calls (before a time, or one caller's), or with
 * `dryRun` only hears what would go; `POST /api/calls/sweep`: the retention sweep (by TOLK_RETENTION_DAYS
 * where set), queued as a job at once. See retention/retention.ts.
 */
import { ERASE_FIELDS, parseEraseRequest } from '../../retention/erase-request';
import { MAX_ERASED_PER_REQUEST, MAX_ERASED_PER_SWEEP } from '../../retention/retention';
import { ref, sendProblems, withService, type ApiRoute } from './api-route';

const NO_RETENTION = 'this server cannot erase calls';

const count = { type: 'integer', minimum: 0 } as const;
const erasedCounts = { calls: count, deliveries: count, callerLanguages: count, more: { type: 'boolean' } } as const;

export const eraseRoutes: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/calls/erase',
    doc: {
      operationId: 'eraseCalls',
      summary: 'Erase ended calls: their records, transcripts and webhook deliveries',
      description:
        'Erases the calls that ended before `endedBefore` (default: now), and with `from` only that caller\'s (for a call tolk placed, the customer\'s), whose remembered languages are forgotten too. ' +
        `A call in progress is never erased. At most ${MAX_ERASED_PER_REQUEST} calls go per request; \`more\` says some are left (ask again). ` +
        "Of the webhook deliveries it erases only those of the calls it erases: one left without its call (recorded as its call was erased) is erased by the retention sweep (hourly, or `POST /api/calls/sweep`), with TOLK_RETENTION_DAYS or without. " +
        'With `dryRun: true` nothing is erased: the answer counts what the same request would erase now (within the same bound), and says `dryRun: true`.',
      requestBody: {
        description: `Which calls (${ERASE_FIELDS.join(' and/or ')}), and whether only to count them (dryRun)`,
        schema: {
          type: 'object',
          additionalProperties: false,
          properties: {
            endedBefore: { type: 'string', maxLength: 40, description: 'Calls that ended before this ISO 8601 date (2025-01-31, midnight UTC) or date-time with a zone (not in the future); default: now' },
            from: { type: 'string', maxLength: 64, description: "Only this caller's calls (E.164)" },
            dryRun: { type: 'boolean', description: 'true: erase nothing, answer what would be erased; default false' },
          },
        },
      },
      responses: {
        200: {
          description: 'What was erased (with dryRun: what would be, nothing having been erased)',
          schema: {
            type: 'object',
            required: ['calls', 'deliveries', 'callerLanguages', 'more'],
            additionalProperties: false,
            properties: {
              ...erasedCounts,
              deliveries: { ...count, description: "The webhook deliveries of the calls erased (deliveries left without their call are the retention sweep's)" },
              dryRun: { type: 'boolean', const: true, description: 'Present on a dry run: nothing was erased' },
            },
          },
        },
        400: { description: 'A bad field, or neither endedBefore nor from given', schema: ref('ValidationError') },
        501: { description: 'This server cannot erase calls', schema: ref('Error') },
      },
    },
    handler: ({ retention, logger }) =>
      withService(retention, NO_RETENTION, (retention) => async (req, res) => {
        const parsed = parseEraseRequest(req.body, new Date());
        if (!parsed.ok) {
          sendProblems(res, 'invalid request', parsed.problems);
          return;
        }
        const endedBefore = parsed.value.endedBefore.toISOString();
        const oneCaller = parsed.value.from !== undefined;
        if (parsed.dryRun) {
          const result = await retention.preview(parsed.value);
          logger?.info({ event: 'admin.calls_erase_dry_run', endedBefore, oneCaller, ...result }, `dry run of an erasure by the API: ${result.calls} calls would be erased, none was`);
          res.json({ ...result, dryRun: true });
          return;
        }
        const result = await retention.erase(parsed.value);
        // The caller's number is not logged: erasing it is the point.
        logger?.info({ event: 'admin.calls_erased', endedBefore, oneCaller, ...result }, `calls erased by the API: ${result.calls}`);
        res.json(result);
      }),
  },
  {
    method: 'post',
    path: '/calls/sweep',
    doc: {
      operationId: 'sweepCalls',
      summary: 'Start the retention sweep now, as a background job',
      description:
        'Queues at once the sweep the `retention` job runs every hour, by the cut-off of now: it erases the webhook deliveries left without their call (recorded as their call was erased) and, with TOLK_RETENTION_DAYS, the calls that ended more than that many days ago (with their transcripts, webhook deliveries and finished jobs) and forgets the callers whose language was last remembered before then. ' +
        'Without TOLK_RETENTION_DAYS it erases no call and forgets no language: the answer and the result have no `days` or `before`. ' +
        'The sweep runs in the `retention` queue (a server, or `tolk worker` with TOLK_WORKERS=off), not in this request, which answers 202 at once with the job to follow: `GET /api/jobs/retention/{id}` (also the `Location` header) shows its state and, once completed, its `result`: `{calls, deliveries, callerLanguages, more, days, before}`. ' +
        `At most ${MAX_ERASED_PER_SWEEP} calls go per sweep; \`more\` says some are left (the next sweep goes on). Logged as \`retention.swept\`, as the hourly one. ` +
        'A sweep running at the same time (the hourly one, another instance\'s) is no harm: each call is erased once, and each sweep counts what it erased itself. No body.',
      responses: {
        202: {
          description: 'Queued: the job that sweeps, and the cut-off it sweeps by (what ended, or was last remembered, before `before`; no `days` or `before` without TOLK_RETENTION_DAYS)',
          schema: {
            type: 'object',
            required: ['queue', 'id'],
            additionalProperties: false,
            properties: { queue: { const: 'retention' }, id: { type: 'string' }, days: { type: 'integer', minimum: 1 }, before: { type: 'string', format: 'date-time' } },
          },
        },
        501: { description: 'This server cannot erase calls', schema: ref('Error') },
      },
    },
    handler: ({ retention }) =>
      withService(retention, NO_RETENTION, (retention) => async (_req, res) => {
        // The job's sweep logs itself (retention.swept).
        const queued = await retention.queueSweep();
        res.status(202).location(`/api/jobs/${queued.queue}/${encodeURIComponent(queued.id)}`).json(queued);
      }),
  },
];
