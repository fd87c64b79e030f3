/**
 * The speech in progress on a line that nobody hears yet (8 kHz PCM16): a caller who starts talking
 * just before the other party's leg connects, a conference party talking as one who speaks another
 * language joins. Given to a translation route as it starts, the
 * utterance in progress is translated from its first word instead of from the moment the route
 * started; an utterance already over (the speech detector's 300 ms pause) is not carried, so what was
 * said to nobody while the line rang is not played to the listener when they connect.
 *
 * Holds at most `maxMs`, in a bounded ring (nothing is allocated per frame): an utterance longer
 * than that (more than a phrase said into the ringback) is carried from its last `maxMs`, so a
 * listener never waits long behind speech said before they joined.
 */
import { msToSamples, samplesToMs } from './frame';
import { SampleQueue } from './sample-queue';
import { SpeechDetector } from './speech-detector';

export interface SpeechLeadInOptions {
  /** Most speech carried, ms (default 2000). */
  maxMs?: number;
  /** Audio kept from before the detected start of speech, for soft onsets it misses, ms (default 100). */
  leadMs?: number;
}

export class SpeechLeadIn {
  private readonly detector = new SpeechDetector();
  private readonly ring: SampleQueue;
  private readonly leadSamples: number;
  /** Samples pushed so far, and where (in them) the utterance in progress started. */
  private total = 0;
  private onset = 0;

  constructor(opts: SpeechLeadInOptions = {}) {
    this.ring = new SampleQueue(msToSamples(opts.maxMs ?? 2000));
    this.leadSamples = msToSamples(opts.leadMs ?? 100);
  }

  /** Samples heard so far: a position on the line, to tell what came after a moment. */
  get heard(): number {
    return this.total;
  }

  /** Audio heard on the line, in order; copied. */
  push(pcm: Int16Array): void {
    this.ring.push(pcm);
    this.total += pcm.length;
    const edge = this.detector.push(pcm, samplesToMs(this.total));
    if (edge?.type === 'start') this.onset = msToSamples(edge.atMs);
  }

  /**
   * The utterance in progress, from just before its start (at most `maxMs`); empty when nobody is
   * speaking. It stays held (a copy is returned), so it can be asked for again as it goes on.
   */
  inProgress(): Int16Array {
    const wanted = this.detector.isSpeaking ? this.total - this.onset + this.leadSamples : 0;
    const keep = Math.min(this.ring.length, wanted);
    this.ring.discard(this.ring.length - keep);
    const out = new Int16Array(keep);
    this.ring.peek(out);
    return out;
  }
}
