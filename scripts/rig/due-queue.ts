/**
 * The rig model's replies, sent each at its due time: a queue in due order and a pump that wakes
 * exactly when the next reply falls due (one timer, armed for that time), not on a fixed grid whose
 * step would be jitter the listener's play-out learns and waits for. No allocation per reply: the
 * queue is a ring of fixed arrays (grown by doubling, only when a run has more replies in flight
 * than ever before), and what is sent is the caller's own pre-built frame.
 */

/**
 * Replies in the order they fall due. Every reply is due a fixed latency after the message it
 * answers, so the order they are added in is the order they fall due: a ring, never sorted. One
 * added with an earlier due time than the one before it goes out right after that one (never
 * before its own time).
 */
export class DueQueue<To, What> {
  private due: Float64Array;
  private to: (To | undefined)[];
  private what: (What | undefined)[];
  private head = 0;
  private count = 0;

  constructor(capacity = 256) {
    this.due = new Float64Array(capacity);
    this.to = new Array<To | undefined>(capacity);
    this.what = new Array<What | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(at: number, to: To, what: What): void {
    if (this.count === this.due.length) this.grow();
    const last = this.count > 0 ? this.due[(this.head + this.count - 1) % this.due.length] : -Infinity;
    const i = (this.head + this.count) % this.due.length;
    this.due[i] = Math.max(at, last);
    this.to[i] = to;
    this.what[i] = what;
    this.count++;
  }

  /** When the first reply is due (Infinity when there is none). */
  nextDue(): number {
    return this.count > 0 ? this.due[this.head] : Infinity;
  }

  /**
   * Hands every reply due by `now` to `send`, in order, with how late it is (ms); returns when the
   * next one is due (Infinity when none is left).
   */
  drain(now: number, send: (to: To, what: What, lateMs: number) => void): number {
    while (this.count > 0 && this.due[this.head] <= now) {
      const i = this.head;
      const to = this.to[i] as To;
      const what = this.what[i] as What;
      this.to[i] = undefined;
      this.what[i] = undefined;
      this.head = (i + 1) % this.due.length;
      this.count--;
      send(to, what, now - this.due[i]);
    }
    return this.nextDue();
  }

  private grow(): void {
    const n = this.due.length;
    const due = new Float64Array(n * 2);
    const to = new Array<To | undefined>(n * 2);
    const what = new Array<What | undefined>(n * 2);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) % n;
      due[k] = this.due[i];
      to[k] = this.to[i];
      what[k] = this.what[i];
    }
    this.due = due;
    this.to = to;
    this.what = what;
    this.head = 0;
  }
}

/** The clock and the timer a pump runs on (tests give it fake ones). */
export interface PumpClock {
  /** Milliseconds, monotonic (performance.now()). */
  now(): number;
  /** Calls `fn` once, `ms` from now. */
  setTimer(fn: () => void, ms: number): void;
}

export const realClock: PumpClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => void setTimeout(fn, ms),
};

/**
 * Sends each reply added to it at its due time: a timer is armed for exactly the time the first
 * reply falls due (a timer that fires early, as Node's whole-millisecond timers can, is armed
 * again for what is left); when it fires, every reply due by then goes, and it is armed for the
 * next. Replies are never sent before their time. A reply whose `send` throws is counted
 * (`errors`) and the pump stays armed for the rest.
 */
export class DuePump<To, What> {
  private readonly queue = new DueQueue<To, What>();
  private armed = false;
  /** Worst lateness of a reply past its due time (ms) since `resetLateness`. */
  lateMaxMs = 0;
  /** Replies sent since `resetLateness`. */
  sent = 0;
  /** Replies whose `send` threw (since the pump was made): the pump goes on with the others. */
  errors = 0;

  constructor(
    private readonly send: (to: To, what: What) => void,
    private readonly clock: PumpClock = realClock,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  add(at: number, to: To, what: What): void {
    this.queue.push(at, to, what);
    if (!this.armed) this.arm(this.queue.nextDue());
  }

  resetLateness(): void {
    this.lateMaxMs = 0;
    this.sent = 0;
  }

  private readonly sendOne = (to: To, what: What, lateMs: number): void => {
    if (lateMs > this.lateMaxMs) this.lateMaxMs = lateMs;
    this.sent++;
    this.send(to, what);
  };

  private readonly wake = (): void => {
    this.armed = false;
    try {
      this.queue.drain(this.clock.now(), this.sendOne);
    } catch {
      // The reply that threw has left the queue; those due after it go on the next wake, at once.
      this.errors++;
    } finally {
      const next = this.queue.nextDue();
      if (next !== Infinity) this.arm(next);
    }
  };

  private arm(at: number): void {
    this.armed = true;
    this.clock.setTimer(this.wake, Math.max(0, at - this.clock.now()));
  }
}
