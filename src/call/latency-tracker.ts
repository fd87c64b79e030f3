/**
 * Per direction: from the end of the speaker's speech to the first translated audio played to the
 * listener. Translated speech that starts while the speaker is still talking counts as 0 ms (the
 * listener waited for nothing).
 */
export class LatencyTracker {
  private speaking = false;
  private lastEndMs: number | undefined;
  private measured = true;

  constructor(private readonly report: (ms: number) => void) {}

  speechStarted(): void {
    this.speaking = true;
    this.measured = false;
  }

  speechEnded(atMs: number): void {
    this.speaking = false;
    this.lastEndMs = atMs;
  }

  translationStarted(atMs: number): void {
    if (this.measured) return;
    this.measured = true;
    this.report(this.speaking || this.lastEndMs === undefined ? 0 : Math.max(0, atMs - this.lastEndMs));
  }
}
