import { EventEmitter } from 'node:events';
import type { MediaLeg, MediaLegEvents } from '../../../src/twilio/media-leg';

/** A media leg with no socket: records what tolk sends, lets the test play the party's voice. */
export class FakeMediaLeg extends EventEmitter implements MediaLeg {
  readonly accountSid = 'AC' + '0'.repeat(32);
  readonly streamSid: string;
  readonly customParameters = {};
  readonly sent: Uint8Array[] = [];
  closed = false;
  private clock = 0;

  constructor(
    readonly callSid: string,
    readonly role: string,
  ) {
    super();
    this.streamSid = 'MZ' + callSid.slice(2);
  }

  get bufferedBytes(): number {
    return 0;
  }

  sendMedia(mulaw: Uint8Array): boolean {
    this.sent.push(mulaw.slice());
    return true;
  }

  sendMark(): void {}
  clear(): void {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('stop');
  }

  /** The party says 20 ms of mu-law audio. */
  say(payload: Uint8Array): void {
    this.emit('media', { payload, timestampMs: this.clock, synthetic: false });
    this.clock += (payload.length * 1000) / 8000;
  }

  override on<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): this {
    return super.off(event, listener);
  }
}
