// The play-out buffer of one bidirectional stream, as Twilio documents it: media messages are
// buffered and played in order; a mark comes back when the audio sent before it has played (or at
// once if nothing is buffered); clear empties the buffer and returns every pending mark. More than
// 10 minutes of buffered audio is discarded (Twilio warning 31931). Pure: time advances only
// through nextFrame().
import { FRAME_SAMPLES, MULAW_SILENCE } from './audio';

export const MAX_BUFFERED_BYTES = 10 * 60 * 8000;

export interface PlayedFrame {
  /** 160 mu-law bytes; silence-padded when the buffer ran short. */
  audio: Uint8Array;
  /** Bytes of this frame that came from the buffer (0 = the party heard silence). */
  playedBytes: number;
  /** Marks whose audio finished with this frame, in order. */
  marks: string[];
}

export class PlayoutBuffer {
  private chunks: Uint8Array[] = [];
  private head = 0; // read offset into chunks[0]
  private enqueued = 0;
  private consumed = 0;
  private marks: { name: string; at: number }[] = [];
  discardedBytes = 0;

  get bufferedBytes(): number {
    return this.enqueued - this.consumed;
  }

  enqueue(bytes: Uint8Array): void {
    const room = MAX_BUFFERED_BYTES - this.bufferedBytes;
    const take = Math.max(0, Math.min(room, bytes.length));
    this.discardedBytes += bytes.length - take;
    if (take === 0) return;
    this.chunks.push(take === bytes.length ? bytes : bytes.subarray(0, take));
    this.enqueued += take;
  }

  /** Queues a mark; returns it at once (as a one-element array) when nothing is buffered. */
  addMark(name: string): string[] {
    if (this.bufferedBytes === 0 && this.marks.length === 0) return [name];
    this.marks.push({ name, at: this.enqueued });
    return [];
  }

  nextFrame(): PlayedFrame {
    const audio = new Uint8Array(FRAME_SAMPLES).fill(MULAW_SILENCE);
    let filled = 0;
    while (filled < FRAME_SAMPLES && this.chunks.length > 0) {
      const chunk = this.chunks[0];
      const n = Math.min(FRAME_SAMPLES - filled, chunk.length - this.head);
      audio.set(chunk.subarray(this.head, this.head + n), filled);
      filled += n;
      this.head += n;
      if (this.head >= chunk.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.consumed += filled;
    const done: string[] = [];
    while (this.marks.length > 0 && this.marks[0].at <= this.consumed) done.push(this.marks.shift()!.name);
    return { audio, playedBytes: filled, marks: done };
  }

  /** Empties the buffer; returns the marks that had not been reached. */
  clear(): string[] {
    this.chunks = [];
    this.head = 0;
    this.consumed = this.enqueued;
    const pending = this.marks.map((m) => m.name);
    this.marks = [];
    return pending;
  }
}
