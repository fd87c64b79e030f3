/**
 * What tolk keeps about each call: who called which number, the legs, the languages, the times,
 * how it ended, and the transcript (every final utterance with its translation). Plain data, so
 * the same shape serialises to JSON for the admin API and maps onto database rows later.
 */

/** A participant's connection. A call holds legs, so a third one (an interpreter) fits later. */
export type LegRole = 'caller' | 'agent' | 'participant' | 'interpreter';

export const LEG_ROLES: readonly LegRole[] = ['caller', 'agent', 'participant', 'interpreter'];

export interface CallLeg {
  role: LegRole;
  /** Twilio Call SID of this leg. */
  callSid: string;
  /** Twilio Media Stream SID, once the leg's stream has started. */
  streamSid?: string;
  /** Language spoken on this leg (supported code). */
  language: string;
  /**
   * How `language` became known, where it was not given: the source of the change that set it. A
   * conference's are 'detected' (heard while another party's language was in doubt too, so it may
   * be theirs), 'deduced' (heard while every other party's was known, so it can only be this
   * leg's) and 'spoken' (heard in two lines in a row the conference's speech reports put down to this leg: a
   * party who shares a language with another); a direct call's caller's are those of its language
   * (menu, remembered, detected...).
   */
  languageSource?: string;
  /**
   * When tolk dialled this leg (ISO 8601), while no party has joined on it (it rings, or rang
   * unanswered): a leg tolk dialled is listed from then on (an instance adopting a conference whose
   * agent still rings waits on that leg rather than dialling again). Absent once its party joined.
   */
  dialledAt?: string;
}

/** How a call ended; set together with `endedAt`. */
export type CallOutcome =
  | 'completed' // both parties talked; someone hung up
  | 'busy' // the destination was busy
  | 'no-answer' // the destination did not answer
  | 'failed' // the destination could not be dialled
  | 'canceled' // the caller hung up before the agent answered, or a call tolk was to place was cancelled
  | 'unknown-number' // the dialled number is not configured
  | 'hungup_by_operator' // an operator ended it (POST /api/calls/{id}/hangup, tolk calls hangup)
  | 'timeout' // a step waited on the phone network past its deadline; tolk hung up what was still up
  | 'media_lost' // a party's media stopped reaching tolk (no media for too long, or unusable); tolk closed the stream and hung up what was still up
  | 'interrupted' // tolk stopped serving the call: it crashed or was killed (closed when it came back), or it shut down after its drain timeout
  | 'instance_lost' // the instance serving the call died; another instance of the cluster closed it
  | 'error'; // tolk itself failed

export const CALL_OUTCOMES: readonly CallOutcome[] = [
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
  'unknown-number',
  'hungup_by_operator',
  'timeout',
  'media_lost',
  'interrupted',
  'instance_lost',
  'error',
];

export interface TranscriptText {
  text: string;
  languageCode: string;
}

/** Who said an utterance: the leg it was heard on. */
export interface UtteranceSpeaker {
  role: LegRole;
  /** Twilio Call SID of the speaker's leg. */
  callSid: string;
}

/** One final utterance and its translation. */
export interface Utterance {
  /**
   * Route it travelled: `<speaker role>-><listener role>` in a direct call ('caller->agent',
   * 'agent->caller'), `to:<language>` in a conference ('to:en').
   */
  direction: string;
  /**
   * Who spoke it, when tolk can tell: in a direct call each route hears one party; in a conference
   * the one party there who alone can have said it (call/speaker-ledger.ts), absent otherwise.
   */
  speaker?: UtteranceSpeaker;
  source: TranscriptText;
  translation: TranscriptText;
  /** Milliseconds from the call's start to the start and end of the speech. */
  startMs: number;
  endMs: number;
  /** From the end of the speech to the first translated audio the listener heard, when measured. */
  latencyMs?: number;
  /** From the start of the speech to the start of its translation heard (the listener's lag behind the speaker), when measured. */
  lagMs?: number;
}

/** What was interpreted: a caller bridged to a destination, or a conference (absent: direct). */
export type CallKind = 'direct' | 'conference';

export interface CallRecord {
  /** tolk's call id (the one in every log line of the call). */
  id: string;
  /** Present for a conference only. */
  kind?: 'conference';
  /** The conference interpreted (its name), for kind 'conference'. */
  conference?: string;
  /** The tolk number dialled (E.164). */
  number: string;
  /** The caller's number as Twilio reports it. */
  from: string;
  /** Who tolk dialled for this call (E.164, sip: or client:). */
  destination: string;
  legs: CallLeg[];
  /** The languages configured for the call when it started. */
  languages: { caller: string; agent: string };
  /** The bridge's state machine state (e.g. 'ringing', 'bridged', 'ended'). */
  state: string;
  outcome?: CallOutcome;
  /** Why it ended, in a few words (set with `outcome`). */
  endReason?: string;
  /** The tolk instance serving the call while it is live (TOLK_INSTANCE_ID). */
  instance?: string;
  /** Each time the call moved to another instance while live (a rolling deploy), in order. */
  moves?: CallMove[];
  /** Its interpretation failed for good (the first translation session that did; the call went on uninterpreted). */
  interpretationFailure?: InterpretationFailure;
  /** Present for a call tolk placed (POST /api/calls): `from` is the customer it calls. */
  outbound?: OutboundPlan;
  /** When the record was made; for a call tolk placed, updated when an attempt starts. */
  startedAt: Date;
  answeredAt?: Date;
  endedAt?: Date;
}

/** Why a call's interpretation failed: the session's failure kind, and in plain words with the setting to check. */
export interface InterpretationFailure {
  kind: string;
  message: string;
}

/** A live call moving from one tolk instance to another. */
export interface CallMove {
  from: string;
  to: string;
  at: Date;
}

/** When and how often tolk calls the customer of a call it places. */
export interface OutboundPlan {
  /** The time asked for (a scheduled call); absent: placed at once. */
  at?: Date;
  /** When the next attempt is due (the first: `at`, or when it was asked for). */
  dueAt: Date;
  /** Attempts started so far. */
  attempts: number;
  /** Further attempts after a busy, unanswered or failed one (0: none). */
  retries: number;
  /** Seconds between an attempt that failed and the next. */
  retryAfterSec: number;
  /** The customer's language as the call asked for it (absent: the number's, or the one remembered for them). */
  callerLanguage?: string;
}

/** A record with its transcript, in the order the utterances became final. */
export interface CallRecordWithTranscript extends CallRecord {
  transcript: Utterance[];
  /** Utterances not kept because the per-call transcript limit was reached. */
  droppedUtterances: number;
}

/** What `create` needs; `id` is generated when left out, `legs` default to none. */
export type NewCallRecord = Omit<CallRecord, 'id' | 'legs'> & { id?: string; legs?: CallLeg[] };

/** Fields `update` may change; `legs` replaces the whole list. */
export type CallRecordPatch = Partial<Omit<CallRecord, 'id'>>;
