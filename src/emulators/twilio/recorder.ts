// What one party heard and said, frame by frame on the call's real play-out timeline (frame 0 =
// the moment the call was answered); silence where nothing played.
import { FRAME_SAMPLES, SAMPLE_RATE, toWav } from './audio';

export interface CallRecording {
  sampleRate: number;
  /** What the party heard through the earpiece. */
  heard: Int16Array;
  /** What the party's microphone picked up (their speech, plus speakerphone echo if enabled). */
  said: Int16Array;
  heardWav(): Buffer;
  saidWav(): Buffer;
  /** Emulated seconds covered. */
  durationSec: number;
}

export class Recorder {
  private heard: Int16Array[] = [];
  private said: Int16Array[] = [];
  private count = 0;

  /** `keep` false counts frames but keeps no audio (recordings are then empty). */
  constructor(private readonly keep = true) {}

  push(heard: Int16Array, said: Int16Array): void {
    this.count += 1;
    if (!this.keep) return;
    this.heard.push(heard);
    this.said.push(said);
  }

  get frames(): number {
    return this.count;
  }

  snapshot(): CallRecording {
    const heard = concat(this.heard);
    const said = concat(this.said);
    return {
      sampleRate: SAMPLE_RATE,
      heard,
      said,
      heardWav: () => toWav(heard),
      saidWav: () => toWav(said),
      durationSec: heard.length / SAMPLE_RATE,
    };
  }
}

function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.length * FRAME_SAMPLES);
  frames.forEach((f, i) => out.set(f.subarray(0, FRAME_SAMPLES), i * FRAME_SAMPLES));
  return out;
}
