/**
 * The body of `POST /api/calls/erase`: which ended calls to erase, `{endedBefore?, from?}`, at
 * least one of them, and `dryRun?` (true: only say what would be erased). Every problem is reported
 * at once. Pure.
 */
import { ISO_DATE_FORM, isoDateProblem, readIsoDate } from '../config/iso-date';
import { normaliseDialledNumber } from '../config/numbers';
import { quoted, type FieldProblem } from '../config/numbers-schema';
import type { EraseRequest } from './retention';

/** The fields that say which calls. */
export const ERASE_FIELDS = ['endedBefore', 'from'] as const;
const FIELDS: readonly string[] = [...ERASE_FIELDS, 'dryRun'];

export type EraseRequestParse = { ok: true; value: EraseRequest; dryRun: boolean } | { ok: false; problems: FieldProblem[] };

/** `now`: the time `endedBefore` defaults to (every call that has ended) and may not be after. */
export function parseEraseRequest(body: unknown, now: Date): EraseRequestParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ path: [], message: `must be a JSON object with ${ERASE_FIELDS.join(' and/or ')}` }] };
  }
  const input = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const unknown = Object.keys(input).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) problems.push({ path: [], message: `unknown field ${unknown.slice(0, 5).map((k) => quoted(k, 32)).join(', ')}; fields are ${FIELDS.join(', ')}` });
  if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean') problems.push({ path: ['dryRun'], message: 'must be true or false' });
  let endedBefore = now;
  let from: string | undefined;
  const given = (field: 'endedBefore' | 'from', max: number): string | undefined => {
    const v = input[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') problems.push({ path: [field], message: 'must be a string' });
    else if (v.length > max) problems.push({ path: [field], message: `must be at most ${max} characters` });
    else return v;
    return undefined;
  };
  const before = given('endedBefore', 40);
  if (before !== undefined) {
    const d = readIsoDate(before);
    if (!d.ok) problems.push({ path: ['endedBefore'], message: isoDateProblem(d, quoted(before), ISO_DATE_FORM) });
    else if (d.date.getTime() > now.getTime()) problems.push({ path: ['endedBefore'], message: `${quoted(before)} is in the future: no call has ended then yet` });
    else endedBefore = d.date;
  }
  const caller = given('from', 64);
  if (caller !== undefined) {
    from = normaliseDialledNumber(caller);
    if (from === undefined) problems.push({ path: ['from'], message: `${quoted(caller)} is not an E.164 number (e.g. +34600000000)` });
  }
  if (input.endedBefore === undefined && input.from === undefined && problems.length === 0) {
    problems.push({ path: [], message: 'say which calls: endedBefore (calls that ended before a time), from (one caller\'s calls), or both' });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: from === undefined ? { endedBefore } : { endedBefore, from }, dryRun: input.dryRun === true };
}
