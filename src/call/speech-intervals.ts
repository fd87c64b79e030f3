/**
 * When each party of a conference was speaking, as the telephony reports it (Twilio: the
 * `participant-speech-start` / `-stop` status callbacks of a conference tolk set the callback of),
 * and the one party whose speech clearly covers a transcript line.
 *
 * Times are the arrival of each report, in ms since the call started. A report trails the speech
 * edge it tells of (the telephony's detection, then the HTTP request), so every interval is taken
 * to have begun and ended `REPORT_DELAY_MS` before its reports came. A start whose stop never comes
 * ends `MAX_SPEECH_MS` after it (or when the party starts again, or leaves). Each party keeps its
 * last `KEPT_INTERVALS` intervals; the ledger drops a party's with the party. Pure.
 */

/** How late a speech report is taken to come after the edge it reports. */
export const REPORT_DELAY_MS = 300;
/** The longest one stretch of speech is taken to last when its stop never came. */
export const MAX_SPEECH_MS = 30_000;
export const KEPT_INTERVALS = 32;
/** The named party's speech covers at least this share of the line... */
export const MIN_COVER = 0.5;
/** ...and no other candidate's covers more than this share of what the named party's does. */
export const MAX_RIVAL = 0.25;

interface Interval {
  from: number;
  to?: number;
}

export class SpeechIntervals {
  private readonly byParty = new Map<string, Interval[]>();

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
  }

  /** How many ms of [startMs, endMs] party `id` was speaking, as of `nowMs`. */
  overlap(id: string, startMs: number, endMs: number, nowMs: number): number {
    let sum = 0;
    for (const s of this.byParty.get(id) ?? []) {
      const to = s.to ?? Math.min(nowMs, s.from + MAX_SPEECH_MS);
      sum += Math.max(0, Math.min(endMs, to - REPORT_DELAY_MS) - Math.max(startMs, s.from - REPORT_DELAY_MS));
    }
    return sum;
  }

  /**
   * The one of `candidates` whose speech clearly covers the line [startMs, endMs]: at least
   * MIN_COVER of it, while every other candidate's covers at most MAX_RIVAL of that. Undefined when
   * no one's does, or two talked over each other.
   */
  clearSpeaker(candidates: readonly string[], startMs: number, endMs: number, nowMs: number): string | undefined {
    if (endMs <= startMs) return undefined;
    const covered = candidates.map((id) => ({ id, ms: this.overlap(id, startMs, endMs, nowMs) })).sort((a, b) => b.ms - a.ms);
    const [best, runnerUp] = covered;
    if (!best || best.ms < MIN_COVER * (endMs - startMs)) return undefined;
    return !runnerUp || runnerUp.ms <= MAX_RIVAL * best.ms ? best.id : undefined;
  }
}
