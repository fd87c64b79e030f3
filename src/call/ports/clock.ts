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
  /**
   * Where the listeners' play-out is, on the same timeline: the position, but never past the frame
   * being ticked or, between ticks, the frame ticked next. While the event loop is behind (a long
   * collection, a busy core) the audio arriving is in time for the frame ticked next, however late
   * the loop reads it, and a frame ticked late is read for its own due time: time a play-out waits
   * by does not run on through a stall of the process, as the frames it waits for do not.
   */
  playhead(): number;
}
