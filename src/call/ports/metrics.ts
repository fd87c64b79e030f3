/** What the call core measures; the Prometheus `Metrics` class (src/http/metrics.ts) satisfies it. */
export interface CallMetrics {
  callStarted(): void;
  callEnded(outcome: string): void;
  /** A call turned away before it started (unknown number, at capacity, shutting down). */
  callRejected(outcome: string): void;
  translationSessionOpened(): void;
  translationSessionClosed(): void;
  translationReconnected(direction: string): void;
  translationFailed(kind: string): void;
  observeUtteranceLatency(direction: string, latencyMs: number): void;
  observeFrameProcessing(path: 'in' | 'out', durationMs: number): void;
  observePlayoutDepth(depthMs: number): void;
  playoutOverflow(droppedMs: number): void;
}
