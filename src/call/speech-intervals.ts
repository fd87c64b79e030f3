/**
 * When each party of a conference was speaking, as the telephony reports it (Twilio: the
 * `participant-speech-start` / `-stop` status callbacks of a conference tolk set the callback of),
 * and the one party whose speech clearly covers a transcript line.
 *
 * Times are the arrival of each report, in ms since the call started. A report trails the speech
 * edge it tells of (the telephony's detection, then the HTTP request), so every interval is taken
 * to have begun and ended `REPORT_DELAY_MS` before its reports came. A start whose stop never comes
 * ends `MAX_SPEECH_MS` after it (or when the party starts again, or leaves). Each party keeps its
 * last `KEPT_INTERVALS` intervals; the ledger drops a party's with the party.
 *
 * Reports may come out of order (Twilio numbers a conference's callbacks, `SequenceNumber`, and does
 * not promise to deliver them in that order): one numbered no later than the last taken for its
 * party is dropped, so a stop handled before its start leaves no speech open, and a report
 * delivered twice counts once. Pure.
 */

/** How late a speech report is taken to come after the edge it reports. */
export const REPORT_DELAY_MS = 300;
/** The longest one stretch of speech is taken to last when its stop never came. */
export const MAX_SPEECH_MS = 30_000;
export const KEPT_INTERVALS = 32;
/**
 * How much of a line's end its speaker is judged by. A line's end is placed from its last words;
 * its start may reach back over speech just before them (someone else's, in a quick exchange), so
 * only the last `TAIL_MS` (all of a shorter line) is weighed.
 */
export const TAIL_MS = 1500;
/** A candidate whose speech stopped more than this before a line's end did not say its last words. */
export const END_SLACK_MS = 500;
/** The named party's speech covers at least this share of the line's tail... */
export const MIN_COVER = 0.5;
/** ...and no other candidate speaking at its end covers more than this share of what the named party's does. */
export const MAX_RIVAL = 0.25;

interface Interval {
  from: number;
  to?: number;
}

export class SpeechIntervals {
  private readonly byParty = new Map<string, Interval[]>();
  /** The number of the last report taken for each party. */
  private readonly lastReport = new Map<string, number>();

  /**
   * Party `id` was reported speaking (`speaking`) or quiet at `atMs`, in the report numbered
   * `sequence` (when the telephony numbers them): false, and nothing noted, for a report older than
   * one already taken for the party.
   */
  report(id: string, speaking: boolean, atMs: number, sequence?: number): boolean {
    if (sequence !== undefined) {
      const last = this.lastReport.get(id);
      if (last !== undefined && sequence <= last) return false;
      this.lastReport.set(id, sequence);
    }
    if (speaking) this.started(id, atMs);
    else this.stopped(id, atMs);
    return true;
  }

  /** Party `id` was reported speaking at `atMs`. */
  started(id: string, atMs: number): void {
    const list = this.byParty.get(id) ?? [];
    const last = list[list.length - 1];
    if (last && last.to === undefined) last.to = Math.min(atMs, last.from + MAX_SPEECH_MS);
    list.push({ from: atMs });
    if (list.length > KEPT_INTERVALS) list.shift();
    this.byParty.set(id, list);
  }

  /** Party `id` was reported quiet at `atMs` (or left): its speech in progress ends. */
  stopped(id: string, atMs: number): void {
    const last = this.byParty.get(id)?.at(-1);
    if (last && last.to === undefined) last.to = Math.max(last.from, Math.min(atMs, last.from + MAX_SPEECH_MS));
  }

  forget(id: string): void {
    this.byParty.delete(id);
    this.lastReport.delete(id);
  }

  /** Party `id`'s speech as of `nowMs`, moved back by the reports' delay: when it was speaking. */
  private spoken(id: string, nowMs: number): { from: number; to: number }[] {
    return (this.byParty.get(id) ?? []).map((s) => ({
      from: s.from - REPORT_DELAY_MS,
      to: (s.to ?? Math.min(nowMs, s.from + MAX_SPEECH_MS)) - REPORT_DELAY_MS,
    }));
  }

  /** How many ms of [startMs, endMs] party `id` was speaking, as of `nowMs`. */
  overlap(id: string, startMs: number, endMs: number, nowMs: number): number {
    let sum = 0;
    for (const s of this.spoken(id, nowMs)) sum += Math.max(0, Math.min(endMs, s.to) - Math.max(startMs, s.from));
    return sum;
  }

  /** Whether party `id` was speaking at the end of a line ending at `endMs` (up to END_SLACK_MS before it), as of `nowMs`. */
  speakingAtEnd(id: string, endMs: number, nowMs: number): boolean {
    return this.spoken(id, nowMs).some((s) => s.from < endMs && s.to >= endMs - END_SLACK_MS);
  }

  /**
   * The one of `candidates` who said the end of the line [startMs, endMs]: of those speaking at its
   * end, the one whose speech covers at least MIN_COVER of its tail (its last TAIL_MS), while every
   * other one's covers at most MAX_RIVAL of that. A candidate whose speech stopped before the last
   * words (a turn before the line's) is no rival. Undefined when no one's does, or two talked over
   * each other.
   */
  clearSpeaker(candidates: readonly string[], startMs: number, endMs: number, nowMs: number): string | undefined {
    if (endMs <= startMs) return undefined;
    const tailFrom = Math.max(startMs, endMs - TAIL_MS);
    const covered = candidates
      .filter((id) => this.speakingAtEnd(id, endMs, nowMs))
      .map((id) => ({ id, ms: this.overlap(id, tailFrom, endMs, nowMs) }))
      .sort((a, b) => b.ms - a.ms);
    const [best, runnerUp] = covered;
    if (!best || best.ms < MIN_COVER * (endMs - tailFrom)) return undefined;
    return !runnerUp || runnerUp.ms <= MAX_RIVAL * best.ms ? best.id : undefined;
  }
}
