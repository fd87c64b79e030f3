/**
 * A small energy-based speech detector for 8 kHz PCM16 frames, used to time speech (when a speaker
 * starts and stops talking) for the lag and latency measures and the transcript's times. Adapts to the line's noise floor; a
 * hangover keeps short pauses inside one utterance.
 */
import { sumOfSquares } from './pcm';

export interface SpeechDetectorOptions {
  /** Speech is this many dB above the tracked noise floor. */
  thresholdDb?: number;
  /** Absolute floor below which nothing counts as speech (dBFS). */
  minLevelDb?: number;
  /** Silence that ends an utterance, in ms. */
  hangoverMs?: number;
}

export type SpeechEdge = { type: 'start'; atMs: number } | { type: 'end'; atMs: number };

export class SpeechDetector {
  private noiseDb = -70;
  private speaking = false;
  private lastVoiceMs = 0;
  private readonly thresholdDb: number;
  private readonly minLevelDb: number;
  private readonly hangoverMs: number;

  constructor(opts: SpeechDetectorOptions = {}) {
    this.thresholdDb = opts.thresholdDb ?? 12;
    this.minLevelDb = opts.minLevelDb ?? -50;
    this.hangoverMs = opts.hangoverMs ?? 300;
  }

  get isSpeaking(): boolean {
    return this.speaking;
  }

  /** Feeds one frame heard at `atMs` (end of frame); returns an edge when speech starts or ends. */
  push(frame: Int16Array, atMs: number): SpeechEdge | undefined {
    const sum = sumOfSquares(frame);
    const level = 10 * Math.log10(sum / Math.max(1, frame.length) / (32768 * 32768) + 1e-12);
    const voiced = level > this.minLevelDb && level > this.noiseDb + this.thresholdDb;
    // The floor follows quiet frames quickly and loud ones slowly.
    this.noiseDb += (level - this.noiseDb) * (level < this.noiseDb ? 0.2 : 0.005);
    if (voiced) {
      this.lastVoiceMs = atMs;
      if (!this.speaking) {
        this.speaking = true;
        return { type: 'start', atMs: atMs - (frame.length * 1000) / 8000 };
      }
    } else if (this.speaking && atMs - this.lastVoiceMs >= this.hangoverMs) {
      this.speaking = false;
      return { type: 'end', atMs: this.lastVoiceMs };
    }
    return undefined;
  }
}
