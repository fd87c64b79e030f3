/**
 * Translated speech on its way into one listener's mix. It arrives in bursts faster than real
 * time, or trickles at real-time pace in chunks of any size: it is queued (bounded, oldest dropped
 * and counted) and an utterance starts playing only once a small cushion is in hand, so it plays
 * without gaps. The cushion follows the largest chunk seen (a service that paces its chunks can
 * only be played without gaps with a whole chunk in hand) and grows each time jitter starves an
 * utterance anyway. Pure logic: the mixer reads it once per 20 ms frame.
 */
import { FRAME_SAMPLES, msToSamples, samplesToMs } from './frame';
import { SampleQueue } from './sample-queue';

export interface SpeechPlayoutOptions {
  /** Most translated audio held before the oldest is dropped. */
  maxQueueMs?: number;
  /** Translated audio waits until this much is queued before it starts playing... */
  startCushionMs?: number;
  /** ...or until this long has passed since the first piece arrived. */
  cushionWaitMs?: number;
  /**
   * Translated audio that runs dry and resumes within this gap was one utterance starved by
   * jitter: the cushion grows by `cushionStepMs` (up to `maxCushionMs`) so it does not happen again.
   */
  starvationGapMs?: number;
  cushionStepMs?: number;
  maxCushionMs?: number;
  /** Added to the largest translated chunk seen to give the cushion (see push). */
  jitterMarginMs?: number;
}

export interface SpeechPlayoutStats {
  /** How many times translated speech started playing after silence. */
  translationStarts: number;
  /** Times an utterance ran dry and resumed (each one an audible gap); the cushion grows after each. */
  underruns: number;
  /** The start cushion now in use, ms (grows with underruns). */
  cushionMs: number;
  droppedMs: number;
  queuedMs: number;
}

export type SpeechPlayoutListener = (event: 'translation-start' | 'translation-end') => void;

export class SpeechPlayout {
  private readonly queue: SampleQueue;
  private startCushion: number;
  private readonly cushionWaitFrames: number;
  private readonly starvationGapFrames: number;
  private readonly cushionStep: number;
  private readonly maxCushion: number;
  private readonly jitterMargin: number;
  /** Frames since the speech last ran dry mid-utterance (undefined: not dry). */
  private dryFrames: number | undefined;
  private underruns = 0;
  private muted = false;
  private playing = false;
  private waitingFrames = 0;
  private translationStarts = 0;
  private listener: SpeechPlayoutListener | undefined;

  constructor(opts: SpeechPlayoutOptions = {}) {
    this.queue = new SampleQueue(msToSamples(opts.maxQueueMs ?? 60_000));
    this.startCushion = msToSamples(opts.startCushionMs ?? 80);
    this.cushionWaitFrames = Math.ceil((opts.cushionWaitMs ?? 60) / 20);
    this.starvationGapFrames = Math.ceil((opts.starvationGapMs ?? 200) / 20);
    this.cushionStep = msToSamples(opts.cushionStepMs ?? 40);
    this.maxCushion = msToSamples(opts.maxCushionMs ?? 300);
    this.jitterMargin = msToSamples(opts.jitterMarginMs ?? 40);
  }

  /** Told when translated speech starts playing after silence and when it runs out. */
  onEvent(listener: SpeechPlayoutListener | undefined): void {
    this.listener = listener;
  }

  /** Translated speech, one chunk as the service delivered it (copied: the caller may reuse the array). */
  push(pcm: Int16Array): void {
    if (this.muted) return;
    this.queue.push(pcm);
    if (pcm.length + this.jitterMargin > this.startCushion) {
      this.startCushion = Math.min(this.maxCushion, pcm.length + this.jitterMargin);
    }
  }

  /** Muted: speech is discarded (both parties speak the same language, or translation failed). */
  setMuted(muted: boolean): void {
    this.muted = muted;
    if (muted) {
      this.queue.clear();
      this.setPlaying(false);
      this.dryFrames = undefined;
    }
  }

  /** Speech queued, in ms. */
  get depthMs(): number {
    return samplesToMs(this.queue.length);
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  stats(): SpeechPlayoutStats {
    return {
      translationStarts: this.translationStarts,
      underruns: this.underruns,
      cushionMs: samplesToMs(this.startCushion),
      droppedMs: samplesToMs(this.queue.dropped),
      queuedMs: this.depthMs,
    };
  }

  /**
   * Adds (at `gain`) up to one frame's worth of speech into `mix` from `offset` on; called once per
   * frame. Returns how many samples it played (0 while waiting for the cushion or silent).
   */
  mixInto(mix: Float32Array, offset: number, gain: number): number {
    const want = FRAME_SAMPLES - offset;
    if (!this.playing) {
      if (this.queue.length === 0) {
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
      if (this.queue.length < this.startCushion && this.waitingFrames <= waitFrames) return 0;
      this.setPlaying(true);
    }
    const n = this.queue.read(mix, offset, gain, true);
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
