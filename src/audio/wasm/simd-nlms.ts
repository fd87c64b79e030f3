/**
 * The echo canceller's linear filters on the WebAssembly SIMD kernel in nlms.wat: one microphone
 * frame through the foreground filter and the NLMS-adapted background filter, four taps per
 * instruction. One kernel instance serves every canceller in the process; each call copies the
 * reference window, the frame and the taps into its memory and the adapted taps back
 * (JavaScript is single-threaded, so calls never overlap).
 *
 * `simdNlms()` returns undefined where WebAssembly SIMD is unavailable; the canceller then uses its
 * plain JavaScript loop.
 */
import { NLMS_WASM_BASE64 } from './nlms-wasm';
import { ensureBytes, instantiate, sharedInstance, type WasmMemory } from './module';

interface KernelExports {
  memory: WasmMemory;
  nlms(win: number, wr: number, wfr: number, mic: number, err: number, sums: number, n: number, taps: number, mu: number, delta: number): void;
}

/** The kernel takes eight taps a step. */
export const NLMS_TAP_MULTIPLE = 8;
const SUMS_BYTES = 64; // six f64, rounded up

export class NlmsKernel {
  private readonly exports: KernelExports;
  private floats: Float32Array;
  private sums: Float64Array;

  constructor() {
    this.exports = instantiate<KernelExports>(NLMS_WASM_BASE64);
    this.floats = new Float32Array(this.exports.memory.buffer);
    this.sums = new Float64Array(this.exports.memory.buffer, 0, 6);
  }

  /**
   * Filters `frame` with the taps `w` (background, adapted in place) and `wf` (foreground); the
   * foreground error goes to `err`. The reference window is `ref[start .. start + taps + n - 1]`,
   * oldest first: its last `taps` samples before frame sample i + 1 are what the filters see for
   * sample i, tap 0 on the newest. `taps` (w.length) must be a multiple of NLMS_TAP_MULTIPLE.
   * Returns the frame's powers: microphone, foreground error, background error, foreground
   * estimate, error x estimate, aligned reference (a view of the kernel's memory: read it before
   * the next call).
   */
  run(ref: Float32Array, start: number, frame: Int16Array, w: Float64Array, wf: Float64Array, err: Float32Array, mu: number, delta: number): Float64Array {
    const n = frame.length;
    const taps = w.length;
    if (taps % NLMS_TAP_MULTIPLE !== 0) throw new RangeError(`the SIMD filter needs a multiple of ${NLMS_TAP_MULTIPLE} taps, got ${taps}`);
    // floats: [sums][wr: taps][wfr: taps][win: taps + n][mic: n][err: n]
    const wr = SUMS_BYTES / 4;
    const wfr = wr + taps;
    const win = wfr + taps;
    const mic = win + taps + n;
    const out = mic + n;
    if (ensureBytes(this.exports.memory, (out + n) * 4)) {
      this.floats = new Float32Array(this.exports.memory.buffer);
      this.sums = new Float64Array(this.exports.memory.buffer, 0, 6);
    }
    const f = this.floats;
    for (let k = 0; k < taps; k++) {
      f[wr + taps - 1 - k] = w[k];
      f[wfr + taps - 1 - k] = wf[k];
    }
    // Copied sample by sample: a subarray view of `ref` would be an allocation per frame.
    for (let j = 0; j < taps + n; j++) f[win + j] = ref[start + j];
    for (let i = 0; i < n; i++) f[mic + i] = frame[i];
    this.exports.nlms(win * 4, wr * 4, wfr * 4, mic * 4, out * 4, 0, n, taps, mu, delta);
    for (let k = 0; k < taps; k++) w[k] = f[wr + taps - 1 - k];
    for (let i = 0; i < n; i++) err[i] = f[out + i];
    return this.sums;
  }
}

/** The process's SIMD NLMS kernel, or undefined where WebAssembly SIMD is unavailable. */
export const simdNlms = sharedInstance(() => new NlmsKernel());
