/**
 * How tolk signs what it POSTs to a customer, the way well-known webhook providers do:
 * `Tolk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with TOLK_WEBHOOK_SECRET>`.
 * The timestamp is inside the signed text, so a captured delivery cannot be replayed later than the
 * receiver's tolerance. `verifyTolkSignature` is what a receiver written in Node runs (the README
 * shows it, and one for Python).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Tolk-Signature';

export function signPayload(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export interface VerifyOptions {
  /** Oldest (and furthest in the future) timestamp accepted, seconds. Default 300. */
  toleranceSec?: number;
  /** Now, ms since the epoch. */
  now?: number;
}

/** True when `header` is a signature of `body` with `secret`, made within the tolerance. */
export function verifyTolkSignature(secret: string, header: string | undefined, body: string, opts: VerifyOptions = {}): boolean {
  if (!header || header.length > 1024) return false;
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const k = item.slice(0, eq).trim();
    parts.set(k, [...(parts.get(k) ?? []), item.slice(eq + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t)) return false;
  const now = (opts.now ?? Date.now()) / 1000;
  if (Math.abs(now - t) > (opts.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return (parts.get('v1') ?? []).some((v) => {
    const given = Buffer.from(v);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
