/**
 * Several waits on the outside world (the database, the job queue, the phone network) bounded as a
 * whole: each is given up once the deadline they share has passed, or once they are abandoned, and
 * nothing more is started after that.
 */
import { DeadlinePassedError, startDeadline } from './deadline';

/** The waits were abandoned before their deadline (e.g. tolk is stopping). */
export class WaitsAbandonedError extends Error {
  constructor(readonly why: string) {
    super(`abandoned: ${why}`);
    this.name = 'WaitsAbandonedError';
  }
}

/** Waits on the outside world, each given up with the others. */
export interface Waits {
  wait<T>(start: () => Promise<T>, late?: (value: T) => void): Promise<T>;
  readonly givenUp: Error | undefined;
}

export class BoundedWaits implements Waits {
  private give!: (err: Error) => void;
  private readonly over: Promise<never>;
  private readonly timer: NodeJS.Timeout;
  /** Why the waits were given up (a DeadlinePassedError at the deadline); undefined while they go on. */
  givenUp: Error | undefined;

  constructor(readonly limitMs: number) {
    this.over = new Promise<never>((_, reject) => (this.give = reject));
    this.over.catch(() => undefined);
    this.timer = startDeadline(limitMs, () => this.giveUp(new DeadlinePassedError(limitMs)));
  }

  /** Gives up every wait now (once; later calls keep the first reason). */
  abandon(why: string): void {
    this.giveUp(new WaitsAbandonedError(why));
  }

  /** The waits are over: the deadline's timer is cleared. */
  done(): void {
    clearTimeout(this.timer);
  }

  /**
   * `start()`'s outcome, or the reason the waits were given up if that comes first (then `late`, if
   * given, is handed what `start()` resolves with afterwards). Nothing is started once given up.
   */
  async wait<T>(start: () => Promise<T>, late?: (value: T) => void): Promise<T> {
    if (this.givenUp) throw this.givenUp;
    const work = start();
    work.catch(() => undefined);
    try {
      return await Promise.race([work, this.over]);
    } catch (err) {
      if (this.givenUp && late) void work.then(late, () => undefined);
      throw err;
    }
  }

  private giveUp(err: Error): void {
    if (this.givenUp) return;
    this.givenUp = err;
    clearTimeout(this.timer);
    this.give(err);
  }
}

/** Waits with no deadline of their own (their caller bounds them, or nothing waits for them). */
export const UNBOUNDED: Waits = { wait: (start) => start(), givenUp: undefined };
