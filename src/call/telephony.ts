/**
 * What the call core asks of the phone network, kept abstract so the call logic does not know about
 * Twilio's REST shapes (the Twilio adapter implements it; tests use a fake).
 */
export interface DialRequest {
  /** tolk's call id: the answered leg's stream is tied back to this call. */
  callId: string;
  /** E.164, `sip:` or `client:`. */
  destination: string;
  /** The tolk number the caller dialled, shown as caller id to the destination. */
  callerId: string;
  /** Seconds to let it ring before giving up (no-answer). */
  ringTimeoutSec: number;
}

export interface Telephony {
  /** Places the other leg; resolves with its call SID once the network accepted the request. */
  dial(req: DialRequest): Promise<string>;
  /** Ends a connected call (or one still ringing, where `ringing` is true: cancels it). */
  hangUp(callSid: string, opts?: { ringing?: boolean }): Promise<void>;
  /** Speaks `text` to a live call in `sayLocale` and hangs up (replaces its stream). */
  sayAndHangUp(callSid: string, text: string, sayLocale: string): Promise<void>;
}
