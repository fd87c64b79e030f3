/** Capped exponential backoff with jitter: attempt 1 waits ~base, each next one doubles, up to cap. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** Fraction of the delay that is randomised (0 = none, 1 = "full jitter"). */
  jitter: number;
}

export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const spread = exp * Math.min(1, Math.max(0, policy.jitter));
  return Math.round(exp - spread + random() * spread);
}
