/**
 * An audio endpoint tolk holds in a call: one media connection (a phone leg's stream), what is
 * played into it (its own mixer, one per listener endpoint), and what comes out of it (8 kHz
 * PCM16, echo-cancelled, handed to whoever listens: voice links, translation routes).
 *
 * What comes in is handed on two ways: as it arrives, whole and at once, to what needs every sample
 * but not its timing (translation sessions, which buffer it into chunks anyway), and through a
 * jitter buffer (src/audio/jitter-buffer.ts) one 20 ms frame per clock tick to what plays it live
 * (voice links into other mixes): network jitter leaves no hole and no slip in the voice a
 * listener hears, at the cost of the little delay the jitter seen calls for.
 *
 * An endpoint may carry one participant's voice (a direct call's leg) or a mix of several (a
 * conference leg hears the room), and may reach one participant (a whisper leg coaching one party)
 * or several (a leg speaking into the room): `carries` and `reaches` say whom.
 *
 * Every clock tick sends the next mixed frame; the same frame is the echo canceller's reference, so
 * whatever tolk plays into a speakerphone is taken out of what comes back.
 */
import { performance } from 'node:perf_hooks';
import { FRAME_SAMPLES, SAMPLE_RATE, samplesToMs } from '../audio/frame';
import { JitterBuffer, type JitterBufferOptions, type JitterBufferStats } from '../audio/jitter-buffer';
import { Mixer } from '../audio/mixer';
import type { RecentLateness } from '../audio/recent-lateness';
import type { Logger } from '../log/logger';
import { FRAME_MS, type FrameClock } from './ports/clock';
import type { ParticipantMedia, PcmFrame } from './ports/media';

/** Removes from a party's microphone signal the echo of what tolk played to them. */
export interface EchoControl {
  /** The frame the party's loudspeaker plays now; the array is reused after the call returns. */
  playedReference(frame: Int16Array): void;
  /** The party's loudspeaker plays `samples` of silence now (nothing was sent): as `playedReference` of zeros. */
  playedSilence(samples: number): void;
  processMic(frame: Int16Array): Int16Array;
}

/**
 * Frame processing times, for a sample of the frames: before each frame the endpoint asks whether
 * to time it (`timeInbound`, `timeOutbound`), and reads the clock only for those it is told to.
 */
export interface EndpointTimings {
  /** Whether the inbound frame about to be processed is timed (then `inbound` gets its time). */
  timeInbound(): boolean;
  /** Inbound frame processing (echo control, listeners), in ms. */
  inbound(ms: number): void;
  /** Whether the outbound work about to be done is timed (then `outbound` gets its time). */
  timeOutbound(): boolean;
  /** Outbound frame processing (mix, send), in ms. */
  outbound(ms: number): void;
}

/** What the inbound jitter buffer notices, as it happens. */
export interface InboundJitterObserver {
  /** The inbound voice was late: a frame was not there when due (a hole, once it resumes). */
  underrun(): void;
  /** A frame nearly missed its tick: the buffer took one frame more in hand, in a quiet moment. */
  lateFrame(): void;
}

export interface EndpointOptions {
  logger: Logger;
  /** The clock that ticks the endpoint (its `position` places arriving audio in time). */
  clock: Pick<FrameClock, 'position' | 'playhead'>;
  echo?: EchoControl;
  timings?: EndpointTimings;
  jitter?: InboundJitterObserver;
  jitterBuffer?: JitterBufferOptions;
  /** The lateness of translated speech the process's routes have seen lately (see SpeechPlayout). */
  playoutLateness?: RecentLateness;
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

/** Frames sent at once when the far end's play-out buffer has run empty (see `tick`). */
export const PRIME_FRAMES = 3;
/**
 * Most frames in flight (the one the far end plays now included) when what is sent is audio tolk
 * already holds (translated speech, a notice) and no voice is linked to the listener (see `leadFrames`).
 */
export const LEAD_FRAMES = 10;

export class Endpoint {
  readonly id: string;
  readonly carries: readonly string[];
  readonly reaches: readonly string[];
  /** What the participants it reaches hear. */
  readonly mixer: Mixer;
  private listeners: AudioListener[] = [];
  private inTime: AudioListener[] = [];
  private readonly logger: Logger;
  private readonly clock: Pick<FrameClock, 'position' | 'playhead'>;
  private readonly echo: EchoControl | undefined;
  private readonly timings: EndpointTimings | undefined;
  private readonly jitterObserver: InboundJitterObserver | undefined;
  /** Inbound audio as it arrived, read out one frame per tick. */
  private readonly jitter: JitterBuffer;
  private readonly inFrame = new Int16Array(FRAME_SAMPLES);
  private underruns = 0;
  private lateFrames = 0;
  /** Media-clock ms at the end of the audio received so far. */
  private arrivedMs = 0;
  /** Frames sent that the far end has not played yet, by our count (one plays per tick). */
  private readonly inFlight: Int16Array[] = [];
  /** Whether the last frame produced carried translated speech. */
  private producedSpeech = false;
  /** The far end is playing a frame until the next tick (by our count). */
  private playingNow = false;
  /** A live voice's first frame after the far end ran dry, sent with the next one (see `tick`). */
  private held: Int16Array | undefined;
  /** Frame buffers already played, reused for the next frames sent (no allocation per frame). */
  private readonly spare: Int16Array[] = [];
  private closed = false;
  private backpressured = 0;

  constructor(
    spec: EndpointSpec,
    readonly media: ParticipantMedia,
    opts: EndpointOptions,
  ) {
    if (media.sampleRate !== SAMPLE_RATE) throw new RangeError(`media of endpoint ${spec.id} is ${media.sampleRate} Hz; calls run at ${SAMPLE_RATE} Hz`);
    this.id = spec.id;
    this.carries = spec.carries;
    this.reaches = spec.reaches;
    this.logger = opts.logger;
    this.clock = opts.clock;
    this.mixer = new Mixer({
      nowMs: () => this.clock.playhead() * FRAME_MS,
      arrivalMs: () => this.firstPieceAt() * FRAME_MS,
      ...(opts.playoutLateness ? { recent: opts.playoutLateness } : {}),
    });
    this.echo = opts.echo;
    this.timings = opts.timings;
    this.jitterObserver = opts.jitter;
    this.jitter = new JitterBuffer(opts.jitterBuffer);
    media.on('audio', this.onAudio);
  }

  /**
   * Where a translated utterance's first piece is placed (SpeechPlayoutOptions.arrivalMs): on the
   * playhead while at most the frame now due is owed (the loop got to it late, but the next tick
   * plays it, as an on-time tick would have), on the call's clock once the loop is a frame or more
   * behind (a stall: the frames owed are ticked one after another, and would play it ahead of the
   * pace the service sets from when it sent it).
   */
  private firstPieceAt(): number {
    const position = this.clock.position();
    const playhead = this.clock.playhead();
    return position - playhead < 1 ? playhead : position;
  }

  /** Ms of audio received so far (the endpoint's media clock). */
  get receivedMs(): number {
    return this.arrivedMs;
  }

  /** Inbound audio held by the jitter buffer now, ms: the delay it adds. */
  get jitterDelayMs(): number {
    return this.jitter.depthMs;
  }

  /** What the inbound jitter buffer did so far. */
  jitterStats(): JitterBufferStats {
    return this.jitter.stats();
  }

  /** Listens to what comes out of the endpoint (8 kHz PCM16, echo removed) until the returned function is called. */
  listen(listener: AudioListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Listens to the same audio played live: one 20 ms frame per clock tick, through the jitter
   * buffer (nothing on a tick the voice is late), until the returned function is called.
   */
  listenInTime(listener: AudioListener): () => void {
    this.inTime = [...this.inTime, listener];
    return () => {
      this.inTime = this.inTime.filter((l) => l !== listener);
    };
  }

  /**
   * Hands in-time listeners the next 20 ms of inbound audio, when it is there (nothing while it is late, or
   * when the buffer takes a frame more in hand right after a voiced frame); called on every tick of the shared clock, before any
   * endpoint's `tick`, so a voice link carries the frame into the other mix at once. A frame is
   * judged by when it is actually read (a tick the event loop ran late is late for its frame too).
   */
  pull(): void {
    if (this.closed) return;
    const pcm = this.inFrame;
    const n = this.jitter.read(pcm, this.clock.position());
    const jitter = this.jitter;
    if (jitter.underrunCount !== this.underruns || jitter.growCount !== this.lateFrames) {
      for (; this.underruns < jitter.underrunCount; this.underruns++) this.jitterObserver?.underrun();
      for (; this.lateFrames < jitter.growCount; this.lateFrames++) this.jitterObserver?.lateFrame();
    }
    if (n === 0) return;
    const atMs = this.arrivedMs - jitter.depthMs;
    const listeners = this.inTime;
    for (let i = 0; i < listeners.length; i++) listeners[i](pcm, atMs);
  }

  /**
   * Sends the endpoint its next 20 ms frame; called on every tick of the shared clock.
   *
   * The far end plays what it receives in order, from its own buffer, on its own clock. Frames sent
   * exactly one per tick would leave that buffer empty between ticks, and the least jitter between
   * the two clocks (or on the network) would then cut a gap into the speech. So when the buffer is
   * (by our count) empty, tolk primes it with up to `PRIME_FRAMES` frames at once, then keeps it
   * topped up with one per tick: the far end holds 40 ms in hand, and the first frame still plays
   * at once. A live voice cannot be sent ahead of time: when it starts with nothing behind its
   * first frame, that frame is held one tick and sent with the next, so the far end holds 20 ms.
   * Audio tolk already holds (translated speech, a notice) is sent ahead as far as `leadFrames`
   * allows: it plays at the same moment either way, and in the far end's buffer a stall of this
   * process (a long collection, a busy core) cannot cut a hole into it.
   * A voice can come in behind more than that, where it is linked (its gain raised from 0) while
   * held audio is in flight: it would then play that much late for as long as it stays live, so
   * its frames are dropped, where nothing but the voice is in them, until it is back to its lead.
   * The echo canceller's reference follows what the far end plays on each tick, not what was sent.
   */
  tick(): void {
    if (this.closed) return;
    const t0 = this.timings?.timeOutbound() ? performance.now() : -1;
    if (this.inFlight.length > 0) {
      if (this.produce(false)) {
        const frame = this.inFlight[this.inFlight.length - 1];
        if (this.inFlight.length > PRIME_FRAMES && this.mixer.lastWasVoiceOnly) {
          this.inFlight.pop();
          this.spare.push(frame);
        } else this.transmit(frame);
      }
      this.sendAhead(this.leadFrames());
    } else {
      if (this.held) this.inFlight.push(this.held);
      const heldBefore = this.held !== undefined;
      this.held = undefined;
      for (let i = 0; this.inFlight.length < PRIME_FRAMES && this.produce(i > 0); i++);
      // (Translated speech is not held: it resumes after the far end ran short, and sooner is better.)
      if (!heldBefore && this.inFlight.length === 1 && !this.producedSpeech) this.held = this.inFlight.pop();
      else for (let i = 0; i < this.inFlight.length; i++) this.transmit(this.inFlight[i]);
    }
    const played = this.inFlight.shift();
    this.playingNow = played !== undefined;
    if (played) {
      this.echo?.playedReference(played);
      this.spare.push(played);
    } else this.echo?.playedSilence(FRAME_SAMPLES);
    if (t0 >= 0) this.timings?.outbound(performance.now() - t0);
  }

  /**
   * Translated speech has just arrived for this endpoint's listeners: while the far end is playing
   * (by our count), its whole frames are sent now, up to the lead (the frame playing now is already
   * out of `inFlight`), rather than on the next tick: they follow on without a gap even when the
   * translation ran short of a whole frame on a tick.
   */
  topUp(): void {
    if (this.closed || !this.playingNow) return;
    const t0 = this.timings?.timeOutbound() ? performance.now() : -1;
    this.sendAhead(this.leadFrames() - 1);
    if (t0 >= 0) this.timings?.outbound(performance.now() - t0);
  }

  /**
   * Frames in flight (the one the far end plays now included) that audio tolk already holds may
   * fill: none while a live voice or a tone is in the mix (a live voice gives a frame each tick,
   * and a frame sent ahead would leave its next one behind; a tone is made as it plays, and would
   * outlast its end); `PRIME_FRAMES` while a voice is linked to the listener, since it may come in
   * at any moment and would then play behind all that was sent ahead, and so would everything
   * after it; `LEAD_FRAMES` otherwise.
   */
  private leadFrames(): number {
    const mixer = this.mixer;
    if (mixer.toneOn || mixer.voiceLive) return 0;
    return mixer.voiceLinked ? PRIME_FRAMES : LEAD_FRAMES;
  }

  /** Sends whole frames of held audio until `frames` are in flight. */
  private sendAhead(frames: number): void {
    while (this.inFlight.length < frames && this.produce(true, true)) this.transmit(this.inFlight[this.inFlight.length - 1]);
  }

  /**
   * Mixes the next frame (`ahead` of its tick while priming) into `inFlight`; false when there is
   * nothing to hear. While the far end still has a frame in hand, a translation short of a whole
   * frame waits for the rest (nothing is sent) rather than ending its utterance.
   */
  private produce(ahead: boolean, hold = this.inFlight.length > 0): boolean {
    const frame = this.mixer.nextFrame(ahead, hold);
    if (!frame) return false;
    this.producedSpeech = this.mixer.lastHadSpeech;
    const copy = this.spare.pop() ?? new Int16Array(FRAME_SAMPLES);
    copy.set(frame);
    this.inFlight.push(copy);
    return true;
  }

  private transmit(frame: Int16Array): void {
    // When the connection is backpressured the frame is still queued by the adapter (which drops
    // past a hard cap), and we note it.
    if (!this.media.send(frame) && this.backpressured++ % 50 === 0) {
      this.logger.warn({ event: 'leg.backpressure', bufferedBytes: this.media.bufferedBytes }, 'media socket backpressured');
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.media.off('audio', this.onAudio);
    this.listeners = [];
    this.inTime = [];
  }

  /**
   * `frame` and its samples belong to the media adapter and are reused: listeners copy what they
   * keep (so does the jitter buffer). The echo is removed as the audio arrives, in step with what
   * was played when it was sent.
   */
  private readonly onAudio = (frame: PcmFrame): void => {
    if (this.closed) return;
    const t0 = this.timings?.timeInbound() ? performance.now() : -1;
    let pcm = frame.samples;
    if (this.echo) pcm = this.echo.processMic(pcm);
    this.arrivedMs = frame.atMs + samplesToMs(pcm.length);
    this.jitter.push(pcm, this.clock.position());
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i](pcm, this.arrivedMs);
    if (t0 >= 0) this.timings?.inbound(performance.now() - t0);
  };
}
