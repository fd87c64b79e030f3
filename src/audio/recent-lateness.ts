/**
 * How late translated speech has lately come, against the pace of its utterance, on every route of
 * this process: the same network path to the translation service. Every route's play-out waits for
 * at least this, so jitter on that path lengthens every route's start wait at once, and a route new
 * to speech waits for what the others have seen rather than for a blind prior. (The lateness is on
 * the play-out's clock: a stall of this process's event loop while it reads a reply is none.)
 * Kept over two windows of `windowMs` (the one filling and the one before), so what is reported
 * covers the last one to two windows. Nothing is reported until a whole `windowMs` has passed
 * since the process's first note: its start (calls setting up together, the compiler still at
 * work) stalls more than what follows, and its first pieces have not yet shown that, so the routes
 * keep their prior through it. Pure logic: callers give the time (the play-out clock's ms).
 *
 * What is reported is the most noted but for the latest one piece in a hundred (`QUANTILE`): with
 * fewer than a hundred pieces noted, the most. With hundreds of routes the most over a few seconds
 * is one piece whose request tolk sent late, its event loop held up as the speech came (a
 * collection, a busy tick): waiting for that on every route would delay every utterance of the
 * process for the sake of one. A route still waits for the most its own pieces showed (see
 * SpeechPlayout), and a piece later than the wait is carried on by the concealment.
 */

/** The share of the pieces noted whose lateness the figure covers. */
export const QUANTILE = 0.99;
/** Lateness is counted in whole ms (rounded up) up to this; a piece this late or more is a stall, not noted. */
const MAX_LATE_MS = 100;

export class RecentLateness {
  private windowStart = 0;
  /** Pieces noted in the window filling and in the one before, by lateness (ms, rounded up). */
  private inWindow = new Uint32Array(MAX_LATE_MS + 1);
  private before = new Uint32Array(MAX_LATE_MS + 1);
  private inWindowCount = 0;
  private beforeCount = 0;
  /** When the first note came, ms (undefined: none yet). */
  private firstNoteAt: number | undefined;

  constructor(private readonly windowMs = 5_000) {}

  /** A piece of translated speech came `lateMs` (0 or more) after its utterance's pace said, at `nowMs`. */
  note(lateMs: number, nowMs: number): void {
    this.roll(nowMs);
    this.firstNoteAt ??= nowMs;
    this.inWindow[Math.min(MAX_LATE_MS, Math.max(0, Math.ceil(lateMs)))]++;
    this.inWindowCount++;
  }

  /**
   * The lateness noted over the last one to two windows, all but the latest one piece in a hundred
   * (ms); undefined when none was noted, or until `windowMs` has passed since the first note.
   */
  lateMs(nowMs: number): number | undefined {
    this.roll(nowMs);
    const count = this.inWindowCount + this.beforeCount;
    if (this.firstNoteAt === undefined || nowMs - this.firstNoteAt < this.windowMs || count === 0) return undefined;
    const covered = QUANTILE * count;
    let seen = 0;
    for (let ms = 0; ms < MAX_LATE_MS; ms++) {
      seen += this.inWindow[ms] + this.before[ms];
      if (seen >= covered) return ms;
    }
    return MAX_LATE_MS;
  }

  private roll(nowMs: number): void {
    const windows = Math.floor((nowMs - this.windowStart) / this.windowMs);
    if (windows <= 0) return;
    const filled = this.inWindow;
    this.inWindow = this.before;
    this.inWindow.fill(0);
    this.before = filled;
    this.beforeCount = this.inWindowCount;
    this.inWindowCount = 0;
    if (windows > 1) {
      this.before.fill(0);
      this.beforeCount = 0;
    }
    this.windowStart += windows * this.windowMs;
  }
}
