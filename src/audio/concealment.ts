/**
 * Concealment for translated speech that runs dry inside an utterance (8 kHz PCM16). While the
 * next piece is late, the voice is carried on by repeating its last pitch period, at full level
 * for a frame (20 ms) and then fading to nothing by the limit, instead of a hole cut into a word; when the
 * speech resumes in time, the repetition is cross-faded into it. The utterance then plays as much
 * later as was filled, so its later pieces have that much more in hand. Speech that had gone quiet
 * before it ran dry is carried on as silence: a pause a little longer, not a sound made up.
 * Pure logic, nothing allocated per frame.
 */

/** Most speech remembered: enough for the longest pitch period and the window that finds it. */
const HISTORY = 240;
/** Pitch periods searched, samples (400 Hz down to 67 Hz). */
const MIN_PERIOD = 20;
const MAX_PERIOD = 120;
/** The stretch of history matched against the one a period before it. */
const MATCH = 80;
/** Below this RMS the last `QUIET_WINDOW` samples (10 ms) were quiet: the speech is carried on as silence. */
const QUIET_RMS = 150;
const QUIET_WINDOW = 80;
/** The repetition plays at full level this long (20 ms) before it fades. */
const FULL_SAMPLES = 160;
/** Samples over which the repetition hands over to the speech when it resumes. */
const CROSSFADE = 40;
/** Samples at the end of the repeated period blended with the one before it, so each repeat joins smoothly. */
const JOIN = 16;

export class Concealer {
  private readonly history = new Int16Array(HISTORY);
  private historyLength = 0;
  /** The period repeated (the last one, its end blended into the period before). */
  private readonly template = new Float32Array(MAX_PERIOD);
  private period = 0;
  /** Samples made up so far in this stretch (-1: not concealing). */
  private made = -1;
  private quiet = false;

  /** @param maxSamples the longest stretch made up before the utterance is taken to have ended */
  constructor(private readonly maxSamples: number) {}

  get concealing(): boolean {
    return this.made >= 0;
  }

  /** Samples made up in the stretch under way (0 when none is). */
  get madeSamples(): number {
    return Math.max(0, this.made);
  }

  /** Forgets the utterance (it ended, or was cut off). */
  reset(): void {
    this.historyLength = 0;
    this.made = -1;
  }

  /** Speech played, `samples[from, from + n)`, in order. */
  remember(samples: Int16Array, from: number, n: number): void {
    const h = this.history;
    const k = Math.min(n, HISTORY);
    if (k < HISTORY) h.copyWithin(0, k);
    h.set(k === samples.length ? samples : samples.subarray(from + n - k, from + n), HISTORY - k);
    this.historyLength = Math.min(HISTORY, this.historyLength + n);
  }

  /** Whether a stretch can be made up: enough speech played to find its period in, and room left. */
  canConceal(): boolean {
    if (this.maxSamples <= 0) return false;
    if (this.made >= 0) return this.made < this.maxSamples;
    return this.historyLength >= HISTORY;
  }

  /**
   * Adds `count` made-up samples (at `gain`) into `out` from `offset`, starting a stretch if none
   * is under way; returns how many it made (fewer once `maxSamples` is reached).
   */
  fill(out: Float32Array, offset: number, count: number, gain: number): number {
    if (this.made < 0) this.begin();
    const n = Math.min(count, this.maxSamples - this.made);
    if (!this.quiet) for (let i = 0; i < n; i++) out[offset + i] += this.sample(this.made + i) * gain;
    this.made += n;
    return n;
  }

  /**
   * The speech resumed: `samples[from, from + n)` is its next audio, added (at `gain`) into `out`
   * at the same places, its first samples cross-faded from the repetition. Ends the stretch.
   */
  resume(samples: Int16Array, from: number, n: number, out: Float32Array, gain: number): void {
    const fade = this.quiet ? 0 : Math.min(CROSSFADE, n);
    for (let i = 0; i < fade; i++) {
      const w = (i + 1) / (fade + 1);
      out[from + i] += (this.sample(this.made + i) * (1 - w) + samples[from + i] * w) * gain;
    }
    for (let i = from + fade; i < from + n; i++) out[i] += samples[i] * gain;
    this.made = -1;
    this.remember(samples, from, n);
  }

  /** Made-up sample `k` of the stretch: the template repeated, full for a while, then fading. */
  private sample(k: number): number {
    const level = k < FULL_SAMPLES ? 1 : Math.max(0, 1 - (k - FULL_SAMPLES) / Math.max(1, this.maxSamples - FULL_SAMPLES));
    return this.template[k % this.period] * level;
  }

  private begin(): void {
    this.made = 0;
    const h = this.history;
    let energy = 0;
    for (let i = HISTORY - QUIET_WINDOW; i < HISTORY; i++) energy += h[i] * h[i];
    this.quiet = Math.sqrt(energy / QUIET_WINDOW) < QUIET_RMS;
    if (this.quiet) return;
    const p = bestPeriod(h);
    this.period = p;
    const start = HISTORY - p;
    for (let i = 0; i < p; i++) this.template[i] = h[start + i];
    // The repeat follows the template's last sample with its first, which followed the sample a
    // period earlier in the speech: blending the end toward that earlier period joins them.
    const join = Math.min(JOIN, p >> 1);
    for (let i = 0; i < join; i++) {
      const j = p - join + i;
      const w = (i + 1) / (join + 1);
      this.template[j] = h[start + j] * (1 - w) + h[start + j - p] * w;
    }
  }
}

/** The lag (samples) at which the last `MATCH` samples best match those a lag earlier (normalised). */
export function bestPeriod(h: Int16Array): number {
  const end = h.length;
  let best = MIN_PERIOD;
  let bestScore = -Infinity;
  for (let p = MIN_PERIOD; p <= MAX_PERIOD; p++) {
    let xy = 0;
    let yy = 0;
    for (let i = end - MATCH; i < end; i++) {
      const y = h[i - p];
      xy += h[i] * y;
      yy += y * y;
    }
    const score = yy > 0 ? xy / Math.sqrt(yy) : 0;
    if (score > bestScore) {
      bestScore = score;
      best = p;
    }
  }
  return best;
}
