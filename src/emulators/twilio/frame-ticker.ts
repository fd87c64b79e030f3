// One 20 ms heartbeat for all live calls, paced against the scaled clock. Late ticks are caught
// up (at most maxCatchUp frames at once) so the emulated audio clock does not drift; the timer
// only runs while someone is subscribed.
import type { EmulatorClock } from './clock';

export const FRAME_MS = 20;

export interface FrameTicker {
  /** Subscribes; returns an unsubscribe function. Listeners get the global frame index. */
  subscribe(onFrame: (frame: number) => void): () => void;
  readonly frame: number;
  dispose(): void;
}

export function createFrameTicker(clock: EmulatorClock, maxCatchUp = 50): FrameTicker {
  const listeners = new Set<(frame: number) => void>();
  let frame = 0;
  let nextAt = 0; // emulated ms of the next frame
  let cancel: (() => void) | undefined;

  const schedule = (): void => {
    cancel = clock.after(Math.max(0, nextAt - clock.now()), run);
  };
  // Late frames are caught up one per macrotask (setImmediate), so promise continuations and
  // socket I/O of a frame run before the next frame, exactly as they would in real time.
  let immediate: NodeJS.Immediate | undefined;
  const run = (): void => {
    cancel = undefined;
    immediate = undefined;
    if (listeners.size === 0) return;
    if (nextAt <= clock.now()) {
      frame += 1;
      nextAt += FRAME_MS;
      for (const l of [...listeners]) l(frame);
    }
    if (clock.now() - nextAt > maxCatchUp * FRAME_MS) nextAt = clock.now(); // too late: skip ahead
    if (listeners.size === 0) return;
    if (nextAt <= clock.now()) {
      immediate = setImmediate(run);
      cancel = () => clearImmediate(immediate);
    } else schedule();
  };

  return {
    get frame() {
      return frame;
    },
    subscribe(onFrame) {
      listeners.add(onFrame);
      if (!cancel) {
        nextAt = clock.now() + FRAME_MS;
        schedule();
      }
      return () => {
        listeners.delete(onFrame);
        if (listeners.size === 0 && cancel) {
          cancel();
          cancel = undefined;
        }
      };
    },
    dispose() {
      listeners.clear();
      cancel?.();
      cancel = undefined;
    },
  };
}
