/**
 * A Twilio media stream as the call core's participant media: inbound mu-law decoded to 8 kHz
 * PCM16, outbound PCM16 encoded to mu-law. Each direction uses one buffer for the whole stream
 * (no allocation per frame): the frame handed to `audio` listeners is valid only during the call.
 * `audio` listeners are called straight from a list (every inbound frame), `end` through an
 * EventEmitter.
 */
import { EventEmitter } from 'node:events';
import { ListenerList } from './listener-list';
import type { MediaEnd, ParticipantMedia, ParticipantMediaEvents, PcmFrame } from '../call/ports';
import type { MediaFrame, MediaLeg } from './media-leg';
import { MulawDecoder } from './mulaw-decoder';
import { MulawEncoder } from './mulaw-encoder';

const SAMPLE_RATE = 8000;

export class TwilioParticipantMedia implements ParticipantMedia {
  readonly sampleRate = SAMPLE_RATE;
  private readonly emitter = new EventEmitter();
  /** The `audio` listeners, called with every inbound frame. */
  private readonly audioListeners = new ListenerList<ParticipantMediaEvents['audio']>();
  private readonly frame: PcmFrame = { samples: new Int16Array(160), sampleRate: SAMPLE_RATE, atMs: 0 };
  private decoded = new Int16Array(160);
  private readonly decoder = new MulawDecoder();
  private readonly encoder = new MulawEncoder();
  private encoded = new Uint8Array(160);

  constructor(private readonly leg: MediaLeg) {
    leg.on('media', this.onMedia);
    leg.on('stop', this.onStop);
  }

  get endpoint(): string {
    return this.leg.role;
  }

  get legRef(): string {
    return this.leg.callSid;
  }

  get streamRef(): string {
    return this.leg.streamSid;
  }

  get bufferedBytes(): number {
    return this.leg.bufferedBytes;
  }

  send(samples: Int16Array): boolean {
    if (this.encoded.length < samples.length) this.encoded = new Uint8Array(samples.length);
    // The stream turns the bytes into a message before returning: the buffer can be reused.
    return this.leg.sendMedia(this.encoder.encode(samples, this.encoded));
  }

  close(): void {
    this.leg.close();
  }

  on<E extends keyof ParticipantMediaEvents>(event: E, listener: ParticipantMediaEvents[E]): this {
    if (event === 'audio') this.audioListeners.add(listener as ParticipantMediaEvents['audio']);
    else this.emitter.on(event, listener);
    return this;
  }

  off<E extends keyof ParticipantMediaEvents>(event: E, listener: ParticipantMediaEvents[E]): this {
    if (event === 'audio') this.audioListeners.remove(listener as ParticipantMediaEvents['audio']);
    else this.emitter.off(event, listener);
    return this;
  }

  private readonly onMedia = (media: MediaFrame): void => {
    const n = media.payload.length;
    if (this.decoded.length < n) this.decoded = new Int16Array(n);
    this.frame.samples = this.decoder.decode(media.payload, this.decoded);
    this.frame.atMs = media.timestampMs;
    const listeners = this.audioListeners.all;
    for (let i = 0; i < listeners.length; i++) listeners[i](this.frame);
  };

  private readonly onStop = (why: MediaEnd): void => {
    this.leg.off('media', this.onMedia).off('stop', this.onStop);
    this.emitter.emit('end', why);
    this.emitter.removeAllListeners();
    this.audioListeners.clear();
  };
}
