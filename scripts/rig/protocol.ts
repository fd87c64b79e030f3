/** Messages between scripts/bench.ts and the rig processes (Node IPC). */

export interface TwilioRigConfig {
  accountSid: string;
  authToken: string;
  /** tolk's base URL (its webhooks). */
  tolkBase: string;
  tolkNumber: string;
  /** Seconds of speech in each party's timeline (it repeats after). */
  callSec: number;
  /** How long tolk's dialled party takes to answer. */
  answerAfterMs: number;
  /** Pause between two calls placed. */
  spacingMs: number;
  /** Every n-th call is timed end to end. */
  sampleEvery: number;
  /** The rig model's latency, taken off the delays it measures. */
  modelLatencyMs: number;
  /** Keeps what the listeners of sampled calls hear (`recordings`). */
  record: boolean;
  /** How long a leg's WebSocket handshake may take (ms) before the leg counts in `errors`. */
  handshakeTimeoutMs: number;
}

export type TwilioRigCommand =
  | { type: 'dial'; calls: number }
  | { type: 'floorDial'; calls: number; url: string }
  | { type: 'measure'; from: number }
  | { type: 'stats' }
  | { type: 'recordings' }
  | { type: 'hangupAll' };

export interface TwilioRigStats {
  legs: number;
  /** Media messages sent since `measure`. */
  framesSent: number;
  /** Media messages received from the server (tolk or the floor) since `measure`. */
  framesReceived: number;
  /** Frames not sent because a socket was too far behind. */
  sendSkipped: number;
  /** Ticks of the rig's 20 ms clock since `measure`: every open leg is sent a frame (or skips one) on each. */
  ticks: number;
  /** Worst lateness of the rig's 20 ms clock since `measure`. */
  tickLateMaxMs: number;
  /**
   * Since the rig started: what the server sent that was none of Twilio's media (20 ms, on the
   * leg's stream), mark or clear messages, or broke the WebSocket protocol.
   */
  unexpectedMessages: number;
  /**
   * Since the rig started: legs it could not open (their WebSocket handshake failed or timed out).
   * Each such call was ended (its status callback says completed); a floor leg is left out.
   */
  errors: number;
  /** Added delay of each timed utterance heard since `measure` (ms, the model's latency taken off). */
  delays: number[];
}

/** What one listener of a sampled call heard, as Twilio would play it (8 kHz PCM16, base64, from the leg's start). */
export interface RigRecording {
  role: 'caller' | 'agent';
  callSid: string;
  heard: string;
}

export type TwilioRigReply =
  | { type: 'ready'; port: number }
  | { type: 'dialed' }
  | { type: 'measuring' }
  | { type: 'hungUp' }
  | { type: 'stats'; stats: TwilioRigStats }
  | { type: 'recordings'; recordings: RigRecording[] };

export interface GeminiRigConfig {
  modelLatencyMs: number;
  /** The model says back what it heard (16 kHz in, 24 kHz out) instead of its steady voice. */
  echo: boolean;
}

export type GeminiRigCommand = { type: 'measure' } | { type: 'stats' };

export interface GeminiRigStats {
  sessions: number;
  inputMessages: number;
  outputMessages: number;
  /** Worst lateness of a reply past its due time (the message's arrival plus the model latency) since `measure`, ms. */
  replyLateMaxMs: number;
  /** Since the rig started: replies it failed to send and commands it failed to handle. */
  errors: number;
}

export type GeminiRigReply = { type: 'ready'; port: number } | { type: 'measuring' } | { type: 'stats'; stats: GeminiRigStats };
