/**
 * The translation-engine contract the rest of tolk depends on. One Translator = one direction of a
 * call: 16 kHz PCM16 speech in, translated 24 kHz PCM16 speech and transcripts out. Engines
 * (Gemini Live today) implement it behind a TranslatorFactory chosen by the composition root.
 */
import type { Logger } from '../log/logger';

export type TranslatorState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';

export type TranslatorFailureKind =
  | 'auth'
  | 'quota'
  | 'model'
  | 'invalid_argument'
  | 'retries_exhausted'
  | 'setup_timeout'
  | 'unknown';

/** `atMs`: input audio clock (ms of 16 kHz audio handed to sendAudio since start) when the piece arrived. */
export interface TranscriptPiece {
  text: string;
  languageCode?: string;
  atMs: number;
}

export interface Utterance {
  source: { text: string; languageCode?: string };
  translation: { text: string; languageCode?: string };
  startMs: number;
  endMs: number;
}

export interface StateDetail {
  kind?: TranslatorFailureKind;
  reason?: string;
}

export interface TranslatorEvents {
  /** Translated speech, 24 kHz PCM16 mono. */
  audio: (pcm24k: Int16Array) => void;
  /** Incremental transcript of what the speaker said. */
  inputTranscript: (p: TranscriptPiece) => void;
  /** Incremental transcript of the translation. */
  outputTranscript: (p: TranscriptPiece) => void;
  /** Transcripts grouped on pauses (the translate model sends no turnComplete). */
  utterance: (u: Utterance) => void;
  /** Detected source language, as soon as the service reports it, and whenever it changes. */
  language: (languageCode: string) => void;
  state: (s: TranslatorState, detail?: StateDetail) => void;
}

export interface TranslatorStats {
  reconnects: number;
  handovers: number;
  inputSamplesSent: number;
  inputSamplesDropped: number;
  outputSamples: number;
  malformedFrames: number;
}

export interface Translator {
  readonly targetLanguage: string;
  readonly state: TranslatorState;
  /** Resolves when the first session is set up; rejects with TranslatorError on a non-retryable failure or when retries run out. */
  start(): Promise<void>;
  /** Any length; chunked internally; buffered (bounded, oldest dropped) while (re)connecting. The array is not kept: callers may reuse it. */
  sendAudio(pcm16k: Int16Array): void;
  /** Releases sockets, timers and buffers; idempotent. */
  close(): Promise<void>;
  on<E extends keyof TranslatorEvents>(e: E, l: TranslatorEvents[E]): this;
  off<E extends keyof TranslatorEvents>(e: E, l: TranslatorEvents[E]): this;
  stats(): TranslatorStats;
}

export interface TranslatorOptions {
  /** BCP-47 target code from the supported list (see languages.ts). */
  targetLanguage: string;
  /** Repeat speech already in the target language (default false: stay silent). */
  echoTargetLanguage?: boolean;
  logger: Logger;
}

export interface TranslatorFactory {
  /** Throws UnsupportedLanguageError for an unknown target code, before any connection is made. */
  create(opts: TranslatorOptions): Translator;
}

export class TranslatorError extends Error {
  constructor(
    public readonly kind: TranslatorFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'TranslatorError';
  }
}
