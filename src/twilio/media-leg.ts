import type { MediaEnd } from '../call/ports';

/**
 * The contract between the Twilio edge and the call bridge: one authenticated bidirectional Media
 * Stream (one call leg). The edge hands a `MediaLeg` to the bridge only after the stream's `start`
 * message carried a valid, unused stream token for that call SID.
 */

/** Which party a leg carries: 'caller' | 'agent' now; 'interpreter' later. */
export type LegRole = string;

/** One chunk of inbound audio on the leg's media clock. */
export interface MediaFrame {
  /** 8 kHz mu-law bytes, any length. */
  payload: Uint8Array;
  /** Milliseconds of the media clock since stream start at which this payload begins. */
  timestampMs: number;
  /** True for silence (0xFF) inserted by the edge to fill a gap in Twilio's timestamps. */
  synthetic: boolean;
}

export interface MediaLegEvents {
  media: (frame: MediaFrame) => void;
  dtmf: (digit: string) => void;
  /** Twilio echoed a mark: the audio before it has played, or it was cleared. */
  mark: (name: string) => void;
  /**
   * The stream ended: `stop` message or the socket closed (`ended`), or the edge closed it as dead
   * or misbehaving (`lost`); emitted exactly once.
   */
  stop: (why: MediaEnd) => void;
  /** Outbound backpressure has eased after `sendMedia` returned false. */
  drain: () => void;
}

export interface MediaLeg {
  readonly callSid: string;
  readonly streamSid: string;
  readonly accountSid: string;
  readonly role: LegRole;
  readonly customParameters: Readonly<Record<string, string>>;
  /**
   * Queues mu-law audio for playback. Returns false when the socket is backpressured (its buffer is
   * over the high-water mark): the caller should wait for 'drain'. Above a hard cap the audio is
   * dropped (and counted) rather than buffered without bound.
   */
  sendMedia(mulaw: Uint8Array): boolean;
  /** Asks Twilio to echo `name` once all audio sent before it has played. */
  sendMark(name: string): void;
  /** Empties Twilio's playback buffer; pending marks come back at once. */
  clear(): void;
  /** Bytes queued on the socket and not yet written to the network. */
  readonly bufferedBytes: number;
  /** Closes the WebSocket; Twilio then continues with the TwiML after `<Connect>` (or ends the call). */
  close(): void;
  on<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): this;
  off<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): this;
}
