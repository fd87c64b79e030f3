/**
 * The OpenAPI 3.1 document of the admin API, built from the same route list the router is built
 * from. The number settings schema is derived from the zod schema that validates them.
 */
import { z } from 'zod';
import { E164_PATTERN } from '../../config/numbers';
import { numberSettingsSchema } from '../../config/numbers-schema';
import { CALL_OUTCOMES, LEG_ROLES } from '../../store/call-record';
import { ref, type ApiRoute, type JsonSchema, type ResponseDoc } from './api-route';
import { OUTBOUND_CALL_REQUEST_SCHEMA } from './call-routes';

export const OPENAPI_PATH = '/openapi.json';

/** `/numbers/:number` -> `/numbers/{number}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}

/**
 * The settings object from the zod schema. Only the settings without a default are required, in
 * both directions: a stored number may predate a setting added later.
 */
function settingsSchema(): JsonSchema {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(numberSettingsSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  const properties = { ...(schema.properties as Record<string, JsonSchema>) };
  properties.number = { type: 'string', pattern: E164_PATTERN.source, description: 'The tolk number callers dial (E.164)', examples: ['+15550001111'] };
  return { ...schema, properties };
}

const string = { type: 'string' };
const dateTime = { type: 'string', format: 'date-time' };

function componentSchemas(): Record<string, JsonSchema> {
  const input = settingsSchema();
  return {
    NumberSettings: input,
    NumberSettingsInput: { ...input, required: (input.required as string[]).filter((k) => k !== 'number') },
    Language: { type: 'object', required: ['code', 'name'], additionalProperties: false, properties: { code: string, name: string } },
    Error: { type: 'object', required: ['error'], properties: { error: string } },
    Delivery: {
      type: 'object',
      required: ['id', 'callId', 'event', 'url', 'status', 'attempts', 'retryUntil', 'createdAt', 'updatedAt'],
      properties: {
        id: string,
        callId: string,
        event: { ...string, description: 'What happened: call.ended' },
        url: string,
        status: { enum: ['pending', 'delivered', 'failed'] },
        attempts: { type: 'integer' },
        nextAttemptAt: { ...dateTime, description: 'While pending: when it is tried next' },
        retryUntil: { ...dateTime, description: 'No retry is scheduled after this' },
        lastStatus: { type: 'integer', description: "The receiver's HTTP status at the last attempt" },
        lastError: { ...string, description: 'Why the last attempt failed' },
        createdAt: dateTime,
        updatedAt: dateTime,
        deliveredAt: dateTime,
        payload: { type: 'object', description: 'The JSON body sent (GET /api/deliveries/{id} only)' },
      },
    },
    JobList: {
      type: 'object',
      required: ['backend', 'queues', 'jobs'],
      properties: {
        backend: { enum: ['redis', 'in-process'] },
        queues: {
          type: 'array',
          items: {
            type: 'object',
            required: ['queue', 'waiting', 'delayed', 'active', 'completed', 'failed', 'oldestWaitingMs'],
            properties: {
              queue: string,
              waiting: { type: 'integer' },
              delayed: { type: 'integer' },
              active: { type: 'integer' },
              completed: { type: 'integer' },
              failed: { type: 'integer' },
              oldestWaitingMs: { type: 'integer', description: 'Age of the oldest job that is due and not yet started' },
            },
          },
        },
        jobs: { type: 'array', items: ref('Job') },
      },
    },
    Job: {
      type: 'object',
      required: ['queue', 'id', 'state', 'data', 'attemptsMade', 'attempts', 'createdAt'],
      properties: {
        queue: string,
        id: { ...string, description: 'What the job does, e.g. dial.<call id>.agent' },
        state: { enum: ['waiting', 'delayed', 'active', 'completed', 'failed'] },
        data: { type: 'object' },
        attemptsMade: { type: 'integer' },
        attempts: { type: 'integer' },
        createdAt: dateTime,
        runAt: dateTime,
        finishedAt: dateTime,
        failedReason: string,
        result: { description: 'What a completed job returned, where it returned something (a sweep: what it erased, as POST /api/calls/sweep once answered)' },
      },
    },
    ValidationError: {
      type: 'object',
      required: ['error', 'problems'],
      properties: {
        error: string,
        problems: {
          type: 'array',
          items: {
            type: 'object',
            required: ['path', 'message'],
            additionalProperties: false,
            properties: { path: { type: 'array', items: { type: ['string', 'integer'] } }, message: string },
          },
        },
      },
    },
    CallLeg: {
      type: 'object',
      required: ['role', 'callSid', 'language'],
      additionalProperties: false,
      properties: {
        role: { enum: [...LEG_ROLES] },
        callSid: string,
        streamSid: string,
        language: string,
        languageSource: {
          type: 'string',
          description:
            "How the language became known, where it was not given. A conference's: detected (heard while another party's language was in doubt too, so it may be theirs), deduced (heard while every other party's was known) or spoken (heard in two lines in a row Twilio's speech reports put down to them, e.g. a supervisor who speaks the agent's language)",
        },
        dialledAt: { type: 'string', format: 'date-time', description: 'When tolk dialled the leg, while nobody has joined on it (it rings, or rang unanswered)' },
      },
    },
    CallRecord: {
      type: 'object',
      required: ['id', 'number', 'from', 'destination', 'legs', 'languages', 'state', 'startedAt'],
      properties: {
        id: string,
        number: string,
        from: string,
        destination: string,
        legs: { type: 'array', items: ref('CallLeg') },
        languages: { type: 'object', required: ['caller', 'agent'], properties: { caller: string, agent: string } },
        kind: { enum: ['conference'], description: 'Present for a conference' },
        conference: string,
        state: { type: 'string', description: 'The call\'s state: scheduled, calling (a call tolk places), answered, dialing, ringing, connecting, bridged, ended' },
        outcome: { enum: [...CALL_OUTCOMES] },
        outbound: ref('OutboundPlan'),
        endReason: { type: 'string', description: 'Why the call ended, in a few words' },
        instance: { type: 'string', description: 'The tolk instance serving the call while it is live (TOLK_INSTANCE_ID)' },
        moves: {
          type: 'array',
          description: 'Each time the live call moved to another instance (a rolling deploy), in order',
          items: { type: 'object', required: ['from', 'to', 'at'], properties: { from: string, to: string, at: dateTime } },
        },
        interpretationFailure: {
          type: 'object',
          description: "Present when the call's interpretation failed for good (the call went on uninterpreted, its parties hearing a notice): the first translation session's failure kind (auth, quota, model, invalid_argument, retries_exhausted, setup_timeout, unknown) and in plain words, with the setting to check (e.g. 'Gemini refused the API key: check GEMINI_API_KEY')",
          required: ['kind', 'message'],
          properties: { kind: string, message: string },
        },
        startedAt: dateTime,
        answeredAt: { ...dateTime, description: 'When the call was answered: the other party answered and the two were joined (a conference: both parties were in it, interpreted or not)' },
        endedAt: dateTime,
        durationMs: {
          type: 'integer',
          minimum: 0,
          description:
            'How long the call was connected, as a bill counts it: `answeredAt` to `endedAt`, the same as the webhook\'s `durationMs`. Absent for a call never answered (busy, unanswered, canceled, never placed) and for a call still going',
        },
      },
    },
    OutboundCallRequest: OUTBOUND_CALL_REQUEST_SCHEMA,
    OutboundPlan: {
      type: 'object',
      description: 'Present for a call tolk places: `from` is the customer it calls',
      required: ['dueAt', 'attempts', 'retries', 'retryAfterSec'],
      additionalProperties: false,
      properties: {
        at: { ...dateTime, description: 'The time asked for (a scheduled call)' },
        dueAt: { ...dateTime, description: 'When the next attempt is due' },
        attempts: { type: 'integer', minimum: 0, description: 'Attempts started so far' },
        retries: { type: 'integer', minimum: 0 },
        retryAfterSec: { type: 'integer' },
        callerLanguage: { type: 'string', description: "The customer's language as the call asked for it" },
      },
    },
    Utterance: {
      type: 'object',
      required: ['direction', 'source', 'translation', 'startMs', 'endMs'],
      additionalProperties: false,
      properties: {
        direction: { type: 'string', examples: ['caller->agent', 'agent->caller', 'to:en'] },
        speaker: {
          type: 'object',
          description: 'Who spoke it: the role and call SID of their leg. Absent where tolk cannot tell (in a conference: unless one party there alone can have said it)',
          required: ['role', 'callSid'],
          additionalProperties: false,
          properties: { role: { enum: [...LEG_ROLES] }, callSid: { type: 'string' } },
        },
        source: ref('TranscriptText'),
        translation: ref('TranscriptText'),
        startMs: { type: 'number' },
        endMs: { type: 'number' },
        latencyMs: { type: 'number', description: 'From the end of the speech to the first translated audio the listener heard (0 when it started during the speech), when measured' },
        lagMs: { type: 'number', description: 'From the start of the speech to the start of its translation heard (how far the listener was behind the speaker), when measured' },
      },
    },
    TranscriptText: { type: 'object', required: ['text', 'languageCode'], additionalProperties: false, properties: { text: string, languageCode: string } },
    CallRecordWithTranscript: {
      allOf: [
        ref('CallRecord'),
        {
          type: 'object',
          required: ['transcript', 'droppedUtterances'],
          properties: { transcript: { type: 'array', items: ref('Utterance') }, droppedUtterances: { type: 'integer', minimum: 0 } },
        },
      ],
    },
    CallListPage: {
      type: 'object',
      required: ['calls'],
      additionalProperties: false,
      properties: { calls: { type: 'array', items: ref('CallRecord') }, nextCursor: string },
    },
  };
}

const AUTH_RESPONSES = {
  401: { description: 'Missing or wrong bearer token', schema: ref('Error') },
  503: { description: 'The admin API is disabled (ADMIN_TOKEN is not set)', schema: ref('Error') },
};

/** What a route that reads a JSON body may answer besides its own (see createAdminRouter). */
const BODY_RESPONSES = {
  413: { description: 'The body is over 100 kB', schema: ref('Error') },
  415: { description: 'A body sent as something else than JSON (Content-Type: application/json, UTF-8)', schema: ref('Error') },
};

function operation(route: ApiRoute): Record<string, unknown> {
  const { doc } = route;
  const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
  const parameters: Record<string, unknown>[] = names.map((name) => {
    const p = doc.pathParameters?.[name];
    if (!p) throw new Error(`${route.method.toUpperCase()} ${route.path}: path parameter '${name}' is not documented`);
    return { name, in: 'path', required: true, description: p.description, schema: p.schema ?? string };
  });
  for (const q of doc.query ?? []) parameters.push({ name: q.name, in: 'query', required: false, description: q.description, schema: q.schema });
  const auth = route.auth !== false;
  const responses = {
    ...(doc.requestBody ? BODY_RESPONSES : {}),
    ...doc.responses,
    ...(auth ? AUTH_RESPONSES : {}),
    500: { description: 'tolk failed (details are in its log)', schema: ref('Error') },
  };
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(auth ? {} : { security: [] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc.requestBody
      ? { requestBody: { required: true, description: doc.requestBody.description, content: { 'application/json': { schema: doc.requestBody.schema } } } }
      : {}),
    responses: Object.fromEntries(
      Object.entries(responses).map(([status, r]) => [
        status,
        { description: r.description, ...(r.schema ? { content: { [(r as ResponseDoc).contentType ?? 'application/json']: { schema: r.schema } } } : {}) },
      ]),
    ),
  };
}

/** The OpenAPI 3.1 document for `routes`, mounted under `/api`. */
export function buildOpenApiDocument(routes: readonly ApiRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `/api${openApiPath(route.path)}`;
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tolk admin API',
      version: '1',
      description: 'Manage the numbers tolk serves and read call records and transcripts. Every route but this document needs `Authorization: Bearer <ADMIN_TOKEN>`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }],
    paths,
    components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } }, schemas: componentSchemas() },
  };
}

/** `GET /api/openapi.json`, served without a token; the document is built once, on first request. */
export function openApiRoute(routes: () => readonly ApiRoute[]): ApiRoute {
  let document: Record<string, unknown> | undefined;
  return {
    method: 'get',
    path: OPENAPI_PATH,
    auth: false,
    doc: {
      operationId: 'getOpenApiDocument',
      summary: 'This document (no token needed)',
      responses: { 200: { description: 'The OpenAPI 3.1 document', schema: { type: 'object', required: ['openapi', 'paths'] } } },
    },
    handler: () => (_req, res) => {
      document ??= buildOpenApiDocument(routes());
      res.json(document);
    },
  };
}
