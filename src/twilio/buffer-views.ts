/**
 * Views over whole buffers, made once per buffer, for the frame codecs' two-a-turn paths: a frame
 * is read through the view of the buffer it lies in, from its offset, so no view is made per
 * frame (frames of one stream come from a few buffers: a pool slab, the endpoint's frame buffers).
 * The buffer seen last is looked up by one comparison and held; others are held weakly, so a view
 * keeps no buffer alive but that one.
 */
export class WholeBufferViews<T extends Uint16Array | Int32Array> {
  private lastBuffer: ArrayBufferLike | undefined;
  private lastView: T | undefined;
  private readonly views = new WeakMap<ArrayBufferLike, T>();

  constructor(
    private readonly make: (buffer: ArrayBufferLike, length: number) => T,
    private readonly bytesPerElement: number,
  ) {}

  /**
   * The view of all of `buffer`, at least `end` elements long (a buffer that has grown since its
   * view was made gets a new one).
   */
  of(buffer: ArrayBufferLike, end: number): T {
    let view = buffer === this.lastBuffer ? this.lastView : this.views.get(buffer);
    if (view === undefined || view.length < end) {
      view = this.make(buffer, Math.floor(buffer.byteLength / this.bytesPerElement));
      this.views.set(buffer, view);
    }
    this.lastBuffer = buffer;
    this.lastView = view;
    return view;
  }
}
