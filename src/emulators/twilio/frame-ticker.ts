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
  const run = (): void => {
    cancel = undefined;
    let budget = maxCatchUp;
    while (listeners.size > 0 && nextAt <= clock.now() && budget-- > 0) {
      frame += 1;
      nextAt += FRAME_MS;
      for (const l of [...listeners]) l(frame);
    }
    if (budget <= 0) nextAt = clock.now() + FRAME_MS; // give up on catching up further
    if (listeners.size > 0) schedule();
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
