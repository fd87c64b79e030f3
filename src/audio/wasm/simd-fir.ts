/**
 * A FIR filter evaluated at evenly spaced positions of a sample window, on the WebAssembly SIMD
 * kernel in fir.wat (four taps per instruction). One kernel instance and one linear memory serve
 * every filter in the process: each filter's taps are placed once, and every call copies its
 * window into a shared scratch area (JavaScript is single-threaded, so calls never overlap).
 *
 * Symmetric taps (h[k] == h[N-1-k] in float32, as a linear-phase filter's are) are folded: the
 * kernel's fir_sym adds the two samples a tap pair meets and multiplies once (half the
 * multiplications), sixteen outputs at a time. Its sums add in another order than the plain
 * kernel's, so an output may differ from the plain kernel's in its last bits (a rounded int16 by at
 * most one step). Other taps use the plain kernel.
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
  fir_sym(
    segs: number, nsegs: number, input: number, stride: number, phases: number, plen: number,
    output: number, outputs: number, copy: number, int16: number,
  ): void;
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

  /** Places `bytes` in memory for good, at a 16-byte boundary, written by `fill(at)` into `memory`. */
  addBlock(bytes: number, fill: (at: number, memory: ArrayBuffer) => void): number {
    const at = Math.ceil(this.tapsEnd / 16) * 16;
    this.ensure(at + bytes);
    fill(at, this.exports.memory.buffer);
    this.tapsEnd = at + bytes;
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

  runSymmetric(
    segs: number, nsegs: number, input: number, stride: number, phases: number, plen: number,
    output: number, outputs: number, copy: number, int16: boolean,
  ): void {
    this.exports.fir_sym(segs, nsegs, input, stride, phases, plen, output, outputs, copy, int16 ? 1 : 0);
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
  /** Whether the taps are symmetric and folded (half the multiplications). */
  readonly folded: boolean;
}

/** Whether `taps`, in float32 as the kernel holds them, are symmetric: h[k] == h[N-1-k]. */
export function symmetricTaps(taps: ArrayLike<number>): boolean {
  const n = taps.length;
  for (let k = 0; k < n >> 1; k++) if (Math.fround(taps[k]) !== Math.fround(taps[n - 1 - k])) return false;
  return n > 0;
}

/**
 * fir_sym's segments for symmetric taps at one stride: the tap pairs (k, N-1-k), k < ceil(N/2),
 * grouped by the phase of k (k = p + stride * i), whose mirrored samples all lie in one phase q:
 * term i adds h[k] * (phase_p[o + i] + phase_q[o + (N-1-p) / stride - i]) (a middle tap, which
 * meets its own sample twice, halved: exact). Placed in kernel memory for good: the segment table
 * (8 i32 each), then each term's tap four times over.
 */
function placeSegments(kernel: Kernel, taps: Float32Array, stride: number): { at: number; count: number } {
  const n = taps.length;
  const half = Math.ceil(n / 2);
  const phases = Math.min(stride, half);
  const at = kernel.addBlock(phases * 32 + half * 16, (at, memory) => {
    const table = new Int32Array(memory, at, phases * 8);
    const splat = new Float32Array(memory, at + phases * 32, half * 4);
    let term = 0;
    for (let p = 0; p < phases; p++) {
      const first = term;
      for (let k = p; k < half; k += stride, term++) splat.fill(k === n - 1 - k ? taps[k] / 2 : taps[k], 4 * term, 4 * term + 4);
      table.set([at + phases * 32 + first * 16, term - first, p, 0, (n - 1 - p) % stride, Math.floor((n - 1 - p) / stride), 0, 0], 8 * p);
    }
  });
  return { at, count: phases };
}

class SimdFir implements StridedFir {
  private readonly tapsAt: number;
  private readonly nvec: number;
  /** Samples the kernel reads per output (the taps, padded). */
  private readonly span: number;
  readonly folded: boolean;
  /** The taps in float32, when folded. */
  private readonly taps32: Float32Array;
  /** Folded: fir_sym's segments by stride, placed on first use. */
  private readonly segments = new Map<number, { at: number; count: number }>();

  constructor(
    private readonly kernel: Kernel,
    taps: ArrayLike<number>,
    fold: boolean,
  ) {
    this.folded = fold && symmetricTaps(taps);
    this.taps32 = Float32Array.from(taps);
    this.span = Math.ceil(taps.length / TAP_ALIGN) * TAP_ALIGN;
    const padded = new Float32Array(this.span);
    padded.set(taps);
    this.tapsAt = this.folded ? -1 : kernel.addTaps(padded);
    this.nvec = this.span / 4;
  }

  filterAt(window: Float32Array | Float64Array, first: number, count: number, stride: number): Float32Array {
    if (count <= 0) return new Float32Array(0);
    if (this.folded) {
      const outputIndex = this.runFolded(window, first, count, stride, -1, false);
      return this.kernel.memory.subarray(outputIndex, outputIndex + count);
    }
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
    if (this.folded) {
      const outputIndex = this.runFolded(window, first, count, stride, copyAt, true);
      dst.set(this.kernel.memory16.subarray(2 * outputIndex, 2 * outputIndex + count * (copyAt >= 0 ? 2 : 1)));
      return;
    }
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

  /**
   * Runs fir_sym for whole blocks of 16 outputs (the extra ones read zeros or samples past the span,
   * and are not returned); returns the float index in kernel memory where the outputs start (int16
   * outputs: twice that index in memory16). Scratch: the window (zero-padded), its phases
   * (stride > 1), the outputs.
   */
  private runFolded(window: Float32Array | Float64Array, first: number, count: number, stride: number, copyAt: number, int16: boolean): number {
    let segments = this.segments.get(stride);
    if (!segments) {
      segments = placeSegments(this.kernel, this.taps32, stride);
      this.segments.set(stride, segments);
    }
    const outputs = Math.ceil(count / 16) * 16;
    // a phase holds what the last block's mirrored samples reach: plen samples
    const plen = outputs + Math.floor((this.taps32.length - 1) / stride);
    const length = plen * stride;
    const phaseFloats = stride > 1 ? length : 0;
    const outputFloats = int16 ? (copyAt >= 0 ? outputs : outputs / 2) : outputs;
    const at = this.kernel.scratch(length + phaseFloats + outputFloats);
    const inputIndex = at / 4;
    const outputIndex = inputIndex + length + phaseFloats;
    const heap = this.kernel.memory; // after scratch(): memory may have grown
    const available = Math.max(0, Math.min(length, window.length - first));
    heap.set(window.subarray(first, first + available), inputIndex);
    heap.fill(0, inputIndex + available, inputIndex + length);
    const copy = copyAt >= 0 ? (inputIndex + copyAt - first) * 4 : 0;
    this.kernel.runSymmetric(segments.at, segments.count, at, stride, (inputIndex + length) * 4, plen, outputIndex * 4, outputs, copy, int16);
    return outputIndex;
  }
}

/**
 * A SIMD filter with these taps, or undefined where WebAssembly SIMD is unavailable; folded when
 * the taps are symmetric, unless `fold` is false.
 */
export function simdFir(taps: ArrayLike<number>, options: { fold?: boolean } = {}): StridedFir | undefined {
  const k = sharedKernel();
  return k ? new SimdFir(k, taps, options.fold ?? true) : undefined;
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
