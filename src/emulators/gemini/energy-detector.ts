/**
 * Finds utterances in a continuous 16 kHz PCM16 stream with a plain energy gate: 20 ms frames whose
 * RMS exceeds a threshold are speech; an utterance ends after `pauseMs` of non-speech (or when it
 * reaches `maxUtteranceMs`). Pure and incremental; time is the audio clock.
 */
export interface EnergyDetectorOptions {
  sampleRate: number;
  /** RMS threshold on the int16 scale (default 500, about -36 dBFS). */
  threshold?: number;
  /** Silence that ends an utterance (default 500 ms). */
  pauseMs?: number;
  /** Utterances shorter than this are ignored as clicks (default 120 ms of speech). */
  minSpeechMs?: number;
  /** Long speech is cut into pieces of at most this (default 6,000 ms), as the model streams while you talk. */
  maxUtteranceMs?: number;
}

export interface DetectedUtterance {
  /** Audio clock in ms of the first and last speech frame. */
  startMs: number;
  endMs: number;
  /** The speech samples (start of first speech frame to end of last one). */
  samples: Int16Array;
}

export class EnergyDetector {
  private readonly frame: number;
  private readonly threshold: number;
  private readonly pauseFrames: number;
  private readonly minSpeechFrames: number;
  private readonly maxFrames: number;
  private carry = new Int16Array(0);
  private frameIndex = 0;
  private speech: Int16Array[] = [];
  private silentRun: Int16Array[] = [];
  private speechFrames = 0;
  private startFrame = -1;
  private lastSpeechFrame = -1;

  constructor(private readonly opts: EnergyDetectorOptions) {
    this.frame = Math.round(opts.sampleRate * 0.02);
    this.threshold = opts.threshold ?? 500;
    this.pauseFrames = Math.ceil((opts.pauseMs ?? 500) / 20);
    this.minSpeechFrames = Math.ceil((opts.minSpeechMs ?? 120) / 20);
    this.maxFrames = Math.ceil((opts.maxUtteranceMs ?? 6000) / 20);
  }

  push(samples: Int16Array): DetectedUtterance[] {
    const all = new Int16Array(this.carry.length + samples.length);
    all.set(this.carry);
    all.set(samples, this.carry.length);
    const out: DetectedUtterance[] = [];
    let off = 0;
    for (; off + this.frame <= all.length; off += this.frame) {
      const u = this.onFrame(all.subarray(off, off + this.frame));
      if (u) out.push(u);
    }
    this.carry = all.slice(off);
    return out;
  }

  /** Ends a pending utterance (e.g. when the connection closes). */
  flush(): DetectedUtterance | undefined {
    return this.finish();
  }

  private onFrame(f: Int16Array): DetectedUtterance | undefined {
    let sum = 0;
    for (let i = 0; i < f.length; i++) sum += f[i] * f[i];
    const loud = Math.sqrt(sum / f.length) >= this.threshold;
    const idx = this.frameIndex++;
    const copy = f.slice();
    if (loud) {
      if (this.startFrame < 0) this.startFrame = idx;
      this.speech.push(...this.silentRun, copy);
      this.silentRun = [];
      this.speechFrames++;
      this.lastSpeechFrame = idx;
      if (idx - this.startFrame + 1 >= this.maxFrames) return this.finish();
      return undefined;
    }
    if (this.startFrame < 0) return undefined;
    this.silentRun.push(copy);
    if (this.silentRun.length >= this.pauseFrames) return this.finish();
    return undefined;
  }

  private finish(): DetectedUtterance | undefined {
    const enough = this.speechFrames >= this.minSpeechFrames;
    const u: DetectedUtterance | undefined =
      this.startFrame >= 0 && enough
        ? { startMs: this.startFrame * 20, endMs: (this.lastSpeechFrame + 1) * 20, samples: concat(this.speech) }
        : undefined;
    this.speech = [];
    this.silentRun = [];
    this.speechFrames = 0;
    this.startFrame = -1;
    this.lastSpeechFrame = -1;
    return u;
  }
}

function concat(parts: Int16Array[]): Int16Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Int16Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
