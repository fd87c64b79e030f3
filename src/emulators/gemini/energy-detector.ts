/**
 * Follows speech in a continuous 16 kHz PCM16 stream with a plain energy gate, as it arrives, so
 * the emulated model can translate while the speaker is still talking. 20 ms frames whose RMS
 * exceeds a threshold are speech. An utterance:
 *  - starts once it has `minSpeechMs` of speech (shorter bursts are clicks), with every frame since
 *    its first loud one;
 *  - goes on frame by frame; frames of a pause are held back (the pause is announced) and handed on
 *    only if speech resumes within `pauseMs`;
 *  - ends after `pauseMs` without speech, or when it reaches `maxUtteranceMs` (a cut). Speech that
 *    goes on past a cut continues as a `continuation` utterance at once, with no minimum, so one long
 *    utterance is never taken for two.
 * Pure and incremental; time is the audio clock.
 */
export interface EnergyDetectorOptions {
  sampleRate: number;
  /** RMS threshold on the int16 scale (default 500, about -36 dBFS). */
  threshold?: number;
  /** Silence that ends an utterance (default 500 ms). */
  pauseMs?: number;
  /** Speech shorter than this is ignored as a click (default 120 ms). */
  minSpeechMs?: number;
  /** Utterances are cut into pieces of at most this (default 6,000 ms), for transcripts. */
  maxUtteranceMs?: number;
}

export interface DetectedUtterance {
  /** Audio clock in ms of the first and last speech frame. */
  startMs: number;
  endMs: number;
  /** The speech samples (start of first speech frame to end of last one). */
  samples: Int16Array;
}

export type DetectorEvent =
  /** An utterance began; `samples` is its audio so far (empty for a continuation). */
  | { type: 'start'; continuation: boolean; startMs: number; samples: Int16Array }
  /** More audio of the current utterance, in order (pause frames only once speech resumed). */
  | { type: 'speech'; samples: Int16Array }
  /** The speaker paused: the utterance ends if the pause lasts `pauseMs`. */
  | { type: 'pause' }
  /** The utterance ended: after a pause, or cut at the maximum length (`cut`). */
  | { type: 'end'; cut: boolean; utterance: DetectedUtterance };

export class EnergyDetector {
  private readonly frame: number;
  private readonly threshold: number;
  private readonly pauseFrames: number;
  private readonly minSpeechFrames: number;
  private readonly maxFrames: number;
  private carry = new Int16Array(0);
  private frameIndex = 0;
  /** Frames of the utterance so far (since its first loud frame), pauses included once speech resumed. */
  private speech: Int16Array[] = [];
  /** Non-speech frames since the last loud one (held: they belong to the utterance only if speech resumes). */
  private silentRun: Int16Array[] = [];
  private speechFrames = 0;
  private startFrame = -1;
  private lastSpeechFrame = -1;
  /** The utterance has been announced (`start`); before that it may still be a click. */
  private started = false;

  constructor(opts: EnergyDetectorOptions) {
    this.frame = Math.round(opts.sampleRate * 0.02);
    this.threshold = opts.threshold ?? 500;
    this.pauseFrames = Math.ceil((opts.pauseMs ?? 500) / 20);
    this.minSpeechFrames = Math.max(1, Math.ceil((opts.minSpeechMs ?? 120) / 20));
    this.maxFrames = Math.ceil((opts.maxUtteranceMs ?? 6000) / 20);
  }

  /** Feeds audio of any length; returns what happened, in order. */
  push(samples: Int16Array): DetectorEvent[] {
    const all = new Int16Array(this.carry.length + samples.length);
    all.set(this.carry);
    all.set(samples, this.carry.length);
    const out: DetectorEvent[] = [];
    let off = 0;
    for (; off + this.frame <= all.length; off += this.frame) this.onFrame(all.subarray(off, off + this.frame), out);
    this.carry = all.slice(off);
    return out;
  }

  /** Ends the current utterance, if any (e.g. on `audioStreamEnd` or when the connection closes). */
  flush(): DetectorEvent[] {
    const out: DetectorEvent[] = [];
    this.finish(false, out);
    return out;
  }

  private onFrame(f: Int16Array, out: DetectorEvent[]): void {
    let sum = 0;
    for (let i = 0; i < f.length; i++) sum += f[i] * f[i];
    const loud = Math.sqrt(sum / f.length) >= this.threshold;
    const idx = this.frameIndex++;
    const copy = f.slice();
    if (loud) {
      if (this.startFrame < 0) this.startFrame = idx;
      const released = this.silentRun.length > 0 && this.speech.length > 0 ? [...this.silentRun, copy] : [copy];
      this.speech.push(...released);
      this.silentRun = [];
      this.speechFrames++;
      this.lastSpeechFrame = idx;
      if (this.started) {
        out.push({ type: 'speech', samples: concat(released) });
      } else if (this.speechFrames >= this.minSpeechFrames) {
        this.started = true;
        out.push({ type: 'start', continuation: false, startMs: this.startFrame * 20, samples: concat(this.speech) });
      }
      if (idx - this.startFrame + 1 >= this.maxFrames) {
        this.finish(true, out);
        // Speech may well go on: what follows is the same utterance, not a new one.
        this.started = true;
        out.push({ type: 'start', continuation: true, startMs: (idx + 1) * 20, samples: new Int16Array(0) });
      }
      return;
    }
    if (!this.started && this.startFrame < 0) return;
    if (this.started && this.silentRun.length === 0 && this.lastSpeechFrame === idx - 1) out.push({ type: 'pause' });
    this.silentRun.push(copy);
    if (this.silentRun.length >= this.pauseFrames) this.finish(false, out);
  }

  private finish(cut: boolean, out: DetectorEvent[]): void {
    if (this.started) {
      const at = this.frameIndex * 20;
      const utterance =
        this.startFrame >= 0
          ? { startMs: this.startFrame * 20, endMs: (this.lastSpeechFrame + 1) * 20, samples: concat(this.speech) }
          : { startMs: at, endMs: at, samples: new Int16Array(0) };
      out.push({ type: 'end', cut, utterance });
    }
    this.speech = [];
    this.silentRun = [];
    this.speechFrames = 0;
    this.startFrame = -1;
    this.lastSpeechFrame = -1;
    this.started = false;
  }
}

function concat(parts: Int16Array[]): Int16Array {
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Int16Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
