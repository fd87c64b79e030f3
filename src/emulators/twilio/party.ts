// An emulated person on the phone: what they say and when (clips at set times, or once the other
// party has spoken and paused, one after another), when they press keys or hang up, and, for
// callees, how they react to ringing. More speech can be queued while the call runs. Pure: the
// call asks for one microphone frame per 20 ms.
import { dbToGain, FRAME_SAMPLES, loadWavAs8k, mixInto, rms, SAMPLE_RATE } from './audio';

export type CalleeScenario =
  | { kind: 'answer'; afterSec?: number }
  | { kind: 'busy'; afterSec?: number }
  | { kind: 'no-answer' }
  | { kind: 'fail'; afterSec?: number };

/** One thing the party says. */
export interface Utterance {
  /** 8 kHz Int16 samples, or a WAV path (PCM or mu-law, any rate). */
  audio: Int16Array | string;
  /** Not before this many seconds after answering (default 0). */
  atSec?: number;
  /** Waits until the other party has spoken and then paused (turn taking). */
  afterSpeech?: boolean;
}

export interface PartySpec {
  /** How the callee reacts to ringing (outbound calls). Default: answers after 1 s. */
  scenario?: CalleeScenario;
  /** Hangs up this many seconds after answering. */
  hangupAfterSec?: number;
  /** What the party says first: 8 kHz Int16 samples, or a WAV path (PCM or mu-law, any rate). */
  speech?: Int16Array | string;
  /** Seconds after answering before the party says `speech` (default 0). */
  speakAfterSec?: number;
  /** What the party says after `speech`, in order. */
  utterances?: Utterance[];
  /** Keys pressed, in seconds after answering. */
  dtmf?: { atSec: number; digits: string }[];
  /** Speakerphone: the microphone also picks up what the loudspeaker plays at this gain (dB, e.g. -10). */
  speakerphoneGainDb?: number;
}

/** What the party hears counts as the other party speaking above this level. */
const SPEECH_RMS = 300;
/** A turn: at least this much speech heard... */
const TURN_MIN_SPEECH_FRAMES = 10;
/** ...then this much quiet. */
const TURN_PAUSE_FRAMES = 35;

/** Finds where the other party finished a turn, from what the party hears frame by frame. */
class TurnDetector {
  private speechFrames = 0;
  private quietFrames = 0;
  /** Frame number at which the most recent turn ended. */
  lastTurnEnd = -1;

  push(frameNo: number, heard: Int16Array): void {
    if (rms(heard) > SPEECH_RMS) {
      this.speechFrames += 1;
      this.quietFrames = 0;
      return;
    }
    this.quietFrames += 1;
    if (this.speechFrames >= TURN_MIN_SPEECH_FRAMES && this.quietFrames >= TURN_PAUSE_FRAMES) {
      this.lastTurnEnd = frameNo;
      this.speechFrames = 0;
    }
  }
}

interface Pending {
  samples: Int16Array;
  atFrame: number;
  afterSpeech: boolean;
}

export class PartyVoice {
  private readonly queue: Pending[] = [];
  private current: { samples: Int16Array; startSample: number } | undefined;
  /** Frame at which the current (or last) utterance ends. */
  private endFrame = 0;
  private turns: TurnDetector | undefined;
  private readonly echoGain: number | undefined;

  constructor(spec: PartySpec) {
    if (spec.speech !== undefined) this.say({ audio: spec.speech, atSec: spec.speakAfterSec });
    for (const u of spec.utterances ?? []) this.say(u);
    this.echoGain = spec.speakerphoneGainDb === undefined ? undefined : dbToGain(spec.speakerphoneGainDb);
  }

  /** Queues an utterance after those already queued (`atSec` counts from the answer). */
  say(u: Utterance): void {
    const samples = typeof u.audio === 'string' ? loadWavAs8k(u.audio) : u.audio;
    if (samples.length === 0) return;
    this.queue.push({ samples, atFrame: Math.round(((u.atSec ?? 0) * SAMPLE_RATE) / FRAME_SAMPLES), afterSpeech: u.afterSpeech === true });
    if (u.afterSpeech) this.turns ??= new TurnDetector();
  }

  /** Microphone frame number `n` (0 = first frame after answer); `heardBefore` is the previous loudspeaker frame. */
  micFrame(n: number, heardBefore: Int16Array | undefined): Int16Array {
    if (this.turns && heardBefore) this.turns.push(n - 1, heardBefore);
    const out = new Int16Array(FRAME_SAMPLES);
    if (this.current && n >= this.endFrame) this.current = undefined;
    if (!this.current && this.queue.length > 0) this.startDue(n);
    const c = this.current;
    if (c) {
      const from = n * FRAME_SAMPLES - c.startSample;
      if (from >= 0) out.set(c.samples.subarray(from, from + FRAME_SAMPLES));
    }
    if (this.echoGain !== undefined && heardBefore) mixInto(out, heardBefore, this.echoGain);
    return out;
  }

  private startDue(n: number): void {
    const next = this.queue[0];
    const earliest = Math.max(next.atFrame, this.endFrame);
    if (n < earliest) return;
    // Turn taking: the other party must have finished a turn after we could have started.
    if (next.afterSpeech && (this.turns?.lastTurnEnd ?? -1) < earliest) return;
    this.queue.shift();
    this.current = { samples: next.samples, startSample: n * FRAME_SAMPLES };
    this.endFrame = n + Math.ceil(next.samples.length / FRAME_SAMPLES);
  }
}
