/**
 * The conference port: what the call core asks of a telephony that runs conferences (Twilio:
 * the Participants and Conferences REST API, TwiML App legs) and what the conference reports back,
 * in the core's own words. A conference is named by `conference` (Twilio: its friendly name or
 * SID); a leg by `legRef` (Twilio: call SID).
 */

export interface AddPartyRequest {
  /** tolk's call id: the leg's status reports come back to this call. */
  callId: string;
  conference: string;
  /** E.164, `sip:` or `client:`. */
  destination: string;
  /** The number shown to the destination as caller id. */
  callerId: string;
  ringTimeoutSec: number;
}

export interface AddInterpreterRequest {
  callId: string;
  conference: string;
  /** The endpoint of the call its media feeds. */
  endpoint: string;
  /** The number the leg is placed from. */
  callerId: string;
  /** Whisper: the leg is heard only by this party (its legRef); none: it speaks into the room. */
  whisperTo?: string;
  /** Which instance's legs these are for the call (1: the first; a moved call's new legs join beside the old ones). */
  generation?: number;
}

/** A party in a conference as the telephony lists it. */
export interface ConferenceMember {
  legRef: string;
  /** The telephony's label of the participant, when it has one. */
  label?: string;
  /** The member whispers to another (an interpreter or a coach): it is not a party to interpret. */
  whispering: boolean;
}

export interface ConferenceInfo {
  /** The telephony's stable id of the conference (Twilio: the CF... SID). */
  ref: string;
  name: string;
  members: ConferenceMember[];
}

export interface ConferenceTelephony {
  /** Dials a party into the conference; resolves with its leg's reference once the network accepted it. */
  addParty(req: AddPartyRequest): Promise<string>;
  /**
   * Adds an interpreter leg (its media comes back to `endpoint` of the call); resolves with its
   * leg's reference. Rejects with WhisperRefusedError when the telephony cannot whisper.
   */
  addInterpreter(req: AddInterpreterRequest): Promise<string>;
  /** The live conference (by name or ref) and its members, or undefined if there is none. */
  find(conference: string): Promise<ConferenceInfo | undefined>;
  /** Takes a leg out of the conference (hangs it up). */
  removeLeg(conference: string, legRef: string): Promise<void>;
  /** Ends the conference for everyone. */
  end(conference: string): Promise<void>;
  /**
   * Says `text` (in voice locale `locale`) to one member of the conference, heard by them alone,
   * while they stay in it (Twilio: the participant's `announceUrl`).
   */
  announce(conference: string, legRef: string, text: string, locale: string): Promise<void>;
  /**
   * Follows a conference tolk joined but did not create (its status callbacks go to whoever created
   * it): reports members joining and leaving and the conference ending, until the returned function
   * is called.
   */
  watch(conference: ConferenceInfo, onEvent: (e: ConferenceEvent) => void): () => void;
}

/**
 * Why a member left a conference: it hung up, it was taken out (by the REST API, or its call was
 * given other instructions), or it was let go because the conference ended.
 */
export type LeaveCause = 'hung-up' | 'removed' | 'conference-ended';

/** What a conference reports about itself. */
export type ConferenceEvent =
  | { type: 'started'; conferenceRef: string }
  /** `endedBy`: the leg whose leaving ended it (Twilio: CallSidEndingConference), where the telephony says. */
  | { type: 'ended'; conferenceRef: string; endedBy?: string }
  | { type: 'joined'; conferenceRef: string; legRef: string; whispering: boolean }
  /** `cause`: why the member left, where the telephony says (Twilio: ReasonParticipantLeft). */
  | { type: 'left'; conferenceRef: string; legRef: string; cause?: LeaveCause }
  /**
   * A member started (`speaking`) or stopped speaking: reported only for a conference tolk created.
   * `sequence` orders the reports (they may arrive out of order); the report reached tolk
   * `sinceArrivalMs` before it is handed over.
   */
  | { type: 'speech'; conferenceRef: string; legRef: string; speaking: boolean; sequence?: number; sinceArrivalMs?: number };

/**
 * An interpreter leg could not be placed: the telephony refused it for good (Twilio: a 4xx, e.g.
 * 21218 for a TwiML App it does not have; placing it again would fail the same way), or still
 * failed in a way that may pass (`temporary`: Twilio 429 or 5xx) once the leg's retries within its
 * time to be placed ran out: it may be placed later.
 */
export class InterpreterLegRefusedError extends Error {
  readonly temporary: boolean;

  constructor(
    readonly reason: string,
    opts: { temporary?: boolean } = {},
  ) {
    super(`interpreter leg refused${opts.temporary ? ' for now' : ''}: ${reason}`);
    this.name = 'InterpreterLegRefusedError';
    this.temporary = opts.temporary ?? false;
  }
}

/** The telephony will not let a leg whisper to one party (Twilio: error 16000, no Agent Conference). */
export class WhisperRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`whisper refused: ${reason}`);
    this.name = 'WhisperRefusedError';
  }
}
