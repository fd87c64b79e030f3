/**
 * When a call started, and how long it talked, as the CLI and the web console show it. A call tolk places has not started
 * while it waits for its time (it is due then), and never started if it ended before its first
 * attempt (canceled, or not placed in time): its record's `startedAt` is then when it was booked.
 * The console's bundle imports this file too (console/src): it stays pure and imports nothing.
 */

/** A call record as the admin API returns it, as far as its start goes. */
export interface CallStartFields {
  state: string;
  /** When the call (or the latest attempt of a call tolk places) started; before any attempt, when it was booked. */
  startedAt: string;
  outbound?: { attempts: number; dueAt: string };
}

export interface CallTime {
  label: 'Started' | 'Due' | 'Booked';
  /** ISO 8601. */
  at: string;
}

/** A call tolk places that has not started an attempt. */
export function neverStarted(c: CallStartFields): boolean {
  return c.outbound !== undefined && c.outbound.attempts === 0;
}

/**
 * The one time a list shows for a call (the last of its `startTimes`): when it is due while tolk
 * waits to place it, when it was booked if it never started, else when it started; written with
 * `format` and, unless it is when the call started, its label (`due ...`, `booked ...`).
 */
export function listedTimeText(c: CallStartFields, format: (iso: string) => string): string {
  const times = startTimes(c);
  const t = times[times.length - 1];
  return t.label === 'Started' ? format(t.at) : `${t.label.toLowerCase()} ${format(t.at)}`;
}

/**
 * The times a call's page shows before it was answered: when it was booked (a call tolk places that
 * never started) or started (for one waiting to try again: its latest attempt), and when it is due
 * while it waits.
 */
export function startTimes(c: CallStartFields): CallTime[] {
  const first: CallTime = { label: neverStarted(c) ? 'Booked' : 'Started', at: c.startedAt };
  return c.state === 'scheduled' && c.outbound ? [first, { label: 'Due', at: c.outbound.dueAt }] : [first];
}

/** A call record as the admin API returns it, as far as its talk time goes. */
export interface CallTalkFields extends CallStartFields {
  endedAt?: string;
  /** The API's count of how long the call was connected (answered to ended), once it ended having been answered. */
  durationMs?: number;
}

/**
 * How long a call talked, as `tolk calls list/show` and the console's History say it: the API's
 * `durationMs` written with `format`, never counted again from the call's times; `in progress`
 * while the call goes on, `not answered` for one that ended unanswered, and `not started` for a
 * call tolk places that waits for its time (or a retry) or was canceled before its first attempt.
 */
export function talkText(c: CallTalkFields, format: (ms: number) => string): string {
  if (c.state === 'scheduled' || neverStarted(c)) return 'not started';
  if (!c.endedAt) return 'in progress';
  return c.durationMs === undefined ? 'not answered' : format(c.durationMs);
}
