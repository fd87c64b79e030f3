/**
 * Groups incremental transcripts into utterances. The translate model streams continuously and never
 * ends a turn, so an utterance ends when neither transcript text nor translated audio has arrived
 * for a pause, or when the speech heard is in another language (a new speaker). Pure: the caller
 * feeds pieces and asks whether the pause has elapsed at a given wall-clock time.
 */
import type { TranscriptPiece, TranslatedUtterance } from '../call/ports/translation';

export class UtteranceSegmenter {
  private source = '';
  private translation = '';
  private sourceLang: string | undefined;
  private translationLang: string | undefined;
  private startMs = -1;
  private endMs = 0;
  private lastWallMs = 0;

  constructor(private readonly pauseMs: number) {}

  add(side: 'source' | 'translation', piece: TranscriptPiece, wallMs: number): void {
    if (piece.languageCode) {
      if (side === 'source') this.sourceLang = piece.languageCode;
      else this.translationLang = piece.languageCode;
    }
    if (piece.text === '') return;
    if (side === 'source') this.source += piece.text;
    else this.translation += piece.text;
    if (this.startMs < 0) this.startMs = piece.atMs;
    this.endMs = Math.max(this.endMs, piece.atMs);
    this.lastWallMs = wallMs;
  }

  /** Translated audio still arriving keeps the current utterance open (output lags input). */
  touch(wallMs: number): void {
    if (this.pending) this.lastWallMs = Math.max(this.lastWallMs, wallMs);
  }

  /** The language the current utterance's speaker speaks, as last reported. */
  get sourceLanguage(): string | undefined {
    return this.sourceLang;
  }

  get pending(): boolean {
    return this.startMs >= 0;
  }

  /** Wall-clock time at which the current utterance ends if nothing else arrives, or undefined. */
  deadline(): number | undefined {
    return this.pending ? this.lastWallMs + this.pauseMs : undefined;
  }

  /** Returns the finished utterance if the pause has elapsed at `wallMs` (or `force`), resetting the state. */
  take(wallMs: number, force = false): TranslatedUtterance | undefined {
    if (!this.pending || (!force && wallMs < this.lastWallMs + this.pauseMs)) return undefined;
    const u: TranslatedUtterance = {
      source: { text: this.source.trim(), languageCode: this.sourceLang },
      translation: { text: this.translation.trim(), languageCode: this.translationLang },
      startMs: this.startMs,
      endMs: this.endMs,
    };
    this.source = '';
    this.translation = '';
    this.startMs = -1;
    this.endMs = 0;
    return u;
  }
}
