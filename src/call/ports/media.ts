/**
 * The participant media port: one audio connection tolk holds in a call (a phone leg's media
 * stream today), as PCM16 frames that say their sample rate. The telephony adapter does the
 * codec (Twilio: mu-law) on its side of this port.
 */

/**
 * One frame of audio received on a connection. The adapter reuses the object and its `samples`
 * for the next frame: both are valid only during the listener call (copy what you keep).
 */
export interface PcmFrame {
  samples: Int16Array;
  sampleRate: number;
  /** Milliseconds of the connection's media clock at which this frame begins. */
  atMs: number;
}

/**
 * Why a connection ended: `ended`, the telephony ended it (the party hung up, the stream was
 * stopped, the socket closed); `lost`, the adapter closed it because its media was lost (nothing
 * arrived for too long, or what arrived was unusable), `detail` saying which.
 */
export type MediaEnd = { cause: 'ended' } | { cause: 'lost'; detail: string };

export interface ParticipantMediaEvents {
  audio: (frame: PcmFrame) => void;
  /** The connection ended (see `MediaEnd`); emitted exactly once. */
  end: (why: MediaEnd) => void;
}

export interface ParticipantMedia {
  /** Which endpoint of its call this connection is (the name tolk gave when it asked for it). */
  readonly endpoint: string;
  /** The telephony's id of the leg it belongs to (Twilio: the call SID). */
  readonly legRef: string;
  /** The telephony's id of the media stream itself (Twilio: the stream SID). */
  readonly streamRef: string;
  /** Rate of the frames it delivers and of those given to `send`. */
  readonly sampleRate: number;
  /**
   * Queues one frame for the party to hear (PCM16 at `sampleRate`; the array is not kept).
   * Returns false while the connection is backpressured (the audio is still queued, up to the
   * adapter's hard cap).
   */
  send(samples: Int16Array): boolean;
  /** Bytes queued on the way to the party and not yet written to the network. */
  readonly bufferedBytes: number;
  /** Ends the connection from tolk's side. */
  close(): void;
  on<E extends keyof ParticipantMediaEvents>(event: E, listener: ParticipantMediaEvents[E]): this;
  off<E extends keyof ParticipantMediaEvents>(event: E, listener: ParticipantMediaEvents[E]): this;
}
