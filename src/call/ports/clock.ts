/** The play-out clock port: one tick per 20 ms frame, shared by every call (see frame-clock.ts). */

export const FRAME_MS = 20;

export type TickListener = (frameIndex: number) => void;
export type Unsubscribe = () => void;

export interface FrameClock {
  subscribe(listener: TickListener): Unsubscribe;
  readonly subscribers: number;
  /**
   * Where the clock is now, in frames on the timeline of the `frameIndex` its listeners get
   * (fractional between ticks): frame k is due at position k. Audio arriving and audio read are
   * placed on this timeline to tell how early it came.
   */
  position(): number;
}
