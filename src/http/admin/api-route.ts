/**
 * One admin API route: its method and path, the handler, and its OpenAPI operation. Routes and
 * their documentation live in the same object, so the router and `/api/openapi.json` come from one
 * list and cannot drift apart.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { JobQueues } from '../../jobs/queue';
import type { DeliveryService } from '../../webhooks/deliveries';
import type { CallRecordStore } from '../../store/call-record-store';
import type { NumberStore } from '../../config/number-store';
import type { FieldProblem } from '../../config/numbers-schema';
import type { TranslateTokenMinter } from '../../translate/ephemeral-token';
import type { LiveFeed } from '../../live/live-feed';
import type { Logger } from '../../log/logger';
import type { CallService } from '../../call/call-service';
import type { OutboundCalls } from '../../outbound/outbound-calls';
import type { Retention } from '../../retention/retention';

export interface AdminApiDeps {
  calls: CallRecordStore;
  /** Read on every request (nothing is cached), so a change applies to the next call. */
  numbers: NumberStore;
  /** ADMIN_TOKEN; when unset every /api request but the OpenAPI document is answered 503. */
  adminToken: string | undefined;
  /** Mints ephemeral Gemini Live tokens (`POST /api/tokens`); absent: 501. */
  tokens?: TranslateTokenMinter;
  /** Webhook deliveries (`/api/deliveries`); absent: 501. */
  deliveries?: DeliveryService;
  /** The background job queues (`GET /api/jobs`); absent: 501. */
  jobs?: JobQueues;
  /** Replaces the bearer check (the composition root adds console sessions to it); default bearerAuth(adminToken). */
  authenticate?: RequestHandler;
  /** Ends a call in progress (`POST /api/calls/{id}/hangup`); false when it is not in progress here. Absent: 501. */
  hangUp?: (callId: string) => Promise<boolean>;
  /** Erasing ended calls (`POST /api/calls/erase`, its dry run), queueing a sweep (`POST /api/calls/sweep`); absent: 501. */
  retention?: Pick<Retention, 'erase' | 'preview' | 'queueSweep'>;
  /** Calls tolk places (`POST /api/calls`, `DELETE /api/calls/{id}`); absent: 501. */
  outbound?: Pick<OutboundCalls, 'place' | 'cancel'>;
  /** The calls in progress, streamed by `GET /api/live/events`; absent: 501. */
  live?: LiveFeed;
  /**
   * For a request that stays open (the live stream): a check, repeated while it lasts, that what
   * admitted it still holds (a console session can end). Default: always.
   */
  stillAuthorized?: (req: Request) => () => boolean;
  logger?: Logger;
  /** Whether this server can interpret conferences (TWILIO_TWIML_APP_SID is set): a number is put in conference mode only then. Default true. */
  conferencesConfigured?: boolean;
  /** Conference interpreting (`/api/conferences/...`); absent: 501. */
  interpreters?: Pick<CallService, 'joinConference' | 'conferenceInterpreter' | 'leaveConference'>;
  /**
   * Several instances: passes a request about a call or conference another instance serves on to
   * it, and resolves true once it has answered; false when no other instance serves it.
   */
  passOn?: (subject: { call: string } | { conference: string }, req: Request, res: Response) => Promise<boolean>;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it); `$ref`s point into `components.schemas`. */
export type JsonSchema = Record<string, unknown>;

export interface QueryParameterDoc {
  name: string;
  description: string;
  schema: JsonSchema;
}

export interface ResponseDoc {
  description: string;
  /** Schema of the body; absent for bodiless responses (204). */
  schema?: JsonSchema;
  /** Default application/json. */
  contentType?: string;
}

export interface OperationDoc {
  operationId: string;
  summary: string;
  description?: string;
  /** Description of each `:name` segment of the path (every one must be described). */
  pathParameters?: Record<string, { description: string; schema?: JsonSchema }>;
  query?: QueryParameterDoc[];
  requestBody?: { description: string; schema: JsonSchema };
  /** Responses specific to the route; 401, 503 and 500 are added for authenticated routes. */
  responses: Record<string, ResponseDoc>;
}

export interface ApiRoute {
  method: HttpMethod;
  /** Express path relative to `/api`, e.g. `/numbers/:number`. */
  path: string;
  /** False for routes served without the bearer token. Default true. */
  auth?: boolean;
  doc: OperationDoc;
  handler(deps: AdminApiDeps): RequestHandler;
}

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** Answers 400 with one message per field. */
export function sendProblems(res: Response, error: string, problems: FieldProblem[]): void {
  res.status(400).json({ error, problems });
}

/**
 * The handler of a route that needs a service the deployment may lack: while `service` is absent
 * every request is answered 501 with `error`.
 */
export function withService<T>(service: T | undefined, error: string, handler: (service: T) => RequestHandler): RequestHandler {
  if (service === undefined) {
    return (_req, res) => {
      res.status(501).json({ error });
    };
  }
  return handler(service);
}
