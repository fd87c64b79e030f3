/**
 * ISO 8601 dates and date-times given to tolk (a call list's `from` and `to`, the time a call is
 * placed at): `2025-01-31`, `2025-01-31T10:30:00Z`, `2025-01-31T10:30:00+01:00`. Pure.
 */

/** A date (`2025-01-31`, midnight UTC) or a date-time with `Z` or an offset. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2})))?$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The instant an ISO 8601 date or date-time names, or undefined if there is no such day or time. */
export function parseIsoDate(v: string): Date | undefined {
  const m = ISO_DATE.exec(v);
  if (!m) return undefined;
  const field = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = [1, 2, 3, 4, 5, 6, 10, 11].map(field);
  // Date would roll 30 February over into March; a date that does not exist is refused instead.
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  const d = new Date(Date.UTC(2000, 0, 1, hour, minute, second, ms));
  d.setUTCFullYear(year, month - 1, day); // Date.UTC would read years 0-99 as 1900-1999
  d.setTime(d.getTime() - offset * 60_000);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
