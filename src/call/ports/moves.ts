/**
 * Moving a live call between instances of one cluster (a rolling deploy): the instance shutting
 * down asks another to adopt each call; the adopter rebuilds it from the store, opens its
 * translation sessions, takes it over in the directory and has the telephony bring the call's
 * media to itself. The cluster (src/cluster/) carries the request between instances.
 */

/** What the instance giving a call up sends the one adopting it. */
export interface AdoptRequest {
  callId: string;
  /** The instance serving the call now. */
  from: string;
  /**
   * A conference: the interpretation in effect, the interpreter legs the giving instance holds (no
   * party of it), and the parties (their legs) told that interpretation is unavailable to them (not
   * told again).
   */
  conference?: { mode: 'whisper' | 'open'; interpreterLegs: string[]; told?: string[] };
}

export type AdoptResult =
  | { ok: true }
  /**
   * The adopter did not take the call. `kept`: the call is still the giving instance's (nothing
   * was changed at the telephony), which serves it on; false: its media was moved, and the
   * adopter deals with the call.
   */
  | { ok: false; reason: string; kept: boolean };

/** How the instance giving a call up reaches the one adopting it. */
export type SendAdoption = (to: string, req: AdoptRequest) => Promise<AdoptResult>;

/**
 * The utterance in progress when a call's media moved (8 kHz PCM16, at most `HAND_OVER_SPEECH_MS`
 * each), sent by the giving instance once the adopter has the call: the adopter's routes start with
 * it, so it is translated, and written, once and whole. A direct call hands each party's own
 * ('caller', 'agent'); a conference hands its room's ('room': every voice in it, as tolk's
 * interpreter legs hear them mixed), which each of its languages' routes starts with.
 */
export interface SpeechHandOver {
  callId: string;
  /** The instance handing it over: taken only from the one the call was adopted from. */
  from: string;
  speech: { endpoint: SpeechSource; pcm: Int16Array }[];
}

/** Whose speech in progress is handed over: a direct call's party, or a conference's room. */
export type SpeechSource = 'caller' | 'agent' | 'room';

/**
 * What the adopter made of speech handed over: 'taken'; 'late' (the call no longer waits for it:
 * its routes started without it); 'no-call' (no such call is live here); 'not-served-by-sender'
 * (the call was not adopted from the sender: refused).
 */
export type SpeechTaking = 'taken' | 'late' | 'no-call' | 'not-served-by-sender';

/** How the giving instance hands the speech in progress to the adopter; resolves whether it took it. */
export type SendSpeech = (to: string, handOver: SpeechHandOver) => Promise<boolean>;

/** The most speech in progress handed over per party (or room), ms. */
export const HAND_OVER_SPEECH_MS = 4_000;
