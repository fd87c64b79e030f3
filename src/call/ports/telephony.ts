/**
 * The telephony port: what the call core asks of the phone network and what it answers to it, in
 * the core's own words. The Twilio adapter (src/twilio/) turns these into REST calls and TwiML,
 * and Twilio's call statuses into `LegStatus`.
 */

export interface DialRequest {
  /** tolk's call id: the answered leg and its media are tied back to this call. */
  callId: string;
  /** The endpoint of the call the answered leg's media feeds (e.g. 'agent'). */
  endpoint: string;
  /** E.164, `sip:` or `client:`. */
  destination: string;
  /** The tolk number the caller dialled, shown as caller id to the destination. */
  callerId: string;
  /** Seconds to let it ring before giving up (no-answer). */
  ringTimeoutSec: number;
  /** Which attempt at this leg (a call tolk places may call its customer again); default 1. */
  attempt?: number;
}

export interface Telephony {
  /** Places a leg; resolves with its reference (Twilio: call SID) once the network accepted it. */
  dial(req: DialRequest): Promise<string>;
  /** Ends a connected leg (or one still ringing, where `ringing` is true: cancels it). */
  hangUp(legRef: string, opts?: { ringing?: boolean }): Promise<void>;
  /** Speaks `text` to a live leg in `locale` and hangs up (replaces its media). */
  sayAndHangUp(legRef: string, text: string, locale: string): Promise<void>;
  /**
   * Asks the network where a leg is now (not waiting for it to report): undefined when it has no
   * such leg; rejects when it cannot be asked.
   */
  lookUp(legRef: string): Promise<LegReport | undefined>;
  /**
   * Brings a live leg's media to `endpoint` of call `callId` on this instance, replacing what the
   * leg runs now (its current media connection ends). A telephony that cannot leaves it out, and
   * calls are then not moved between instances. Rejects with `LegNotMovedError` when the network
   * refused and nothing moved; any other rejection (no answer in time, a server error after the
   * retries) leaves the outcome unknown: the leg may have moved all the same.
   */
  reconnect?(legRef: string, to: { callId: string; endpoint: string }): Promise<void>;
}

/** The network refused to move a leg (Twilio: a 4xx other than 429, e.g. 21220 for a call no longer in progress): it runs where it did. */
export class LegNotMovedError extends Error {
  constructor(readonly reason: string) {
    super(`the leg was not moved: ${reason}`);
    this.name = 'LegNotMovedError';
  }
}

/** A leg as the phone network describes it when asked. */
export interface LegReport {
  status: LegStatus;
  /** When the leg ended, if it has and the network says. */
  endedAt?: Date;
}

/** Why a leg ended. */
export type LegEndReason = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';

/** Where a leg is, as the phone network reports it. */
export type LegStatus = { state: 'dialing' } | { state: 'ringing' } | { state: 'answered' } | { state: 'ended'; reason: LegEndReason };

/** One entry of a spoken language menu. */
export interface MenuOption {
  /** The key to press. */
  digit: string;
  text: string;
  /** Voice locale to say `text` in. */
  locale: string;
}

/**
 * How the core answers a leg that reached it (a caller on a tolk number, a dialled party picking
 * up, the menu's answer); the telephony adapter renders it (Twilio: TwiML).
 */
export type CallAnswer =
  /** Connect the leg's media to `endpoint` of `callId`, saying `greeting` first when given. */
  | { type: 'connect'; callId: string; legRef: string; endpoint: string; announce?: { greeting?: string; locale: string } }
  /** Offer a spoken menu; the key pressed comes back to `CallService.languageChosen(callId, digits)`. */
  | { type: 'language-menu'; callId: string; options: MenuOption[] }
  /** Say `text` in `locale`, then hang up. */
  | { type: 'say-and-hang-up'; text: string; locale: string }
  /**
   * Put the leg in conference `conference` (saying `greeting` first when given); the conference
   * reports its events to `CallService.conferenceEvent(callId, ...)`, and ends when this leg leaves.
   */
  | { type: 'conference'; callId: string; conference: string; announce?: { greeting?: string; locale: string } };
