/**
 * Translated speech on its way into one listener's mix. It arrives in bursts faster than real
 * time, or trickles at real-time pace in chunks of any size: it is queued (bounded, oldest dropped
 * and counted) and an utterance starts playing once its first piece has waited a short while (the
 * start wait, timed on the play-out's clock from when it arrived), or at once when more than the
 * largest chunk seen plus a margin is in hand (a burst).
 *
 * A service that paces its chunks plays without gaps as long as no chunk comes later, against the
 * pace its first one set, than that first one waited: so the wait covers the jitter of the chunks'
 * arrival, not their size. A first chunk shorter than the service's (the speech began inside the
 * chunk it paced) is followed by the next a whole chunk's time later: the pace, and the start wait
 * with it, start later by what it was short. It is learnt as the speech arrives: every chunk's
 * lateness against the pace of its utterance is noted, and the wait is a small margin plus the most
 * seen over the last few seconds of speech here, or on the process's routes (`recent`: the same
 * network path to the service, so jitter there lengthens every route's wait at once; all but the
 * latest piece in a hundred, see RecentLateness), whichever is more. Lateness is
 * timed on the play-out's clock (`nowMs`), which does not run on while the event loop stalls: what
 * arrives in a stall is read before the frames the stall held up, so a stall of this process (a
 * long collection, a busy core) is no lateness, and does not make every route wait longer (an
 * utterance's first piece, which starts its pace, is placed when it came: `arrivalMs`). Until
 * its own speech has shown its jitter and when no route has spoken lately (or the process's first
 * translated speech came less than a window ago: see RecentLateness), a prior stands in,
 * `initialJitterMs`, as long as a default chunk. Each time jitter starves an utterance anyway, the
 * wait (and the burst cushion) grow by a step, given back after a calm. Pure logic: the mixer reads
 * it a 20 ms frame at a time, and may read frames ahead of their tick (or ask again for one it did
 * not get): windows and gaps are timed on the play-out's clock, not counted in reads. A piece 100
 * ms late or more came after a stall, not jitter, and is not learnt (if it starves the utterance,
 * the growth answers it).
 *
 * An utterance that runs dry in a frame that is sent anyway is carried on for up to
 * `concealMaxMs` (see Concealer): a piece that comes within it resumes the voice with no hole
 * (counted as a concealment, not a gap); one that comes later finds the utterance ended, and its
 * resumption is a gap.
 */
import { FRAME_SAMPLES, msToSamples, samplesToMs } from './frame';
import { Concealer } from './concealment';
import type { RecentLateness } from './recent-lateness';
import { addScaled, SampleQueue } from './sample-queue';

const FRAME_MS = samplesToMs(FRAME_SAMPLES);
/** A piece this late came after a stall (of the network or an event loop), not jitter: it is not learnt. */
const STALL_MS = 100;
/** Pieces of an utterance whose pace is kept to tell the service's pace by. */
const PACED_KEPT = 16;

/** The middle value (the lower of the two middle ones), sorting `values` in place. */
function lowerMedian(values: Float64Array): number {
  values.sort();
  return values[(values.length - 1) >> 1];
}

export interface SpeechPlayoutOptions {
  /** Most translated audio held before the oldest is dropped. */
  maxQueueMs?: number;
  /** An utterance starts at once when this much is queued (or the largest chunk seen plus `jitterMarginMs`, if more)... */
  startCushionMs?: number;
  /** ...or once its first piece has waited this long, plus the jitter learnt (default 10). */
  cushionWaitMs?: number;
  /**
   * The jitter assumed until a window of `relaxAfterMs` with speech in it has shown what it is,
   * when `recent` has nothing to say either (default 100: a whole default chunk, so the first
   * utterances are as safe from gaps as if a chunk more had been waited for).
   */
  initialJitterMs?: number;
  /**
   * The lateness the process's routes have seen lately: this playout adds what it sees and waits
   * for at least that (needs `nowMs`).
   */
  recent?: RecentLateness;
  /**
   * Translated audio that runs dry and resumes within this gap was one utterance starved by
   * jitter: the wait and the cushion grow by `cushionStepMs` (up to `maxCushionMs`) so it does not
   * happen again.
   */
  starvationGapMs?: number;
  cushionStepMs?: number;
  maxCushionMs?: number;
  /** Added to the largest translated chunk seen to give the burst cushion (see push). */
  jitterMarginMs?: number;
  /**
   * The window over which jitter is learnt: what was seen in it and in the one before with speech
   * in it counts (default 5 s); after a window with no utterance starved, the growth gives back one step.
   */
  relaxAfterMs?: number;
  /**
   * Translated speech that runs dry inside an utterance is carried on for up to this long before
   * the utterance is taken to have ended (default 80; 0: never).
   */
  concealMaxMs?: number;
  /**
   * The play-out's clock, ms: the time a frame read now is due, never past the next frame's while
   * the event loop is behind (FrameClock.playhead). Without it, time is counted in reads, a frame
   * each, and a piece is taken to have arrived at the read after it.
   */
  nowMs?: () => number;
  /**
   * Where an utterance's first piece is placed, ms (default `nowMs`): where the service's pace for
   * its utterance starts. Through a stall of the event loop it must run on with the call's clock
   * while `nowMs` waits for the frames the stall held up: a first piece that comes in a stall starts
   * its pace, and its start wait, when it came, not at the first frame held up, or the frames ticked
   * late would play it at once, ahead of the pace, and the pieces paced after it would come late for
   * the frames after them (the endpoint gives the call's clock once its loop is a frame behind).
   */
  arrivalMs?: () => number;
}

export interface SpeechPlayoutStats {
  /** How many times translated speech started playing after silence. */
  translationStarts: number;
  /** Times an utterance ran dry and resumed (each one an audible gap); the wait grows after each. */
  underruns: number;
  /** Times an utterance ran dry and resumed within the concealment (no gap heard), and the ms made up in all. */
  concealments: number;
  concealedMs: number;
  /** The burst cushion now in use, ms (grows with underruns). */
  cushionMs: number;
  /** The start wait now in use, ms (grows with underruns). */
  waitMs: number;
  droppedMs: number;
  queuedMs: number;
}

export type SpeechPlayoutListener = (event: 'translation-start' | 'translation-end') => void;

export class SpeechPlayout {
  private readonly queue: SampleQueue;
  /** The burst cushion before any growth (samples): the configured one, or the largest chunk plus the margin. */
  private baseCushion: number;
  private readonly baseWaitMs: number;
  /** Growth from starved utterances, ms (added to both the wait and the cushion). */
  private grownMs = 0;
  private readonly starvationGapMs: number;
  private readonly cushionStepMs: number;
  private readonly maxCushionMs: number;
  private readonly jitterMargin: number;
  private readonly windowMs: number;
  /** When the window now open closes, ms (undefined: before the first read). */
  private windowEndMs: number | undefined;
  private readonly nowMs: (() => number) | undefined;
  private readonly arrivalMs: (() => number) | undefined;
  /** Reads so far (the clock without `nowMs`). */
  private reads = 0;
  /** Most lateness seen in this window, ms. */
  private lateInWindow = 0;
  /** Most lateness seen in the last window with speech in it (undefined: none yet), ms. */
  private lateBefore: number | undefined;
  private readonly initialJitterMs: number;
  private readonly recent: RecentLateness | undefined;
  private piecesInWindow = 0;
  private starvedInWindow = false;
  /**
   * The utterance arriving: when its pace starts (ms: when its first piece came, or later after a
   * short first piece) and how much of it has come since.
   */
  private paceAtMs = 0;
  private paceSamples = 0;
  /** When the last piece came, ms. */
  private lastPieceAtMs = 0;
  /**
   * The service's pace, ms a piece: the median (the lower of two) of what the pieces of the last
   * utterance that told it took on it (each its length, or the time since the piece before when
   * that was shorter). Neither the first piece nor the last tells it (the speech began or ended
   * inside them), nor one that came in a burst (before half its length had played): 0 when every
   * piece after the first came in one, unchanged when none told anything. `paced` holds them for
   * the utterance arriving (its first PACED_KEPT), `lastPaced` whether the last piece is among them.
   */
  private pieceMs = 0;
  private readonly paced = new Float64Array(PACED_KEPT);
  private pacedCount = 0;
  private lastPaced = false;
  private piecesAfterFirst = 0;
  /** When the speech last ran dry mid-utterance, ms (undefined: not dry). */
  private dryAtMs: number | undefined;
  private underruns = 0;
  private readonly concealer: Concealer;
  /** The frame's speech as read from the queue, before it is mixed. */
  private readonly frame = new Int16Array(FRAME_SAMPLES);
  private concealments = 0;
  private concealedSamples = 0;
  private muted = false;
  private playing = false;
  private translationStarts = 0;
  private listener: SpeechPlayoutListener | undefined;
  private exact = false;

  constructor(opts: SpeechPlayoutOptions = {}) {
    this.queue = new SampleQueue(msToSamples(opts.maxQueueMs ?? 60_000));
    this.baseCushion = msToSamples(opts.startCushionMs ?? 80);
    this.baseWaitMs = opts.cushionWaitMs ?? 10;
    this.initialJitterMs = opts.initialJitterMs ?? 100;
    this.starvationGapMs = Math.ceil((opts.starvationGapMs ?? 200) / FRAME_MS) * FRAME_MS;
    this.cushionStepMs = opts.cushionStepMs ?? 40;
    this.maxCushionMs = opts.maxCushionMs ?? 300;
    this.jitterMargin = msToSamples(opts.jitterMarginMs ?? 40);
    this.windowMs = Math.max(1, Math.ceil((opts.relaxAfterMs ?? 5_000) / FRAME_MS)) * FRAME_MS;
    this.nowMs = opts.nowMs;
    this.arrivalMs = opts.nowMs ? opts.arrivalMs : undefined;
    this.recent = opts.nowMs ? opts.recent : undefined;
    this.concealer = new Concealer(msToSamples(opts.concealMaxMs ?? 80));
  }

  /** A burst this large (samples) starts playing at once. */
  private get startCushion(): number {
    return Math.min(msToSamples(this.maxCushionMs), this.baseCushion + msToSamples(this.grownMs));
  }

  /** How long an utterance's first piece waits before it plays, ms. */
  private get startWaitMs(): number {
    const recent = this.recent && this.nowMs ? this.recent.lateMs(this.nowMs()) : undefined;
    // Until a window with speech has shown this route's jitter, only the process's recent figure
    // counts, or the prior when it has none (no route has spoken lately, or the process's first
    // translated speech came less than a window ago).
    const before = this.lateBefore ?? (recent === undefined ? this.initialJitterMs : 0);
    return Math.min(this.maxCushionMs, this.baseWaitMs + Math.max(this.lateInWindow, before, recent ?? 0) + this.grownMs);
  }

  /** Told when translated speech starts playing after silence and when it runs out. */
  onEvent(listener: SpeechPlayoutListener | undefined): void {
    this.listener = listener;
  }

  /** Translated speech, one chunk as the service delivered it (copied: the caller may reuse the array). */
  push(pcm: Int16Array): void {
    if (this.muted || pcm.length === 0) return;
    const first = !this.playing && this.queue.length === 0;
    const at = !this.nowMs ? (this.reads + 1) * FRAME_MS : first && this.arrivalMs ? this.arrivalMs() : this.nowMs();
    if (first) {
      // A new utterance: its first piece sets the pace the rest is measured against. One shorter
      // than the service's pieces (the speech began inside the piece the service paced) is
      // followed by the next piece a whole piece's time later: the pace starts that much later.
      const told = this.pacedCount - (this.lastPaced ? 1 : 0);
      if (told > 0) this.pieceMs = lowerMedian(this.paced.subarray(0, told));
      else if (this.piecesAfterFirst > 0 && this.pacedCount === 0) this.pieceMs = 0;
      this.pacedCount = 0;
      this.piecesAfterFirst = 0;
      this.lastPaced = false;
      const shortMs = Math.max(0, this.pieceMs - samplesToMs(pcm.length));
      this.paceAtMs = at + Math.min(shortMs, this.maxCushionMs);
      this.paceSamples = 0;
    } else {
      const late = at - this.paceAtMs - samplesToMs(this.paceSamples);
      if (late < STALL_MS) {
        if (late > this.lateInWindow) this.lateInWindow = late;
        this.recent?.note(Math.max(0, late), at);
      }
      // A piece's time on the service's pace: its length, or less when it came sooner.
      this.piecesAfterFirst++;
      const lengthMs = samplesToMs(pcm.length);
      const sinceMs = at - this.lastPieceAtMs;
      this.lastPaced = sinceMs >= lengthMs / 2 && this.pacedCount < PACED_KEPT;
      if (this.lastPaced) this.paced[this.pacedCount++] = Math.min(lengthMs, sinceMs);
    }
    this.lastPieceAtMs = at;
    this.paceSamples += pcm.length;
    this.piecesInWindow++;
    this.queue.push(pcm);
    // A chunk this large may be the service's pace: only a burst beyond it, and a margin, is one.
    if (pcm.length + this.jitterMargin > this.baseCushion) this.baseCushion = pcm.length + this.jitterMargin;
  }

  /** Muted: speech is discarded (both parties speak the same language, or translation failed). */
  setMuted(muted: boolean): void {
    this.muted = muted;
    if (muted) {
      this.queue.clear();
      this.setPlaying(false);
      this.dryAtMs = undefined;
      this.concealer.reset();
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
      concealments: this.concealments,
      concealedMs: samplesToMs(this.concealedSamples),
      cushionMs: samplesToMs(this.startCushion),
      waitMs: Math.round(this.startWaitMs),
      droppedMs: samplesToMs(this.queue.dropped),
      queuedMs: this.depthMs,
    };
  }

  /**
   * Whether the last `mixInto` added only speech samples as they came, at gain 1 (nothing made up
   * or cross-faded): each sample it touched in `mix` then grew by an int16 value.
   */
  get lastMixExact(): boolean {
    return this.exact;
  }

  /**
   * Adds (at `gain`) up to one frame's worth of speech into `mix` from `offset` on; called once per
   * frame. Returns how many samples it played, made-up ones included (0 while waiting for its start
   * or silent). `hold`: nothing else would be sent in this frame and the listener still has audio
   * in hand, so an utterance short of a whole frame waits for the rest (nothing is mixed) instead
   * of ending or being carried on. `clean`: `mix` holds zeros from `offset` on, so speech at gain 1
   * is copied in rather than added (the same values).
   */
  mixInto(mix: Float32Array, offset: number, gain: number, hold = false, clean = false): number {
    this.exact = false;
    const want = FRAME_SAMPLES - offset;
    this.reads++;
    const nowMs = this.clockMs();
    // The first window ends a window's length after the frame read first is due.
    this.windowEndMs ??= nowMs - FRAME_MS + this.windowMs;
    for (; nowMs >= this.windowEndMs; this.windowEndMs += this.windowMs) this.nextWindow();
    if (!this.playing) {
      if (this.queue.length === 0) {
        if (this.dryAtMs !== undefined && nowMs - this.dryAtMs > this.starvationGapMs) this.dryAtMs = undefined;
        return 0;
      }
      const dryAtMs = this.dryAtMs;
      this.dryAtMs = undefined;
      if (dryAtMs !== undefined && nowMs - dryAtMs <= this.starvationGapMs) {
        // The utterance resumed after running dry: jitter starved it. Wait longer from now on.
        this.underruns++;
        this.starvedInWindow = true;
        this.grownMs = Math.min(this.maxCushionMs, this.grownMs + this.cushionStepMs);
      }
      const waitedMs = nowMs - this.paceAtMs;
      if (this.queue.length < this.startCushion && waitedMs < this.startWaitMs) return 0;
      this.setPlaying(true);
      this.concealer.reset();
    } else if (hold && this.queue.length < want) return 0;
    const frame = this.frame;
    const n = this.queue.read(frame, offset);
    const concealer = this.concealer;
    if (n > 0 && concealer.concealing) {
      this.concealments++;
      this.concealedSamples += concealer.madeSamples;
      concealer.resume(frame, offset, n, mix, gain);
    } else if (n > 0) {
      if (clean && gain === 1) mix.set(n === FRAME_SAMPLES ? frame : frame.subarray(offset, offset + n), offset);
      else addScaled(mix, offset, frame, offset, n, gain);
      concealer.remember(frame, offset, n);
      this.exact = gain === 1;
    }
    if (n === want) return n;
    this.exact = false;
    const made = concealer.canConceal() ? concealer.fill(mix, offset + n, want - n, gain) : 0;
    if (n + made < want) {
      this.setPlaying(false);
      this.dryAtMs = nowMs;
      concealer.reset();
    }
    return n + made;
  }

  /** The play-out's clock, ms; without `nowMs`, a frame for each read. */
  private clockMs(): number {
    return this.nowMs ? this.nowMs() : this.reads * FRAME_MS;
  }

  /**
   * A window of `relaxAfterMs` has passed: what it saw, if speech came in it, is the jitter before
   * (a quiet window says nothing of it); a calm one gives back a step of growth.
   */
  private nextWindow(): void {
    if (this.piecesInWindow > 0) this.lateBefore = this.lateInWindow;
    this.piecesInWindow = 0;
    this.lateInWindow = 0;
    if (!this.starvedInWindow) this.grownMs = Math.max(0, this.grownMs - this.cushionStepMs);
    this.starvedInWindow = false;
  }

  private setPlaying(playing: boolean): void {
    if (this.playing === playing) return;
    this.playing = playing;
    if (playing) this.translationStarts++;
    this.listener?.(playing ? 'translation-start' : 'translation-end');
  }
}
