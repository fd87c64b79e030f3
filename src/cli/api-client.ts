/**
 * A small client of tolk's admin API for the CLI: one method per route, JSON in and out, and
 * failures turned into `CliError`s with the right exit code (1: tolk refused, 2: tolk found the
 * request invalid, 3: unreachable).
 */
import type { NumberSettings } from '../config/numbers';
import type { FieldProblem } from '../config/numbers-schema';
import type { SupportedLanguage } from '../translate/languages';
import type { CallJson, CallWithTranscriptJson } from '../shared/call-json';
import { CliError, EXIT_FAILURE, EXIT_UNREACHABLE, EXIT_USAGE, usageError } from './errors';

export type { CallJson, CallLegJson, CallWithTranscriptJson, UtteranceJson } from '../shared/call-json';

/** What `tolk calls place` asks for (`POST /api/calls`). */
export interface PlaceCallJson {
  line: string;
  to: string;
  destination?: string;
  callerLanguage?: string;
  agentLanguage?: string;
  at?: string;
  retries?: number;
  retryAfterSec?: number;
}

export interface CallPageJson {
  calls: CallJson[];
  nextCursor?: string;
}

/** What `/api/conferences/{conference}/interpreter` answers. */
export interface InterpreterJson {
  callId: string;
  conference: string;
  /** joining until the first interpreter leg is connected, then live, then ended. */
  state: string;
  mode: string;
  requestedMode: string;
  fallback?: string;
  participants: { callSid: string; language?: string; role?: string }[];
  sessions: { language: string; state: string }[];
  latencyMs: Record<string, number>;
  lagMs: Record<string, number>;
  /** The interpreter's own legs in the conference; whisperTo: the call SID of the party a coaching leg speaks to. */
  legs: { endpoint: string; callSid?: string; whisperTo?: string; state: string }[];
}

/** What `POST /api/calls/erase` erased (dryRun: would erase); `more`: calls matching were left for another request. */
export interface EraseResultJson {
  calls: number;
  deliveries: number;
  callerLanguages: number;
  more: boolean;
  /** Present on a dry run: nothing was erased. */
  dryRun?: true;
}

/**
 * What a sweep erased (its job's result): what ended (or was last remembered) before `before`, `days`
 * ago; neither without TOLK_RETENTION_DAYS (only webhook deliveries left without their call went).
 */
export interface SweepResultJson extends EraseResultJson {
  days?: number;
  before?: string;
}

/** `POST /api/calls/sweep`'s answer: the job that sweeps, and by which cut-off (none without TOLK_RETENTION_DAYS). */
export interface QueuedSweepJson {
  queue: string;
  id: string;
  days?: number;
  before?: string;
}

export interface CallListParams {
  number?: string;
  from?: string;
  to?: string;
  outcome?: string;
  state?: string;
  /** Only calls whose id starts with this. */
  idPrefix?: string;
  limit?: number;
  cursor?: string;
}

export interface JobListJson {
  backend: 'redis' | 'in-process';
  queues: { queue: string; waiting: number; delayed: number; active: number; completed: number; failed: number; oldestWaitingMs: number }[];
  jobs: JobJson[];
}

export interface JobJson {
  queue: string;
  id: string;
  state: string;
  attemptsMade: number;
  attempts: number;
  createdAt: string;
  runAt?: string;
  finishedAt?: string;
  failedReason?: string;
  /** What a completed job returned. */
  result?: unknown;
}

export interface DeliveryJson {
  id: string;
  callId: string;
  event: string;
  url: string;
  status: string;
  attempts: number;
  nextAttemptAt?: string;
  retryUntil: string;
  lastStatus?: number;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
  deliveredAt?: string;
}

export interface AdminClientOptions {
  /** Base URL of the tolk deployment (`http://127.0.0.1:8080`). */
  url: string;
  /** ADMIN_TOKEN; without it tolk answers 401. */
  token: string | undefined;
  /** Per-request time limit. Default 15 s. */
  timeoutMs?: number;
}

interface ErrorBody {
  error?: unknown;
  problems?: unknown;
}

const enc = encodeURIComponent;

export class AdminClient {
  private readonly base: URL;

  constructor(private readonly opts: AdminClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.url);
    } catch {
      throw usageError(`'${opts.url}' is not a URL (expected e.g. http://127.0.0.1:8080)`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw usageError(`'${opts.url}' is not an http(s) URL`);
    this.base = new URL(base.href.endsWith('/') ? base.href : `${base.href}/`);
  }

  listNumbers(): Promise<{ numbers: NumberSettings[] }> {
    return this.request('GET', 'api/numbers');
  }

  /** The settings, or undefined when tolk does not serve the number. */
  async getNumber(number: string): Promise<NumberSettings | undefined> {
    try {
      return await this.request<NumberSettings>('GET', `api/numbers/${enc(number)}`);
    } catch (err) {
      if (err instanceof CliError && err.status === 404) return undefined;
      throw err;
    }
  }

  async putNumber(number: string, settings: object): Promise<{ settings: NumberSettings; created: boolean }> {
    const { body, status } = await this.send<NumberSettings>('PUT', `api/numbers/${enc(number)}`, settings);
    return { settings: body, created: status === 201 };
  }

  async removeNumber(number: string): Promise<void> {
    await this.send('DELETE', `api/numbers/${enc(number)}`);
  }

  async forgetCallerLanguage(number: string, caller: string): Promise<void> {
    await this.send('DELETE', `api/numbers/${enc(number)}/callers/${enc(caller)}/language`);
  }

  listLanguages(): Promise<{ languages: SupportedLanguage[] }> {
    return this.request('GET', 'api/languages');
  }

  listCalls(params: CallListParams): Promise<CallPageJson> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
    const qs = query.toString();
    return this.request('GET', `api/calls${qs ? `?${qs}` : ''}`);
  }

  getCall(id: string): Promise<CallWithTranscriptJson> {
    return this.request('GET', `api/calls/${enc(id)}`);
  }

  /** Ends a call in progress; resolves with its record once it has ended. */
  hangUpCall(id: string): Promise<CallWithTranscriptJson> {
    return this.request('POST', `api/calls/${enc(id)}/hangup`);
  }

  /** Places a call now or at a time; resolves with its record (state scheduled). */
  placeCall(body: PlaceCallJson): Promise<CallJson> {
    return this.request('POST', 'api/calls', body);
  }

  /** Cancels a call that has not started; resolves with its record (outcome canceled). */
  cancelCall(id: string): Promise<CallWithTranscriptJson> {
    return this.request('DELETE', `api/calls/${enc(id)}`);
  }

  /** Erases ended calls (before a time, or one caller's); resolves with what was erased (dryRun: what would be). */
  eraseCalls(body: { endedBefore?: string; from?: string; dryRun?: boolean }): Promise<EraseResultJson> {
    return this.request('POST', 'api/calls/erase', body);
  }

  /** Queues the retention sweep now; resolves with its job (follow it with `getJob`). */
  sweepCalls(): Promise<QueuedSweepJson> {
    return this.request('POST', 'api/calls/sweep');
  }

  /** One job, with its result once it completed; undefined when the queue has no such job. */
  async getJob(queue: string, id: string): Promise<JobJson | undefined> {
    try {
      return await this.request<JobJson>('GET', `api/jobs/${enc(queue)}/${enc(id)}`);
    } catch (err) {
      if (err instanceof CliError && err.status === 404) return undefined;
      throw err;
    }
  }

  joinConference(conference: string, body: object): Promise<InterpreterJson> {
    return this.request('POST', `api/conferences/${enc(conference)}/interpreter`, body);
  }

  showConference(conference: string): Promise<InterpreterJson> {
    return this.request('GET', `api/conferences/${enc(conference)}/interpreter`);
  }

  async leaveConference(conference: string): Promise<void> {
    await this.send('DELETE', `api/conferences/${enc(conference)}/interpreter`);
  }

  listJobs(params: { queue?: string; state?: string; limit?: number }): Promise<JobListJson> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
    const qs = query.toString();
    return this.request('GET', `api/jobs${qs ? `?${qs}` : ''}`);
  }

  listDeliveries(params: { status?: string; call?: string; limit?: number }): Promise<{ deliveries: DeliveryJson[] }> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
    const qs = query.toString();
    return this.request('GET', `api/deliveries${qs ? `?${qs}` : ''}`);
  }

  getDelivery(id: string): Promise<DeliveryJson & { payload: unknown }> {
    return this.request('GET', `api/deliveries/${enc(id)}`);
  }

  retryDelivery(id: string): Promise<DeliveryJson> {
    return this.request('POST', `api/deliveries/${enc(id)}/retry`);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.send<T>(method, path, body)).body;
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.opts.token) headers.Authorization = `Bearer ${this.opts.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      throw new CliError(`cannot reach tolk at ${this.base.origin} (${networkReason(err)}); is it running? Set --url or TOLK_URL`, EXIT_UNREACHABLE);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new CliError(`unexpected answer from ${url.origin} (HTTP ${res.status}, not JSON); is --url pointing at tolk?`, EXIT_FAILURE, [], res.status);
      }
    }
    if (res.ok) return { status: res.status, body: parsed as T };
    throw failure(res.status, parsed as ErrorBody | undefined, this.opts.token !== undefined);
  }
}

/** Where the CLI takes the token it sends from, for the 401 messages. */
const TOKEN_SOURCE = 'ADMIN_TOKEN (from the environment, else from .env in the working folder)';

/**
 * The CliError for a refusal. A 401 is said in the CLI's own words (the API's tells an HTTP client
 * which header to send): whether a token was sent, and where the CLI reads it from. A 400 means
 * tolk found a value invalid, and every value the CLI sends comes from its command line (or a file
 * it names): a usage error, as a value the CLI checks itself is.
 */
function failure(status: number, body: ErrorBody | undefined, tokenSent: boolean): CliError {
  const problems = Array.isArray(body?.problems) ? (body.problems as FieldProblem[]) : [];
  if (status === 401) {
    const message = tokenSent
      ? `tolk refused the admin token: ${TOKEN_SOURCE} is not the deployment's ADMIN_TOKEN`
      : `no admin token: set ${TOKEN_SOURCE} to the deployment's ADMIN_TOKEN`;
    return new CliError(message, EXIT_FAILURE, problems, status);
  }
  const message = typeof body?.error === 'string' ? body.error : `HTTP ${status}`;
  const hint = status === 503 && /ADMIN_TOKEN/.test(message) ? ' on the server' : '';
  return new CliError(`${message}${hint}`, status === 400 ? EXIT_USAGE : EXIT_FAILURE, problems, status);
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code === 'ECONNREFUSED' ? 'connection refused' : cause.code;
  if ((err as { name?: unknown } | null)?.name === 'TimeoutError') return 'no answer in time';
  return err instanceof Error ? err.message : String(err);
}
