/**
 * Per route, two delays of the translation its listeners heard, measured on the speaker's media
 * clock when the translated speech starts playing:
 * - `latencyMs`: from the end of the speaker's speech to the first translated audio (0 when the
 *   translation starts while they still talk: the listener waited for nothing);
 * - `lagMs`: from the start of the speech to the start of its translation (the ear-voice span: how
 *   far the listener is behind the speaker), from the first speech still waiting for a translation.
 *   Speech stops waiting when the session finished its utterance without a translation (said in
 *   the listeners' own language, or on a muted route), or when it was followed by a quiet longer
 *   than `UNHEARD_GAP_MS` with no words transcribed since it began (a cough, a noise). Not
 *   measured when that speech began while translated speech was playing, or had paused only for a
 *   moment (its translation may follow on without a start of its own), nor past `MAX_LAG_MS`.
 */
import type { UtteranceDelay } from './ports/metrics';
import { UNHEARD_GAP_MS } from './spoken-times';

export const MAX_LAG_MS = 20_000;
/** A pause in translated speech shorter than this is the same translation going on. */
export const FOLLOW_ON_MS = 300;
/** Starts of speech kept while waiting for a translation (the first is the one that counts). */
const ONSETS_KEPT = 16;

interface Onset {
  atMs: number;
  /** False when its translation may follow on from one playing then: its lag cannot be told. */
  timed: boolean;
}

export class LatencyTracker {
  private speaking = false;
  private lastEndMs: number | undefined;
  private measured = true;
  /** Starts of speech waiting for their translation to start, oldest first. */
  private onsets: Onset[] = [];
  private lastTranslationEndMs = -Infinity;
  private lastWordsMs = -Infinity;

  constructor(private readonly report: (delay: UtteranceDelay) => void) {}

  /** Speech started at `atMs`; `translationPlaying`: the listeners are hearing translated speech now. */
  speechStarted(atMs: number, translationPlaying: boolean): void {
    const first = this.onsets[0];
    const noise = first !== undefined && this.lastWordsMs < first.atMs && !this.speaking && this.lastEndMs !== undefined && atMs - this.lastEndMs > UNHEARD_GAP_MS;
    if (noise) this.onsets = [];
    const timed = !translationPlaying && atMs - this.lastTranslationEndMs >= FOLLOW_ON_MS;
    if (this.onsets.length < ONSETS_KEPT) this.onsets.push({ atMs, timed });
    this.speaking = true;
    this.measured = false;
  }

  speechEnded(atMs: number): void {
    this.speaking = false;
    this.lastEndMs = atMs;
  }

  /** The session transcribed words of the speech at `atMs`. */
  wordsHeard(atMs: number): void {
    this.lastWordsMs = atMs;
  }

  /** The session finished an utterance said until `endMs` without a translation: speech that began by then waits no more. */
  utteranceDone(endMs: number): void {
    this.onsets = this.onsets.filter((o) => o.atMs > endMs);
  }

  /** A listener started hearing translated speech at `atMs`. */
  translationStarted(atMs: number): void {
    const first = this.onsets[0];
    this.onsets = [];
    if (this.measured) return;
    this.measured = true;
    // The same translation going on after a moment's pause: nothing new to measure.
    if (atMs - this.lastTranslationEndMs < FOLLOW_ON_MS) return;
    const latencyMs = this.speaking || this.lastEndMs === undefined ? 0 : Math.max(0, atMs - this.lastEndMs);
    const lagMs = first?.timed ? atMs - first.atMs : undefined;
    this.report(lagMs !== undefined && lagMs <= MAX_LAG_MS ? { latencyMs, lagMs } : { latencyMs });
  }

  /** A listener stopped hearing translated speech at `atMs`. */
  translationEnded(atMs: number): void {
    this.lastTranslationEndMs = atMs;
  }
}
