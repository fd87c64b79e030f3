/**
 * Time for a rig whose emulated phone network shares this process with tolk: performance.now()
 * with every stall of the process taken out. While the process stalls (a busy machine does not
 * run it), the emulated callers' microphones and earpieces stop as surely as tolk does; on real
 * time they would then catch up in a burst that tolk, rightly, treats as time lost (a hole for the
 * listener, as on a real network), which says nothing of what tolk does with the call. On this
 * time a stall is a pause of the whole world. A heartbeat every `beatMs` marks the process as
 * running; a gap of more than `stallMs` between two readings was a stall, and all but `beatMs`
 * of it is taken out.
 */
import { performance } from 'node:perf_hooks';

export interface StallFreeTime {
  /** Milliseconds, monotonic, as performance.now() but for the stalls. */
  readonly now: () => number;
  /** The longest stall taken out, ms. */
  readonly longestStallMs: number;
  dispose(): void;
}

export function stallFreeTime(stallMs = 30, beatMs = 5): StallFreeTime {
  let last = performance.now();
  let takenOut = 0;
  let longest = 0;
  const now = (): number => {
    const real = performance.now();
    const gap = real - last;
    if (gap > stallMs) {
      takenOut += gap - beatMs;
      longest = Math.max(longest, gap);
    }
    last = real;
    return real - takenOut;
  };
  const beat = setInterval(now, beatMs);
  beat.unref();
  return {
    now,
    get longestStallMs() {
      return Math.round(longest);
    },
    dispose: () => clearInterval(beat),
  };
}
