/**
 * Media Stream tokens: a short-lived, single-use credential placed in a `<Parameter>` of the
 * `<Stream>` that tolk serves, and checked when the stream's `start` message arrives.
 *
 * Format: `v1.<callSid>.<role>.<expiresAtSeconds>.<nonce>.<mac>` where mac is base64url
 * HMAC-SHA256 (server secret) over everything before it. The token binds the call SID and the leg
 * role; the nonce is claimed in a replay store so each token opens at most one stream.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { LegRole } from './media-leg';

/** Remembers used token nonces until they expire. In memory now; Redis for several instances. */
export interface ReplayStore {
  /** Records `key` until `expiresAtMs`. Resolves true the first time, false if already claimed. */
  claim(key: string, expiresAtMs: number): Promise<boolean>;
}

export type Clock = () => number;

/** Single-process replay store; expired keys are swept lazily, so it owns no timers. */
export class InMemoryReplayStore implements ReplayStore {
  private readonly used = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly now: Clock = Date.now,
    private readonly sweepEveryMs = 10_000,
  ) {}

  claim(key: string, expiresAtMs: number): Promise<boolean> {
    const now = this.now();
    if (now - this.lastSweep >= this.sweepEveryMs) this.sweep(now);
    const until = this.used.get(key);
    if (until !== undefined && until > now) return Promise.resolve(false);
    this.used.set(key, expiresAtMs);
    return Promise.resolve(true);
  }

  /** Number of remembered keys (for tests and metrics). */
  get size(): number {
    return this.used.size;
  }

  sweep(now: number = this.now()): void {
    this.lastSweep = now;
    for (const [key, until] of this.used) if (until <= now) this.used.delete(key);
  }
}

export type TokenRejection = 'malformed' | 'bad_signature' | 'wrong_call' | 'expired' | 'replayed';

export type TokenCheck =
  | { ok: true; role: LegRole; callSid: string; expiresAtMs: number }
  | { ok: false; reason: TokenRejection };

export interface StreamTokenOptions {
  /** Server secret (MEDIA_STREAM_SECRET); at least 32 characters. */
  secret: string;
  replayStore: ReplayStore;
  /** Default lifetime of a token; the agent leg passes a longer one to cover ringing. */
  defaultTtlMs?: number;
  now?: Clock;
}

export interface IssueTokenRequest {
  callSid: string;
  role: LegRole;
  ttlMs?: number;
}

const VERSION = 'v1';
const SID = /^[A-Za-z]{2}[0-9a-fA-F]{32}$/;
const ROLE = /^[a-z][a-z0-9-]{0,31}$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;

export class StreamTokens {
  private readonly secret: Buffer;
  private readonly defaultTtlMs: number;
  private readonly now: Clock;

  constructor(private readonly opts: StreamTokenOptions) {
    if (opts.secret.length < 32) throw new Error('media stream secret must be at least 32 characters');
    this.secret = Buffer.from(opts.secret, 'utf8');
    this.defaultTtlMs = opts.defaultTtlMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  issue(req: IssueTokenRequest): string {
    if (!SID.test(req.callSid)) throw new Error(`not a call SID: ${req.callSid}`);
    if (!ROLE.test(req.role)) throw new Error(`invalid leg role: ${req.role}`);
    const expiresAtS = Math.ceil((this.now() + (req.ttlMs ?? this.defaultTtlMs)) / 1000);
    const nonce = randomBytes(16).toString('base64url');
    const body = [VERSION, req.callSid, req.role, String(expiresAtS), nonce].join('.');
    return `${body}.${this.mac(body)}`;
  }

  /**
   * Checks a token presented by the stream of call `callSid`. Only a token that passes every other
   * check is claimed, so a refused attempt does not burn a genuine token.
   */
  async verify(token: string, callSid: string): Promise<TokenCheck> {
    const parts = token.split('.');
    if (parts.length !== 6 || parts[0] !== VERSION) return { ok: false, reason: 'malformed' };
    const [, tokenCall, role, expiresAtRaw, nonce, mac] = parts;
    if (!SID.test(tokenCall) || !ROLE.test(role) || !/^\d{1,12}$/.test(expiresAtRaw) || !NONCE.test(nonce)) {
      return { ok: false, reason: 'malformed' };
    }
    const expected = Buffer.from(this.mac(parts.slice(0, 5).join('.')), 'utf8');
    const given = Buffer.from(mac, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'bad_signature' };
    }
    if (tokenCall !== callSid) return { ok: false, reason: 'wrong_call' };
    const expiresAtMs = Number(expiresAtRaw) * 1000;
    if (expiresAtMs <= this.now()) return { ok: false, reason: 'expired' };
    const first = await this.opts.replayStore.claim(`stream-token:${nonce}`, expiresAtMs);
    if (!first) return { ok: false, reason: 'replayed' };
    return { ok: true, role, callSid, expiresAtMs };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body, 'utf8').digest('base64url');
  }
}

/**
 * The secret for stream tokens: the configured one, or a random one for this process. A random
 * secret only works when a single instance serves both the TwiML and the WebSocket.
 */
export function resolveMediaStreamSecret(configured: string | undefined): { secret: string; generated: boolean } {
  if (configured) return { secret: configured, generated: false };
  return { secret: randomBytes(32).toString('base64url'), generated: true };
}
