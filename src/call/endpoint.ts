/**
 * An audio endpoint tolk holds in a call: one media connection (a phone leg's stream), what is
 * played into it (its own mixer, one per listener endpoint), and what comes out of it (8 kHz
 * PCM16, echo-cancelled, handed to whoever listens: voice links, translation routes).
 *
 * An endpoint may carry one participant's voice (a direct call's leg) or a mix of several (a
 * conference leg hears the room), and may reach one participant (a whisper leg coaching one party)
 * or several (a leg speaking into the room): `carries` and `reaches` say whom.
 *
 * Every clock tick sends the next mixed frame; the same frame is the echo canceller's reference, so
 * whatever tolk plays into a speakerphone is taken out of what comes back.
 */
import { performance } from 'node:perf_hooks';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../audio/frame';
import { Mixer } from '../audio/mixer';
import type { Logger } from '../log/logger';
import type { ParticipantMedia, PcmFrame } from './ports/media';

/** Removes from a party's microphone signal the echo of what tolk played to them. */
export interface EchoControl {
  /** The frame the party's loudspeaker plays now; the array is reused after the call returns. */
  playedReference(frame: Int16Array): void;
  processMic(frame: Int16Array): Int16Array;
}

export interface EndpointTimings {
  /** Inbound frame processing (echo control, listeners), in ms. */
  inbound(ms: number): void;
  /** Outbound frame processing (mix, send), in ms. */
  outbound(ms: number): void;
}

export interface EndpointSpec {
  id: string;
  /** Participants whose voices its inbound audio carries. */
  carries: readonly string[];
  /** Participants who hear what is played into it. */
  reaches: readonly string[];
}

/** Called with each frame that comes out of the endpoint; the array is reused for the next frame (copy to keep it). */
export type AudioListener = (pcm: Int16Array, atMs: number) => void;

const SILENT_FRAME = new Int16Array(FRAME_SAMPLES);
/** Frames sent at once when the far end's play-out buffer has run empty (see `tick`). */
export const PRIME_FRAMES = 3;

export class Endpoint {
  readonly id: string;
  readonly carries: readonly string[];
  readonly reaches: readonly string[];
  /** What the participants it reaches hear. */
  readonly mixer = new Mixer();
  private listeners: AudioListener[] = [];
  private heardMs = 0;
  /** Frames sent that the far end has not played yet, by our count (one plays per tick). */
  private readonly inFlight: Int16Array[] = [];
  /** Frame buffers already played, reused for the next frames sent (no allocation per frame). */
  private readonly spare: Int16Array[] = [];
  private closed = false;
  private backpressured = 0;

  constructor(
    spec: EndpointSpec,
    readonly media: ParticipantMedia,
    private readonly logger: Logger,
    private readonly echo?: EchoControl,
    private readonly timings?: EndpointTimings,
  ) {
    if (media.sampleRate !== SAMPLE_RATE) throw new RangeError(`media of endpoint ${spec.id} is ${media.sampleRate} Hz; calls run at ${SAMPLE_RATE} Hz`);
    this.id = spec.id;
    this.carries = spec.carries;
    this.reaches = spec.reaches;
    media.on('audio', this.onAudio);
  }

  /** Ms of audio received so far (the endpoint's media clock). */
  get receivedMs(): number {
    return this.heardMs;
  }

  /** Listens to what comes out of the endpoint (8 kHz PCM16, echo removed) until the returned function is called. */
  listen(listener: AudioListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Sends the endpoint its next 20 ms frame; called on every tick of the shared clock.
   *
   * The far end plays what it receives in order, from its own buffer. Frames sent exactly one per
   * tick would leave that buffer empty between ticks, and any network jitter would then cut a gap
   * into the speech. So when the buffer is (by our count) empty, tolk primes it with up to
   * `PRIME_FRAMES` frames at once, then keeps it topped up with one per tick: the far end always
   * holds 40 ms in hand, and the first frame still plays at once. The echo canceller's reference
   * follows what the far end plays on each tick, not what was sent.
   */
  tick(): void {
    if (this.closed) return;
    const t0 = performance.now();
    const toSend = this.inFlight.length === 0 ? PRIME_FRAMES : 1;
    for (let i = 0; i < toSend; i++) {
      const frame = this.mixer.nextFrame();
      if (!frame) break;
      const copy = this.spare.pop() ?? new Int16Array(FRAME_SAMPLES);
      copy.set(frame);
      this.inFlight.push(copy);
      // When the connection is backpressured the frame is still queued by the adapter (which drops
      // past a hard cap), and we note it.
      if (!this.media.send(frame) && this.backpressured++ % 50 === 0) {
        this.logger.warn({ event: 'leg.backpressure', bufferedBytes: this.media.bufferedBytes }, 'media socket backpressured');
      }
    }
    const played = this.inFlight.shift();
    this.echo?.playedReference(played ?? SILENT_FRAME);
    if (played) this.spare.push(played);
    this.timings?.outbound(performance.now() - t0);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.media.off('audio', this.onAudio);
    this.listeners = [];
  }

  /** `frame` and its samples belong to the media adapter and are reused: listeners copy what they keep. */
  private readonly onAudio = (frame: PcmFrame): void => {
    if (this.closed) return;
    const t0 = performance.now();
    let pcm = frame.samples;
    if (this.echo) pcm = this.echo.processMic(pcm);
    this.heardMs = frame.atMs + (pcm.length * 1000) / frame.sampleRate;
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i](pcm, this.heardMs);
    this.timings?.inbound(performance.now() - t0);
  };
}
