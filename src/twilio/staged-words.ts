/**
 * A frame copied into an aligned buffer of the codec's own and read back as words (two codes or two
 * samples a word), for the frame codecs' two-a-turn paths: one copy of a few hundred bytes per
 * frame, whatever buffer and offset the frame came in (inbound payloads are slices of pool slabs
 * that every leg shares), and no object made per frame; the buffer grows only for a longer frame.
 */
export class StagedWords<E extends Uint8Array | Int16Array, W extends Uint16Array | Int32Array> {
  private elements: E;
  private words: W;

  /** `views` makes the elements' and the words' views of a fresh buffer. */
  constructor(private readonly views: (buffer: ArrayBuffer) => readonly [E, W]) {
    [this.elements, this.words] = views(new ArrayBuffer(0));
  }

  /** `frame` as words: valid until the next call (only the first `frame.byteLength` bytes are its). */
  stage(frame: E): W {
    if (this.elements.length < frame.length) [this.elements, this.words] = this.views(new ArrayBuffer((frame.byteLength + 3) & ~3));
    this.elements.set(frame);
    return this.words;
  }
}
