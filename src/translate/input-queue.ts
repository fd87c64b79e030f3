/**
 * Turns sendAudio calls of any length into fixed-size chunks, and holds chunks that cannot be sent
 * yet (while connecting) up to a bound, dropping the oldest beyond it. Pure: no I/O, no timers.
 */
export class InputChunker {
  /** The chunk being filled; handed to `onChunk` when full, then refilled (never reallocated). */
  private readonly partial: Int16Array;
  private fill = 0;

  constructor(private readonly chunkSamples: number) {
    this.partial = new Int16Array(chunkSamples);
  }

  /**
   * Appends samples; calls `onChunk` with each chunk they complete. The chunk array is reused for
   * the next one: it is valid only during the call (copy it to keep it).
   */
  push(samples: Int16Array, onChunk: (chunk: Int16Array) => void): void {
    let offset = 0;
    while (offset < samples.length) {
      const n = Math.min(this.chunkSamples - this.fill, samples.length - offset);
      this.partial.set(n === samples.length ? samples : samples.subarray(offset, offset + n), this.fill);
      this.fill += n;
      offset += n;
      if (this.fill === this.chunkSamples) {
        this.fill = 0;
        onChunk(this.partial);
      }
    }
  }

  /** Returns (a copy of) and clears the incomplete tail (empty array when none). */
  flush(): Int16Array {
    const tail = this.partial.slice(0, this.fill);
    this.fill = 0;
    return tail;
  }
}

/** Chunks held while they cannot be sent; the queue keeps the arrays it is given. */
export class BoundedChunkQueue {
  private chunks: Int16Array[] = [];
  private samples = 0;
  droppedSamples = 0;

  constructor(private readonly maxSamples: number) {}

  push(chunk: Int16Array): void {
    this.chunks.push(chunk);
    this.samples += chunk.length;
    while (this.samples > this.maxSamples && this.chunks.length > 0) {
      const dropped = this.chunks.shift()!;
      this.samples -= dropped.length;
      this.droppedSamples += dropped.length;
    }
  }

  drain(): Int16Array[] {
    const out = this.chunks;
    this.chunks = [];
    this.samples = 0;
    return out;
  }

  get size(): number {
    return this.samples;
  }

  clear(): void {
    this.chunks = [];
    this.samples = 0;
  }
}
