/**
 * Echo canceller for one call leg (8 kHz PCM16, any frame length, 20 ms in practice).
 *
 * The party's loudspeaker plays what tolk sends (`playedReference`); on a speakerphone their
 * microphone picks that up again and it would come back to tolk mixed into their speech
 * (`processMic`). Left alone, the translation of the translation of ... would loop between the
 * parties. Both streams are counted in samples on one timeline; the echo in the microphone lags
 * the reference by an unknown bulk delay (network + device, 0..`maxDelayMs`).
 *
 * Stages, cheapest first:
 * 1. Idle bypass. If no reference sample within the reachable delay range was louder than
 *    `silenceLevel`, no echo is possible: the microphone frame is returned untouched.
 * 2. Bulk delay. Both signals are reduced to 2 ms envelopes (sum of |x| over 16 samples, slow mean
 *    removed). For every lag 0..maxDelay the envelope cross-correlation is kept as an exponentially
 *    weighted sum (time constant ~0.8 s): 161 multiply-adds per 2 ms block. The best lag, normalised
 *    to a correlation coefficient, locks the delay when it is clear (>= 0.5) for three frames in a
 *    row; a different lag that beats the locked one by 20 % for eight frames moves the lock. A
 *    small move shifts the filter taps, a large one restarts the filter.
 * 3. Linear canceller. Two FIR filters of `filterTaps` (64 = 8 ms) whose first tap sits 3 ms
 *    before the locked delay model the echo path (gain, residual delay error, short reverberation).
 *    The background filter adapts on every sample (NLMS, step `stepSize`, no supervision); the
 *    foreground filter produces the output and only ever copies the background, when the
 *    background's error is 1.5 dB lower for two frames in a row. Convergence and path changes
 *    (drift, gain, shape) are followed at NLMS speed, while near-end speech, which only disturbs
 *    the background, never reaches the output filter: no double-talk detector can freeze it wrongly.
 *    The background update and the next sample's background filtering share one fused loop.
 * 4. Residual level. `q`, the residual-echo-to-reference power ratio, is tracked as a floor: it
 *    follows echo-only frames quickly downwards and rises slowly (2 dB/s). A frame whose error is
 *    strongly correlated with the echo estimate (|rho| > 0.6; near-end speech is not) is an echo
 *    path mismatch: `q` jumps up to the observed ratio, so the suppressor treats it as echo. While
 *    the output filter holds no path, a frame the background filter explains is one too, and the
 *    first path it takes over restarts `q`: a level learnt with no echo says nothing about echo.
 * 5. Residual suppression. Per frame, R = error power / (q * reference power). R <= 3 dB: echo only,
 *    the frame is attenuated to `suppressionDb`; R >= 9 dB: near-end speech, passed at unity (with a
 *    60 ms hangover); in between, interpolated in dB. Gain rises instantly and falls by at most
 *    10 dB per frame, ramped across the frame. If the filter made a frame louder than the
 *    microphone (right after a path change), the microphone itself is used instead of the error.
 *    Until the delay has locked, during the first second of reference activity, a Geigel gate
 *    attenuates microphone frames whose peak stays below half the loudest reachable reference.
 *
 * Cost: idle ~1 us per 20 ms frame; active 3 x 64 x 160 multiply-adds (foreground filter,
 * background filter + update), four at a time on the SIMD kernel (src/audio/wasm/simd-nlms.ts)
 * where WebAssembly SIMD is available, plus ~1,600 for the delay search. No allocation per frame
 * after construction (see `processMic` for the buffer contract).
 */

import { allWithin } from './pcm';
import { CORR_MAX_LAG, wasmCorr, type CorrKernel } from './wasm/simd-corr';
import { NLMS_TAP_MULTIPLE, simdNlms, type NlmsKernel } from './wasm/simd-nlms';

const BLOCK = 16; // envelope block, samples (2 ms at 8 kHz)
const REF_RING = 4096; // reference history, samples (512 ms); power of two
const ENV_RING = 512; // envelope history, blocks (1 s); power of two
const CORR_GROUP = 5; // microphone blocks per pass of the delay search over the lags (`correlateGroup`)


export interface EchoCancellerOptions {
  /** Largest bulk echo delay searched, ms (default 320). */
  maxDelayMs?: number;
  /** Adaptive filter length in taps at 8 kHz (default 64 = 8 ms), 16..512. */
  filterTaps?: number;
  /** NLMS step size, 0 < mu <= 1 (default 0.5). */
  stepSize?: number;
  /** Gain applied to echo-only frames by the residual suppressor, dB (default -30). */
  suppressionDb?: number;
  /** Residual suppressor on/off (default true); off leaves only the linear canceller. */
  residualSuppression?: boolean;
  /** Reference samples below this magnitude count as silence (default 32, about -60 dBFS). */
  silenceLevel?: number;
  /**
   * Runs the linear filters on the WebAssembly SIMD kernel where it is available and the filter
   * length is a multiple of 8, and the delay search on its WebAssembly kernel (default true); false
   * keeps both in plain JavaScript.
   */
  simd?: boolean;
}

export interface EchoCancellerStats {
  /** Bulk echo delay in ms once locked (from the filter's strongest tap), else null. */
  estimatedDelayMs: number | null;
  /** Echo return loss enhancement of the linear filter over recent echo-only frames, dB. */
  erleDb: number;
  /** Whether the last processed frame held near-end speech over echo. */
  doubleTalk: boolean;
  /** Microphone frames attenuated by the residual suppressor or the start-up gate. */
  suppressedFrames: number;
  /** Microphone frames returned untouched because no echo was possible. */
  bypassedFrames: number;
  /** Times the delay lock was set or moved. */
  delayChanges: number;
}

const SAMPLE_RATE = 8000;

export class EchoCanceller {
  private readonly taps: number;
  private readonly mu: number;
  private readonly preTaps: number;
  private readonly maxLag: number; // blocks
  private readonly maxDelaySamples: number;
  private readonly floorGain: number;
  private readonly nlpOn: boolean;
  private readonly silence: number;
  private readonly delta: number;

  // reference history: each sample stored twice so any window is contiguous
  private readonly ref = new Float32Array(2 * REF_RING);
  private refCount = 0;
  /** Samples at the end of the reference history known to be zero, up to REF_RING (never more than are). */
  private silentTail = REF_RING;
  private micCount = 0;
  private lastActiveRef = -1; // absolute index just past the last loud reference block
  private refBlockAbs = 0;
  private refBlockMax = 0;
  private refBlockFill = 0;
  private refEnvMean = 0;
  // mean-removed envelope per block, each stored twice (at b and b + ENV_RING) so that the delay
  // search reads any run of lags without wrapping
  private readonly refEnv = new Float32Array(2 * ENV_RING);
  private readonly refPeak = new Float32Array(ENV_RING); // max |x| per block

  // microphone envelope (partial block carried between frames)
  private micBlockAbs = 0;
  private micBlockFill = 0;
  private micEnvMean = 0;
  private micEnvAcc = 0;

  // delay search
  private readonly corr: Float64Array;
  private readonly pendM = new Float64Array(CORR_GROUP); // blocks not yet in `corr` (within micEnvelope)
  private pendN = 0;
  private pendTop = 0; // env top of pendM[0]; pendM[j]'s is pendTop + j
  private corrMic = 0;
  private corrRef = 0;
  private readonly lambda: number;
  private lockedLag = -1;
  private candidateLag = -1;
  private candidateFrames = 0;
  private dStart = 0;

  // adaptive filter and its supervisors
  private readonly w: Float64Array;
  private readonly wf: Float64Array;
  private bgWins = 0;
  private q = 1;
  private mismatch = false;
  private gain = 1;
  private hangover = 0;
  private gateFramesLeft: number;
  private erleNum = 0;
  private erleDen = 0;
  private dtFlag = false;
  private suppressed = 0;
  private bypassed = 0;
  private delayChanges = 0;

  private readonly gateFrames: number;
  private readonly nlms: NlmsKernel | undefined;
  /** The delay search's five-block pass on the WebAssembly kernel (undefined: `correlateGroup`). */
  private readonly corrKernel: CorrKernel | undefined;
  private err = new Float32Array(160);
  private out = new Int16Array(160);

  constructor(opts: EchoCancellerOptions = {}) {
    const maxDelayMs = opts.maxDelayMs ?? 320;
    const taps = opts.filterTaps ?? 64;
    const mu = opts.stepSize ?? 0.5;
    if (!(maxDelayMs >= 0 && maxDelayMs <= 400)) throw new RangeError(`maxDelayMs must be 0..400, got ${maxDelayMs}`);
    if (!(Number.isInteger(taps) && taps % 2 === 0 && taps >= 16 && taps <= 512)) throw new RangeError(`filterTaps must be an even integer 16..512, got ${taps}`);
    if (!(mu > 0 && mu <= 1)) throw new RangeError(`stepSize must be in (0, 1], got ${mu}`);
    this.taps = taps;
    this.mu = mu;
    this.preTaps = Math.min(24, taps >> 1);
    this.maxDelaySamples = Math.round((maxDelayMs * SAMPLE_RATE) / 1000);
    this.maxLag = Math.ceil(this.maxDelaySamples / BLOCK);
    this.floorGain = Math.pow(10, (opts.suppressionDb ?? -30) / 20);
    this.nlpOn = opts.residualSuppression ?? true;
    this.silence = opts.silenceLevel ?? 32;
    this.delta = taps * this.silence * this.silence;
    this.corr = new Float64Array(this.maxLag + 1);
    this.lambda = Math.exp(-BLOCK / (SAMPLE_RATE * 0.8));
    this.w = new Float64Array(taps);
    this.wf = new Float64Array(taps);
    this.gateFrames = 50;
    this.gateFramesLeft = this.gateFrames;
    this.nlms = opts.simd !== false && taps % NLMS_TAP_MULTIPLE === 0 ? simdNlms() : undefined;
    this.corrKernel = opts.simd !== false && this.maxLag <= CORR_MAX_LAG ? wasmCorr() : undefined;
  }

  /** Whether the linear filters run on the SIMD kernel. */
  get usesSimd(): boolean {
    return this.nlms !== undefined;
  }

  /** Forgets everything learned (delay, filter, history), as for a new call. */
  reset(): void {
    this.ref.fill(0);
    this.silentTail = REF_RING;
    this.refEnv.fill(0);
    this.refPeak.fill(0);
    this.corr.fill(0);
    this.w.fill(0);
    this.wf.fill(0);
    this.refCount = this.micCount = 0;
    this.lastActiveRef = -1;
    this.refBlockAbs = this.refBlockMax = this.refBlockFill = this.refEnvMean = 0;
    this.micBlockAbs = this.micBlockFill = this.micEnvMean = 0;
    this.corrMic = this.corrRef = 0;
    this.lockedLag = this.candidateLag = -1;
    this.candidateFrames = this.dStart = 0;
    this.q = 1;
    this.mismatch = false;
    this.bgWins = 0;
    this.gain = 1;
    this.hangover = 0;
    this.gateFramesLeft = this.gateFrames;
    this.erleNum = this.erleDen = 0;
    this.dtFlag = false;
    this.suppressed = this.bypassed = this.delayChanges = 0;
  }

  stats(): EchoCancellerStats {
    let delay: number | null = null;
    if (this.lockedLag >= 0) {
      let peak = 0;
      let at = this.preTaps;
      for (let k = 0; k < this.taps; k++) {
        const a = Math.abs(this.wf[k]);
        if (a > peak) {
          peak = a;
          at = k;
        }
      }
      delay = ((this.dStart + at) * 1000) / SAMPLE_RATE;
    }
    const erle = this.erleDen > 0 && this.erleNum > 0 ? 10 * Math.log10(this.erleNum / this.erleDen) : 0;
    return {
      estimatedDelayMs: delay,
      erleDb: Math.round(erle * 10) / 10,
      doubleTalk: this.dtFlag,
      suppressedFrames: this.suppressed,
      bypassedFrames: this.bypassed,
      delayChanges: this.delayChanges,
    };
  }

  /** Every frame sent to the party (what their loudspeaker plays), in send order. */
  playedReference(frame: Int16Array): void {
    let i = 0;
    // Most ticks play nothing: whole blocks of silence are taken a block at a time.
    if ((this.refCount & (BLOCK - 1)) === 0) {
      const whole = frame.length - (frame.length & (BLOCK - 1));
      if (allWithin(frame, 0)) i = this.pushSilentBlocks(whole);
      else if ((this.refCount & (REF_RING - 1)) + whole <= REF_RING) i = this.pushBlocks(frame, whole);
      else for (; i + BLOCK <= frame.length; i += BLOCK) this.pushBlock(frame, i);
    }
    for (; i < frame.length; i++) this.pushRef(frame[i]);
  }

  /**
   * `n` samples of silence played (nothing was sent to the party): the same as `playedReference`
   * of `n` zeros, without a frame to read.
   */
  playedSilence(n: number): void {
    let i = 0;
    if ((this.refCount & (BLOCK - 1)) === 0) i = this.pushSilentBlocks(n - (n & (BLOCK - 1)));
    for (; i < n; i++) this.pushRef(0);
  }

  /**
   * Every frame received from the party (their microphone); returns the frame with the echo
   * removed. Without `out`, the result is either `frame` itself (nothing to cancel) or an internal
   * buffer that the next call overwrites: copy it if you keep it. With `out` (length >= frame),
   * the result is always written there.
   */
  processMic(frame: Int16Array, out?: Int16Array): Int16Array {
    const n = frame.length;
    if (out && out.length < n) throw new RangeError(`processMic: out holds ${out.length} samples, needs ${n}`);
    this.syncTimeline(n);
    const n0 = this.micCount;
    this.micCount += n;

    // 1. nothing loud enough was played recently enough to come back
    if (this.lastActiveRef < n0 - this.maxDelaySamples - this.taps - BLOCK) {
      this.skipMicEnvelope(n);
      return this.passThrough(frame, out);
    }

    // 2. delay search
    const silentMic = allWithin(frame, 0);
    if (silentMic && this.micEnvAcc === 0 && Math.abs(this.micEnvMean) < 1) this.silentMicEnvelope(frame.length);
    else this.micEnvelope(frame);
    this.updateLock();

    if (this.lockedLag < 0) return this.searchGate(frame, n0, out);

    // aligned reference window [n0 - dStart - taps + 1, n0 + n - 1 - dStart]
    const first = n0 - this.dStart - this.taps + 1;
    const last = n0 + n - 1 - this.dStart;
    if (this.lastActiveRef <= first || !this.windowActive(first, last)) {
      this.gain = 1;
      this.hangover = 0;
      this.dtFlag = false;
      return this.passThrough(frame, out);
    }
    if (this.gateFramesLeft > 0) this.gateFramesLeft--;
    if (silentMic) return this.silentMic(frame, out);
    return this.cancel(frame, n0, out);
  }

  // ---------------------------------------------------------------- reference side

  private pushRef(v: number): void {
    const p = this.refCount & (REF_RING - 1);
    this.ref[p] = v;
    this.ref[p + REF_RING] = v;
    this.refCount++;
    this.silentTail = v === 0 ? Math.min(REF_RING, this.silentTail + 1) : 0;
    const a = v < 0 ? -v : v;
    this.refBlockFill += a;
    if (a > this.refBlockMax) this.refBlockMax = a;
    if ((this.refCount & (BLOCK - 1)) === 0) this.closeRefBlock();
  }

  /** The same as `pushRef` for `frame[at]` .. `frame[at + BLOCK - 1]`, at a block boundary. */
  private pushBlock(frame: Int16Array, at: number): void {
    const ref = this.ref;
    const p = this.refCount & (REF_RING - 1);
    let fill = this.refBlockFill;
    let max = this.refBlockMax;
    for (let k = 0; k < BLOCK; k++) {
      const v = frame[at + k];
      ref[p + k] = v;
      ref[p + k + REF_RING] = v;
      const a = v < 0 ? -v : v;
      fill += a;
      if (a > max) max = a;
    }
    this.refBlockFill = fill;
    this.refBlockMax = max;
    this.refCount += BLOCK;
    this.silentTail = 0;
    this.closeRefBlock();
  }

  /**
   * The same as `pushBlock` for the first `n` samples of `frame` (a whole number of blocks, at a
   * block boundary, not wrapping the ring); returns `n`. Both copies are made with one set each,
   * and each block's sum of magnitudes (whole numbers, exact in any order) and peak two samples a
   * pass (`magnitudeSum`).
   */
  private pushBlocks(frame: Int16Array, n: number): number {
    const p = this.refCount & (REF_RING - 1);
    const src = n === frame.length ? frame : frame.subarray(0, n);
    this.ref.set(src, p);
    this.ref.set(src, p + REF_RING);
    this.silentTail = 0;
    for (let at = 0; at < n; at += BLOCK) {
      this.refBlockFill = magnitudeSum(frame, at, BLOCK);
      this.refBlockMax = magnitudePeak;
      this.refCount += BLOCK;
      this.closeRefBlock();
    }
    return n;
  }

  /**
   * The same as `pushRef(0)` `n` times, at a block boundary, for `n` a whole number of blocks;
   * returns `n`. The ring is zeroed in at most two runs per copy (it wraps at a block boundary),
   * or not at all once the last REF_RING samples were zeros (both copies hold nothing else). Each
   * block is closed as `closeRefBlock` closes one with no magnitude and no peak.
   */
  private pushSilentBlocks(n: number): number {
    if (this.silentTail < REF_RING) {
      const ref = this.ref;
      const p = this.refCount & (REF_RING - 1);
      const first = Math.min(n, REF_RING - p);
      ref.fill(0, p, p + first);
      ref.fill(0, p + REF_RING, p + REF_RING + first);
      if (first < n) {
        ref.fill(0, 0, n - first);
        ref.fill(0, REF_RING, REF_RING + n - first);
      }
      this.silentTail = Math.min(REF_RING, this.silentTail + n);
    }
    if (n === 0) return 0;
    if (this.refBlockFill !== 0 || this.refBlockMax !== 0 || this.silence < 0) {
      for (let k = 0; k < n; k += BLOCK) {
        this.refCount += BLOCK;
        this.closeRefBlock();
      }
      return n;
    }
    const refEnv = this.refEnv;
    const refPeak = this.refPeak;
    let mean = this.refEnvMean;
    let abs = this.refBlockAbs;
    for (let k = 0; k < n; k += BLOCK) {
      const b = abs & (ENV_RING - 1);
      refEnv[b] = refEnv[b + ENV_RING] = 0 - mean;
      mean += 0.02 * (0 - mean);
      refPeak[b] = 0;
      abs++;
    }
    this.refEnvMean = mean;
    this.refBlockAbs = abs;
    this.refCount += n;
    return n;
  }

  private closeRefBlock(): void {
    const b = this.refBlockAbs & (ENV_RING - 1);
    const env = this.refBlockFill;
    this.refEnv[b] = this.refEnv[b + ENV_RING] = env - this.refEnvMean;
    this.refEnvMean += 0.02 * (env - this.refEnvMean); // ~100 ms mean
    this.refPeak[b] = this.refBlockMax;
    if (this.refBlockMax > this.silence) this.lastActiveRef = this.refCount;
    this.refBlockAbs++;
    this.refBlockFill = 0;
    this.refBlockMax = 0;
  }

  /** Keeps the reference timeline at least up to the end of this microphone frame. */
  private syncTimeline(n: number): void {
    const need = this.micCount + n;
    const behind = need - this.refCount;
    if (behind > REF_RING) {
      // a long stretch without reference: restart the history at silence
      this.ref.fill(0);
      this.silentTail = REF_RING;
      this.refEnv.fill(0);
      this.refPeak.fill(0);
      this.refCount = need - (need % BLOCK);
      this.refBlockAbs = this.refCount / BLOCK;
      this.refBlockFill = this.refBlockMax = 0;
    }
    while (this.refCount < need) this.pushRef(0);
    // reference far ahead (microphone frames lost): skip the microphone timeline forward
    const ahead = this.refCount - need;
    const slack = REF_RING - this.maxDelaySamples - this.taps - 2 * n - BLOCK;
    if (ahead > slack) {
      const skip = ahead - (ahead % BLOCK);
      this.micCount += skip;
      this.micBlockAbs += skip / BLOCK;
    }
  }

  private windowActive(first: number, last: number): boolean {
    const count = last - first + 1;
    return energyAbove(this.ref, (last & (REF_RING - 1)) + REF_RING, count, count * this.silence * this.silence);
  }

  // ---------------------------------------------------------------- delay search

  private skipMicEnvelope(n: number): void {
    this.dtFlag = false;
    const total = this.micBlockFill + n;
    this.micBlockAbs += Math.floor(total / BLOCK);
    this.micBlockFill = total % BLOCK;
    this.micEnvAcc = 0;
  }

  private micEnvelope(frame: Int16Array): void {
    const env = this.refEnv;
    const lam = this.lambda;
    const n = frame.length;
    const at = this.searchLag();
    for (let i = 0; i < n; ) {
      if (this.micBlockFill === 0 && i + BLOCK <= n) {
        this.micEnvAcc += magnitudeSum(frame, i, BLOCK);
        this.micBlockFill = BLOCK;
        i += BLOCK;
      } else {
        const v = frame[i++];
        this.micEnvAcc += v < 0 ? -v : v;
        if (++this.micBlockFill < BLOCK) continue;
      }
      const m = this.micEnvAcc - this.micEnvMean;
      this.micEnvMean += 0.02 * (this.micEnvAcc - this.micEnvMean);
      this.micEnvAcc = 0;
      this.micBlockFill = 0;
      const b = this.micBlockAbs++;
      // env[top - L] is the reference block L before this one (top - maxLag >= 0: maxLag < ENV_RING).
      // Blocks wait in `pendM` to go into the search CORR_GROUP at a time (`flushCorrelation`); a
      // run of them ends where the ring wraps, so that their tops are consecutive within the array.
      if (this.pendN === 0) this.pendTop = (b & (ENV_RING - 1)) + ENV_RING;
      this.pendM[this.pendN++] = m;
      if (this.pendN === CORR_GROUP || (b & (ENV_RING - 1)) === ENV_RING - 1) this.flushCorrelation();
      const r = env[(b - at) & (ENV_RING - 1)];
      this.corrMic = lam * this.corrMic + m * m;
      this.corrRef = lam * this.corrRef + r * r;
    }
    if (this.pendN > 0) this.flushCorrelation();
  }

  /**
   * The waiting blocks into the delay search, in order: the same updates as `correlate` once per
   * block, made by `correlateGroup` one lag at a time for a whole group.
   */
  private flushCorrelation(): void {
    const pm = this.pendM;
    const top = this.pendTop;
    if (this.pendN === CORR_GROUP) {
      if (this.corrKernel) this.corrKernel.correlateGroup(this.corr, this.refEnv, top, this.maxLag, this.lambda, pm[0], pm[1], pm[2], pm[3], pm[4]);
      else correlateGroup(this.corr, this.refEnv, top, this.maxLag, this.lambda, pm[0], pm[1], pm[2], pm[3], pm[4]);
    } else for (let j = 0; j < this.pendN; j++) correlate(this.corr, this.refEnv, top + j, this.maxLag, this.lambda, pm[j]);
    this.pendN = 0;
  }

  /**
   * `micEnvelope` for a digitally silent microphone frame once the slow envelope mean has decayed
   * below 1 (a fraction of one LSB per sample): each block's mean-removed envelope is then within
   * 1 of zero, so its products with the reference envelope are left out and the correlations only
   * decay, by lambda per block, in one pass per frame instead of one per block.
   */
  private silentMicEnvelope(n: number): void {
    const total = this.micBlockFill + n;
    const blocks = Math.floor(total / BLOCK);
    this.micBlockFill = total % BLOCK;
    if (blocks === 0) return;
    const lam = this.lambda;
    const env = this.refEnv;
    const at = this.searchLag();
    let decay = 1;
    for (let k = 0; k < blocks; k++) {
      const m = -this.micEnvMean;
      this.micEnvMean -= 0.02 * this.micEnvMean;
      const b = this.micBlockAbs++;
      const r = env[(b - at) & (ENV_RING - 1)];
      this.corrMic = lam * this.corrMic + m * m;
      this.corrRef = lam * this.corrRef + r * r;
      decay *= lam;
    }
    scale(this.corr, this.maxLag, decay);
  }

  /**
   * The lag whose reference envelope the search's power follows: the candidate's, else the locked
   * one, else 0. Both fields are read every time, so that the compiled search never meets a read it
   * has no type feedback for when the first lock changes which one is taken (V8 would throw its
   * code away and compile it again).
   */
  private searchLag(): number {
    const candidate = this.candidateLag;
    const locked = this.lockedLag;
    return candidate >= 0 ? candidate : locked >= 0 ? locked : 0;
  }

  private updateLock(): void {
    const corr = this.corr;
    const maxLag = this.maxLag;
    // The first lag of the largest correlation: each compared with the largest so far, held in hand.
    let best = 0;
    let top = corr[0];
    for (let L = 1; L <= maxLag; L++) {
      const c = corr[L];
      if (c > top) {
        top = c;
        best = L;
      }
    }
    const norm = Math.sqrt(this.corrMic * this.corrRef) + 1e-9;
    const rho = corr[best] / norm;
    if (rho < 0.5) {
      this.candidateFrames = 0;
      return;
    }
    if (this.lockedLag >= 0 && Math.abs(best - this.lockedLag) <= 1) {
      this.candidateFrames = 0;
      this.candidateLag = -1;
      return;
    }
    if (this.lockedLag >= 0 && corr[best] < 1.2 * corr[this.lockedLag]) {
      this.candidateFrames = 0;
      return;
    }
    if (this.candidateLag >= 0 && Math.abs(best - this.candidateLag) <= 1) this.candidateFrames++;
    else {
      this.candidateLag = best;
      this.candidateFrames = 1;
    }
    const needed = this.lockedLag < 0 ? 3 : 8;
    if (this.candidateFrames >= needed) this.lock(best);
  }

  private lock(lag: number): void {
    const newStart = Math.max(0, lag * BLOCK - this.preTaps);
    const shift = newStart - this.dStart;
    if (this.lockedLag >= 0 && Math.abs(shift) < this.taps >> 1) {
      // keep what the filters learned, moved to the new window
      shiftTaps(this.w, shift);
      shiftTaps(this.wf, shift);
    } else {
      this.w.fill(0);
      this.wf.fill(0);
      this.q = 1;
      this.erleNum = this.erleDen = 0;
    }
    this.dStart = newStart;
    this.lockedLag = lag;
    this.candidateLag = -1;
    this.candidateFrames = 0;
    this.delayChanges++;
  }

  // ---------------------------------------------------------------- cancellation

  private buffers(n: number): void {
    if (this.err.length < n) {
      this.err = new Float32Array(n);
      this.out = new Int16Array(n);
    }
  }

  private passThrough(frame: Int16Array, out: Int16Array | undefined): Int16Array {
    this.bypassed++;
    if (!out) return frame;
    out.set(frame);
    return out.length === frame.length ? out : out.subarray(0, frame.length);
  }

  /** Before the delay is known: half-duplex gate during the first second of reference activity. */
  private searchGate(frame: Int16Array, n0: number, out: Int16Array | undefined): Int16Array {
    this.dtFlag = false;
    if (!this.nlpOn || this.gateFramesLeft <= 0) return this.passThrough(frame, out);
    this.gateFramesLeft--;
    let refMax = 0;
    const lastBlock = Math.floor((n0 + frame.length) / BLOCK) - 1;
    for (let b = lastBlock - this.maxLag - 1; b <= lastBlock; b++) {
      const v = this.refPeak[b & (ENV_RING - 1)];
      if (v > refMax) refMax = v;
    }
    let micMax = 0;
    for (let i = 0; i < frame.length; i++) {
      const a = frame[i] < 0 ? -frame[i] : frame[i];
      if (a > micMax) micMax = a;
    }
    if (micMax >= 0.5 * refMax) {
      this.gain = 1;
      return this.passThrough(frame, out);
    }
    const n = frame.length;
    this.buffers(n);
    const err = this.err;
    for (let i = 0; i < n; i++) err[i] = frame[i];
    this.suppressed++;
    return this.emit(err, n, this.floorGain, out);
  }

  private cancel(frame: Int16Array, n0: number, out: Int16Array | undefined): Int16Array {
    const n = frame.length;
    this.buffers(n);
    const T = this.taps;
    const w = this.w; // background: always adapting
    const wf = this.wf; // foreground: produces the output
    const err = this.err;
    const m0 = n0 - this.dStart;
    if (this.nlms && T + n <= REF_RING) {
      // The window from the oldest sample under the last tap, contiguous in the doubled ring.
      const p = this.nlms.run(this.ref, (m0 - T + 1) & (REF_RING - 1), frame, w, wf, err, this.mu, this.delta);
      sumD = p[0];
      sumE = p[1];
      sumEB = p[2];
      sumY = p[3];
      sumEY = p[4];
      sumR = p[5];
    } else filterFrame(frame, this.ref, w, wf, err, m0, this.mu, this.delta);
    const pd = sumD;
    let pe = sumE;
    let peb = sumEB;
    let py = sumY;
    let pey = sumEY;
    const pr = sumR;

    // filter health: never let a diverged or NaN state persist
    if (!(peb < 1e30) || !Number.isFinite(w[0] + w[T - 1])) {
      w.fill(0);
      peb = pd;
    }
    if (!(pe < 1e30) || !Number.isFinite(wf[0] + wf[T - 1])) {
      wf.fill(0);
      this.q = 1;
      for (let i = 0; i < n; i++) err[i] = frame[i];
      pe = pd;
      py = pey = 0;
    }
    // the background takes over when it clearly beats the foreground (convergence, path change);
    // during double talk it is the one disturbed, so the foreground is kept.
    // While the foreground holds no echo path (all taps zero), `q` can only have learnt that there
    // was no echo, which says nothing about a path that appears: the first path taken restarts `q`
    // (as a new lock does), and a frame the background explains before that is echo the output
    // filter does not model (a mismatch the estimate-error correlation cannot see with no estimate),
    // not near-end speech, so it also ends the hangover of frames taken for speech before it.
    // A background worse than no filter at all then has learnt nothing to keep (near-end speech
    // with no echo) and starts again from zero, so that it learns an echo path once one appears
    // without first unlearning that speech.
    const noPath = isAllZeroTaps(wf);
    const bgBetter = peb < 0.7 * pe && peb < pd;
    if (bgBetter) {
      if (++this.bgWins >= 2) {
        if (noPath) this.q = 1;
        wf.set(w);
        this.bgWins = 0;
      }
    } else {
      this.bgWins = 0;
      if (noPath && peb > pd) w.fill(0);
    }
    const unmodelled = noPath && bgBetter;

    const floor = n * this.silence * this.silence;
    // correlated error = echo path mismatch, not near-end speech
    this.mismatch = unmodelled || (py > floor && pey * pey > 0.36 * pe * py);
    if (unmodelled) this.hangover = 0;
    let res = pe;
    if (pe > pd) {
      // the filter adds more than it removes (path just changed): pass the microphone instead
      for (let i = 0; i < n; i++) err[i] = frame[i];
      res = pd;
    }
    const obs = res / (pr + floor);
    if (this.mismatch) {
      if (obs > this.q) this.q = obs;
    } else if (obs < this.q) this.q += 0.5 * (obs - this.q);
    else this.q *= 1.0093; // 2 dB/s
    if (this.q < 1e-7) this.q = 1e-7;
    if (this.q > 4) this.q = 4;

    const r = res / (this.q * (pr + floor) + 1);
    const rDb = 10 * Math.log10(r + 1e-12);
    this.dtFlag = !this.mismatch && rDb >= 9 && res > floor;
    if (!this.dtFlag && pr > floor) {
      this.erleNum += 0.05 * (pd - this.erleNum);
      this.erleDen += 0.05 * (pe - this.erleDen);
    }

    if (!this.nlpOn) return this.emit(err, n, 1, out);
    let target: number;
    if (this.dtFlag) {
      target = 1;
      this.hangover = 3;
    } else if (this.hangover > 0) {
      this.hangover--;
      target = 1;
    } else if (rDb <= 3 || this.mismatch) target = this.floorGain;
    else if (rDb >= 9) target = 1;
    else target = Math.max(this.floorGain, Math.pow(10, ((rDb - 9) / 6) * (-20 * Math.log10(this.floorGain)) / 20));
    if (target < 0.5) this.suppressed++;
    return this.emit(err, n, target, out);
  }

  /**
   * A microphone frame of digital silence while the reference is active: the party's line is quiet
   * (a muted or silent phone), so there is neither echo nor speech to act on. The output is the
   * same silence `cancel` would give (it never outputs more than the microphone holds when the
   * filter overshoots), without running the filters: they keep what they learned (adapting to a
   * zero target would only shrink them towards nothing), and the suppressor sees an echo-only frame
   * (no double talk), so its gain and hangover move on exactly as in `cancel` with no residual.
   * So does the residual level: while the output filter holds no echo path (nothing learnt since
   * the delay locked, e.g. a lock on speech said over the ringback, with no echo at all), `cancel`
   * would estimate no echo and see none, and `q` falls as it does there; left at its start, it would
   * take the party's next words, at the loudness of what they hear, for echo. Should echo come
   * later, `cancel` restarts `q` when the output filter takes its first path.
   */
  private silentMic(frame: Int16Array, out: Int16Array | undefined): Int16Array {
    const n = frame.length;
    this.buffers(n);
    this.dtFlag = false;
    this.mismatch = false;
    this.bgWins = 0;
    if (isAllZeroTaps(this.wf)) this.q = Math.max(1e-7, 0.5 * this.q);
    if (!this.nlpOn) return this.emitSilence(n, 1, out);
    let target = this.floorGain;
    if (this.hangover > 0) {
      this.hangover--;
      target = 1;
    }
    if (target < 0.5) this.suppressed++;
    return this.emitSilence(n, target, out);
  }

  /** `emit` of a frame of zeros: the output is zeros whatever the gain, which moves on as there. */
  private emitSilence(n: number, target: number, out: Int16Array | undefined): Int16Array {
    const dst = out ?? this.out;
    const from = this.gain;
    this.gain = target >= from ? target : Math.max(target, from * 0.316);
    dst.fill(0, 0, n);
    return dst.length === n ? dst : dst.subarray(0, n);
  }

  /** Applies the gain (ramped from the previous frame's), rounds and clamps into the output. */
  private emit(src: Float32Array, n: number, target: number, out: Int16Array | undefined): Int16Array {
    const dst = out ?? this.out;
    const from = this.gain;
    const to = target >= from ? target : Math.max(target, from * 0.316);
    const step = (to - from) / n;
    let g = from;
    for (let i = 0; i < n; i++) {
      g += step;
      const v = Math.round(src[i] * g);
      dst[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    this.gain = to;
    return dst.length === n ? dst : dst.subarray(0, n);
  }
}

/*
 * The powers of the frame the linear filters last ran on, from `filterFrame` or (copied by
 * `cancel`) the SIMD kernel, read by `cancel` right after. Module variables rather than an array
 * or object: V8 may compile `filterFrame`'s loops while they run (on-stack replacement), before
 * the code after them has ever run, and stores to an array or object there would send it back to
 * the interpreter at the end of every later frame (no type feedback yet); stores to variables need
 * none.
 */
let sumD = 0; // microphone
let sumE = 0; // foreground error
let sumEB = 0; // background error
let sumY = 0; // foreground estimate
let sumEY = 0; // foreground error x estimate
let sumR = 0; // aligned reference

/**
 * Both filters over one microphone frame (the linear canceller's per-sample work): the foreground
 * error into `err`, the background adapted sample by sample (NLMS), and the frame's powers into
 * sumD..sumR. `m0` is the reference index under tap 0 for the first sample. It is
 * a function of its own, apart from the per-frame decisions in `cancel`, so that its loops are
 * optimised as soon as they run hot, however rarely a frame needs cancelling.
 */
function filterFrame(
  frame: Int16Array,
  ref: Float32Array,
  w: Float64Array,
  wf: Float64Array,
  err: Float32Array,
  m0: number,
  mu: number,
  delta: number,
): void {
  const n = frame.length;
  const T = w.length;
  const mask = REF_RING - 1;
  let base = (m0 & mask) + REF_RING;
  // The sums start at -0 (the same sums as from 0): V8 then compiles their additions as
  // floating-point ones from the start, rather than as small integers that overflow once the
  // party speaks up, which would throw the compiled loop away.
  let px = -0;
  let yb = -0;
  for (let k = 0; k < T; k++) {
    const v = ref[base - k];
    px += v * v;
    yb += w[k] * v;
  }
  let pd = -0;
  let pe = -0;
  let peb = -0;
  let py = -0;
  let pey = -0;
  let pr = -0;
  for (let i = 0; i < n; i++) {
    const d = frame[i];
    // background NLMS error for this sample (its estimate came out of the previous pass)
    const eb = d - yb;
    peb += eb * eb;
    const g = (mu * eb) / (px + delta);
    const next = ((m0 + i + 1) & mask) + REF_RING;
    const xn = ref[next];
    const xo = ref[next - T];
    px += xn * xn - xo * xo;
    if (px < 0) px = 0;
    // one pass: foreground estimate for this sample, background update, background estimate
    // for the next sample
    let f0 = 0;
    let f1 = 0;
    let a0 = 0;
    let a1 = 0;
    for (let k = 0; k < T; k += 2) {
      const x0 = ref[base - k];
      const x1 = ref[base - k - 1];
      f0 += wf[k] * x0;
      f1 += wf[k + 1] * x1;
      const w0 = w[k] + g * x0;
      const w1 = w[k + 1] + g * x1;
      w[k] = w0;
      w[k + 1] = w1;
      a0 += w0 * ref[next - k];
      a1 += w1 * ref[next - k - 1];
    }
    yb = a0 + a1;
    const yf = f0 + f1;
    const e = d - yf;
    err[i] = e;
    const r0 = ref[base];
    pr += r0 * r0;
    pd += d * d;
    pe += e * e;
    py += yf * yf;
    pey += e * yf;
    base = next;
  }
  sumD = pd;
  sumE = pe;
  sumEB = peb;
  sumY = py;
  sumEY = pey;
  sumR = pr;
}

/** The largest magnitude `magnitudeSum` last saw (a module variable, as sumD..sumR below). */
let magnitudePeak = 0;

/** The largest magnitude of the samples `magnitudeSum` last summed. */
export function lastMagnitudePeak(): number {
  return magnitudePeak;
}

/**
 * The sum of |frame[i]| for i in [at, at + count), two samples a pass: the magnitudes are whole
 * numbers, so the sum is exact in any order. Leaves their largest in `magnitudePeak`.
 */
export function magnitudeSum(frame: Int16Array, at: number, count: number): number {
  let s0 = 0;
  let s1 = 0;
  let max = 0;
  const end = at + count;
  let k = at;
  for (; k + 1 < end; k += 2) {
    const v0 = frame[k];
    const v1 = frame[k + 1];
    const a0 = v0 < 0 ? -v0 : v0;
    const a1 = v1 < 0 ? -v1 : v1;
    s0 += a0;
    s1 += a1;
    if (a0 > max) max = a0;
    if (a1 > max) max = a1;
  }
  if (k < end) {
    const v = frame[k];
    const a = v < 0 ? -v : v;
    s0 += a;
    if (a > max) max = a;
  }
  magnitudePeak = max;
  return s0 + s1;
}

/**
 * Whether the sum of squares of samples[top], samples[top - 1] .. samples[top - count + 1], added
 * in that order, exceeds `limit`. The sum only grows, so it is over the limit from the first
 * sample that takes it there: the rest are not added.
 */
export function energyAbove(samples: Float32Array, top: number, count: number, limit: number): boolean {
  let e = 0;
  for (let i = top; i > top - count; i--) {
    const v = samples[i];
    e += v * v;
    if (e > limit) return true;
  }
  return false;
}

/**
 * corr[L] = lam * corr[L] + m * env[top - L] for L = 0..maxLag: one envelope block into the delay
 * search. Eight lags per pass, so that the checks V8 makes of both arrays on every pass are paid
 * once per eight.
 */
export function correlate(corr: Float64Array, env: Float32Array, top: number, maxLag: number, lam: number, m: number): void {
  let L = 0;
  for (; L + 7 <= maxLag; L += 8) {
    const t = top - L;
    corr[L] = lam * corr[L] + m * env[t];
    corr[L + 1] = lam * corr[L + 1] + m * env[t - 1];
    corr[L + 2] = lam * corr[L + 2] + m * env[t - 2];
    corr[L + 3] = lam * corr[L + 3] + m * env[t - 3];
    corr[L + 4] = lam * corr[L + 4] + m * env[t - 4];
    corr[L + 5] = lam * corr[L + 5] + m * env[t - 5];
    corr[L + 6] = lam * corr[L + 6] + m * env[t - 6];
    corr[L + 7] = lam * corr[L + 7] + m * env[t - 7];
  }
  for (; L <= maxLag; L++) corr[L] = lam * corr[L] + m * env[top - L];
}

/**
 * `correlate` for five consecutive blocks, m0 at `top`, m1 at `top + 1`, .. m4 at `top + 4` (all
 * within `env`), in that order: each lag takes the five updates one after the other, the same
 * operations in the same order as five calls, so the same bits. One pass over the lags instead of
 * five: each corr[L] is read and written once, and as block j at lag L reads what block j - 1 read
 * at lag L - 1, one envelope value is read per lag and handed on to the next blocks.
 */
export function correlateGroup(
  corr: Float64Array,
  env: Float32Array,
  top: number,
  maxLag: number,
  lam: number,
  m0: number,
  m1: number,
  m2: number,
  m3: number,
  m4: number,
): void {
  let e1 = env[top + 1];
  let e2 = env[top + 2];
  let e3 = env[top + 3];
  let e4 = env[top + 4];
  for (let L = 0; L <= maxLag; L++) {
    const e0 = env[top - L];
    let c = corr[L];
    c = lam * c + m0 * e0;
    c = lam * c + m1 * e1;
    c = lam * c + m2 * e2;
    c = lam * c + m3 * e3;
    c = lam * c + m4 * e4;
    corr[L] = c;
    e4 = e3;
    e3 = e2;
    e2 = e1;
    e1 = e0;
  }
}

/** corr[L] *= factor for L = 0..maxLag, four per pass (see `correlate`). */
function scale(corr: Float64Array, maxLag: number, factor: number): void {
  let L = 0;
  for (; L + 3 <= maxLag; L += 4) {
    corr[L] *= factor;
    corr[L + 1] *= factor;
    corr[L + 2] *= factor;
    corr[L + 3] *= factor;
  }
  for (; L <= maxLag; L++) corr[L] *= factor;
}

function isAllZeroTaps(w: Float64Array): boolean {
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
  return true;
}


/** Moves filter taps so that tap k takes what tap k + shift held; vacated taps become zero. */
function shiftTaps(w: Float64Array, shift: number): void {
  const T = w.length;
  if (shift > 0) for (let k = 0; k < T; k++) w[k] = k + shift < T ? w[k + shift] : 0;
  else if (shift < 0) for (let k = T - 1; k >= 0; k--) w[k] = k + shift >= 0 ? w[k + shift] : 0;
}
