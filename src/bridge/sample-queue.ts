/**
 * A FIFO of PCM16 samples held as the chunks they arrived in (no copying on push), read out in
 * fixed-size pieces. Bounded: when over capacity the oldest samples are dropped and counted.
 */
export class SampleQueue {
  private chunks: Int16Array[] = [];
  private head = 0; // read offset into chunks[0]
  private size = 0;
  dropped = 0;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.size;
  }

  push(samples: Int16Array): void {
    if (samples.length === 0) return;
    this.chunks.push(samples);
    this.size += samples.length;
    if (this.size > this.capacity) this.discard(this.size - this.capacity, true);
  }

  /**
   * Copies up to `out.length - offset` samples into `out` starting at `offset`, adding
   * (mixing) when `mix` is true. Returns how many samples were read.
   */
  read(out: Int16Array | Float32Array, offset = 0, gain = 1, mix = false): number {
    let want = Math.min(out.length - offset, this.size);
    let o = offset;
    while (want > 0) {
      const chunk = this.chunks[0];
      const n = Math.min(want, chunk.length - this.head);
      if (mix) for (let i = 0; i < n; i++) out[o + i] += chunk[this.head + i] * gain;
      else if (gain === 1) out.set(chunk.subarray(this.head, this.head + n), o);
      else for (let i = 0; i < n; i++) out[o + i] = chunk[this.head + i] * gain;
      this.advance(n);
      o += n;
      want -= n;
    }
    return o - offset;
  }

  /** Drops `n` samples from the front (counted as dropped only when `count` is set). */
  discard(n: number, count = false): void {
    let left = Math.min(n, this.size);
    if (count) this.dropped += left;
    while (left > 0) {
      const k = Math.min(left, this.chunks[0].length - this.head);
      this.advance(k);
      left -= k;
    }
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.size = 0;
  }

  private advance(n: number): void {
    this.head += n;
    this.size -= n;
    if (this.head >= this.chunks[0].length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
