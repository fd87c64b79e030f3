/**
 * Fresh byte ranges cut from large slabs, for the messages a session builds every chunk: a range
 * costs no allocation of its own, and none is ever handed out twice, so a socket that holds one
 * until it is written finds it as it was built.
 */
export class ByteSlab {
  private slab: Buffer;
  private used = 0;

  constructor(private readonly slabBytes = 64 * 1024) {
    this.slab = Buffer.allocUnsafe(slabBytes);
  }

  /** `n` bytes of its own (contents undefined) for the caller to fill. */
  take(n: number): Buffer {
    if (n > this.slabBytes) return Buffer.allocUnsafe(n);
    if (this.used + n > this.slabBytes) {
      this.slab = Buffer.allocUnsafe(this.slabBytes);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + n);
    this.used += n;
    return out;
  }
}
