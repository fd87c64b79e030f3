/**
 * Where an utterance was said. A translation session times an utterance by when its words were
 * transcribed, which trails the speech (by the model's delay, or to the end of the speech when the
 * transcript comes at once); the route's speech detector knows when speech started and stopped on
 * the line. An utterance is placed from the start of the speech its first words came in (reached
 * back over pauses shorter than `UNHEARD_GAP_MS`, never before the previous utterance ended), to
 * the last end of speech before its last words came; when the speaker was still talking then
 * (speech had started again before what the last words transcribe), its own end stays. Times only
 * move earlier, never by more than `MAX_SHIFT_MS`. Pure.
 */
export const MAX_SHIFT_MS = 15_000;
/**
 * Quiet after speech longer than this, with nothing of it translated or transcribed, parts it from
 * what follows: it was speech the session let pass (said in the listeners' own language, or noise).
 */
export const UNHEARD_GAP_MS = 2500;
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
    let i = findLastIndex(runs, (r) => r.start <= startMs);
    while (i > 0 && runs[i - 1].end !== undefined && runs[i].start - (runs[i - 1].end ?? 0) <= UNHEARD_GAP_MS) i--;
    const found = i >= 0 ? runs[i].start : undefined;
    const start = found !== undefined && startMs - found <= MAX_SHIFT_MS ? found : startMs;
    // The last words came this long after the speech they transcribe (as the first ones did).
    const said = endMs - (startMs - start);
    let end = endMs;
    const lastEnd = findLast(runs, (r) => r.end !== undefined && r.end > start && r.end <= endMs)?.end;
    const talking = lastEnd !== undefined && runs.some((r) => r.start > lastEnd && r.start <= said);
    if (lastEnd !== undefined && endMs - lastEnd <= MAX_SHIFT_MS && !talking) end = lastEnd;
    this.lastEndMs = Math.max(this.lastEndMs, end);
    this.runs = runs.filter((r) => r.start > this.lastEndMs);
    return { startMs: start, endMs: end };
  }
}

function findLastIndex(runs: readonly Run[], ok: (r: Run) => boolean): number {
  for (let i = runs.length - 1; i >= 0; i--) if (ok(runs[i])) return i;
  return -1;
}

function findLast(runs: readonly Run[], ok: (r: Run) => boolean): Run | undefined {
  const i = findLastIndex(runs, ok);
  return i >= 0 ? runs[i] : undefined;
}
