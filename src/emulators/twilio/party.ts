// An emulated person on the phone: what they say (an audio clip after a delay, then silence),
// when they press keys or hang up, and, for callees, how they react to ringing. Pure: the call
// asks for one microphone frame per 20 ms.
import { dbToGain, FRAME_SAMPLES, loadWavAs8k, mixInto, SAMPLE_RATE } from './audio';

export type CalleeScenario =
  | { kind: 'answer'; afterSec?: number }
  | { kind: 'busy'; afterSec?: number }
  | { kind: 'no-answer' }
  | { kind: 'fail'; afterSec?: number };

export interface PartySpec {
  /** How the callee reacts to ringing (outbound calls). Default: answers after 1 s. */
  scenario?: CalleeScenario;
  /** Hangs up this many seconds after answering. */
  hangupAfterSec?: number;
  /** What the party says: 8 kHz Int16 samples, or a WAV path (PCM or mu-law, any rate). */
  speech?: Int16Array | string;
  /** Seconds after answering before the party starts speaking (default 0). */
  speakAfterSec?: number;
  /** Keys pressed, in seconds after answering. */
  dtmf?: { atSec: number; digits: string }[];
  /** Speakerphone: the microphone also picks up what the loudspeaker plays at this gain (dB, e.g. -10). */
  speakerphoneGainDb?: number;
}

export class PartyVoice {
  private readonly speech: Int16Array;
  private readonly startSample: number;
  private readonly echoGain: number | undefined;

  constructor(spec: PartySpec) {
    this.speech = typeof spec.speech === 'string' ? loadWavAs8k(spec.speech) : (spec.speech ?? new Int16Array(0));
    this.startSample = Math.round((spec.speakAfterSec ?? 0) * SAMPLE_RATE);
    this.echoGain = spec.speakerphoneGainDb === undefined ? undefined : dbToGain(spec.speakerphoneGainDb);
  }

  /** Microphone frame number `n` (0 = first frame after answer); `heardBefore` is the previous loudspeaker frame. */
  micFrame(n: number, heardBefore: Int16Array | undefined): Int16Array {
    const out = new Int16Array(FRAME_SAMPLES);
    const from = n * FRAME_SAMPLES - this.startSample;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const k = from + i;
      if (k >= 0 && k < this.speech.length) out[i] = this.speech[k];
    }
    if (this.echoGain !== undefined && heardBefore) mixInto(out, heardBefore, this.echoGain);
    return out;
  }

  /** Seconds of speech in the clip. */
  get speechSec(): number {
    return this.speech.length / SAMPLE_RATE;
  }
}
