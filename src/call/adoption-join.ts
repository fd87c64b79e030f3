/**
 * How the joining of an adopted call turns out, told once: undefined once its media has come here
 * and it runs, or why not (its legs refused, the call ended first). Later outcomes are ignored.
 */
export class AdoptionJoin {
  readonly promise: Promise<string | undefined>;
  private resolve!: (why: string | undefined) => void;
  private done = false;

  constructor() {
    this.promise = new Promise((resolve) => (this.resolve = resolve));
  }

  get settled(): boolean {
    return this.done;
  }

  /** Tells the outcome, unless one was told already; whether this one was. */
  settle(why: string | undefined): boolean {
    if (this.done) return false;
    this.done = true;
    this.resolve(why);
    return true;
  }
}
