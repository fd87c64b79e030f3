/**
 * A FIFO of PCM16 samples in a ring buffer, read out in pieces of any size. `push` copies, so
 * callers may hand in a buffer they reuse for the next frame: nothing is allocated per frame.
 * The ring starts small and doubles when needed, up to the capacity. Bounded: beyond the capacity
 * the oldest samples are dropped and counted.
 */
const INITIAL_SAMPLES = 1024;

export class SampleQueue {
  private ring: Int16Array;
  private head = 0; // index of the oldest sample
  private size = 0;
  dropped = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`SampleQueue capacity must be a positive integer, got ${capacity}`);
    this.ring = new Int16Array(Math.min(capacity, INITIAL_SAMPLES));
  }

  get length(): number {
    return this.size;
  }

  /** Appends a copy of `samples`; when full, the oldest samples make room (counted as dropped). */
  push(samples: Int16Array): void {
    let src = samples;
    if (src.length === 0) return;
    if (src.length > this.capacity) {
      // Only the newest `capacity` samples can be kept.
      this.dropped += src.length - this.capacity;
      src = src.subarray(src.length - this.capacity);
    }
    const needed = this.size + src.length;
    if (needed > this.ring.length && this.ring.length < this.capacity) this.grow(Math.min(this.capacity, needed));
    if (needed > this.ring.length) this.discard(needed - this.ring.length, true);
    const ring = this.ring;
    const tail = (this.head + this.size) % ring.length;
    const first = Math.min(src.length, ring.length - tail);
    ring.set(first === src.length ? src : src.subarray(0, first), tail);
    if (first < src.length) ring.set(src.subarray(first), 0);
    this.size += src.length;
  }

  /**
   * Copies up to `out.length - offset` samples into `out` starting at `offset`, adding
   * (mixing) when `mix` is true. Returns how many samples were read.
   */
  read(out: Int16Array | Float32Array, offset = 0, gain = 1, mix = false): number {
    const want = Math.min(out.length - offset, this.size);
    const ring = this.ring;
    let o = offset;
    let left = want;
    while (left > 0) {
      const n = Math.min(left, ring.length - this.head);
      const h = this.head;
      if (mix) addScaled(out, o, ring, h, n, gain);
      else if (gain === 1) out.set(ring.subarray(h, h + n), o);
      else for (let i = 0; i < n; i++) out[o + i] = ring[h + i] * gain;
      this.advance(n);
      o += n;
      left -= n;
    }
    return want;
  }

  /** Copies up to `out.length` samples from the front into `out` without taking them; returns how many. */
  peek(out: Int16Array): number {
    const want = Math.min(out.length, this.size);
    const first = Math.min(want, this.ring.length - this.head);
    out.set(this.ring.subarray(this.head, this.head + first), 0);
    if (first < want) out.set(this.ring.subarray(0, want - first), first);
    return want;
  }

  /** Drops `n` samples from the front (counted as dropped only when `count` is set). */
  discard(n: number, count = false): void {
    const k = Math.min(n, this.size);
    if (count) this.dropped += k;
    this.advance(k);
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  private advance(n: number): void {
    this.size -= n;
    this.head = this.size === 0 ? 0 : (this.head + n) % this.ring.length;
  }

  /** A ring at least `min` samples long (doubling), with the queued samples moved to its start. */
  private grow(min: number): void {
    let length = this.ring.length;
    while (length < min) length *= 2;
    const next = new Int16Array(Math.min(this.capacity, length));
    const first = Math.min(this.size, this.ring.length - this.head);
    next.set(this.ring.subarray(this.head, this.head + first), 0);
    if (first < this.size) next.set(this.ring.subarray(0, this.size - first), first);
    this.ring = next;
    this.head = 0;
  }
}

/** out[o + i] += src[from + i] * gain for i < n, four a pass (each sample as it would be alone). */
export function addScaled(out: Int16Array | Float32Array, o: number, src: Int16Array, from: number, n: number, gain: number): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    out[o + i] += src[from + i] * gain;
    out[o + i + 1] += src[from + i + 1] * gain;
    out[o + i + 2] += src[from + i + 2] * gain;
    out[o + i + 3] += src[from + i + 3] * gain;
  }
  for (; i < n; i++) out[o + i] += src[from + i] * gain;
}
