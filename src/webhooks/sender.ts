/**
 * One webhook POST: signed JSON to a checked target (target.ts), with a deadline, reading at most a
 * little of the answer. The outcome says whether a retry could help: timeouts, network failures,
 * 408, 429 and 5xx can; any other 4xx, and a refused target, cannot.
 */
import http from 'node:http';
import https from 'node:https';
import { SIGNATURE_HEADER, signPayload } from './signature';
import { checkLiteralHost, checkScheme, guardedLookup, RefusedTargetError, type TargetPolicy } from './target';

export type SendOutcome =
  | { ok: true; status: number }
  | { ok: false; retryable: boolean; status?: number; error: string };

export interface WebhookSenderOptions extends TargetPolicy {
  /** TOLK_WEBHOOK_SECRET. */
  secret: string;
  /** Whole request deadline. Default 10 s. */
  timeoutMs?: number;
  now?: () => number;
}

export interface WebhookRequest {
  url: string;
  body: string;
  /** Sent as `Idempotency-Key`: the same for every attempt of one delivery. */
  idempotencyKey: string;
}

const MAX_ANSWER_BYTES = 4096;

export class WebhookSender {
  constructor(private readonly opts: WebhookSenderOptions) {}

  send(req: WebhookRequest): Promise<SendOutcome> {
    let url: URL;
    try {
      url = new URL(req.url);
      checkScheme(url, this.opts);
      checkLiteralHost(url, this.opts);
    } catch (err) {
      return Promise.resolve({ ok: false, retryable: false, error: err instanceof Error ? err.message : String(err) });
    }
    const now = this.opts.now ?? Date.now;
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(req.body)),
      'User-Agent': 'tolk-webhooks',
      'Idempotency-Key': req.idempotencyKey,
      [SIGNATURE_HEADER]: signPayload(this.opts.secret, req.body, Math.floor(now() / 1000)),
    };
    const client = url.protocol === 'https:' ? https : http;
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const done = (o: SendOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const request = client.request(url, { method: 'POST', headers, lookup: guardedLookup(this.opts), agent: false }, (res) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        const finish = (): void => {
          if (status >= 200 && status < 300) done({ ok: true, status });
          else done({ ok: false, retryable: status === 408 || status === 429 || status >= 500, status, error: `answered HTTP ${status}` });
        };
        res.on('end', finish);
        res.on('close', finish);
      });
      const timer = setTimeout(() => {
        request.destroy();
        done({ ok: false, retryable: true, error: `no answer within ${timeoutMs} ms` });
      }, timeoutMs);
      request.on('error', (err) => {
        if (err instanceof RefusedTargetError) done({ ok: false, retryable: false, error: err.message });
        else done({ ok: false, retryable: true, error: `${(err as NodeJS.ErrnoException).code ?? 'network error'}: ${err.message}` });
      });
      request.end(req.body);
    });
  }
}
