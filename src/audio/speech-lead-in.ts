/**
 * The speech in progress on a line (8 kHz PCM16), from just before its start. For a line that
 * nobody hears yet (a caller who starts talking just before the other party's leg connects, a
 * conference party talking as one who speaks another language joins): given to a translation route
 * as it starts, the utterance in progress is translated from its first word instead of from the
 * moment the route started; an utterance already over (the speech detector's 300 ms pause) is not
 * carried, so what was said to nobody while the line rang is not played to the listener when they
 * connect. For a route's own source (`detector`: the route's): the utterance in progress a call
 * moving to another instance hands over.
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
  /**
   * A speech detector its owner already runs on the same audio, fed each piece before it is pushed
   * here: speech starts and ends where that one says. Without it the lead-in runs its own.
   */
  detector?: SpeechDetector;
}

export class SpeechLeadIn {
  private readonly detector: SpeechDetector;
  /** The detector it feeds itself; undefined when it follows its owner's. */
  private readonly own: SpeechDetector | undefined;
  private readonly ring: SampleQueue;
  private readonly leadSamples: number;
  /** Samples pushed so far, and where (in them) the utterance in progress started. */
  private total = 0;
  private onset = 0;
  private speaking = false;

  constructor(opts: SpeechLeadInOptions = {}) {
    this.detector = opts.detector ?? new SpeechDetector();
    this.own = opts.detector ? undefined : this.detector;
    this.ring = new SampleQueue(msToSamples(opts.maxMs ?? 2000));
    this.leadSamples = msToSamples(opts.leadMs ?? 100);
  }

  /** Samples heard so far: a position on the line, to tell what came after a moment. */
  get heard(): number {
    return this.total;
  }

  /** Audio heard on the line, in order; copied. */
  push(pcm: Int16Array): void {
    this.own?.push(pcm, samplesToMs(this.total + pcm.length));
    // Speech that started in this piece started at its beginning (the detector times it so).
    if (this.detector.isSpeaking !== this.speaking) {
      this.speaking = !this.speaking;
      if (this.speaking) this.onset = this.total;
    }
    this.ring.push(pcm);
    this.total += pcm.length;
  }

  /**
   * The utterance in progress, from just before its start (at most `maxMs`); empty when nobody is
   * speaking. It stays held (a copy is returned), so it can be asked for again as it goes on.
   */
  inProgress(): Int16Array {
    const wanted = this.speaking ? this.total - this.onset + this.leadSamples : 0;
    // What came before can never be asked for again; while nobody speaks, the latest is the next one's lead.
    this.ring.discard(Math.max(0, this.ring.length - Math.max(wanted, this.leadSamples)));
    const out = new Int16Array(Math.min(this.ring.length, wanted));
    this.ring.peek(out);
    return out;
  }
}
