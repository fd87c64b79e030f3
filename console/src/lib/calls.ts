/** Call records as the admin API returns them (`/api/calls`), and small formatting helpers. */
import { listedLanguages } from '../../../src/shared/call-languages';
import { listedTimeText as listedTimeWith, talkText } from '../../../src/shared/call-times';
export { interpretationStatus } from '../../../src/shared/interpretation-failure';

export interface CallLeg {
  role: string;
  callSid: string;
  language: string;
  /** How the language became known, where it was not given (a conference's: detected, deduced, spoken). */
  languageSource?: string;
  /** When tolk dialled the leg, while nobody has joined on it (it rings, or rang unanswered). */
  dialledAt?: string;
}

export interface CallRecord {
  id: string;
  /** Present for a conference only. */
  kind?: 'conference';
  /** The conference interpreted (its name), for a conference. */
  conference?: string;
  number: string;
  from: string;
  destination: string;
  legs: CallLeg[];
  languages: Record<string, string>;
  state: string;
  outcome?: string;
  /** Why it ended, in a few words. */
  endReason?: string;
  /** Present for a call tolk places: how many attempts have started. */
  outbound?: { attempts: number; dueAt: string };
  startedAt: string;
  answeredAt?: string;
  endedAt?: string;
  /** How long it was connected (answered to ended), once it ended having been answered. */
  durationMs?: number;
  /** Its interpretation failed for good: the failure kind, and in plain words with the setting to check. */
  interpretationFailure?: { kind: string; message: string };
}

export interface Utterance {
  /** The route: 'caller->agent', 'agent->caller' in a direct call; 'to:<language>' in a conference. */
  direction: string;
  /** The role and call SID of who said it; absent where tolk cannot tell. */
  speaker?: { role: string; callSid: string };
  source: { text: string; languageCode: string };
  translation: { text: string; languageCode: string };
  startMs: number;
  endMs: number;
  /** End of speech to the first translated audio heard, when measured. */
  latencyMs?: number;
  lagMs?: number;
}

export interface CallWithTranscript extends CallRecord {
  transcript: Utterance[];
  droppedUtterances: number;
}

/** What a call's badge says: the CLI's outcome cell (shared/call-status.ts). */
export { statusLabel } from '../../../src/shared/call-status';

/**
 * The class that colours a call's badge: its outcome once it ended, `scheduled` for a call tolk
 * places that waits for its first attempt or its next one (it is not live), else `live`.
 */
export function badgeClass(c: { state: string; outcome?: string }): string {
  if (c.outcome) return c.outcome;
  return c.state === 'scheduled' ? 'scheduled' : 'live';
}

export const OUTCOMES = ['completed', 'busy', 'no-answer', 'failed', 'canceled', 'unknown-number', 'hungup_by_operator', 'timeout', 'media_lost', 'interrupted', 'instance_lost', 'error'] as const;

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

/** A delay of about a second, to a tenth of one: `1.2 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** How long a call talked, as History and `tolk calls list` say it (shared/call-times.ts): `1 min 35 s`, `in progress`, `not answered`, `not started`. */
export function callDuration(c: CallRecord): string {
  return talkText(c, formatDuration);
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** The Started column of History: when the call started, else `due ...` or `booked ...`. */
export function listedTimeText(c: CallRecord): string {
  return listedTimeWith(c, formatTime);
}

/** `<input type="datetime-local">` value (local time) to an ISO date-time, or undefined when empty/invalid. */
export function localToIso(value: string): string | undefined {
  if (value === '') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** History's Languages cell: a direct call's two languages, or every language of a conference's parties. */
export function languagesCell(c: CallRecord): string {
  return listedLanguages(c).join(c.kind === 'conference' ? ', ' : ' ↔ ') || '-';
}
