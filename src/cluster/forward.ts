/**
 * Passing a request on to the instance that serves what it is about: the same method, path, query
 * and body, the headers that authenticate it (a Twilio signature, an admin token), and
 * `X-Tolk-Forwarded-By` naming this instance, so that the owner never passes it on again. The owner
 * checks the request exactly as if it had come straight to it. Each forward has a deadline.
 */
import type { Request, Response } from 'express';
import type { Member } from './directory';

export const FORWARDED_BY = 'x-tolk-forwarded-by';

/** Headers passed on (all others, hop-by-hop ones included, stay here). */
const PASSED_HEADERS = ['content-type', 'x-twilio-signature', 'i-twilio-idempotency-token', 'authorization', 'accept', 'user-agent'];
/** Longest answer taken back from the owner. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface ForwardOptions {
  /** This instance's name. */
  self: string;
  /** Deadline of the whole exchange (default 5 s). */
  timeoutMs?: number;
  /** Headers to set instead of the request's own (e.g. the admin token in place of a console cookie). */
  headers?: Record<string, string>;
}

export interface ForwardedAnswer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/** Whether another instance already passed this request on. */
export function wasForwarded(req: Request): boolean {
  return req.headers[FORWARDED_BY] !== undefined;
}

/** Sends `req` (with `body`, already read) to `owner` and resolves with its answer; rejects when it cannot be had in time. */
export async function forwardRequest(owner: Member, req: Request, body: string | undefined, opts: ForwardOptions): Promise<ForwardedAnswer> {
  const headers: Record<string, string> = { [FORWARDED_BY]: opts.self };
  for (const h of PASSED_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  Object.assign(headers, opts.headers);
  const url = owner.url.replace(/\/+$/, '') + req.originalUrl;
  const res = await fetch(url, {
    method: req.method,
    headers,
    ...(body !== undefined && req.method !== 'GET' && req.method !== 'HEAD' ? { body } : {}),
    redirect: 'manual',
    signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
  });
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_ANSWER_BYTES) throw new Error(`instance ${owner.id} answered with ${declared} bytes`);
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > MAX_ANSWER_BYTES) throw new Error(`instance ${owner.id} answered with ${buf.length} bytes`);
  return { status: res.status, contentType: res.headers.get('content-type') ?? undefined, body: buf };
}

/** Answers with what the owner answered. */
export function sendForwarded(res: Response, answer: ForwardedAnswer): void {
  res.status(answer.status);
  if (answer.contentType) res.type(answer.contentType);
  res.send(answer.body);
}
