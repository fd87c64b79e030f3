/**
 * The translation session port: one session translates one audio source into one target
 * language, speech in and translated speech plus transcripts out, at the sample rates the core
 * asks for (the adapter resamples to and from whatever its engine speaks). Engines (Gemini Live
 * today, src/translate/) implement it behind a TranslationSessionFactory chosen by the
 * composition root.
 */
import type { Logger } from '../../log/logger';

export type SessionState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';

export type SessionFailureKind = 'auth' | 'quota' | 'model' | 'invalid_argument' | 'retries_exhausted' | 'setup_timeout' | 'unknown';

/** `atMs`: the session's input clock (ms of audio handed to sendAudio since start) when the piece arrived. */
export interface TranscriptPiece {
  text: string;
  languageCode?: string;
  atMs: number;
}

/** A final utterance: what the speaker said and its translation; times on the session's input clock. */
export interface TranslatedUtterance {
  source: { text: string; languageCode?: string };
  translation: { text: string; languageCode?: string };
  startMs: number;
  endMs: number;
}

export interface SessionStateDetail {
  kind?: SessionFailureKind;
  reason?: string;
}

export interface TranslationSessionEvents {
  /** Translated speech, PCM16 mono at the session's `outputRate`; the array may be reused after the listener returns. */
  audio: (pcm: Int16Array) => void;
  /** Incremental transcript of what the speaker said. */
  inputTranscript: (p: TranscriptPiece) => void;
  /** Incremental transcript of the translation. */
  outputTranscript: (p: TranscriptPiece) => void;
  /** Transcripts grouped into utterances. */
  utterance: (u: TranslatedUtterance) => void;
  /** Detected source language, as soon as the engine reports it, and whenever it changes. */
  language: (languageCode: string) => void;
  state: (s: SessionState, detail?: SessionStateDetail) => void;
  /**
   * The engine is moving the session to a new connection without interrupting it ('started'),
   * and has switched ('completed'). The state stays 'open' throughout.
   */
  handover: (phase: 'started' | 'completed') => void;
}

export interface SessionStats {
  reconnects: number;
  handovers: number;
  inputSamplesSent: number;
  inputSamplesDropped: number;
  outputSamples: number;
  malformedFrames: number;
}

export interface TranslationSession {
  readonly targetLanguage: string;
  readonly state: SessionState;
  /** Resolves when the session is set up; rejects with TranslationError on a non-retryable failure or when retries run out. */
  start(): Promise<void>;
  /** PCM16 at the session's `inputRate`, any length; buffered (bounded, oldest dropped) while (re)connecting. The array is not kept: callers may reuse it. */
  sendAudio(pcm: Int16Array): void;
  /** Flushes the utterance in progress, then releases sockets, timers and buffers; idempotent. */
  close(): Promise<void>;
  on<E extends keyof TranslationSessionEvents>(e: E, l: TranslationSessionEvents[E]): this;
  off<E extends keyof TranslationSessionEvents>(e: E, l: TranslationSessionEvents[E]): this;
  stats(): SessionStats;
}

export interface TranslationSessionOptions {
  /** BCP-47 target code from the supported list. */
  targetLanguage: string;
  /** Repeat speech already in the target language (default false: stay silent). */
  echoTargetLanguage?: boolean;
  /** Rate of the audio given to sendAudio (default: the engine's own input rate). */
  inputRate?: number;
  /** Rate of the translated audio emitted (default: the engine's own output rate). */
  outputRate?: number;
  logger: Logger;
}

export interface TranslationSessionFactory {
  /** Throws for an unsupported target language or sample rate, before any connection is made. */
  create(opts: TranslationSessionOptions): TranslationSession;
}

export class TranslationError extends Error {
  constructor(
    public readonly kind: SessionFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'TranslationError';
  }
}
