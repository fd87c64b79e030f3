/**
 * An adaptive jitter buffer for a live voice (8 kHz PCM16) read out one 20 ms frame per clock
 * tick. Frames arrive with network jitter (in order: Twilio's media stream runs over TCP) while
 * the clock reads at a steady pace; reading whatever has arrived would leave a hole each time a
 * frame is late and then a slip when two arrive at once. This buffer holds just enough to ride out
 * the lateness it has seen, and no more. It watches the margin by which each frame beat its read
 * (times in frames, on the clock's own timeline):
 *  - A frame not there in time is an underrun (counted): nothing is read that tick, so every later
 *    frame plays a tick later, with one more frame in hand.
 *  - A frame that made it by less than `safetyFrames` is a near miss: at the next quiet frame the
 *    buffer takes one more frame in hand, before a late frame can cut speech. That tick plays the
 *    line's own quiet (after a quiet frame: the last frame read, mirrored and cross-faded into the
 *    frame in hand, mirrored too, so it joins both without a step) or, right after a voiced frame,
 *    silence.
 *  - Once every frame for `shrinkAfterMs` would still have made it with one frame less in hand
 *    (and the safety margin), one quiet frame is dropped: the delay is given back, never inside
 *    speech. Only in a pause (`PAUSE_FRAMES` quiet frames read in a row): a quiet frame between two
 *    words is speech too, and dropping it skips the voice (a click under a translation). The frame
 *    after the dropped one is cross-faded in from it over `SPLICE` samples: no step at the join.
 *    A line with no pause for `PAUSE_WAIT` reads once a give-back is due (a voice never pausing, a
 *    noise that never settles) has it at the next frame about as quiet as the quietest read
 *    meanwhile: its quietest moment, rather than a delay kept for the rest of the call.
 *    With two frames or more to spare (after a stall: the network or the event loop held frames
 *    back, then delivered them at once), one quiet frame is dropped at every quiet frame of a pause
 *    once nothing was late for `fastShrinkAfterMs`; the lateness of a stall's burst is not learnt.
 *  - It never holds more than `maxDelayMs` (after a stall, the oldest audio is dropped and counted,
 *    and the lateness seen before, which no longer describes the new timeline, is forgotten).
 *  - Quiet is judged against the line's own noise floor (the quietest frame of the last
 *    `FLOOR_BLOCKS` seconds): a frame within `FLOOR_MARGIN` of it is quiet too, so on a noisy line
 *    (a car, a call centre) the pauses are found and delay is given back as on a clean one.
 *  - The lateness of a stream's first second is ridden out but not learnt: the stream's set-up
 *    (the far end starting it, tolk verifying it and opening the call's sessions while its first
 *    frames wait) delays them in a way the network does not repeat. What it cost is given back,
 *    like a stall's, once the frames after it have shown for `fastShrinkAfterMs` that it is spare
 *    (and the slow give-back looks at those frames only, however few).
 * A caller hands it every frame, silence included: silence before speech is where it learns the
 * network's jitter, inaudibly. Pure logic: `push` as frames arrive, `read` on each tick.
 */
import { FRAME_SAMPLES, msToSamples, samplesToMs } from './frame';
import { PairDeque } from './pair-deque';
import { sumOfSquares } from './pcm';
import { SampleQueue } from './sample-queue';

/** A hole of this many ticks or more was a stall (of the network or the event loop), not jitter. */
const STALL_TICKS = 5;
/** Reads in a stream's first second: its set-up, whose lateness is not learnt. */
const SET_UP_READS = 50;
/** Quiet frames read in a row that make a pause (200 ms), where delay may be given back. */
const PAUSE_FRAMES = 10;
/** Reads a give-back waits for a pause (10 s); then it is made at a frame as quiet as any read meanwhile. */
const PAUSE_WAIT = 500;
/** Frames read per block of the noise floor's window (1 s), and blocks in the window (5 s). */
const FLOOR_BLOCK = 50;
const FLOOR_BLOCKS = 5;
/** A frame whose mean square is below this many times the noise floor's (6 dB in level) is quiet. */
const FLOOR_MARGIN = 4;
/** The loudest noise floor believed (RMS, about -26 dBFS): louder than this, the quietest frame was a voice. */
const MAX_FLOOR_RMS = 1600;
/** Samples over which a give-back hands over from the dropped frame to the next (5 ms). */
const SPLICE = 40;
/** A quarter sine over a frame: the rising weight of a mirrored cross-fade (its falling one, reversed). */
const RISE = Float32Array.from({ length: FRAME_SAMPLES }, (_, i) => Math.sin((Math.PI / 2) * ((i + 0.5) / FRAME_SAMPLES)));

export interface JitterBufferOptions {
  /** Time with a whole frame to spare before one frame of delay is given back (default 10 s). */
  shrinkAfterMs?: number;
  /** Time with nothing late before delay beyond two frames to spare is given back (default 1 s). */
  fastShrinkAfterMs?: number;
  /** Least margin, in frames, by which a frame should beat its read (default 0.25 = 5 ms). */
  safetyFrames?: number;
  /** Most audio held; beyond it the oldest is dropped (default 300 ms). */
  maxDelayMs?: number;
  /**
   * A frame whose RMS is below this (int16 scale) is quiet: it may be dropped or delayed (default 200,
   * about -44 dBFS); on a noisy line, so is one within 6 dB of the line's noise floor.
   */
  quietRms?: number;
}

export interface JitterBufferStats {
  /** Times the voice was late: the next frame had not arrived when it was due (each a hole), counted when it resumes. */
  underruns: number;
  /** Frames of delay taken on before a late frame could cut speech (each a tick of the line's quiet in a quiet moment). */
  grows: number;
  /** Frames of delay given back once the network calmed down (always quiet frames). */
  shrinks: number;
  /** Audio dropped because more than `maxDelayMs` was held, ms. */
  droppedMs: number;
  /** Audio in hand now, ms. */
  depthMs: number;
  /** How much later the voice plays now than its first frame set it to, ms (ticks of delay taken on, less those given back). */
  addedMs: number;
}

export class JitterBuffer {
  private readonly queue: SampleQueue;
  private readonly shrinkAfterTicks: number;
  private readonly fastShrinkAfterTicks: number;
  private readonly safety: number;
  private readonly maxSamples: number;
  private readonly quietSquare: number;
  private readonly maxQuietSquare: number;
  /** Mean square below which a frame is quiet: `quietRms`, or more on a noisy line. */
  private quietLevel: number;
  /** The quietest frame's mean square in each block of the noise floor's window (0 until learnt). */
  private readonly floorBlocks = new Float64Array(FLOOR_BLOCKS);
  private floorBlock = 0;
  private blockReads = 0;
  private blockMin = Infinity;
  private readonly front = new Int16Array(FRAME_SAMPLES);
  /** The last frame the listener heard (silence after a tick that played nothing), kept while it was quiet. */
  private readonly last = new Int16Array(FRAME_SAMPLES);
  /** Per push still (partly) in hand: samples pushed by its end (`a`), and when it arrived, in frames (`b`). */
  private readonly arrivals = new PairDeque();
  private pushed = 0;
  private taken = 0;
  private started = false;
  /** Reads in a row that found nothing: the voice is late (one underrun, however long it lasts). */
  private dryTicks = 0;
  /** Samples pushed by the end of the last stall's burst: read without learning from them. */
  private burstEnd = 0;
  /** The last read at which the voice was late or nearly (an underrun, a grow, an overflow). */
  private lastLate = 0;
  /**
   * Margins (frames, `b`) by which recent frames beat their read (`a`: the read's number), as a
   * monotonic deque for the window's minimum. Stored less `offset`: each tick of delay taken on
   * since adds one to all of them.
   */
  private readonly margins = new PairDeque();
  private offset = 0;
  /** Quiet frames read out in a row, up to the last read. */
  private quietRun = 0;
  /** Reads for which a give-back has been due, and the least mean square of a frame read meanwhile. */
  private dueReads = 0;
  private waitMin = Infinity;
  private reads = 0;
  private lastChange = 0;
  private underruns = 0;
  private grows = 0;
  private shrinks = 0;
  private overflowed = 0;

  constructor(opts: JitterBufferOptions = {}) {
    for (const [name, ms] of [['shrinkAfterMs', opts.shrinkAfterMs], ['fastShrinkAfterMs', opts.fastShrinkAfterMs]] as const) {
      if (ms !== undefined && !(ms > 0)) throw new RangeError(`JitterBuffer: ${name} must be more than 0 (got ${ms})`);
    }
    this.shrinkAfterTicks = Math.ceil((opts.shrinkAfterMs ?? 10_000) / samplesToMs(FRAME_SAMPLES));
    this.fastShrinkAfterTicks = Math.min(this.shrinkAfterTicks, Math.ceil((opts.fastShrinkAfterMs ?? 1_000) / samplesToMs(FRAME_SAMPLES)));
    this.safety = opts.safetyFrames ?? 0.25;
    this.maxSamples = msToSamples(opts.maxDelayMs ?? 300);
    const quiet = opts.quietRms ?? 200;
    this.quietSquare = quiet * quiet;
    this.quietLevel = this.quietSquare;
    this.maxQuietSquare = Math.max(this.quietSquare, FLOOR_MARGIN * MAX_FLOOR_RMS * MAX_FLOOR_RMS);
    this.queue = new SampleQueue(this.maxSamples + FRAME_SAMPLES);
  }

  /** Audio as it arrives, any length (copied), at `at` (frames, on the reading clock's timeline). */
  push(pcm: Int16Array, at: number): void {
    if (pcm.length === 0) return;
    this.queue.push(pcm);
    this.pushed += pcm.length;
    this.arrivals.push(this.pushed, at);
    if (this.queue.length > this.maxSamples) {
      const excess = this.queue.length - this.maxSamples;
      this.take(excess);
      this.overflowed += excess;
      this.delayed(-excess / FRAME_SAMPLES);
      this.margins.clear();
      this.lastLate = this.reads;
    }
  }

  /**
   * The clock's tick at `at` (frames): copies the next 20 ms of voice into `frame` when it is there
   * and returns how many samples were copied (0 when late, waiting, or before the first frame).
   */
  read(frame: Int16Array, at: number): number {
    if (!this.started) {
      if (this.queue.length === 0) return 0;
      this.started = true;
    }
    if (this.queue.length < FRAME_SAMPLES) {
      // Late: wait for it. Everything after plays a tick later, with a frame more in hand.
      this.dryTicks++;
      this.delayed(1);
      this.last.fill(0);
      this.lastLate = this.reads;
      return 0;
    }
    if (this.dryTicks > 0) {
      // The voice resumed after a hole. After a stall (a long one), what arrived during it came
      // in a burst: its lateness says nothing of the network's jitter, and is not learnt.
      if (this.dryTicks >= STALL_TICKS) {
        this.margins.clear();
        this.burstEnd = this.pushed;
      }
      this.dryTicks = 0;
      this.underruns++;
    }
    if (this.taken + FRAME_SAMPLES <= this.burstEnd) return this.readFrame(frame, false);
    if (this.reads === SET_UP_READS) {
      // The set-up is over: the lateness seen so far is forgotten, and learnt afresh.
      this.margins.clear();
      this.lastLate = this.reads;
    }
    // A frame in hand arrived before this read, whatever the clocks say (never a negative margin).
    const lowest = this.note(Math.max(0, at - this.arrivalOfFront()));
    if (lowest < this.safety && this.frontIsQuiet()) {
      // A near miss: one tick of the line's quiet now, in a quiet moment, puts a frame more in hand.
      this.grows++;
      this.delayed(1);
      this.lastLate = this.reads;
      if (this.quietRun > 0) return this.bridge(frame);
      this.last.fill(0);
      return 0;
    }
    const spare = lowest - this.safety;
    const slow = this.reads - this.lastChange >= this.shrinkAfterTicks && spare >= 1;
    // Two frames or more to spare (after a burst): given back at every quiet frame, once calm.
    const fast = this.reads - this.lastLate >= this.fastShrinkAfterTicks && spare >= 2;
    if (slow || fast) this.dueReads++;
    else {
      this.dueReads = 0;
      this.waitMin = Infinity;
    }
    const pause = this.quietRun >= PAUSE_FRAMES;
    if (this.dueReads > 0 && (pause ? this.frontIsQuiet() : this.dueReads > PAUSE_WAIT && this.frontIsQuietest())) {
      // `front` holds the frame dropped: the next is cross-faded in from it.
      this.dueReads = 0;
      this.waitMin = Infinity;
      this.take(FRAME_SAMPLES);
      this.shrinks++;
      this.delayed(-1);
      if (this.queue.length < FRAME_SAMPLES) {
        this.last.fill(0);
        return 0;
      }
      return this.readFrame(frame, true);
    }
    return this.readFrame(frame, false);
  }

  private readFrame(frame: Int16Array, splice: boolean): number {
    const out = frame.length === FRAME_SAMPLES ? frame : frame.subarray(0, FRAME_SAMPLES);
    const n = this.queue.read(out);
    this.advance(n);
    if (splice) {
      const front = this.front;
      for (let i = 0; i < SPLICE; i++) {
        const w = (i + 1) / (SPLICE + 1);
        out[i] = Math.round(front[i] * (1 - w) + out[i] * w);
      }
    }
    const energy = meanSquare(out, n);
    this.quietRun = energy < this.quietLevel ? this.quietRun + 1 : 0;
    this.learnFloor(energy);
    if (this.dueReads > 0 && energy < this.waitMin) this.waitMin = energy;
    // `last` is heard again only by `bridge`, which follows a quiet frame (a louder one is never bridged from).
    if (this.quietRun > 0) this.last.set(out);
    return n;
  }

  /**
   * A made-up frame of the line's quiet, between the last frame read and the one in hand (in
   * `front`): the last mirrored, fading out, under the next mirrored, fading in. It starts on the
   * sample last heard and ends on the one that follows, so neither join steps.
   */
  private bridge(frame: Int16Array): number {
    const out = frame.length === FRAME_SAMPLES ? frame : frame.subarray(0, FRAME_SAMPLES);
    const last = this.last;
    const front = this.front;
    const end = FRAME_SAMPLES - 1;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const v = last[end - i] * RISE[end - i] + front[end - i] * RISE[i];
      out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
    }
    this.last.set(out);
    this.quietRun++;
    return FRAME_SAMPLES;
  }

  /** Notes a frame read for the noise floor: the quietest frame of each block, over the window. */
  private learnFloor(energy: number): void {
    if (energy < this.blockMin) this.blockMin = energy;
    if (++this.blockReads < FLOOR_BLOCK) return;
    this.floorBlocks[this.floorBlock] = this.blockMin;
    this.floorBlock = (this.floorBlock + 1) % FLOOR_BLOCKS;
    this.blockReads = 0;
    this.blockMin = Infinity;
    let floor = Infinity;
    for (let i = 0; i < FLOOR_BLOCKS; i++) floor = Math.min(floor, this.floorBlocks[i]);
    this.quietLevel = Math.min(this.maxQuietSquare, Math.max(this.quietSquare, FLOOR_MARGIN * floor));
  }

  /** Forgets everything in hand (the voice is turned off, or the stream restarted). */
  clear(): void {
    this.take(this.queue.length);
    this.started = false;
    this.dryTicks = 0;
    this.burstEnd = this.pushed;
    this.margins.clear();
    this.lastChange = this.reads;
    this.quietRun = 0;
    this.last.fill(0);
  }

  stats(): JitterBufferStats {
    return {
      underruns: this.underruns,
      grows: this.grows,
      shrinks: this.shrinks,
      droppedMs: samplesToMs(this.overflowed),
      depthMs: this.depthMs,
      addedMs: samplesToMs(this.offset * FRAME_SAMPLES),
    };
  }

  /** Underruns so far (as in `stats`, without building an object: read on every tick). */
  get underrunCount(): number {
    return this.underruns;
  }

  /** Frames of delay taken on so far (as `grows` in `stats`). */
  get growCount(): number {
    return this.grows;
  }

  /** Audio in hand now, ms. */
  get depthMs(): number {
    return samplesToMs(this.queue.length);
  }

  private take(n: number): void {
    this.queue.discard(n);
    this.advance(n);
  }

  private advance(n: number): void {
    this.taken += n;
    const arrivals = this.arrivals;
    while (arrivals.length > 0 && arrivals.a(0) <= this.taken) arrivals.shift();
  }

  /** When the frame at the front was complete: the arrival of its last sample. */
  private arrivalOfFront(): number {
    const last = this.taken + FRAME_SAMPLES;
    const arrivals = this.arrivals;
    for (let i = 0; i < arrivals.length; i++) if (arrivals.a(i) >= last) return arrivals.b(i);
    return arrivals.b(arrivals.length - 1);
  }

  /** Records the margin of the frame about to be read; returns the smallest in the window, in today's terms. */
  private note(margin: number): number {
    this.reads++;
    const stored = margin - this.offset;
    const margins = this.margins;
    while (margins.length > 0 && margins.b(margins.length - 1) >= stored) margins.pop();
    margins.push(this.reads, stored);
    while (margins.length > 1 && margins.a(0) <= this.reads - this.shrinkAfterTicks) margins.shift();
    return margins.b(0) + this.offset;
  }

  /** The voice now plays `ticks` later (or earlier, if negative) than before. */
  private delayed(ticks: number): void {
    this.offset += ticks;
    this.lastChange = this.reads;
  }

  private frontIsQuiet(): boolean {
    return meanSquare(this.front, this.queue.peek(this.front)) < this.quietLevel;
  }

  /** Whether the frame in hand is about as quiet (within 3 dB) as the quietest read while a give-back waited. */
  private frontIsQuietest(): boolean {
    return meanSquare(this.front, this.queue.peek(this.front)) <= 2 * this.waitMin;
  }
}

/** The mean of the first `n` samples' squares (exact: see sumOfSquares); read on every frame. */
function meanSquare(pcm: Int16Array, n: number): number {
  return n > 0 ? sumOfSquares(pcm, n) / n : 0;
}
