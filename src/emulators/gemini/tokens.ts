/**
 * Ephemeral auth tokens as `POST /v1alpha/auth_tokens` issues them: `uses` (default 1, 0 = unlimited;
 * resuming a session spends none), `expireTime` (default now + 30 min; no messages after it),
 * `newSessionExpireTime` (default now + 60 s; no new session after it), and the locked
 * `bidiGenerateContentSetup` / `fieldMask`. Pure apart from the random id.
 */
import { randomBytes } from 'node:crypto';

export interface StoredToken {
  name: string;
  uses: number;
  usesLeft: number;
  expireTime: number;
  newSessionExpireTime: number;
  setup?: Record<string, unknown>;
  fieldMask?: string;
}

export type TokenRequestResult = { ok: true; token: StoredToken } | { ok: false; message: string };

function parseTime(v: unknown, fallback: number): number | undefined {
  if (v === undefined) return fallback;
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export class TokenStore {
  private readonly tokens = new Map<string, StoredToken>();
  issued = 0;
  consumed = 0;

  create(body: unknown, now: number): TokenRequestResult {
    if (typeof body !== 'object' || body === null) return { ok: false, message: 'Invalid JSON payload received.' };
    const b = body as Record<string, unknown>;
    const expireTime = parseTime(b.expireTime, now + 30 * 60_000);
    const newSessionExpireTime = parseTime(b.newSessionExpireTime, now + 60_000);
    if (expireTime === undefined || newSessionExpireTime === undefined) return { ok: false, message: 'Invalid value at expire_time (type.googleapis.com/google.protobuf.Timestamp)' };
    if (expireTime > now + 20 * 3600_000 || newSessionExpireTime > now + 20 * 3600_000) return { ok: false, message: 'expire_time must be less than 20 hours in the future.' };
    const uses = b.uses === undefined ? 1 : Number(b.uses);
    if (!Number.isInteger(uses) || uses < 0) return { ok: false, message: 'uses must be a non-negative integer.' };
    const setup = typeof b.bidiGenerateContentSetup === 'object' && b.bidiGenerateContentSetup !== null ? (b.bidiGenerateContentSetup as Record<string, unknown>) : undefined;
    const token: StoredToken = {
      name: `auth_tokens/${randomBytes(16).toString('hex')}`,
      uses,
      usesLeft: uses,
      expireTime,
      newSessionExpireTime,
      setup,
      fieldMask: typeof b.fieldMask === 'string' ? b.fieldMask : undefined,
    };
    this.tokens.set(token.name, token);
    this.issued++;
    return { ok: true, token };
  }

  /** The token while it may still carry messages (before `expireTime`); undefined when unknown or expired. */
  find(name: string, now: number): StoredToken | undefined {
    const t = this.tokens.get(name);
    return t && now < t.expireTime ? t : undefined;
  }

  /**
   * Spends one use for a new session (a resumed one spends none); false when the token is unknown,
   * expired, past `newSessionExpireTime`, or used up.
   */
  consume(name: string, now: number): boolean {
    const t = this.find(name, now);
    if (!t || now >= t.newSessionExpireTime) return false;
    if (t.uses !== 0) {
      if (t.usesLeft <= 0) return false;
      t.usesLeft--;
    }
    this.consumed++;
    return true;
  }
}

export function tokenResponse(t: StoredToken): Record<string, unknown> {
  return {
    name: t.name,
    uses: t.uses,
    expireTime: new Date(t.expireTime).toISOString(),
    newSessionExpireTime: new Date(t.newSessionExpireTime).toISOString(),
    ...(t.setup ? { bidiGenerateContentSetup: t.setup } : {}),
    ...(t.fieldMask ? { fieldMask: t.fieldMask } : {}),
  };
}
