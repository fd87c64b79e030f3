/** `POST /api/calls/erase`: an operator erases ended calls (before a time, or one caller's), see retention/retention.ts. */
import { ERASE_FIELDS, parseEraseRequest } from '../../retention/erase-request';
import { MAX_ERASED_PER_REQUEST } from '../../retention/retention';
import { ref, sendProblems, type ApiRoute } from './api-route';

const count = { type: 'integer', minimum: 0 } as const;

export const eraseRoutes: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/calls/erase',
    doc: {
      operationId: 'eraseCalls',
      summary: 'Erase ended calls: their records, transcripts and webhook deliveries',
      description:
        'Erases the calls that ended before `endedBefore` (default: now), and with `from` only that caller\'s (for a call tolk placed, the customer\'s), whose remembered languages are forgotten too. ' +
        `A call in progress is never erased. At most ${MAX_ERASED_PER_REQUEST} calls go per request; \`more\` says some are left (ask again).`,
      requestBody: {
        description: `Which calls (${ERASE_FIELDS.join(' and/or ')})`,
        schema: {
          type: 'object',
          additionalProperties: false,
          properties: {
            endedBefore: { type: 'string', maxLength: 40, description: 'Calls that ended before this ISO 8601 date (2025-01-31, midnight UTC) or date-time with a zone (not in the future); default: now' },
            from: { type: 'string', maxLength: 64, description: "Only this caller's calls (E.164)" },
          },
        },
      },
      responses: {
        200: {
          description: 'What was erased',
          schema: {
            type: 'object',
            required: ['calls', 'deliveries', 'callerLanguages', 'more'],
            additionalProperties: false,
            properties: { calls: count, deliveries: count, callerLanguages: count, more: { type: 'boolean' } },
          },
        },
        400: { description: 'A bad field, or neither field given', schema: ref('ValidationError') },
        501: { description: 'This server cannot erase calls', schema: ref('Error') },
      },
    },
    handler:
      ({ retention, logger }) =>
      async (req, res) => {
        if (!retention) {
          res.status(501).json({ error: 'this server cannot erase calls' });
          return;
        }
        const parsed = parseEraseRequest(req.body, new Date());
        if (!parsed.ok) {
          sendProblems(res, 'invalid request', parsed.problems);
          return;
        }
        const result = await retention.erase(parsed.value);
        // The caller's number is not logged: erasing it is the point.
        logger?.info({ event: 'admin.calls_erased', endedBefore: parsed.value.endedBefore.toISOString(), oneCaller: parsed.value.from !== undefined, ...result }, `calls erased by the API: ${result.calls}`);
        res.json(result);
      },
  },
];
