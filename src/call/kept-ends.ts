/**
 * Ends of this instance's calls that could be neither written nor queued to be written (the
 * database and the job queue both failing): kept in memory, oldest first, at most `cap` of them, for
 * the reconciler to write (reconciler.ts). Plain data, no I/O.
 */
import type { CallEnd } from '../store/call-record-store';

/** Ends kept at most; beyond, the oldest is dropped. */
export const MAX_KEPT_ENDS = 10_000;

export interface KeptEnd {
  callId: string;
  end: CallEnd;
}

export class KeptEnds {
  private readonly ends = new Map<string, CallEnd>(); // insertion order = oldest first

  constructor(readonly cap = MAX_KEPT_ENDS) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`cap must be a positive integer, got ${cap}`);
  }

  get size(): number {
    return this.ends.size;
  }

  /**
   * Keeps `end` for `callId`; a call ends once, so an end kept for it already stays. Resolves the
   * oldest end dropped to make room, if one was.
   */
  keep(callId: string, end: CallEnd): KeptEnd | undefined {
    if (this.ends.has(callId)) return undefined;
    let dropped: KeptEnd | undefined;
    if (this.ends.size >= this.cap) {
      const [oldest, its] = this.ends.entries().next().value!;
      this.ends.delete(oldest);
      dropped = { callId: oldest, end: its };
    }
    this.ends.set(callId, end);
    return dropped;
  }

  get(callId: string): CallEnd | undefined {
    return this.ends.get(callId);
  }

  has(callId: string): boolean {
    return this.ends.has(callId);
  }

  /** Forgets the call's end (written, queued, or given up). */
  delete(callId: string): void {
    this.ends.delete(callId);
  }

  /** The ends kept, oldest first (a copy: forgetting some meanwhile is safe). */
  list(): KeptEnd[] {
    return [...this.ends].map(([callId, end]) => ({ callId, end }));
  }

  ids(): string[] {
    return [...this.ends.keys()];
  }
}
