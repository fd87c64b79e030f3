import { EventEmitter } from 'node:events';
import { decodeMulaw, encodeMulaw } from '../../../src/audio';
import type { MediaEnd, ParticipantMedia, ParticipantMediaEvents } from '../../../src/call/ports';

/**
 * A phone leg's media with no socket: records what tolk sends (mu-law encoded, as a phone line
 * would carry it), and lets the test play the party's voice (mu-law, decoded as an adapter would).
 */
export class FakeMediaLeg extends EventEmitter implements ParticipantMedia {
  readonly sampleRate = 8000;
  readonly streamRef: string;
  readonly sent: Uint8Array[] = [];
  closed = false;
  private clock = 0;

  constructor(
    readonly legRef: string,
    readonly endpoint: string,
  ) {
    super();
    this.streamRef = 'MZ' + legRef.slice(2);
  }

  get bufferedBytes(): number {
    return 0;
  }

  send(samples: Int16Array): boolean {
    this.sent.push(encodeMulaw(samples));
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('end', { cause: 'ended' } satisfies MediaEnd);
  }

  /** The party says 20 ms of mu-law audio. */
  say(payload: Uint8Array): void {
    const samples = decodeMulaw(payload);
    this.emit('audio', { samples, sampleRate: this.sampleRate, atMs: this.clock });
    this.clock += (samples.length * 1000) / this.sampleRate;
  }

  override on<E extends keyof ParticipantMediaEvents>(event: E, listener: ParticipantMediaEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof ParticipantMediaEvents>(event: E, listener: ParticipantMediaEvents[E]): this {
    return super.off(event, listener);
  }
}
