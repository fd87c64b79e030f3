/**
 * How far behind the speech its translation started playing to the listeners: `latencyMs` from the
 * end of the speech (0 when it started while the speaker still talked), `lagMs` from its start
 * (the ear-voice span), when that is known.
 */
export interface UtteranceDelay {
  latencyMs: number;
  lagMs?: number;
}

/** What the call core measures; the Prometheus `Metrics` class (src/http/metrics.ts) satisfies it. */
export interface CallMetrics {
  /** `kind`: 'direct' (default) or 'conference'. */
  callStarted(kind?: string): void;
  callEnded(outcome: string, kind?: string): void;
  /** A live call moved to another instance ('out') or from one ('in'): active here or not, not counted as a new or ended call. */
  callMoved?(direction: 'in' | 'out', kind: string): void;
  /** A call turned away before it started (unknown number, at capacity, shutting down). */
  callRejected(outcome: string): void;
  /**
   * Interpretation became unavailable in a conference for good: to every party (`conference`), or
   * to one party whose own interpreter leg failed while the others stay interpreted (`party`).
   */
  conferenceUninterpreted(scope: 'conference' | 'party'): void;
  /**
   * Interpretation came back after `conferenceUninterpreted`: to every party of the conference
   * (`conference`), or to the one party it was unavailable to (`party`).
   */
  conferenceInterpretationRestored(scope: 'conference' | 'party'): void;
  translationSessionOpened(): void;
  translationSessionClosed(): void;
  translationReconnected(direction: string): void;
  translationFailed(kind: string): void;
  /** The listeners started hearing a translation: its delays behind the speech (see `UtteranceDelay`). */
  observeUtteranceDelay(direction: string, delay: UtteranceDelay): void;
  observeFrameProcessing(path: 'in' | 'out', durationMs: number): void;
  observePlayoutDepth(depthMs: number): void;
  playoutOverflow(droppedMs: number): void;
  /** Translated speech ran dry inside an utterance and resumed `count` times (each a gap the listener heard). */
  playoutUnderruns(count: number): void;
  /** Translated speech ran dry inside an utterance and was carried on until it resumed `count` times, `concealedMs` made up in all (no gap heard). */
  playoutConcealments(count: number, concealedMs: number): void;
  /** A leg's inbound voice was late: a frame not there when due (a hole in what is passed on). */
  inboundUnderrun(): void;
  /** A leg's inbound frame nearly missed its tick: its jitter buffer took one frame more in hand. */
  inboundLateFrame(): void;
  /** Inbound audio a leg's jitter buffer holds (the delay it adds), sampled about once a second. */
  observeInboundJitterDelay(depthMs: number): void;
}
