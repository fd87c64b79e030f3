// Whether a participant is speaking, from the 20 ms frames it sends into the conference, for the
// `participant-speech-start` / `participant-speech-stop` status callbacks (the `speaker` word).
// Twilio documents the events, not its detector, so this one is a plain energy gate with a
// hangover: a frame whose RMS exceeds SPEECH_RMS is voiced; speech starts once START_FRAMES voiced
// frames (100 ms) have come with no quiet run of GAP_FRAMES (60 ms) between them (scattered clicks
// start nothing), and stops after STOP_FRAMES quiet frames in a row (500 ms). A frame the participant does not send into the
// conference (muted, on hold, before the conference starts) counts as quiet. Pure.
import { rms } from '../audio';

/** About -41 dBFS: well above line noise, well below a voice. */
export const SPEECH_RMS = 300;
/** 100 ms of voiced frames start speech. */
export const START_FRAMES = 5;
/** 60 ms of quiet before speech starts forgets the voiced frames before it. */
export const GAP_FRAMES = 3;
/** 500 ms of quiet stops it. */
export const STOP_FRAMES = 25;

export type SpeechEdge = 'start' | 'stop';

export class SpeechActivity {
  private voiced = 0;
  private quiet = 0;
  private speakingNow = false;

  get speaking(): boolean {
    return this.speakingNow;
  }

  /** One frame sent into the conference (undefined: nothing was, a quiet frame); the edge it makes, if any. */
  push(frame: Int16Array | undefined): SpeechEdge | undefined {
    const loud = frame !== undefined && rms(frame) > SPEECH_RMS;
    if (loud) {
      this.quiet = 0;
      this.voiced++;
      if (!this.speakingNow && this.voiced >= START_FRAMES) {
        this.speakingNow = true;
        return 'start';
      }
      return undefined;
    }
    this.quiet++;
    if (!this.speakingNow) {
      if (this.quiet >= GAP_FRAMES) this.voiced = 0;
      return undefined;
    }
    if (this.quiet < STOP_FRAMES) return undefined;
    this.voiced = 0;
    this.speakingNow = false;
    return 'stop';
  }
}
