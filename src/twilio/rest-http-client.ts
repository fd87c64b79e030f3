/**
 * The HTTP client handed to the twilio SDK (its documented `httpClient` option). The SDK still
 * builds, authenticates and sends every request through its own RequestClient; this wrapper only
 * (1) points requests at TWILIO_API_URL when set (an emulator) and (2) retries 429 and 5xx with
 * bounded exponential backoff. Retry counts are reported so errors can say how often they tried.
 */
import twilio from 'twilio';
import type { Logger } from '../log/logger';
import { isRetryableStatus } from './rest-errors';

type RequestClient = InstanceType<typeof twilio.RequestClient>;
type RequestOptions = Parameters<RequestClient['request']>[0];
type ResponseOf = Awaited<ReturnType<RequestClient['request']>>;

export interface RetryPolicy {
  /** Retries after the first attempt. Default 3. */
  maxRetries: number;
  /** First backoff; doubles each retry. Default 250 ms. */
  baseDelayMs: number;
  /** Upper bound of one backoff (Retry-After included). Default 4000 ms. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 250, maxDelayMs: 4000 };

export interface TolkHttpClientOptions {
  /** TWILIO_API_URL: replaces scheme, host and port of every Twilio URL (its path is prefixed). */
  apiUrl?: string;
  retry?: Partial<RetryPolicy>;
  logger: Logger;
  /** Request timeout; default 15 s. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** The underlying client; defaults to the SDK's own RequestClient. */
  inner?: Pick<RequestClient, 'request'>;
}

/** Rewrites `https://api.twilio.com/2010-04-01/...` (any *.twilio.com host) onto `apiUrl`. */
export function rewriteTwilioUrl(uri: string, apiUrl: string | undefined): string {
  if (!apiUrl) return uri;
  const original = new URL(uri);
  if (!/(^|\.)twilio\.com$/i.test(original.hostname)) return uri;
  const base = new URL(apiUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.protocol}//${base.host}${prefix}${original.pathname}${original.search}`;
}

/** Connection failures where the request never reached the server, so a retry cannot duplicate it. */
const UNSENT = new Set(['ECONNREFUSED', 'EAI_AGAIN']);

export class TolkHttpClient {
  private readonly inner: Pick<RequestClient, 'request'>;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly opts: TolkHttpClientOptions) {
    this.inner = opts.inner ?? new twilio.RequestClient({ timeout: opts.timeoutMs ?? 15_000 });
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = opts.random ?? Math.random;
  }

  async request(options: RequestOptions): Promise<ResponseOf> {
    const uri = rewriteTwilioUrl(options.uri, this.opts.apiUrl);
    const path = new URL(uri).pathname;
    for (let attempt = 1; ; attempt++) {
      let res: ResponseOf;
      try {
        res = await this.inner.request({ ...options, uri });
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code !== 'string' || !UNSENT.has(code) || attempt > this.retry.maxRetries) throw err;
        await this.backoff(attempt, path, code, undefined);
        continue;
      }
      if (!isRetryableStatus(res.statusCode) || attempt > this.retry.maxRetries) return res;
      // Creating a call is not idempotent: after a 5xx Twilio may have placed it, and a retry could
      // ring the other party twice. Only 429 (refused, nothing created) is retried for it.
      if (createsCall(options.method, path) && res.statusCode !== 429) return res;
      await this.backoff(attempt, path, res.statusCode, retryAfterMs(res.headers));
    }
  }

  private async backoff(attempt: number, path: string, cause: number | string, retryAfter: number | undefined): Promise<void> {
    const exp = this.retry.baseDelayMs * 2 ** (attempt - 1);
    const jittered = exp / 2 + (this.random() * exp) / 2;
    const delay = Math.min(this.retry.maxDelayMs, Math.max(jittered, retryAfter ?? 0));
    this.opts.logger.warn(
      { event: 'twilio.rest.retry', path: redactPath(path), cause, attempt, delayMs: Math.round(delay) },
      'retrying Twilio request',
    );
    await this.sleep(delay);
  }
}

function createsCall(method: string | undefined, path: string): boolean {
  return (method ?? '').toUpperCase() === 'POST' && /\/Calls\.json$/.test(path);
}

function retryAfterMs(headers: unknown): number | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const raw = (headers as Record<string, unknown>)['retry-after'];
  const seconds = typeof raw === 'string' ? Number(raw) : typeof raw === 'number' ? raw : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** Keeps resource paths in logs but not the account SID. */
function redactPath(path: string): string {
  return path.replace(/AC[0-9a-fA-F]{32}/g, 'AC…');
}
