/**
 * A double-ended queue of pairs of numbers (`a`, `b`) in two rings that double when full: no
 * object per entry, and taking from the front moves nothing.
 */
export class PairDeque {
  private as = new Float64Array(16);
  private bs = new Float64Array(16);
  private mask = 15;
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** The `i`th pair's `a` (0: the front). */
  a(i: number): number {
    return this.as[(this.head + i) & this.mask];
  }

  /** The `i`th pair's `b` (0: the front). */
  b(i: number): number {
    return this.bs[(this.head + i) & this.mask];
  }

  push(a: number, b: number): void {
    if (this.size > this.mask) this.grow();
    const i = (this.head + this.size) & this.mask;
    this.as[i] = a;
    this.bs[i] = b;
    this.size++;
  }

  /** Drops the front pair (none when empty). */
  shift(): void {
    if (this.size === 0) return;
    this.head = (this.head + 1) & this.mask;
    this.size--;
  }

  /** Drops the back pair (none when empty). */
  pop(): void {
    if (this.size > 0) this.size--;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const as = new Float64Array(this.as.length * 2);
    const bs = new Float64Array(this.bs.length * 2);
    for (let i = 0; i < this.size; i++) {
      as[i] = this.a(i);
      bs[i] = this.b(i);
    }
    this.as = as;
    this.bs = bs;
    this.mask = as.length - 1;
    this.head = 0;
  }
}
