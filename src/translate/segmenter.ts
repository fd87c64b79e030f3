/**
 * Groups incremental transcripts into utterances. The translate model streams continuously and never
 * ends a turn, so an utterance ends when neither transcript text nor translated audio has come back
 * for a pause in the speech the service was given, or when the speech heard is in another language
 * (a new speaker).
 *
 * The pause is counted in the audio given to the service, each ms of it once a ms of wall-clock
 * time has gone by since it was given (the time the service had to answer it), no sooner. So a
 * stall of this process or of the audio's source (no audio for a while, then what was held up, all
 * at once) is no pause: the service had not heard the speech it missed, nor had the time to answer
 * what came at once. A real pause is counted as it goes by, the phone line carrying its silence.
 * Should audio stop coming in altogether, the utterance still ends once `stallMs` of wall-clock
 * time has gone by without anything arriving.
 *
 * Pure: the caller feeds pieces and input, each with the wall-clock time, and asks whether the
 * utterance is over.
 */
import type { TranscriptPiece, TranslatedUtterance } from '../call/ports/translation';

export class UtteranceSegmenter {
  private source = '';
  private translation = '';
  private sourceLang: string | undefined;
  private translationLang: string | undefined;
  private startMs = -1;
  private endMs = 0;
  /** Wall-clock time the last piece or translated audio arrived. */
  private lastWallMs = 0;
  /** Pause counted since then; input given since then not counted yet; where both clocks were at the last count. */
  private pauseSoFarMs = 0;
  private uncountedMs = 0;
  private countedInputMs = 0;
  private countedWallMs = 0;
  private readonly stallMs: number;

  constructor(
    private readonly pauseMs: number,
    /** Wall-clock time without anything arriving that ends an utterance whatever the input did (at least `pauseMs`). */
    stallMs: number,
  ) {
    this.stallMs = Math.max(pauseMs, stallMs);
  }

  /** A transcript piece; `piece.atMs` is the input clock when it arrived. */
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
    this.arrived(piece.atMs, wallMs);
  }

  /** Translated audio still arriving (at `inputMs` on the input clock) keeps the current utterance open (output lags input). */
  touch(inputMs: number, wallMs: number): void {
    if (this.pending) this.arrived(inputMs, wallMs);
  }

  /** The service has been given input up to `inputMs` on the input clock, by `wallMs`. */
  heard(inputMs: number, wallMs: number): void {
    if (!this.pending) return;
    const answerable = Math.min(this.uncountedMs, Math.max(0, wallMs - this.countedWallMs));
    this.pauseSoFarMs += answerable;
    this.uncountedMs += inputMs - this.countedInputMs - answerable;
    this.countedInputMs = inputMs;
    this.countedWallMs = Math.max(this.countedWallMs, wallMs);
  }

  /** The language the current utterance's speaker speaks, as last reported. */
  get sourceLanguage(): string | undefined {
    return this.sourceLang;
  }

  get pending(): boolean {
    return this.startMs >= 0;
  }

  /** The current utterance has been followed by a pause in what the service heard. */
  get paused(): boolean {
    return this.pending && this.pauseSoFarMs >= this.pauseMs;
  }

  /** Wall-clock time at which the current utterance ends if nothing arrives and no audio comes in, or undefined. */
  deadline(): number | undefined {
    return this.pending ? this.lastWallMs + this.stallMs : undefined;
  }

  /** Returns the finished utterance if it is over at `wallMs` (paused, or past its deadline) or `force`, resetting the state. */
  take(wallMs: number, force = false): TranslatedUtterance | undefined {
    if (!this.pending || (!force && !this.paused && wallMs < this.lastWallMs + this.stallMs)) return undefined;
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
    this.pauseSoFarMs = 0;
    this.uncountedMs = 0;
    return u;
  }

  private arrived(inputMs: number, wallMs: number): void {
    this.lastWallMs = Math.max(this.lastWallMs, wallMs);
    this.pauseSoFarMs = 0;
    this.uncountedMs = 0;
    this.countedInputMs = inputMs;
    this.countedWallMs = this.lastWallMs;
  }
}
