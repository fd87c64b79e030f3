/**
 * Per route, two delays of the translation its listeners heard, measured on the speaker's media
 * clock when the translated speech starts playing:
 * - `latencyMs`: from the end of the speaker's speech to the first translated audio (0 when the
 *   translation starts while they still talk: the listener waited for nothing);
 * - `lagMs`: from the start of the speech to the start of its translation (the ear-voice span: how
 *   far the listener is behind the speaker), from the first speech still waiting for a translation
 *   (speech after a quiet longer than `UNHEARD_GAP_MS` starts a new wait: what came before was never
 *   translated). Not measured for speech that began while translated speech was playing (its
 *   translation may follow on without a start of its own), nor past `MAX_LAG_MS`.
 */
import type { UtteranceDelay } from './ports/metrics';
import { UNHEARD_GAP_MS } from './spoken-times';

export const MAX_LAG_MS = 20_000;

export class LatencyTracker {
  private speaking = false;
  private lastEndMs: number | undefined;
  private measured = true;
  /** Start of the speech whose translation has not started yet, when known. */
  private onsetMs: number | undefined;

  constructor(private readonly report: (delay: UtteranceDelay) => void) {}

  /** Speech started at `atMs`; `translationPlaying`: the listeners are hearing translated speech now. */
  speechStarted(atMs: number, translationPlaying: boolean): void {
    // Speech after speech still waiting for its translation is part of that wait, not a new one,
    // unless a long quiet came between: what was said before it was never translated.
    const unheard = !this.measured && !this.speaking && this.lastEndMs !== undefined && atMs - this.lastEndMs > UNHEARD_GAP_MS;
    if (this.measured || unheard) this.onsetMs = translationPlaying ? undefined : atMs;
    this.speaking = true;
    this.measured = false;
  }

  speechEnded(atMs: number): void {
    this.speaking = false;
    this.lastEndMs = atMs;
  }

  translationStarted(atMs: number): void {
    const onset = this.onsetMs;
    this.onsetMs = undefined;
    if (this.measured) return;
    this.measured = true;
    const latencyMs = this.speaking || this.lastEndMs === undefined ? 0 : Math.max(0, atMs - this.lastEndMs);
    const lagMs = onset === undefined ? undefined : atMs - onset;
    this.report(lagMs !== undefined && lagMs >= 0 && lagMs <= MAX_LAG_MS ? { latencyMs, lagMs } : { latencyMs });
  }
}
