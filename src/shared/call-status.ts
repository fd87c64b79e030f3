/**
 * What a call's outcome says where a list of calls shows one: the CLI's `tolk calls list` (OUTCOME)
 * and the web console's History (Outcome). The console's bundle imports this file too
 * (console/src): it stays pure and imports nothing.
 */

/** A call record as the admin API returns it, as far as its outcome goes. */
export interface CallStatusFields {
  state: string;
  outcome?: string;
  outbound?: { attempts: number };
}

/**
 * How the call ended once it has; `scheduled` for a call tolk places that waits for its first
 * attempt, `retrying` once an attempt failed and the next is due; else `live (STATE)`, the state of
 * the call in progress (`live` alone for a conference whose state is live), so that a live call's
 * state never reads as how it ended.
 */
export function statusLabel(c: CallStatusFields): string {
  if (c.outcome) return c.outcome;
  if (c.state === 'scheduled') return (c.outbound?.attempts ?? 0) > 0 ? 'retrying' : 'scheduled';
  if (c.state === 'ended' || c.state === 'live') return c.state;
  return `live (${c.state})`;
}
