/**
 * What one leg hears, one 20 ms frame at a time (8 kHz PCM16), mixed from:
 *  - prompts tolk plays (notices), first in line;
 *  - translated speech, which arrives in bursts faster than real time: it is queued (bounded) and
 *    started only once a small cushion is buffered, so an utterance plays without gaps;
 *  - the other party's own voice at `originalGain`, so nobody sits in dead air while the
 *    translation is being made (a short jitter buffer, never more than a few frames deep);
 *  - a call-progress tone (ringback) while the other party is being called.
 * Pure logic: the caller drives it with `nextFrame()` on every clock tick.
 */
import { SampleQueue } from './sample-queue';
import { ToneGenerator, type ToneSpec } from './tones';

export const SAMPLE_RATE = 8000;
export const FRAME_SAMPLES = 160;
const msToSamples = (ms: number): number => Math.round((ms * SAMPLE_RATE) / 1000);
/** Below this peak a frame is silence (mu-law's smallest steps are 0, ±8, ±16...). */
const SILENCE_PEAK = 8;

function isDigitalSilence(pcm: Int16Array): boolean {
  for (let i = 0; i < pcm.length; i++) if (pcm[i] > SILENCE_PEAK || pcm[i] < -SILENCE_PEAK) return false;
  return true;
}

export interface PlayoutOptions {
  /** Linear gain of the other party's own voice (0 turns it off). */
  originalGain: number;
  /** Most translated audio held before the oldest is dropped. */
  maxQueueMs?: number;
  /** Translated audio waits until this much is queued before it starts playing... */
  startCushionMs?: number;
  /**
   * Translated audio that runs dry and resumes within this gap was one utterance starved by
   * jitter: the cushion grows by `cushionStepMs` (up to `maxCushionMs`) so it does not happen again.
   */
  starvationGapMs?: number;
  cushionStepMs?: number;
  maxCushionMs?: number;
  /** Added to the largest translated chunk seen to give the cushion (see pushTranslated). */
  jitterMarginMs?: number;
  /** ...or until this long has passed since the first piece arrived. */
  cushionWaitMs?: number;
  /** Most of the other party's voice held (beyond it, the oldest is dropped to keep delay low). */
  maxOriginalMs?: number;
}

export interface PlayoutStats {
  framesOut: number;
  /** How many times translated speech started playing after silence. */
  translationStarts: number;
  /** Times an utterance ran dry and resumed (each one an audible gap); the cushion grows after each. */
  underruns: number;
  /** The start cushion now in use, ms (grows with underruns). */
  cushionMs: number;
  droppedTranslatedMs: number;
  droppedOriginalMs: number;
  queuedMs: number;
}

export type PlayoutListener = (event: 'translation-start' | 'translation-end') => void;

export class LegPlayout {
  private readonly prompts: SampleQueue;
  private readonly translated: SampleQueue;
  private readonly original: SampleQueue;
  private readonly mix = new Float32Array(FRAME_SAMPLES);
  private readonly out = new Int16Array(FRAME_SAMPLES);
  private startCushion: number;
  private readonly cushionWaitFrames: number;
  private readonly starvationGapFrames: number;
  private readonly cushionStep: number;
  private readonly maxCushion: number;
  private readonly jitterMargin: number;
  /** Frames since the translated audio last ran dry mid-utterance (undefined: not dry). */
  private dryFrames: number | undefined;
  private underruns = 0;
  private originalGain: number;
  private translationMuted = false;
  private playing = false;
  private waitingFrames = 0;
  private tone: ToneGenerator | undefined;
  private framesOut = 0;
  private translationStarts = 0;
  private listener: PlayoutListener | undefined;

  constructor(opts: PlayoutOptions) {
    this.originalGain = opts.originalGain;
    this.translated = new SampleQueue(msToSamples(opts.maxQueueMs ?? 60_000));
    this.prompts = new SampleQueue(msToSamples(60_000));
    this.original = new SampleQueue(msToSamples(opts.maxOriginalMs ?? 100));
    this.startCushion = msToSamples(opts.startCushionMs ?? 80);
    this.cushionWaitFrames = Math.ceil((opts.cushionWaitMs ?? 60) / 20);
    this.starvationGapFrames = Math.ceil((opts.starvationGapMs ?? 200) / 20);
    this.cushionStep = msToSamples(opts.cushionStepMs ?? 40);
    this.maxCushion = msToSamples(opts.maxCushionMs ?? 300);
    this.jitterMargin = msToSamples(opts.jitterMarginMs ?? 40);
  }

  onEvent(listener: PlayoutListener | undefined): void {
    this.listener = listener;
  }

  /**
   * Translated speech, 8 kHz PCM16, any length, one chunk as the service delivered it (copied: the
   * caller may reuse the array). A service
   * that paces its chunks in real time can only be played without gaps if a whole chunk (plus
   * some jitter) is in hand: the cushion follows the largest chunk seen.
   */
  pushTranslated(pcm: Int16Array): void {
    if (this.translationMuted) return;
    this.translated.push(pcm);
    if (pcm.length + this.jitterMargin > this.startCushion) {
      this.startCushion = Math.min(this.maxCushion, pcm.length + this.jitterMargin);
    }
  }

  /**
   * The other party's own voice, as it arrives (8 kHz PCM16, copied). Frames that are digital silence
   * are not queued, so a leg with nothing to hear is sent nothing (no socket write per frame).
   */
  pushOriginal(pcm: Int16Array): void {
    if (this.originalGain > 0 && !isDigitalSilence(pcm)) this.original.push(pcm);
  }

  /** A notice tolk speaks to this leg; plays before any translated speech. */
  pushPrompt(pcm: Int16Array): void {
    this.prompts.push(pcm);
  }

  setOriginalGain(gain: number): void {
    this.originalGain = gain;
    if (gain === 0) this.original.clear();
  }

  /** Muted: translated speech is discarded (both parties speak the same language, or it failed). */
  setTranslationMuted(muted: boolean): void {
    this.translationMuted = muted;
    if (muted) {
      this.translated.clear();
      this.setPlaying(false);
      this.dryFrames = undefined;
    }
  }

  setTone(spec: ToneSpec | undefined): void {
    this.tone = spec ? new ToneGenerator(spec, SAMPLE_RATE) : undefined;
  }

  /** Translated audio queued, in ms. */
  get depthMs(): number {
    return (this.translated.length * 1000) / SAMPLE_RATE;
  }

  get isPlayingTranslation(): boolean {
    return this.playing;
  }

  stats(): PlayoutStats {
    return {
      framesOut: this.framesOut,
      translationStarts: this.translationStarts,
      underruns: this.underruns,
      cushionMs: (this.startCushion * 1000) / SAMPLE_RATE,
      droppedTranslatedMs: (this.translated.dropped * 1000) / SAMPLE_RATE,
      droppedOriginalMs: (this.original.dropped * 1000) / SAMPLE_RATE,
      queuedMs: this.depthMs,
    };
  }

  /**
   * The next 20 ms frame for this leg, or undefined when there is nothing at all to play
   * (the caller may then send nothing). The returned array is reused by the next call.
   */
  nextFrame(): Int16Array | undefined {
    const mix = this.mix;
    mix.fill(0);
    let audible = false;

    let filled = this.prompts.read(mix);
    if (filled > 0) audible = true;
    if (filled < FRAME_SAMPLES) filled += this.readTranslated(mix, filled);
    if (filled > 0) audible = true;

    if (this.original.length > 0) {
      this.original.read(mix, 0, this.originalGain, true);
      // Keep the jitter buffer shallow: more than two frames behind means delay, not smoothing.
      if (this.original.length > 2 * FRAME_SAMPLES) this.original.discard(this.original.length - FRAME_SAMPLES, true);
      audible = true;
    }
    if (this.tone) {
      this.tone.mixInto(mix);
      audible = true;
    }
    if (!audible) return undefined;

    const out = this.out;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const v = Math.round(mix[i]);
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    this.framesOut++;
    return out;
  }

  private readTranslated(mix: Float32Array, offset: number): number {
    const want = FRAME_SAMPLES - offset;
    if (!this.playing) {
      if (this.translated.length === 0) {
        this.waitingFrames = 0;
        if (this.dryFrames !== undefined && ++this.dryFrames > this.starvationGapFrames) this.dryFrames = undefined;
        return 0;
      }
      if (this.dryFrames !== undefined) {
        // The utterance resumed after running dry: jitter starved it. Hold more in hand from now on.
        this.dryFrames = undefined;
        this.underruns++;
        this.startCushion = Math.min(this.maxCushion, this.startCushion + this.cushionStep);
      }
      this.waitingFrames++;
      const waitFrames = Math.max(this.cushionWaitFrames, Math.ceil(this.startCushion / FRAME_SAMPLES));
      if (this.translated.length < this.startCushion && this.waitingFrames <= waitFrames) return 0;
      this.setPlaying(true);
    }
    const n = this.translated.read(mix, offset, 1, true);
    if (n < want) {
      this.setPlaying(false);
      this.dryFrames = 0;
    }
    return n;
  }

  private setPlaying(playing: boolean): void {
    if (this.playing === playing) return;
    this.playing = playing;
    this.waitingFrames = 0;
    if (playing) this.translationStarts++;
    this.listener?.(playing ? 'translation-start' : 'translation-end');
  }
}
