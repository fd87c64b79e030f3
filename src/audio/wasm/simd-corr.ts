/**
 * The echo canceller's delay search for five envelope blocks (`correlateGroup` in
 * echo-canceller.ts) on the WebAssembly kernel in corr.wat: the same multiplies and adds in the
 * same order, so the same bits, without the bounds checks and conversions V8 puts around each
 * typed-array access in JavaScript. One instance serves the process: each call copies the
 * correlations and the envelope window into its memory and the correlations back (JavaScript is
 * single-threaded, so calls never overlap).
 *
 * `wasmCorr()` returns undefined where WebAssembly is unavailable; the canceller then uses
 * `correlateGroup`.
 */
import { CORR_WASM_BASE64 } from './corr-wasm';
import { instantiate, sharedInstance, type WasmMemory } from './module';

interface KernelExports {
  memory: WasmMemory;
  corr5(corr: number, env: number, maxLag: number, lam: number, m0: number, m1: number, m2: number, m3: number, m4: number): void;
}

/** Most lags a call takes: the kernel's one page holds their correlations and envelope window. */
export const CORR_MAX_LAG = 2000;
/** Byte offset of the envelope window, after room for CORR_MAX_LAG + 1 correlations. */
const ENV_AT = 8 * (CORR_MAX_LAG + 8);

export class CorrKernel {
  private readonly exports: KernelExports;
  private readonly f64: Float64Array;
  private readonly f32: Float32Array;
  /** The correlations of the last call's length, as a view to copy back from. */
  private back: Float64Array = new Float64Array(0);

  constructor() {
    this.exports = instantiate<KernelExports>(CORR_WASM_BASE64);
    this.f64 = new Float64Array(this.exports.memory.buffer);
    this.f32 = new Float32Array(this.exports.memory.buffer);
  }

  /**
   * `correlateGroup(corr, env, top, maxLag, lam, m0, .., m4)`: corr[L] for L = 0..maxLag
   * (corr.length === maxLag + 1, maxLag <= CORR_MAX_LAG) takes the five updates in block order,
   * block j reading env[top + j - L] (top >= maxLag, top + 4 < env.length).
   */
  correlateGroup(corr: Float64Array, env: Float32Array, top: number, maxLag: number, lam: number, m0: number, m1: number, m2: number, m3: number, m4: number): void {
    this.f64.set(corr);
    this.f32.set(env.subarray(top - maxLag, top + 5), ENV_AT / 4);
    this.exports.corr5(0, ENV_AT, maxLag, lam, m0, m1, m2, m3, m4);
    if (this.back.length !== corr.length) this.back = new Float64Array(this.exports.memory.buffer, 0, corr.length);
    corr.set(this.back);
  }
}

export const wasmCorr = sharedInstance(() => new CorrKernel());
