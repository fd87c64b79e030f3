/**
 * A FIR filter evaluated at evenly spaced positions of a sample window, on the WebAssembly SIMD
 * kernel in fir.wat (four taps per instruction). One kernel instance and one linear memory serve
 * every filter in the process: each filter's taps are placed once, and every call copies its
 * window into a shared scratch area (JavaScript is single-threaded, so calls never overlap).
 *
 * `simdFir()` returns undefined where WebAssembly SIMD is unavailable; the resamplers then use
 * their plain JavaScript loops.
 */
import { FIR_WASM_BASE64 } from './fir-wasm';
import { ensureBytes, instantiate, sharedInstance, type WasmMemory } from './module';

interface KernelExports {
  memory: WasmMemory;
  fir(taps: number, nvec: number, input: number, output: number, count: number, stride: number): void;
  fir_i16(taps: number, nvec: number, input: number, output: number, count: number, stride: number, outStep: number, copy: number): void;
}

/** Taps are padded to a multiple of 8 (the kernel takes two 4-lane vectors per step). */
const TAP_ALIGN = 8;

class Kernel {
  private readonly exports: KernelExports;
  private tapsEnd = 0; // bytes used by the taps of registered filters
  private heap: Float32Array;
  private heap16: Int16Array;

  constructor() {
    this.exports = instantiate<KernelExports>(FIR_WASM_BASE64);
    this.heap = new Float32Array(this.exports.memory.buffer);
    this.heap16 = new Int16Array(this.exports.memory.buffer);
  }

  /** Places taps in memory for good; returns their byte offset. */
  addTaps(taps: Float32Array): number {
    const at = this.tapsEnd;
    this.ensure(at + taps.byteLength);
    this.heap.set(taps, at / 4);
    this.tapsEnd = at + taps.byteLength;
    return at;
  }

  /** The scratch area after the taps, grown to hold `floats` values; returns its byte offset. */
  scratch(floats: number): number {
    this.ensure(this.tapsEnd + floats * 4);
    return this.tapsEnd;
  }

  get memory(): Float32Array {
    return this.heap;
  }

  get memory16(): Int16Array {
    return this.heap16;
  }

  run(taps: number, nvec: number, input: number, output: number, count: number, stride: number): void {
    this.exports.fir(taps, nvec, input, output, count, stride);
  }

  runInt16(taps: number, nvec: number, input: number, output: number, count: number, stride: number, outStep: number, copy: number): void {
    this.exports.fir_i16(taps, nvec, input, output, count, stride, outStep, copy);
  }

  private ensure(bytes: number): void {
    if (ensureBytes(this.exports.memory, bytes)) {
      this.heap = new Float32Array(this.exports.memory.buffer);
      this.heap16 = new Int16Array(this.exports.memory.buffer);
    }
  }
}

const sharedKernel = sharedInstance(() => new Kernel());

/** A FIR filter evaluated at evenly spaced positions of a window of samples. */
export interface StridedFir {
  /**
   * out[o] = sum over k of taps[k] * window[first + o * stride + k], for o < count. Samples past
   * `window.length` count as zero. The result may be a view of shared memory: read it before the
   * next call to any filter.
   */
  filterAt(window: Float32Array | Float64Array, first: number, count: number, stride: number): Float32Array;
  /**
   * The same outputs rounded to the nearest int16 (halves up, as Math.round), clamped, NaN as 0,
   * into `dst`: at dst[o], or with `copyAt` (>= 0) at dst[2 * o], each followed at dst[2 * o + 1]
   * by window[copyAt + o], which must be an int16 value and lie in the filtered span
   * (first <= copyAt, copyAt + count <= first + (count - 1) * stride + taps).
   */
  filterInt16(window: Float32Array, first: number, count: number, stride: number, dst: Int16Array, copyAt: number): void;
}

class SimdFir implements StridedFir {
  private readonly tapsAt: number;
  private readonly nvec: number;
  /** Samples the kernel reads per output (the taps, padded). */
  private readonly span: number;

  constructor(
    private readonly kernel: Kernel,
    taps: ArrayLike<number>,
  ) {
    this.span = Math.ceil(taps.length / TAP_ALIGN) * TAP_ALIGN;
    const padded = new Float32Array(this.span);
    padded.set(taps);
    this.tapsAt = kernel.addTaps(padded);
    this.nvec = this.span / 4;
  }

  filterAt(window: Float32Array | Float64Array, first: number, count: number, stride: number): Float32Array {
    if (count <= 0) return new Float32Array(0);
    const needed = (count - 1) * stride + this.span;
    const at = this.kernel.scratch(needed + count);
    const inputIndex = at / 4;
    const outputIndex = inputIndex + needed;
    const heap = this.kernel.memory; // after scratch(): memory may have grown
    const available = Math.max(0, Math.min(needed, window.length - first));
    heap.set(window.subarray(first, first + available), inputIndex);
    heap.fill(0, inputIndex + available, inputIndex + needed);
    this.kernel.run(this.tapsAt, this.nvec, at, outputIndex * 4, count, stride);
    return heap.subarray(outputIndex, outputIndex + count);
  }

  filterInt16(window: Float32Array, first: number, count: number, stride: number, dst: Int16Array, copyAt: number): void {
    if (count <= 0) return;
    const needed = (count - 1) * stride + this.span;
    const step = copyAt >= 0 ? 2 : 1;
    const at = this.kernel.scratch(needed + Math.ceil((count * step) / 2));
    const inputIndex = at / 4;
    const heap = this.kernel.memory;
    const available = Math.max(0, Math.min(needed, window.length - first));
    heap.set(window.subarray(first, first + available), inputIndex);
    heap.fill(0, inputIndex + available, inputIndex + needed);
    const outputIndex = inputIndex + needed;
    // the copied samples are read where the window was placed
    const copy = copyAt >= 0 ? (inputIndex + copyAt - first) * 4 : 0;
    this.kernel.runInt16(this.tapsAt, this.nvec, at, outputIndex * 4, count, stride, step, copy);
    dst.set(this.kernel.memory16.subarray(2 * outputIndex, 2 * outputIndex + count * step));
  }

}

/** A SIMD filter with these taps, or undefined where WebAssembly SIMD is unavailable. */
export function simdFir(taps: ArrayLike<number>): StridedFir | undefined {
  const k = sharedKernel();
  return k ? new SimdFir(k, taps) : undefined;
}

/**
 * The SIMD filter for a resampler class, built on first use and shared by all its instances;
 * undefined where WebAssembly SIMD is unavailable.
 */
export function lazySimdFir(taps: () => ArrayLike<number>): () => StridedFir | undefined {
  let fir: StridedFir | null | undefined;
  return () => {
    if (fir === undefined) fir = simdFir(taps()) ?? null;
    return fir ?? undefined;
  };
}
