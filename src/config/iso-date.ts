/**
 * ISO 8601 dates and date-times given to tolk (a call list's `from` and `to`, the time a call is
 * placed at): `2025-01-31`, `2025-01-31T10:30:00Z`, `2025-01-31T10:30:00+01:00`. Pure.
 */

/** What a date or date-time given to tolk looks like, for messages about one that is malformed. */
export const ISO_DATE_FORM = 'an ISO 8601 date or date-time with a zone (2025-01-31 or 2025-01-31T09:00:00Z)';

/** A date (`2025-01-31`, midnight UTC) or a date-time with `Z` or an offset. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2})))?$/;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Days in `month` (1-12) of `year`, proleptic Gregorian (Date.UTC would read years 0-99 as 1900-1999). */
function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * What a date given to tolk names: the instant; `malformed`, not written as an ISO 8601 date or
 * date-time at all (the caller says which form it wants); or `impossible`, written well but naming
 * a day or time that does not exist, with `message` saying why (`there is no 2026-02-30: February
 * 2026 has 28 days`).
 */
export type IsoDateRead = { ok: true; date: Date } | { ok: false; problem: 'malformed' } | { ok: false; problem: 'impossible'; message: string };

export function readIsoDate(v: string): IsoDateRead {
  const m = ISO_DATE.exec(v);
  if (!m) return { ok: false, problem: 'malformed' };
  const field = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = [1, 2, 3, 4, 5, 6, 10, 11].map(field);
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  const impossible = (message: string): IsoDateRead => ({ ok: false, problem: 'impossible', message });
  // Date would roll 30 February over into March; a date that does not exist is refused instead.
  if (month < 1 || month > 12) return impossible(`there is no month ${m[2]} in ${date}: months go from 01 to 12`);
  if (day < 1) return impossible(`there is no ${date}: days of the month start at 01`);
  if (day > daysIn(year, month)) return impossible(`there is no ${date}: ${MONTHS[month - 1]} ${m[1]} has ${daysIn(year, month)} days`);
  if (hour > 23) return impossible(`there is no hour ${m[4]} in ${v}: hours go from 00 to 23`);
  if (minute > 59) return impossible(`there is no minute ${m[5]} in ${v}: minutes go from 00 to 59`);
  if (second > 59) return impossible(`there is no second ${m[6]} in ${v}: seconds go from 00 to 59`);
  if (offsetHours > 23 || offsetMinutes > 59) return impossible(`there is no zone offset ${m[9]}${m[10]}:${m[11]}: an offset is at most 23:59 from UTC`);
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  const d = new Date(Date.UTC(2000, 0, 1, hour, minute, second, ms));
  d.setUTCFullYear(year, month - 1, day); // Date.UTC would read years 0-99 as 1900-1999
  d.setTime(d.getTime() - offset * 60_000);
  return Number.isNaN(d.getTime()) ? impossible(`${v} is outside the dates tolk can hold`) : { ok: true, date: d };
}

/**
 * A field's message for a date that names no instant: for malformed input, `<given> is not
 * <form>`, where `given` is what was sent, quoted, and `form` what a well-formed one looks like
 * (`an ISO 8601 date-time with a zone (e.g. 2025-01-31T10:30:00Z)`); for a day or time that does
 * not exist, why not.
 */
export function isoDateProblem(read: Exclude<IsoDateRead, { ok: true }>, given: string, form: string): string {
  return read.problem === 'malformed' ? `${given} is not ${form}` : read.message;
}
