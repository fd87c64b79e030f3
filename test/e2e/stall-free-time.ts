/**
 * Time for a rig whose emulated phone network shares this process with tolk: performance.now()
 * with the stalls of the process taken out. While the process stalls, the emulated callers'
 * microphones and earpieces stop as surely as tolk does; on real time they would then catch up in
 * a burst that tolk, rightly, treats as time lost (a hole for the listener, as on a real network),
 * which says nothing of what tolk does with the call. On this time a stall is a pause of the whole
 * world. Two kinds are taken out:
 * - every moment the machine did not run this process while it had work (its thread waited for a
 *   core: a busy machine), as the kernel counts it, however short: a live voice is sent 20 ms
 *   ahead, so a wait of a few tens of ms is enough to cut it;
 * - unless `ownStalls` is false, any other gap of more than `stallMs` between two readings (a
 *   heartbeat every `beatMs` marks the process as running), all but `beatMs` of it: a long
 *   collection of this process's heap, which holds the test runner's and the emulators' too.
 * With `ownStalls` false, what the process itself spends (tolk's work on the event loop among it)
 * stays in, and is heard as it would be on a phone.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface StallFreeTime {
  /** Milliseconds, monotonic, as performance.now() but for the stalls. */
  readonly now: () => number;
  /** The longest stall taken out, ms. */
  readonly longestStallMs: number;
  dispose(): void;
}

export interface StallFreeTimeOptions {
  /** Also take out gaps longer than `stallMs` while the process ran (default true). */
  ownStalls?: boolean;
  stallMs?: number;
  beatMs?: number;
}

/** Linux: time the calling thread spent runnable but not running (on a run queue), ms in all. */
const SCHEDSTAT = '/proc/thread-self/schedstat';

function runQueueWaitMs(): number {
  // "<ns on a core> <ns waiting on a run queue> <time slices>"
  return Number(fs.readFileSync(SCHEDSTAT, 'latin1').split(' ')[1]) / 1e6;
}

export function stallFreeTime(opts: StallFreeTimeOptions = {}): StallFreeTime {
  const stallMs = opts.ownStalls === false ? Infinity : (opts.stallMs ?? 30);
  const beatMs = opts.beatMs ?? 5;
  if (!fs.existsSync(SCHEDSTAT)) throw new Error(`${SCHEDSTAT} is missing: this time needs Linux's scheduler statistics`);
  let last = performance.now();
  let lastWait = runQueueWaitMs();
  let takenOut = 0;
  let longest = 0;
  let out = 0;
  const now = (): number => {
    const real = performance.now();
    const wait = runQueueWaitMs();
    const gap = real - last;
    // The kernel counts a wait when the thread gets its core back: all of it within the gap.
    const waited = Math.min(gap, wait - lastWait);
    const stalled = gap > stallMs ? Math.max(waited, gap - beatMs) : waited;
    takenOut += stalled;
    longest = Math.max(longest, stalled);
    last = real;
    lastWait = wait;
    out = Math.max(out, real - takenOut);
    return out;
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
