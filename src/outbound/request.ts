/**
 * What `POST /api/calls` (and `tolk calls place`) may ask for, checked before anything is stored:
 * every field bounded, every problem reported by field. Pure: the time is passed in.
 */
import { isoDateProblem, readIsoDate } from '../config/iso-date';
import { AUTO_LANGUAGE, destinationKind, E164_PATTERN } from '../config/numbers';
import { MAX_DESTINATION_LENGTH, MAX_LANGUAGE_CODE_LENGTH, quoted, unknownLanguageMessage, type FieldProblem } from '../config/numbers-schema';
import { isSupportedLanguage } from '../translate/languages';

/** How far ahead a call may be scheduled. */
export const MAX_SCHEDULE_DAYS = 90;
/** Attempts after the first one, at most. */
export const MAX_RETRIES = 5;
/** Bounds of the wait between attempts, seconds. */
export const MIN_RETRY_AFTER_SEC = 5;
export const MAX_RETRY_AFTER_SEC = 3600;
export const DEFAULT_RETRY_AFTER_SEC = 60;

export const OUTBOUND_FIELDS = ['line', 'to', 'destination', 'callerLanguage', 'agentLanguage', 'at', 'retries', 'retryAfterSec'] as const;

export interface OutboundRequest {
  /** The tolk number the call is placed from; its settings supply what the request leaves out. */
  line: string;
  /** The customer tolk calls (E.164). */
  to: string;
  destination?: string;
  callerLanguage?: string;
  agentLanguage?: string;
  /** Absent: placed now. */
  at?: Date;
  retries: number;
  retryAfterSec: number;
}

export type OutboundRequestParse = { ok: true; value: OutboundRequest } | { ok: false; problems: FieldProblem[] };

function typeName(v: unknown): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'a list' : `a ${typeof v}`;
}

export function parseOutboundRequest(body: unknown, now: Date): OutboundRequestParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ path: [], message: `must be a JSON object with ${OUTBOUND_FIELDS.join(', ')}, not ${typeName(body)}` }] };
  }
  const input = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const unknown = Object.keys(input).filter((k) => !(OUTBOUND_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    problems.push({ path: [], message: `unknown field ${unknown.slice(0, 5).map((k) => quoted(k, 32)).join(', ')}; fields are ${OUTBOUND_FIELDS.join(', ')}` });
  }
  const text = (field: string, max: number, required: boolean): string | undefined => {
    const v = input[field];
    if (v === undefined) {
      if (required) problems.push({ path: [field], message: 'is required' });
      return undefined;
    }
    if (typeof v !== 'string') {
      problems.push({ path: [field], message: `must be a string, not ${typeName(v)}` });
      return undefined;
    }
    if (v.length > max) {
      problems.push({ path: [field], message: `must be at most ${max} characters` });
      return undefined;
    }
    return v;
  };
  const e164 = (field: string): string | undefined => {
    const v = text(field, 64, true);
    if (v !== undefined && !E164_PATTERN.test(v)) {
      problems.push({ path: [field], message: `${quoted(v)} is not an E.164 number (a + and up to 15 digits, no spaces or dashes, e.g. +15550001111)` });
      return undefined;
    }
    return v;
  };
  const whole = (field: string, min: number, max: number, fallback: number): number => {
    const v = input[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push({ path: [field], message: `must be a whole number from ${min} to ${max}` });
      return fallback;
    }
    return v;
  };

  const line = e164('line');
  const to = e164('to');
  const destination = text('destination', MAX_DESTINATION_LENGTH, false);
  if (destination !== undefined && destinationKind(destination) === undefined) {
    problems.push({
      path: ['destination'],
      message: `${quoted(destination)} is not a destination: use an E.164 number (+15550002222), a SIP URI (sip:agent@pbx.example.com) or a client identity (client:alice)`,
    });
  }
  const callerLanguage = text('callerLanguage', MAX_LANGUAGE_CODE_LENGTH, false);
  if (callerLanguage !== undefined && callerLanguage !== AUTO_LANGUAGE && !isSupportedLanguage(callerLanguage)) {
    problems.push({ path: ['callerLanguage'], message: unknownLanguageMessage(callerLanguage) });
  }
  const agentLanguage = text('agentLanguage', MAX_LANGUAGE_CODE_LENGTH, false);
  if (agentLanguage !== undefined && !isSupportedLanguage(agentLanguage)) problems.push({ path: ['agentLanguage'], message: unknownLanguageMessage(agentLanguage) });
  const atText = text('at', 40, false);
  let at: Date | undefined;
  if (atText !== undefined) {
    // A date alone is well-formed, but names no time to call at.
    const read = atText.includes('T') ? readIsoDate(atText) : ({ ok: false, problem: 'malformed' } as const);
    if (!read.ok) {
      problems.push({ path: ['at'], message: isoDateProblem(read, quoted(atText), 'an ISO 8601 date-time with a zone (e.g. 2025-01-31T10:30:00Z or 2025-01-31T10:30:00+01:00)') });
    } else if (read.date.getTime() <= now.getTime()) {
      problems.push({ path: ['at'], message: `${quoted(atText)} has passed (it is now ${now.toISOString()}); leave at out to call now` });
    } else if (read.date.getTime() > now.getTime() + MAX_SCHEDULE_DAYS * 86_400_000) {
      problems.push({ path: ['at'], message: `${quoted(atText)} is more than ${MAX_SCHEDULE_DAYS} days ahead` });
    } else {
      at = read.date;
    }
  }
  const retries = whole('retries', 0, MAX_RETRIES, 0);
  const retryAfterSec = whole('retryAfterSec', MIN_RETRY_AFTER_SEC, MAX_RETRY_AFTER_SEC, DEFAULT_RETRY_AFTER_SEC);
  if (problems.length > 0 || line === undefined || to === undefined) return { ok: false, problems };
  return {
    ok: true,
    value: {
      line,
      to,
      ...(destination !== undefined ? { destination } : {}),
      ...(callerLanguage !== undefined ? { callerLanguage } : {}),
      ...(agentLanguage !== undefined ? { agentLanguage } : {}),
      ...(at ? { at } : {}),
      retries,
      retryAfterSec,
    },
  };
}
