/**
 * A call's duration: how long it was connected, as a bill counts it, from when it was answered
 * (both parties joined; the record's `answeredAt`) to when it ended. The greeting and ringing before
 * it are not counted. A call never answered (busy, unanswered, canceled, never placed) has no
 * duration: undefined, never 0. A call still going has none yet.
 *
 * The one definition for every place a call's duration is sent: the webhook's and the admin API's
 * `durationMs`, the `call.ended` event and log line. `tolk calls list/show` and the console show
 * the API's `durationMs` (the Live page, the `call.ended` event's); they never count it again.
 */

/** A time as a record (Date), the admin API (ISO 8601) or an event (ms since the epoch) gives it. */
export type Instant = Date | string | number;

/** The times a call's duration is measured between. */
export interface ConnectedTimes {
  answeredAt?: Instant;
  endedAt?: Instant;
}

function msOf(t: Instant): number {
  if (typeof t === 'number') return t;
  return typeof t === 'string' ? Date.parse(t) : t.getTime();
}

/** How long the call was connected, ms (answered to ended); undefined if it was never answered or has not ended. */
export function connectedMs(c: ConnectedTimes): number | undefined {
  if (c.answeredAt === undefined || c.endedAt === undefined) return undefined;
  const answered = msOf(c.answeredAt);
  const ended = msOf(c.endedAt);
  if (!Number.isFinite(answered) || !Number.isFinite(ended)) return undefined;
  return Math.max(0, ended - answered);
}
