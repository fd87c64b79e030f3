/**
 * `/api/calls`: call records, newest first, filtered and paginated; one call with its transcript;
 * an operator ending a call in progress.
 */
import { CALL_OUTCOMES } from '../../store/call-record';
import { InvalidCursorError, MAX_LIST_LIMIT } from '../../store/call-record-store';
import { ref, sendProblems, type ApiRoute } from './api-route';
import { DEFAULT_LIST_LIMIT, parseCallListQuery } from './call-query';

/** Longest call id looked up (tolk's ids are UUIDs). */
const MAX_CALL_ID_LENGTH = 128;

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
          res.json(page.nextCursor === undefined ? { calls: page.items } : { calls: page.items, nextCursor: page.nextCursor });
        } catch (err) {
          if (!(err instanceof InvalidCursorError)) throw err;
          sendProblems(res, 'invalid query', [{ path: ['cursor'], message: 'is not a cursor this API returned' }]);
        }
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
        if (call) res.json(call);
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
        409: { description: 'The call has ended already, or is not in progress on this instance', schema: ref('Error') },
        501: { description: 'This server cannot end calls', schema: ref('Error') },
      },
    },
    handler:
      ({ calls, hangUp, logger }) =>
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
          res.json(await calls.get(id));
          return;
        }
        const call = await calls.get(id);
        if (!call) res.status(404).json({ error: `call '${id}' not found` });
        else if (call.endedAt) res.status(409).json({ error: `call '${id}' has already ended (${call.outcome ?? 'unknown outcome'})` });
        else res.status(409).json({ error: `call '${id}' is not in progress on this tolk instance` });
      },
  },
];
