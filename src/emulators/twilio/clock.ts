// Emulated time. Everything Twilio does "after N seconds" goes through this clock, so a
// timeScale below 1 runs calls faster than real time (0.1 = ten times faster). Every timer is
// tracked and cancelled by dispose(), so nothing outlives the emulator.

export interface EmulatorClock {
  readonly timeScale: number;
  /** Emulated milliseconds since the clock was created. */
  now(): number;
  /** Runs fn after `ms` emulated milliseconds; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
  /** Real milliseconds for `ms` emulated ones. */
  toReal(ms: number): number;
  dispose(): void;
}

export function createScaledClock(timeScale: number, realNow: () => number = () => performance.now()): EmulatorClock {
  if (!(timeScale > 0)) throw new Error(`timeScale must be > 0, got ${timeScale}`);
  const origin = realNow();
  const timers = new Set<NodeJS.Timeout>();
  const now = (): number => (realNow() - origin) / timeScale;
  return {
    timeScale,
    now,
    toReal: (ms) => ms * timeScale,
    after(ms, fn) {
      const due = now() + ms;
      let t: NodeJS.Timeout;
      const arm = (): void => {
        t = setTimeout(() => {
          timers.delete(t);
          // The timer runs on the process's time, which `realNow` need not follow (a test's may
          // stop while the process stalls): until it is due in emulated time, it waits again.
          if ((due - now()) * timeScale >= 1) arm();
          else fn();
        }, Math.max(0, (due - now()) * timeScale));
        timers.add(t);
      };
      arm();
      return () => {
        clearTimeout(t);
        timers.delete(t);
      };
    },
    dispose() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
