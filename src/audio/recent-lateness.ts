/**
 * How late translated speech has lately come, against the pace of its utterance, on every route of
 * this process: the same network path to the translation service. Every route's play-out waits for
 * at least this, so jitter on that path lengthens every route's start wait at once, and a route new
 * to speech waits for what the others have seen rather than for a blind prior. (The lateness is on
 * the play-out's clock: a stall of this process's event loop is none.) Kept over two windows of
 * `windowMs` (the one filling and the one before), so what is reported covers the last one to two
 * windows. Nothing is reported until a whole `windowMs` has passed since the process's first note:
 * its start (calls setting up together, the compiler still at work) stalls more than what follows,
 * and its first pieces have not yet shown that, so the routes keep their prior through it. Pure
 * logic: callers give the time (the play-out clock's ms).
 */
export class RecentLateness {
  private windowStart = 0;
  private inWindow: number | undefined;
  private before: number | undefined;
  /** When the first note came, ms (undefined: none yet). */
  private firstNoteAt: number | undefined;

  constructor(private readonly windowMs = 5_000) {}

  /** A piece of translated speech came `lateMs` after its utterance's pace said, at `nowMs`. */
  note(lateMs: number, nowMs: number): void {
    this.roll(nowMs);
    this.firstNoteAt ??= nowMs;
    if (this.inWindow === undefined || lateMs > this.inWindow) this.inWindow = lateMs;
  }

  /**
   * The most lateness noted over the last one to two windows; undefined when none was noted, or
   * until `windowMs` has passed since the first note.
   */
  maxMs(nowMs: number): number | undefined {
    this.roll(nowMs);
    if (this.firstNoteAt === undefined || nowMs - this.firstNoteAt < this.windowMs) return undefined;
    if (this.inWindow === undefined) return this.before;
    return this.before === undefined ? this.inWindow : Math.max(this.inWindow, this.before);
  }

  private roll(nowMs: number): void {
    const windows = Math.floor((nowMs - this.windowStart) / this.windowMs);
    if (windows <= 0) return;
    this.before = windows === 1 ? this.inWindow : undefined;
    this.inWindow = undefined;
    this.windowStart += windows * this.windowMs;
  }
}
