/**
 * Console sign-in sessions, kept in this process: a random id (the cookie's value) and a CSRF token
 * per session, an idle timeout and an absolute lifetime. Signing out deletes the session, so a
 * copied cookie stops working at once. Bounded: past `maxSessions` the oldest session is dropped.
 * Pure apart from the random ids; the caller passes the time.
 */
import { randomBytes } from 'node:crypto';

export interface ConsoleSession {
  id: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute end of the session (ms since the epoch); the cookie's Max-Age matches it. */
  expiresAt: number;
}

export interface SessionLimits {
  /** A session unused this long ends (default 1 hour). */
  idleMs: number;
  /** A session ends this long after sign-in, used or not (default 12 hours). */
  lifetimeMs: number;
  /** Sessions kept at most; the oldest goes first (default 1000). */
  maxSessions: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 60 * 60_000, lifetimeMs: 12 * 3600_000, maxSessions: 1000 };

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  readonly limits: SessionLimits;

  constructor(limits: Partial<SessionLimits> = {}) {
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...limits };
  }

  get size(): number {
    return this.sessions.size;
  }

  create(now: number): ConsoleSession {
    while (this.sessions.size >= this.limits.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const session: ConsoleSession = {
      id: randomBytes(32).toString('base64url'),
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.limits.lifetimeMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, marked as used now; undefined (and forgotten) once expired. */
  touch(id: string, now: number): ConsoleSession | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (now >= s.expiresAt || now - s.lastSeenAt >= this.limits.idleMs) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeenAt = now;
    return s;
  }

  /** Whether the session with this id still lives, without marking it as used (a long-lived stream checks it). */
  alive(id: string, now: number): boolean {
    const s = this.sessions.get(id);
    return s !== undefined && now < s.expiresAt && now - s.lastSeenAt < this.limits.idleMs;
  }

  delete(id: string): boolean {
    return this.sessions.delete(id);
  }

  /** Drops every expired session (called now and then; `touch` also drops the ones it meets). */
  sweep(now: number): void {
    for (const [id, s] of this.sessions) if (now >= s.expiresAt || now - s.lastSeenAt >= this.limits.idleMs) this.sessions.delete(id);
  }
}
