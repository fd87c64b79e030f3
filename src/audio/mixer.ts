/**
 * What one listener hears, one 20 ms frame at a time (8 kHz PCM16): a mix of named,
 * gain-controlled inputs.
 *  - prompts tolk plays (notices), first in line: translated speech waits while one plays;
 *  - translated speech, one input per translation meant for this listener (`SpeechPlayout`:
 *    queued, started once a cushion is in hand), summed when several play at once;
 *  - live voices (another party's own voice, so nobody sits in dead air while the translation is
 *    being made), handed in one frame per tick (after the source's jitter buffer), never more than
 *    a few frames deep;
 *  - a call-progress tone (ringback while the other party is being called).
 * Mixing rounds and clamps; a frame with nothing audible in it is not produced at all, so a
 * listener with nothing to hear is sent nothing (a short pause inside a voice still counts: it is
 * played as silence, so the words after it keep their time). Pure logic: the caller drives it with
 * `nextFrame()` on every clock tick, and nothing is allocated per frame.
 */
import { FRAME_SAMPLES, SAMPLE_RATE, msToSamples, samplesToMs } from './frame';
import { allWithin } from './pcm';
import type { RecentLateness } from './recent-lateness';
import { SampleQueue } from './sample-queue';
import { SpeechPlayout, type SpeechPlayoutOptions } from './speech-playout';
import { ToneGenerator, type ToneSpec } from './tones';

/** Below this peak a frame is silence (mu-law's smallest steps are 0, ±8, ±16...). */
const SILENCE_PEAK = 8;

function isDigitalSilence(pcm: Int16Array): boolean {
  return allWithin(pcm, SILENCE_PEAK);
}

/**
 * Digital silence longer than this (frames) is a voice gone quiet: it is no longer played, so a
 * listener hears nothing is sent nothing. Shorter, it is a pause between words and is played, in time.
 */
const PAUSE_FRAMES = 25;

/**
 * out[i] = Math.round(mix[i]) clamped to int16 (NaN 0, as an Int16Array stores Math.round's NaN),
 * for i < out.length, a multiple of four (four samples a pass). Inside the int16 range a float32 x
 * plus 32768.5 is positive, and exact in float64 whenever |x| >= 2^-14 (its bits then all lie at or
 * above 2^-37, and the sum is below 2^16): truncating it (| 0) floors it, so less 32768 it is
 * floor(x + 0.5), which is Math.round(x). A smaller x sums to within 2^-14 of 32768.5, which
 * truncates to 32768: 0, as Math.round gives it (or -0, stored as 0). The integer result needs
 * no conversion from a double to be stored.
 */
export function roundMix(mix: Float32Array, out: Int16Array): void {
  for (let i = 0; i < out.length; i += 4) {
    const x0 = mix[i];
    const x1 = mix[i + 1];
    const x2 = mix[i + 2];
    const x3 = mix[i + 3];
    out[i] = x0 > -32768 && x0 < 32767 ? ((x0 + 32768.5) | 0) - 32768 : x0 >= 32767 ? 32767 : x0 <= -32768 ? -32768 : 0;
    out[i + 1] = x1 > -32768 && x1 < 32767 ? ((x1 + 32768.5) | 0) - 32768 : x1 >= 32767 ? 32767 : x1 <= -32768 ? -32768 : 0;
    out[i + 2] = x2 > -32768 && x2 < 32767 ? ((x2 + 32768.5) | 0) - 32768 : x2 >= 32767 ? 32767 : x2 <= -32768 ? -32768 : 0;
    out[i + 3] = x3 > -32768 && x3 < 32767 ? ((x3 + 32768.5) | 0) - 32768 : x3 >= 32767 ? 32767 : x3 <= -32768 ? -32768 : 0;
  }
}

/** A live voice into the mix: a frame or two in hand at most. */
export class VoiceInput {
  readonly kind = 'voice';
  private readonly queue: SampleQueue;
  /** Frames of digital silence in a row so far (starts as a voice long quiet). */
  private silentRun = PAUSE_FRAMES;
  /** Ticks in a row that found no frame of the voice in hand. */
  private missed = 0;

  constructor(
    readonly name: string,
    private gainValue: number,
    /** Most of the voice held (beyond it, the oldest is dropped to keep delay low). */
    maxMs = 100,
  ) {
    this.queue = new SampleQueue(msToSamples(maxMs));
  }

  get gain(): number {
    return this.gainValue;
  }

  /** 0 turns the voice off (and forgets what is buffered). */
  setGain(gain: number): void {
    this.gainValue = gain;
    if (gain === 0) {
      this.queue.clear();
      this.silentRun = PAUSE_FRAMES;
    }
  }

  /**
   * The voice as it arrives (copied). Digital silence past a pause of `PAUSE_FRAMES` is not
   * queued, so a listener with nothing to hear is sent nothing (no socket write per frame); a
   * shorter pause is, so the speech after it is not pulled forward into it (a slip).
   */
  push(pcm: Int16Array): void {
    if (this.gainValue === 0) return;
    this.silentRun = isDigitalSilence(pcm) ? this.silentRun + 1 : 0;
    if (this.silentRun <= PAUSE_FRAMES) this.queue.push(pcm);
  }

  get droppedMs(): number {
    return samplesToMs(this.queue.dropped);
  }

  /** Frames of the voice are in hand, or it is inside a pause between words (it is being played). */
  get live(): boolean {
    return this.queue.length > 0 || this.silentRun < PAUSE_FRAMES;
  }

  /**
   * Adds one frame of the voice into `mix`; false when there was nothing to add. A voice still
   * talking whose next frame is late adds silence and says so (true): the listener hears a hole,
   * in time, rather than the next words pulled forward into it (a slip). A frame mixed `ahead` of
   * its tick (see `Mixer.nextFrame`) is not late: nothing is added.
   */
  mixInto(mix: Float32Array, ahead = false): boolean {
    if (this.queue.length === 0) return !ahead && this.silentRun < PAUSE_FRAMES && ++this.missed <= PAUSE_FRAMES;
    this.missed = 0;
    this.queue.read(mix, 0, this.gainValue, true);
    // Keep the jitter buffer shallow: more than two frames behind means delay, not smoothing.
    if (this.queue.length > 2 * FRAME_SAMPLES) this.queue.discard(this.queue.length - FRAME_SAMPLES, true);
    return true;
  }
}

/** A translation into the mix. */
export class SpeechInput {
  readonly kind = 'speech';
  readonly playout: SpeechPlayout;

  constructor(
    readonly name: string,
    public gain: number,
    opts: SpeechPlayoutOptions = {},
  ) {
    this.playout = new SpeechPlayout(opts);
  }

  /** Translated speech (copied). */
  push(pcm: Int16Array): void {
    this.playout.push(pcm);
  }
}

export type MixerInput = VoiceInput | SpeechInput;

export interface MixerStats {
  framesOut: number;
  translationStarts: number;
  underruns: number;
  /** Times translated speech ran dry and was carried on until it resumed (no gap heard), and the ms made up. */
  concealments: number;
  concealedMs: number;
  /** The largest start cushion of the translations, ms. */
  cushionMs: number;
  droppedTranslatedMs: number;
  droppedOriginalMs: number;
  queuedMs: number;
}

export interface MixerOptions {
  /** The play-out's clock, ms: translated speech waits for its start on it (see SpeechPlayout). */
  nowMs?: () => number;
  /** Where a translated utterance's first piece sets its pace, ms (see SpeechPlayoutOptions.arrivalMs). */
  arrivalMs?: () => number;
  /** The lateness of translated speech the process's routes have seen lately (see SpeechPlayout). */
  recent?: RecentLateness;
}

export class Mixer {
  private readonly inputs = new Map<string, MixerInput>();
  private voices: VoiceInput[] = [];
  private speeches: SpeechInput[] = [];
  private readonly prompts = new SampleQueue(msToSamples(60_000));
  private tone: ToneGenerator | undefined;
  private readonly mix = new Float32Array(FRAME_SAMPLES);
  /** `mix` holds zeros: nothing was added to it since it was last cleared (a frame with nothing audible adds nothing). */
  private mixZero = true;
  private readonly out = new Int16Array(FRAME_SAMPLES);
  private framesOut = 0;
  /** Whether the last frame made carried translated speech. */
  private speechInLast = false;
  /** Whether the last frame made carried a live voice and nothing else (no notice, tone or translation). */
  private voiceOnlyInLast = false;
  /** Stats of inputs already removed, so the totals cover the whole call. */
  private readonly removed = { translationStarts: 0, underruns: 0, concealments: 0, concealedMs: 0, droppedTranslatedMs: 0, droppedOriginalMs: 0 };

  constructor(private readonly opts: MixerOptions = {}) {}

  /** A live voice input (e.g. `voice:<endpoint>`) at `gain`. */
  addVoice(name: string, gain: number): VoiceInput {
    const input = new VoiceInput(name, gain);
    this.add(input);
    this.voices = [...this.voices, input];
    return input;
  }

  /** A translated-speech input (e.g. `speech:<route>`). */
  addSpeech(name: string, opts: SpeechPlayoutOptions & { gain?: number } = {}): SpeechInput {
    const { nowMs, arrivalMs, recent } = this.opts;
    const input = new SpeechInput(name, opts.gain ?? 1, { ...(nowMs ? { nowMs } : {}), ...(arrivalMs ? { arrivalMs } : {}), ...(recent ? { recent } : {}), ...opts });
    this.add(input);
    this.speeches = [...this.speeches, input];
    return input;
  }

  input(name: string): MixerInput | undefined {
    return this.inputs.get(name);
  }

  remove(name: string): void {
    const input = this.inputs.get(name);
    if (!input) return;
    this.inputs.delete(name);
    if (input.kind === 'voice') {
      this.voices = this.voices.filter((v) => v !== input);
      this.removed.droppedOriginalMs += input.droppedMs;
    } else {
      this.speeches = this.speeches.filter((s) => s !== input);
      const s = input.playout.stats();
      this.removed.translationStarts += s.translationStarts;
      this.removed.underruns += s.underruns;
      this.removed.concealments += s.concealments;
      this.removed.concealedMs += s.concealedMs;
      this.removed.droppedTranslatedMs += s.droppedMs;
    }
  }

  /** A notice tolk speaks to this listener; plays before any translated speech (copied). */
  pushPrompt(pcm: Int16Array): void {
    this.prompts.push(pcm);
  }

  /** Prompt audio still to play, ms. */
  get promptMs(): number {
    return samplesToMs(this.prompts.length);
  }

  setTone(spec: ToneSpec | undefined): void {
    this.tone = spec ? new ToneGenerator(spec, SAMPLE_RATE) : undefined;
  }

  /** Whether the last frame `nextFrame` made carried translated speech. */
  get lastHadSpeech(): boolean {
    return this.speechInLast;
  }

  /** Whether the last frame `nextFrame` made carried a live voice and nothing else (no notice, tone or translation). */
  get lastWasVoiceOnly(): boolean {
    return this.voiceOnlyInLast;
  }

  /** Whether a live voice is being played (frames of it are in hand, or it is inside a pause between words). */
  get voiceLive(): boolean {
    const voices = this.voices;
    for (let i = 0; i < voices.length; i++) if (voices[i].live) return true;
    return false;
  }

  /** Whether a call-progress tone is playing. */
  get toneOn(): boolean {
    return this.tone !== undefined;
  }

  /** Whether a live voice is mixed in at all (an input with a gain above 0), speaking or not. */
  get voiceLinked(): boolean {
    const voices = this.voices;
    for (let i = 0; i < voices.length; i++) if (voices[i].gain > 0) return true;
    return false;
  }

  /** Translated speech queued for this listener, ms (all translations). */
  get depthMs(): number {
    let ms = 0;
    for (const s of this.speeches) ms += s.playout.depthMs;
    return ms;
  }

  stats(): MixerStats {
    const totals: MixerStats = { framesOut: this.framesOut, ...this.removed, cushionMs: 0, queuedMs: 0 };
    for (const s of this.speeches) {
      const p = s.playout.stats();
      totals.translationStarts += p.translationStarts;
      totals.underruns += p.underruns;
      totals.concealments += p.concealments;
      totals.concealedMs += p.concealedMs;
      totals.droppedTranslatedMs += p.droppedMs;
      totals.queuedMs += p.queuedMs;
      totals.cushionMs = Math.max(totals.cushionMs, p.cushionMs);
    }
    for (const v of this.voices) totals.droppedOriginalMs += v.droppedMs;
    return totals;
  }

  /**
   * The next 20 ms frame, or undefined when there is nothing at all to play (the caller may then
   * send nothing). `ahead`: the frame is asked for before its tick (to fill the far end's buffer),
   * so a live voice with nothing more in hand is not late yet. `hold`: the listener still has
   * audio in hand, so a translation short of a whole frame may wait for the rest rather than end
   * (see SpeechPlayout.mixInto). The returned array is reused by the next call.
   */
  nextFrame(ahead = false, hold = false): Int16Array | undefined {
    const mix = this.mix;
    if (!this.mixZero) mix.fill(0);
    this.mixZero = false;
    let audible = false;

    const prompted = this.prompts.read(mix, 0, 1, true);
    if (prompted > 0) audible = true;
    // While at most one input has added to the mix, and only int16 samples at gain 1, the mix
    // holds int16 values exactly: rounding and clamping it changes nothing.
    let sources = prompted > 0 ? 1 : 0;
    let exact = true;
    const voices = this.voices;
    let voiced = false;
    for (let i = 0; i < voices.length; i++) {
      if (voices[i].mixInto(mix, ahead)) {
        voiced = true;
        sources++;
        if (voices[i].gain !== 1) exact = false;
      }
    }
    if (voiced) audible = true;
    if (this.tone) {
      this.tone.mixInto(mix);
      audible = true;
      exact = false;
    }
    const speeches = this.speeches;
    let speech = false;
    if (prompted < FRAME_SAMPLES) {
      // A frame sent anyway (another input is audible) cannot wait for the rest of a translation.
      for (let i = 0; i < speeches.length; i++) {
        const s = speeches[i];
        // from `prompted` on, the mix holds zeros until a voice, the tone or a translation adds
        if (s.playout.mixInto(mix, prompted, s.gain, hold && !audible, !voiced && !this.tone && !speech) > 0) {
          speech = true;
          sources++;
          if (!s.playout.lastMixExact) exact = false;
        }
      }
    }
    this.speechInLast = speech;
    this.voiceOnlyInLast = voiced && prompted === 0 && !this.tone && !speech;
    if (speech) audible = true;
    if (!audible) {
      // no input added anything (each says so by what it returns): the mix still holds zeros
      this.mixZero = true;
      return undefined;
    }

    const out = this.out;
    if (exact && sources <= 1) out.set(mix);
    else roundMix(mix, out);
    this.framesOut++;
    return out;
  }

  private add(input: MixerInput): void {
    if (this.inputs.has(input.name)) throw new Error(`mixer already has an input named ${input.name}`);
    this.inputs.set(input.name, input);
  }
}
