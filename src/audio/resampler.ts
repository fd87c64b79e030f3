import { allWithin } from './pcm';

/** The contract shared by the streaming resamplers. */
export interface StreamingResampler {
  readonly inputRate: number;
  readonly outputRate: number;
  /** Algorithmic delay, in samples at the output rate. */
  readonly delaySamples: number;
  /** Algorithmic delay in milliseconds. */
  readonly delayMs: number;
  /** How many samples the next `process` call returns for `inputLength` input samples. */
  outputLength(inputLength: number): number;
  /**
   * Converts the next chunk of a continuous stream (any length, including 0). The result depends
   * only on the samples fed so far, never on how they were split into chunks. Writes into `out`
   * when given (at least `outputLength(input.length)` long) and returns the filled part.
   */
  process(input: Int16Array, out?: Int16Array): Int16Array;
  /** Forgets all history, as if newly created (e.g. on barge-in or when a call ends). */
  reset(): void;
}

export interface ResamplerOptions {
  /** Samples per chunk the work area is first sized for (it grows when needed). */
  initialChunkCapacity?: number;
  /** Filter on the WebAssembly SIMD kernel where available (default true); false: plain JavaScript. */
  simd?: boolean;
}

export function outputTarget(out: Int16Array | undefined, n: number, who: string): Int16Array {
  if (!out) return new Int16Array(n);
  if (out.length < n) throw new RangeError(`${who}: output buffer holds ${out.length} samples, needs ${n}`);
  return out;
}

/**
 * A Float32 work area laid out as [history | current chunk]. Keeps the last `historyLength` input
 * samples between calls and grows (rarely) when a chunk is larger than any before. Int16 samples
 * are exact in Float32, and the SIMD kernel reads Float32: its windows are copied as they are.
 */
export class HistoryBuffer {
  private data: Float32Array;
  /** The newest samples of the stream so far that are zero, counted up to the history's length. */
  private zeroTail: number;

  constructor(
    private readonly historyLength: number,
    initialChunkCapacity: number,
  ) {
    this.data = new Float32Array(historyLength + initialChunkCapacity);
    this.zeroTail = historyLength;
  }

  /**
   * Notes the next chunk of the stream; true when it and the whole history before it are digital
   * silence. Every output of that chunk is then zero and the history stays all zero, so the caller
   * writes zeros and neither loads nor advances; otherwise it loads and advances as usual.
   */
  silentThrough(input: Int16Array): boolean {
    const n = input.length;
    const silentBefore = this.zeroTail >= this.historyLength;
    // A chunk of speech mostly ends on a sample that is not zero; one of silence is scanned whole
    // at once (allWithin), and only a chunk that is neither is walked back to its last sound.
    if (n > 0 && input[n - 1] !== 0) {
      this.zeroTail = 0;
      return false;
    }
    if (allWithin(input, 0)) {
      this.zeroTail = Math.min(this.historyLength, this.zeroTail + n);
      return silentBefore;
    }
    let i = n;
    while (input[i - 1] === 0) i--;
    this.zeroTail = Math.min(this.historyLength, n - i);
    return false;
  }

  /** Appends `input` after the history and returns the work area (valid until `advance`). */
  load(input: Int16Array): Float32Array {
    const needed = this.historyLength + input.length;
    if (needed > this.data.length) {
      const grown = new Float32Array(Math.max(needed, 2 * this.data.length));
      grown.set(this.data.subarray(0, this.historyLength));
      this.data = grown;
    }
    this.data.set(input, this.historyLength);
    return this.data;
  }

  /** Keeps the newest `historyLength` samples after a chunk of `consumed` samples. */
  advance(consumed: number): void {
    if (consumed > 0) this.data.copyWithin(0, consumed, consumed + this.historyLength);
  }

  clear(): void {
    this.data.fill(0, 0, this.historyLength);
    this.zeroTail = this.historyLength;
  }
}
