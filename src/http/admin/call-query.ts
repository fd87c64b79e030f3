/**
 * Parsing of `GET /api/calls` query parameters into a `CallListQuery`, reporting every bad
 * parameter at once. Pure: no request or response objects.
 */
import { normaliseDialledNumber } from '../../config/numbers';
import { quoted, type FieldProblem } from '../../config/numbers-schema';
import { CALL_STATES } from '../../call/call-state';
import { ISO_DATE_FORM, isoDateProblem, readIsoDate } from '../../config/iso-date';
import { CALL_OUTCOMES, type CallOutcome } from '../../store/call-record';
import { isCallIdPrefix, MAX_CALL_ID_LENGTH, MAX_CURSOR_LENGTH, MAX_LIST_LIMIT, type CallListQuery } from '../../store/call-record-store';

export const DEFAULT_LIST_LIMIT = 50;
export const CALL_QUERY_PARAMETERS = ['number', 'from', 'to', 'outcome', 'state', 'idPrefix', 'limit', 'cursor'] as const;

/** Longest value of each parameter; a longer one is refused before it is looked at. */
const MAX_LENGTH: Record<(typeof CALL_QUERY_PARAMETERS)[number], number> = {
  number: 64,
  from: 40,
  to: 40,
  outcome: 32,
  state: 32,
  idPrefix: MAX_CALL_ID_LENGTH,
  limit: 10,
  cursor: MAX_CURSOR_LENGTH,
};

export type CallQueryParse = { ok: true; value: CallListQuery } | { ok: false; problems: FieldProblem[] };

export function parseCallListQuery(query: Record<string, unknown>): CallQueryParse {
  const problems: FieldProblem[] = [];
  const value: CallListQuery = { limit: DEFAULT_LIST_LIMIT };
  for (const [key, raw] of Object.entries(query)) {
    if (!(CALL_QUERY_PARAMETERS as readonly string[]).includes(key)) {
      problems.push({ path: [key], message: `unknown parameter; parameters are ${CALL_QUERY_PARAMETERS.join(', ')}` });
      continue;
    }
    if (typeof raw !== 'string') {
      problems.push({ path: [key], message: 'must be given once' });
      continue;
    }
    const name = key as keyof typeof MAX_LENGTH;
    if (raw.length > MAX_LENGTH[name]) {
      problems.push({ path: [key], message: name === 'cursor' ? 'is not a cursor this API returned' : `must be at most ${MAX_LENGTH[name]} characters` });
      continue;
    }
    switch (key) {
      case 'number': {
        const n = normaliseDialledNumber(raw);
        if (n === undefined) problems.push({ path: [key], message: `${quoted(raw)} is not an E.164 number (e.g. +15550001111)` });
        else value.number = n;
        break;
      }
      case 'from':
      case 'to': {
        const d = readIsoDate(raw);
        if (!d.ok) problems.push({ path: [key], message: isoDateProblem(d, quoted(raw), ISO_DATE_FORM) });
        else value[key] = d.date;
        break;
      }
      case 'outcome':
        if ((CALL_OUTCOMES as readonly string[]).includes(raw)) value.outcome = raw as CallOutcome;
        else problems.push({ path: [key], message: `unknown outcome ${quoted(raw)}; outcomes are ${CALL_OUTCOMES.join(', ')}` });
        break;
      case 'state':
        if ((CALL_STATES as readonly string[]).includes(raw)) value.state = raw;
        else problems.push({ path: [key], message: `unknown state ${quoted(raw)}; states are ${CALL_STATES.join(', ')}` });
        break;
      case 'idPrefix':
        // tolk's ids are lowercase UUIDs (randomUUID), so a beginning typed in capitals names the same calls.
        if (isCallIdPrefix(raw)) value.idPrefix = raw.toLowerCase();
        else if (raw === '') problems.push({ path: [key], message: 'must not be empty (leave it out for every call)' });
        else problems.push({ path: [key], message: `${quoted(raw)} is not the beginning of a call id (letters, digits and other visible ASCII characters, no spaces)` });
        break;
      case 'limit': {
        const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
        if (!Number.isInteger(n) || n < 1 || n > MAX_LIST_LIMIT) problems.push({ path: [key], message: `must be a whole number from 1 to ${MAX_LIST_LIMIT}` });
        else value.limit = n;
        break;
      }
      case 'cursor':
        if (raw === '') problems.push({ path: [key], message: 'must not be empty (leave it out for the first page)' });
        else value.cursor = raw;
        break;
    }
  }
  if (value.from && value.to && value.from.getTime() >= value.to.getTime()) {
    problems.push({ path: ['to'], message: 'must be later than from' });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}
