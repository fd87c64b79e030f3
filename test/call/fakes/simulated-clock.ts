import type { FrameClock, TickListener } from '../../../src/call/ports';

/** A clock driven by simulated time (ms): ticks at 20, 40, 60 ...; its position is the time now. */
export class SimulatedClock implements FrameClock {
  nowMs = 0;
  private frame = 0;
  /** Whether a tick is being called (see FrameClock.playhead). */
  private ticking = false;
  private readonly listeners = new Set<TickListener>();
  get subscribers(): number {
    return this.listeners.size;
  }
  subscribe(l: TickListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  position(): number {
    return this.nowMs / 20;
  }
  playhead(): number {
    return Math.min(this.position(), this.ticking ? this.frame : this.frame + 1);
  }
  /** Advances to `ms`, ticking on every 20 ms boundary passed. */
  advanceTo(ms: number): void {
    this.tickThrough(ms, (frame) => frame * 20);
    this.nowMs = ms;
  }

  /**
   * The event loop stalls until `ms`: nothing ticks meanwhile, and every tick it passed comes at
   * `ms`, one after another (as the real clock catches up), after `meanwhile` (what arrived while
   * the loop was stalled is read first).
   */
  stallUntil(ms: number, meanwhile: () => void = () => undefined): void {
    this.nowMs = ms;
    meanwhile();
    this.tickThrough(ms, () => ms);
  }

  /** Ticks on every 20 ms boundary up to `ms`, each at the time `at` gives for its frame. */
  private tickThrough(ms: number, at: (frame: number) => number): void {
    while ((this.frame + 1) * 20 <= ms) {
      this.frame++;
      this.nowMs = at(this.frame);
      this.ticking = true;
      for (const l of [...this.listeners]) l(this.frame);
      this.ticking = false;
    }
  }
}

/** A seeded pseudo-random number generator, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
