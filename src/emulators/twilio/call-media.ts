// The audio of one answered call, advanced one 20 ms frame at a time. Whatever the call is doing
// (a <Say>, a Media Stream, a conference...) is an AudioActivity: it decides what the party hears
// and takes what the party's microphone picks up. The recorder keeps both on the call timeline.
// Pure: frames only advance when the emulator's ticker calls captureMic()/playFrame().
import { silentFrame } from './audio';
import type { Recorder } from './recorder';

export interface AudioActivity {
  /** The party's microphone frame for this tick. */
  mic(frame: Int16Array): void;
  /** What the party hears for this tick. */
  hear(): Int16Array;
}

/** What is at the far end of the call: a person's microphone, or a conference. */
export interface MicSource {
  /** Microphone frame `n` (0 = first frame after answer); `heardBefore` is what the far end heard last tick. */
  micFrame(n: number, heardBefore: Int16Array | undefined): Int16Array;
}

export const SILENCE_ACTIVITY: AudioActivity = { mic: () => undefined, hear: silentFrame };

export type WaitResult = 'done' | 'aborted' | 'interrupted';

interface FrameWaiter {
  untilFrame: number;
  interrupt?: () => boolean;
  resolve: (r: WaitResult) => void;
}

export class CallMedia {
  private activity: AudioActivity = SILENCE_ACTIVITY;
  private n = 0;
  private lastHeard: Int16Array | undefined;
  private mic: Int16Array | undefined;
  private waiters = new Set<FrameWaiter>();

  constructor(
    private readonly voice: MicSource,
    private readonly recorder: Recorder,
    private readonly onFrame: (frameNo: number) => void,
  ) {}

  /** Frames since the call was answered. */
  get frameNo(): number {
    return this.n;
  }

  setActivity(a: AudioActivity | undefined): void {
    this.activity = a ?? SILENCE_ACTIVITY;
  }

  /** `a` is over: silence, unless another activity has already taken its place (new TwiML that began before `a` closed). */
  endActivity(a: AudioActivity): void {
    if (this.activity === a) this.activity = SILENCE_ACTIVITY;
  }

  /** Resolves after `count` frames, when `interrupt()` turns true (checked every frame), or on abort. */
  waitFrames(count: number, signal: AbortSignal, interrupt?: () => boolean): Promise<WaitResult> {
    if (signal.aborted) return Promise.resolve('aborted');
    if (interrupt?.()) return Promise.resolve('interrupted');
    return new Promise((resolve) => {
      const w: FrameWaiter = {
        untilFrame: this.n + Math.max(0, Math.round(count)),
        interrupt,
        resolve: (r) => {
          this.waiters.delete(w);
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        },
      };
      const onAbort = (): void => w.resolve('aborted');
      signal.addEventListener('abort', onAbort);
      this.waiters.add(w);
      if (count <= 0) w.resolve('done');
    });
  }

  /** Phase 1 of a tick: the party's microphone frame goes to the current activity. */
  captureMic(): void {
    this.mic = this.voice.micFrame(this.n, this.lastHeard);
    this.activity.mic(this.mic);
  }

  /** Phase 2 of a tick: the party hears a frame; waiters and the party script advance. */
  playFrame(): void {
    const heard = this.activity.hear();
    this.recorder.push(heard, this.mic ?? silentFrame());
    this.lastHeard = heard;
    this.n += 1;
    this.onFrame(this.n);
    for (const w of [...this.waiters]) {
      if (w.interrupt?.()) w.resolve('interrupted');
      else if (this.n >= w.untilFrame) w.resolve('done');
    }
  }

  /** Ends every wait (the call is over). */
  abortAll(): void {
    for (const w of [...this.waiters]) w.resolve('aborted');
  }
}
