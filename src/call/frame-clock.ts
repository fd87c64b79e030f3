/**
 * The play-out clock: one timer for every call in the process, ticking once per 20 ms frame.
 *
 * A timer per call would cost hundreds of timers and drift independently; here subscribers are
 * called in turn on each tick. The clock follows the monotonic time: when the event loop is late
 * it catches up by ticking again (bounded), so the audio clock of every leg stays true over an hour.
 * Every frame is ticked in a macrotask of its own (setImmediate), late ones one at a time: the
 * audio that arrived while the loop was busy or stalled (a caller's voice, a translation) is read
 * before and between them, as it would have been in time, instead of a frame finding its buffers
 * as they were before (timers run before the loop polls its sockets).
 * A listener that throws is dropped and reported (`onListenerError`): one call's defect must not
 * stop the clock of every other call in the process. For the same reason a report hook that
 * throws (onSkip, onListenerError) is ignored, and the clock ticks on.
 */
import { performance } from 'node:perf_hooks';
import { FRAME_MS, type FrameClock, type TickListener, type Unsubscribe } from './ports/clock';

export interface RealFrameClockOptions {
  frameMs?: number;
  /** Time-scale factor: 0.1 runs ten times faster than real time (emulated tests and demos). */
  timeScale?: number;
  /** At most this many frames are caught up at once after a stall; older ones are skipped. */
  maxCatchUp?: number;
  /** Called with the number of frames skipped when the loop stalled past maxCatchUp. */
  onSkip?: (frames: number) => void;
  /** Called with what a tick listener threw; that listener is not called again. */
  onListenerError?: (err: unknown) => void;
  now?: () => number;
}

export class RealFrameClock implements FrameClock {
  private readonly listeners = new Set<TickListener>();
  /** `listeners` as an array for the ticks, replaced when they change (a tick calls those there were when it began). */
  private ticking: readonly TickListener[] = [];
  private readonly periodMs: number;
  private readonly maxCatchUp: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** When frame 0 was: the timeline stays the same when the clock stops and starts again. */
  private startedAt: number | undefined;
  private nextFrame = 0;
  /** The frame being ticked, or between ticks the next to tick (see `playhead`). */
  private headFrame = 0;
  /** Inside a tick: its end schedules the next, so a subscriber arriving then starts no timer of its own. */
  private inTick = false;

  constructor(private readonly opts: RealFrameClockOptions = {}) {
    this.periodMs = (opts.frameMs ?? FRAME_MS) * (opts.timeScale ?? 1);
    this.maxCatchUp = opts.maxCatchUp ?? 10;
    this.now = opts.now ?? (() => performance.now());
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  position(): number {
    return this.startedAt === undefined ? 0 : (this.now() - this.startedAt) / this.periodMs;
  }

  playhead(): number {
    return Math.min(this.position(), this.headFrame);
  }

  subscribe(listener: TickListener): Unsubscribe {
    this.listeners.add(listener);
    this.ticking = [...this.listeners];
    if (!this.timer && !this.inTick) this.start();
    return () => {
      this.remove(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  private start(): void {
    const now = this.now();
    this.startedAt ??= now;
    this.nextFrame = Math.floor((now - this.startedAt) / this.periodMs) + 1;
    this.headFrame = this.nextFrame;
    this.schedule();
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private schedule(): void {
    const due = (this.startedAt ?? 0) + this.nextFrame * this.periodMs;
    this.timer = setTimeout(() => this.onTimeout(), Math.max(0, due - this.now()));
  }

  /**
   * A frame is due: ticked once the loop has read its sockets (a macrotask of its own). Timers run
   * before the loop polls, so a tick run at once would miss the audio that reached tolk while the
   * timer waited behind other work, however briefly: a frame in time would play as a hole.
   */
  private onTimeout(): void {
    this.immediate = setImmediate(() => this.onTimer());
  }

  /** Frames due by now and not yet ticked. */
  private owedFrames(): number {
    return Math.floor((this.now() - (this.startedAt ?? 0)) / this.periodMs) - this.nextFrame + 1;
  }

  /** Ticks the next frame if it is due; a frame still owed after it gets a macrotask of its own. */
  private onTimer(): void {
    this.immediate = undefined;
    let owed = this.owedFrames();
    if (owed > this.maxCatchUp) {
      const skipped = owed - this.maxCatchUp;
      this.nextFrame += skipped;
      this.headFrame = this.nextFrame;
      owed = this.maxCatchUp;
      this.report(() => this.opts.onSkip?.(skipped));
    }
    if (owed > 0) {
      const frame = this.nextFrame++;
      this.headFrame = frame;
      const listeners = this.ticking;
      this.inTick = true;
      try {
        for (let i = 0; i < listeners.length; i++) {
          try {
            listeners[i](frame);
          } catch (err) {
            this.drop(listeners[i], err);
          }
        }
      } finally {
        this.inTick = false;
        this.headFrame = this.nextFrame;
      }
    }
    if (this.listeners.size === 0) this.stop();
    else if (owed > 1) this.immediate = setImmediate(() => this.onTimer());
    else this.schedule();
  }

  private drop(listener: TickListener, err: unknown): void {
    this.remove(listener);
    this.report(() => this.opts.onListenerError?.(err));
  }

  /**
   * Calls a report hook (onSkip, onListenerError). What it throws is dropped: the ticks of every
   * call in the process matter more than one report, and nothing is left to report it to.
   */
  private report(hook: () => void): void {
    try {
      hook();
    } catch {
      // The report is lost; the clock goes on.
    }
  }

  private remove(listener: TickListener): void {
    if (this.listeners.delete(listener)) this.ticking = [...this.listeners];
  }
}

/** A clock advanced by hand, for deterministic tests. */
export class ManualFrameClock implements FrameClock {
  private readonly listeners = new Set<TickListener>();
  /** `listeners` as an array for the ticks, replaced when they change (a tick calls those there were when it began). */
  private ticking: readonly TickListener[] = [];
  private frame = 0;

  get subscribers(): number {
    return this.listeners.size;
  }

  /** The last frame ticked (audio arriving now arrived at that tick). */
  position(): number {
    return this.frame;
  }

  /** The position: a clock advanced by hand is never behind. */
  playhead(): number {
    return this.frame;
  }

  subscribe(listener: TickListener): Unsubscribe {
    this.listeners.add(listener);
    this.ticking = [...this.listeners];
    return () => {
      const had = this.listeners.delete(listener);
      if (had) this.ticking = [...this.listeners];
      return had;
    };
  }

  tick(frames = 1): void {
    for (let i = 0; i < frames; i++) {
      this.frame++;
      const listeners = this.ticking;
      for (let j = 0; j < listeners.length; j++) listeners[j](this.frame);
    }
  }
}
