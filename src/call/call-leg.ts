/**
 * One party's connection inside a call: its media (the participant media port), what that party
 * hears (its play-out), and what they say (echo-cancelled 8 kHz PCM16 handed to listeners).
 * Every clock tick sends the next play-out frame; the same frame is the echo canceller's
 * reference, so whatever tolk plays into a speakerphone is taken out of what comes back.
 */
import { performance } from 'node:perf_hooks';
import { FRAME_SAMPLES, SAMPLE_RATE, type LegPlayout } from '../audio/playout';
import type { Logger } from '../log/logger';
import type { ParticipantMedia, PcmFrame } from './ports/media';

/** Removes from a party's microphone signal the echo of what tolk played to them. */
export interface EchoControl {
  /** The frame the party's loudspeaker plays now; the array is reused after the call returns. */
  playedReference(frame: Int16Array): void;
  processMic(frame: Int16Array): Int16Array;
}

export interface CallLegTimings {
  /** Inbound frame processing (echo control, listeners), in ms. */
  inbound(ms: number): void;
  /** Outbound frame processing (mix, send), in ms. */
  outbound(ms: number): void;
}

/** Called with each frame a party says; the array is reused for the next frame (copy to keep it). */
export type SpeechListener = (pcm8k: Int16Array, atMs: number) => void;

const SILENT_FRAME = new Int16Array(FRAME_SAMPLES);
/** Frames sent at once when the far end's play-out buffer has run empty (see `tick`). */
export const PRIME_FRAMES = 3;

export class CallLeg {
  readonly playout: LegPlayout;
  private readonly listeners: SpeechListener[] = [];
  private heardMs = 0;
  /** Frames sent that the far end has not played yet, by our count (one plays per tick). */
  private readonly inFlight: Int16Array[] = [];
  /** Frame buffers already played, reused for the next frames sent (no allocation per frame). */
  private readonly spare: Int16Array[] = [];
  private closed = false;
  private backpressured = 0;

  constructor(
    readonly media: ParticipantMedia,
    playout: LegPlayout,
    private readonly logger: Logger,
    private readonly echo?: EchoControl,
    private readonly timings?: CallLegTimings,
  ) {
    if (media.sampleRate !== SAMPLE_RATE) throw new RangeError(`media of endpoint ${media.endpoint} is ${media.sampleRate} Hz; calls run at ${SAMPLE_RATE} Hz`);
    this.playout = playout;
    media.on('audio', this.onAudio);
  }

  /** Which endpoint of the call this leg is. */
  get endpoint(): string {
    return this.media.endpoint;
  }

  /** Ms of this party's audio received so far (the leg's media clock). */
  get receivedMs(): number {
    return this.heardMs;
  }

  /** Listens to what this party says (8 kHz PCM16, echo removed; valid only during the call). */
  onSpeech(listener: SpeechListener): void {
    this.listeners.push(listener);
  }

  /**
   * Sends this leg its next 20 ms frame; called on every tick of the shared clock.
   *
   * The far end plays what it receives in order, from its own buffer. Frames sent exactly
   * one per tick would leave that buffer empty between ticks, and any network jitter would then cut
   * a gap into the speech. So when the buffer is (by our count) empty, tolk primes it with up to
   * `PRIME_FRAMES` frames at once, then keeps it topped up with one per tick: the far end always
   * holds 40 ms in hand, and the first frame still plays at once. The echo canceller's reference
   * follows what the far end plays on each tick, not what was sent.
   */
  tick(): void {
    if (this.closed) return;
    const t0 = performance.now();
    const toSend = this.inFlight.length === 0 ? PRIME_FRAMES : 1;
    for (let i = 0; i < toSend; i++) {
      const frame = this.playout.nextFrame();
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
    this.listeners.length = 0;
  }

  /** `frame` and its samples belong to the media adapter and are reused: listeners copy what they keep. */
  private readonly onAudio = (frame: PcmFrame): void => {
    if (this.closed) return;
    const t0 = performance.now();
    let pcm = frame.samples;
    if (this.echo) pcm = this.echo.processMic(pcm);
    this.heardMs = frame.atMs + (pcm.length * 1000) / frame.sampleRate;
    for (const l of this.listeners) l(pcm, this.heardMs);
    this.timings?.inbound(performance.now() - t0);
  };
}
