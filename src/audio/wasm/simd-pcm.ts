/**
 * pcm.ts's frame scans (sum of squares, all within a limit) on the WebAssembly SIMD kernel in
 * pcm.wat, eight samples per instruction. One instance serves the process: each call copies the
 * frame to the start of its memory (JavaScript is single-threaded, so calls never overlap). The
 * answers are exactly the plain loops' (integer arithmetic throughout).
 *
 * `simdPcm()` returns undefined where WebAssembly SIMD is unavailable; pcm.ts then scans in plain
 * JavaScript.
 */
import { PCM_WASM_BASE64 } from './pcm-wasm';
import { instantiate, sharedInstance, type WasmMemory } from './module';

interface KernelExports {
  memory: WasmMemory;
  sumsq(p: number, n: number): number;
  within(p: number, n: number, limit: number): number;
}

export class PcmKernel {
  /** Most samples a call takes (the kernel's one page of memory); longer frames are the caller's to scan. */
  readonly maxSamples: number;
  private readonly exports: KernelExports;
  private readonly heap: Int16Array;

  constructor() {
    this.exports = instantiate<KernelExports>(PCM_WASM_BASE64);
    this.heap = new Int16Array(this.exports.memory.buffer);
    this.maxSamples = this.heap.length;
  }

  /** The sum of the squares of the first `n` samples of `pcm` (n <= maxSamples, n <= pcm.length). */
  sumOfSquares(pcm: Int16Array, n: number): number {
    this.heap.set(n === pcm.length ? pcm : pcm.subarray(0, n));
    return this.exports.sumsq(0, n);
  }

  /** Whether every sample of `pcm` (at most maxSamples) lies within [-limit, limit], 0 <= limit <= 32767. */
  allWithin(pcm: Int16Array, limit: number): boolean {
    this.heap.set(pcm);
    return this.exports.within(0, pcm.length, limit) === 1;
  }
}

export const simdPcm = sharedInstance(() => new PcmKernel());
