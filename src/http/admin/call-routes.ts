/**
 * `/api/calls`: call records, newest first, filtered and paginated; one call with its transcript;
 * an operator ending a call in progress; calls tolk places, now or at a time, and cancelling one
 * that has not started.
 */
import { CALL_STATES } from '../../call/call-state';
import { MAX_RETRIES, MAX_RETRY_AFTER_SEC, MAX_SCHEDULE_DAYS, MIN_RETRY_AFTER_SEC, DEFAULT_RETRY_AFTER_SEC, parseOutboundRequest } from '../../outbound/request';
import { connectedMs, type ConnectedTimes } from '../../shared/call-duration';
import { CALL_OUTCOMES } from '../../store/call-record';
import { InvalidCursorError, MAX_CALL_ID_LENGTH, MAX_LIST_LIMIT } from '../../store/call-record-store';
import { ref, sendProblems, withService, type ApiRoute } from './api-route';
import { DEFAULT_LIST_LIMIT, parseCallListQuery } from './call-query';

const NO_OUTBOUND = 'this server cannot place calls';

/** The body of `POST /api/calls`, for the OpenAPI document. */
export const OUTBOUND_CALL_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['line', 'to'],
  properties: {
    line: { type: 'string', description: 'The tolk number the call is placed from (E.164); its settings supply what the request leaves out', maxLength: 64 },
    to: { type: 'string', description: 'The customer tolk calls (E.164)', maxLength: 64 },
    destination: { type: 'string', description: "Who tolk dials once the customer answers (E.164, sip: or client:); default: the number's", maxLength: 256 },
    callerLanguage: { type: 'string', description: "The customer's language, or `auto`; default: the number's callerLanguage", maxLength: 35 },
    agentLanguage: { type: 'string', description: "The other party's language; default: the number's agentLanguage", maxLength: 35 },
    at: { type: 'string', format: 'date-time', description: `When to place the call (ISO 8601 with a zone, in the future, at most ${MAX_SCHEDULE_DAYS} days ahead); absent: now` },
    retries: { type: 'integer', minimum: 0, maximum: MAX_RETRIES, default: 0, description: 'Further attempts when the customer is busy, does not answer or cannot be reached' },
    retryAfterSec: { type: 'integer', minimum: MIN_RETRY_AFTER_SEC, maximum: MAX_RETRY_AFTER_SEC, default: DEFAULT_RETRY_AFTER_SEC, description: 'Seconds between an attempt that failed and the next' },
  },
} as const;

/** A call as the API answers with it: its record, with `durationMs` once it ended having been answered. */
export function withDuration<C extends ConnectedTimes>(call: C): C & { durationMs?: number } {
  const durationMs = connectedMs(call);
  return durationMs === undefined ? call : { ...call, durationMs };
}

export const callRoutes: readonly ApiRoute[] = [
  {
    method: 'get',
    path: '/calls',
    doc: {
      operationId: 'listCalls',
      summary: 'Call records, newest first, without transcripts',
      description: 'Pass `nextCursor` of a page as `cursor` to get the next page; the last page has no `nextCursor`.',
      query: [
        { name: 'number', description: 'Only calls to this tolk number (E.164)', schema: { type: 'string' } },
        { name: 'from', description: 'Only calls started at or after this ISO 8601 date or date-time', schema: { type: 'string', format: 'date-time' } },
        { name: 'to', description: 'Only calls started before this ISO 8601 date or date-time', schema: { type: 'string', format: 'date-time' } },
        { name: 'outcome', description: 'Only calls that ended this way', schema: { type: 'string', enum: [...CALL_OUTCOMES] } },
        { name: 'state', description: 'Only calls in this state (`scheduled`: calls tolk will place later)', schema: { type: 'string', enum: [...CALL_STATES] } },
        {
          name: 'idPrefix',
          description: 'Only calls whose id starts with this, in any case (ids are lowercase): finds a call by the first characters of its id (`tolk calls show` does)',
          schema: { type: 'string', minLength: 1, maxLength: MAX_CALL_ID_LENGTH, pattern: '^[\\x21-\\x7e]+$' },
        },
        { name: 'limit', description: 'Page size', schema: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT } },
        { name: 'cursor', description: '`nextCursor` of the previous page', schema: { type: 'string' } },
      ],
      responses: {
        200: { description: 'One page of calls', schema: ref('CallListPage') },
        400: { description: 'A bad parameter, one problem per parameter', schema: ref('ValidationError') },
      },
    },
    handler:
      ({ calls }) =>
      async (req, res) => {
        const parsed = parseCallListQuery(req.query);
        if (!parsed.ok) {
          sendProblems(res, 'invalid query', parsed.problems);
          return;
        }
        try {
          const page = await calls.list(parsed.value);
          const listed = page.items.map(withDuration);
          res.json(page.nextCursor === undefined ? { calls: listed } : { calls: listed, nextCursor: page.nextCursor });
        } catch (err) {
          if (!(err instanceof InvalidCursorError)) throw err;
          sendProblems(res, 'invalid query', [{ path: ['cursor'], message: 'is not a cursor this API returned' }]);
        }
      },
  },
  {
    method: 'post',
    path: '/calls',
    doc: {
      operationId: 'placeCall',
      summary: 'Place an interpreted call: tolk calls the customer from one of its numbers, now or at a time, then the other party',
      description:
        "The customer `to` is called from the tolk number `line`, whose settings supply the destination and languages the request leaves out. Once they answer they hear a short greeting in their language saying the call is interpreted (the number's `greeting`, or tolk's own), then the other party is dialled and the call is interpreted as a call to the number would be (direct or conference mode). " +
        `With \`at\` (a time at most ${MAX_SCHEDULE_DAYS} days ahead) the call is scheduled; it survives restarts and can be canceled until it starts. Busy, no answer and failure are the call's outcome unless \`retries\` asks for more attempts.`,
      requestBody: { description: 'The call to place', schema: ref('OutboundCallRequest') },
      responses: {
        202: { description: 'The call, accepted: state `scheduled` until it starts (at once without `at`)', schema: ref('CallRecord') },
        400: { description: 'A bad field (unknown line, not an E.164 number, a time passed or too far ahead, a bound exceeded), one problem per field', schema: ref('ValidationError') },
        501: { description: 'This server cannot place calls', schema: ref('Error') },
      },
    },
    handler: ({ outbound, logger }) =>
      withService(outbound, NO_OUTBOUND, (outbound) => async (req, res) => {
        const parsed = parseOutboundRequest(req.body, new Date());
        if (!parsed.ok) {
          sendProblems(res, 'invalid call', parsed.problems);
          return;
        }
        const placed = await outbound.place(parsed.value);
        if (!placed.ok) {
          sendProblems(res, 'invalid call', placed.problems);
          return;
        }
        logger?.info({ event: 'admin.call_placed', callId: placed.call.id, number: placed.call.number }, 'call placed by the API');
        res.status(202).json(withDuration(placed.call));
      }),
  },
  {
    method: 'delete',
    path: '/calls/:id',
    doc: {
      operationId: 'cancelCall',
      summary: 'Cancel a call tolk was to place, before it starts: it never dials',
      description: 'The call is recorded as ended with outcome `canceled`.',
      pathParameters: { id: { description: "tolk's call id" } },
      responses: {
        200: { description: 'The call, canceled', schema: ref('CallRecordWithTranscript') },
        400: { description: 'The id is too long to be a call id', schema: ref('ValidationError') },
        404: { description: 'No such call', schema: ref('Error') },
        409: { description: 'The call has started or ended, or is not one tolk places', schema: ref('Error') },
        501: { description: 'This server cannot place calls', schema: ref('Error') },
      },
    },
    handler:
      ({ outbound, logger }) =>
      async (req, res) => {
        const id = String(req.params.id);
        if (id.length > MAX_CALL_ID_LENGTH) {
          sendProblems(res, 'invalid call id', [{ path: ['id'], message: `must be at most ${MAX_CALL_ID_LENGTH} characters` }]);
          return;
        }
        // After the id check: a bad id is a 400 whether or not this server places calls.
        if (!outbound) {
          res.status(501).json({ error: NO_OUTBOUND });
          return;
        }
        const result = await outbound.cancel(id);
        if (!result.ok) {
          res.status(result.status).json({ error: result.error });
          return;
        }
        logger?.info({ event: 'admin.call_cancelled', callId: id }, 'scheduled call cancelled by the API');
        res.json(withDuration(result.call));
      },
  },
  {
    method: 'get',
    path: '/calls/:id',
    doc: {
      operationId: 'getCall',
      summary: "A call's record, state and transcript",
      pathParameters: { id: { description: "tolk's call id" } },
      responses: {
        200: { description: 'The call', schema: ref('CallRecordWithTranscript') },
        400: { description: 'The id is too long to be a call id', schema: ref('ValidationError') },
        404: { description: 'No such call', schema: ref('Error') },
      },
    },
    handler:
      ({ calls }) =>
      async (req, res) => {
        const id = String(req.params.id);
        if (id.length > MAX_CALL_ID_LENGTH) {
          sendProblems(res, 'invalid call id', [{ path: ['id'], message: `must be at most ${MAX_CALL_ID_LENGTH} characters` }]);
          return;
        }
        const call = await calls.get(id);
        if (call) res.json(withDuration(call));
        else res.status(404).json({ error: `call '${id}' not found` });
      },
  },
  {
    method: 'post',
    path: '/calls/:id/hangup',
    doc: {
      operationId: 'hangUpCall',
      summary: 'End a call in progress: both legs are hung up, and the call is recorded as ended by the operator',
      description: 'Answers once the call has ended, with its record (outcome `hungup_by_operator`).',
      pathParameters: { id: { description: "tolk's call id" } },
      responses: {
        200: { description: 'The call, ended', schema: ref('CallRecordWithTranscript') },
        400: { description: 'The id is too long to be a call id', schema: ref('ValidationError') },
        404: { description: 'No such call', schema: ref('Error') },
        409: { description: 'The call has ended already, or no instance that is up serves it', schema: ref('Error') },
        501: { description: 'This server cannot end calls', schema: ref('Error') },
      },
    },
    handler:
      ({ calls, hangUp, logger, passOn }) =>
      async (req, res) => {
        const id = String(req.params.id);
        if (id.length > MAX_CALL_ID_LENGTH) {
          sendProblems(res, 'invalid call id', [{ path: ['id'], message: `must be at most ${MAX_CALL_ID_LENGTH} characters` }]);
          return;
        }
        if (!hangUp) {
          res.status(501).json({ error: 'this server cannot end calls' });
          return;
        }
        if (await hangUp(id)) {
          logger?.info({ event: 'admin.call_hangup', callId: id }, 'call ended by the operator');
          const ended = await calls.get(id);
          res.json(ended && withDuration(ended));
          return;
        }
        // Another instance serves it: that one hangs it up.
        if (await passOn?.({ call: id }, req, res)) return;
        const call = await calls.get(id);
        if (!call) res.status(404).json({ error: `call '${id}' not found` });
        else if (call.endedAt) res.status(409).json({ error: `call '${id}' has already ended (${call.outcome ?? 'unknown outcome'})` });
        else res.status(409).json({ error: `call '${id}' is not in progress on any tolk instance that is up` });
      },
  },
];
