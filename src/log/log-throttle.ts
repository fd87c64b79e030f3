/**
 * At most one log line per `intervalMs` for an event that can come in a flood (connections a
 * client floods a server with): the first event of a window is written, with how many were left
 * out since the previous line (`leftOut`); those left out at the end of a flood are written as one
 * line (`event` undefined) when their window ends, so that none goes uncounted.
 */
export class LogThrottle<E> {
  private lastAt = -Infinity;
  private leftOut = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly write: (event: E | undefined, leftOut: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  event(event: E): void {
    const now = this.now();
    if (now - this.lastAt >= this.intervalMs) return this.flush(event, now);
    this.leftOut++;
    this.timer ??= setTimeout(() => this.flush(undefined, this.now()), this.lastAt + this.intervalMs - now).unref();
  }

  private flush(event: E | undefined, now: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (event === undefined && this.leftOut === 0) return;
    const leftOut = this.leftOut;
    this.leftOut = 0;
    this.lastAt = now;
    this.write(event, leftOut);
  }
}
