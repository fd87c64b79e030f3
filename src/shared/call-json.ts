/**
 * Call records as the admin API returns them (`/api/calls`, dates as ISO strings): what the CLI's
 * client and the web console read. The console's bundle imports this file too (console/src): it
 * stays pure and imports nothing.
 */

export interface CallLegJson {
  role: string;
  callSid: string;
  streamSid?: string;
  language: string;
  /** How the language became known, where it was not given (a conference's: detected, deduced, spoken). */
  languageSource?: string;
  /** When tolk dialled the leg, while nobody has joined on it (it rings, or rang unanswered). */
  dialledAt?: string;
}

export interface CallJson {
  id: string;
  /** Present for a conference, with the conference's name. */
  kind?: 'conference';
  conference?: string;
  number: string;
  from: string;
  destination: string;
  legs: CallLegJson[];
  languages: { caller: string; agent: string };
  state: string;
  outcome?: string;
  /** Why it ended, in a few words. */
  endReason?: string;
  /** The tolk instance serving it while it is live (the last one that served it, once it ended). */
  instance?: string;
  /** Each time the live call moved to another instance (a rolling deploy), in order. */
  moves?: { from: string; to: string; at: string }[];
  /** Present for a call tolk places: `from` is the customer it calls; `attempts`: how many have started. */
  outbound?: { at?: string; dueAt: string; attempts: number; retries: number; retryAfterSec: number; callerLanguage?: string };
  startedAt: string;
  answeredAt?: string;
  endedAt?: string;
  /** How long it was connected (answered to ended), once it ended having been answered. */
  durationMs?: number;
  /** Its interpretation failed for good: the failure kind, and in plain words with the setting to check. */
  interpretationFailure?: { kind: string; message: string };
}

export interface UtteranceJson {
  /** The route: 'caller->agent', 'agent->caller' in a direct call; 'to:<language>' in a conference. */
  direction: string;
  /** The role and call SID of who said it; absent where tolk cannot tell. */
  speaker?: { role: string; callSid: string };
  source: { text: string; languageCode: string };
  translation: { text: string; languageCode: string };
  startMs: number;
  endMs: number;
  /** End of speech to the first translated audio heard, when measured. */
  latencyMs?: number;
  lagMs?: number;
}

export interface CallWithTranscriptJson extends CallJson {
  transcript: UtteranceJson[];
  droppedUtterances: number;
}
