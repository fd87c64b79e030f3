/**
 * Slows down guessing of the admin token at the console's sign-in: at most `maxFailures` wrong
 * tokens per client address per `windowMs`. Bounded: past `maxClients` addresses the oldest is
 * forgotten. Pure: the caller passes the time.
 */
export interface LoginThrottleOptions {
  maxFailures: number;
  windowMs: number;
  maxClients: number;
}

export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly o: LoginThrottleOptions;

  constructor(o: Partial<LoginThrottleOptions> = {}) {
    this.o = { maxFailures: 10, windowMs: 15 * 60_000, maxClients: 10_000, ...o };
  }

  /** Milliseconds until this client may try again; 0 when it may now. */
  retryAfterMs(client: string, now: number): number {
    const f = this.failures.get(client);
    if (!f) return 0;
    if (now - f.since >= this.o.windowMs) {
      this.failures.delete(client);
      return 0;
    }
    return f.count >= this.o.maxFailures ? f.since + this.o.windowMs - now : 0;
  }

  failed(client: string, now: number): void {
    const f = this.failures.get(client);
    if (f && now - f.since < this.o.windowMs) {
      f.count++;
      return;
    }
    this.failures.delete(client);
    while (this.failures.size >= this.o.maxClients) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
    this.failures.set(client, { count: 1, since: now });
  }

  succeeded(client: string): void {
    this.failures.delete(client);
  }
}
