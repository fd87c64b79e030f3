/**
 * Where an utterance was said. A translation session times an utterance by when its words were
 * transcribed, which trails the speech (by the model's delay, or to the end of the speech when the
 * transcript comes at once); the route's speech detector knows when speech started and stopped on
 * the line. An utterance is placed from the start of the speech its first words came in (reached
 * back over pauses shorter than `UNHEARD_GAP_MS`, never before the previous utterance ended), to
 * the end of the speech its last words came in; when the speaker was still talking then, its own
 * end stays. Times only move earlier, never by more than `MAX_SHIFT_MS`. Pure.
 */
export const MAX_SHIFT_MS = 15_000;
/**
 * Quiet after speech longer than this, with nothing of it translated or transcribed, parts it from
 * what follows: it was speech the session let pass (said in the listeners' own language, or noise).
 */
export const UNHEARD_GAP_MS = 2500;
/** The longest a transcript is taken to trail the words it transcribes, when placing its end. */
export const TRANSCRIPT_DELAY_MS = 1500;
const KEPT = 32;

interface Run {
  start: number;
  end?: number;
}

export class SpokenTimes {
  private runs: Run[] = [];
  private lastEndMs = -Infinity;

  /** Speech started at `atMs` (ms since the call started). */
  started(atMs: number): void {
    this.runs.push({ start: atMs });
    if (this.runs.length > KEPT) this.runs.shift();
  }

  /** Speech ended at `atMs`. */
  ended(atMs: number): void {
    const last = this.runs[this.runs.length - 1];
    if (last && last.end === undefined) last.end = atMs;
  }

  /** The times an utterance transcribed from `startMs` to `endMs` was said. */
  place(startMs: number, endMs: number): { startMs: number; endMs: number } {
    const runs = this.runs;
    let i = runs.findLastIndex((r) => r.start <= startMs);
    if (i >= 0 && startMs - runs[i].start > MAX_SHIFT_MS) i = -1;
    while (i > 0 && startMs - runs[i - 1].start <= MAX_SHIFT_MS && runs[i].start - (runs[i - 1].end ?? Infinity) <= UNHEARD_GAP_MS) i--;
    const start = i >= 0 ? runs[i].start : startMs;
    // What the last words transcribe was said about as long before them as the first words were
    // (a service that transcribes when the speech is over is taken at its usual delay).
    const said = endMs - Math.min(startMs - start, TRANSCRIPT_DELAY_MS);
    const last = runs.findLast((r) => r.start <= said);
    const end = last?.end !== undefined && last.end > start && last.end <= endMs && endMs - last.end <= MAX_SHIFT_MS ? last.end : endMs;
    this.lastEndMs = Math.max(this.lastEndMs, end);
    this.runs = runs.filter((r) => r.start > this.lastEndMs);
    return { startMs: start, endMs: end };
  }
}
