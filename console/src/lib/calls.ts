/** Call records as the admin API returns them (`/api/calls`), and small formatting helpers. */
import { listedLanguages } from '../../../src/shared/call-languages';
import { listedTimeText as listedTimeWith, talkText } from '../../../src/shared/call-times';
import type { CallJson as CallRecord } from '../../../src/shared/call-json';
export { interpretationStatus } from '../../../src/shared/interpretation-failure';

export type { CallLegJson as CallLeg, CallJson as CallRecord, UtteranceJson as Utterance, CallWithTranscriptJson as CallWithTranscript } from '../../../src/shared/call-json';

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
