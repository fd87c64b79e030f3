/**
 * Table shapes as Kysely sees them, shared by SQLite and PostgreSQL. Column types are chosen to
 * mean the same on both: times are epoch milliseconds in `bigint` columns (pg returns them as
 * strings, SQLite as numbers), booleans are written as 0/1 (PostgreSQL reads '1'/'0' as booleans),
 * lists and menus are JSON text.
 */
import type { ColumnType } from 'kysely';

/** Epoch milliseconds: written as a number, read back as a number or (pg, int8) a string. */
type Millis = ColumnType<number | string, number, number>;
/** Written as 0/1; SQLite reads back 0/1, PostgreSQL true/false. */
type Flag = ColumnType<number | boolean, number | undefined, number>;

export interface NumbersTable {
  number: string;
  destination: string;
  caller_language: string;
  agent_language: string;
  echo_target_language: Flag;
  original_volume: number;
  greeting: string | null;
  /** With caller_language 'auto': the language used until the caller's is detected. */
  default_language: string | null;
  /** JSON list of language codes offered by the DTMF menu, or null for no menu. */
  language_menu: string | null;
  remember_language: Flag;
  /** 'direct' | 'conference', or null: not set (direct). */
  mode: ColumnType<string | null, string | null | undefined, string | null>;
  /** 'whisper' | 'open', or null: not set (whisper). */
  interpretation: ColumnType<string | null, string | null | undefined, string | null>;
  webhook_url: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Millis;
  updated_at: Millis;
}

export interface CallsTable {
  id: string;
  number: string;
  from_number: string;
  destination: string;
  /** JSON list of CallLeg. */
  legs: string;
  caller_language: string;
  agent_language: string;
  state: string;
  /** 'direct' (a caller bridged to a destination) or 'conference' (an interpreted conference). */
  kind: ColumnType<string, string | undefined, string>;
  /** The conference interpreted (its SID or friendly name), for kind 'conference'. */
  conference: ColumnType<string | null, string | null | undefined, string | null>;
  outcome: string | null;
  started_at: Millis;
  answered_at: Millis | null;
  ended_at: Millis | null;
  /** Utterances ever appended (kept and dropped); the next kept line's seq is this + 1. */
  utterance_count: ColumnType<number | string, number | undefined, number>;
  dropped_utterances: ColumnType<number | string, number | undefined, number>;
  end_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** The instance serving the call while it is live, and when it last said so. */
  instance: ColumnType<string | null, string | null | undefined, string | null>;
  seen_at: ColumnType<number | string | null, number | null | undefined, number | null>;
  /** JSON of the OutboundPlan of a call tolk placed (times as ms); null for any other call. */
  outbound: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON of the call's moves between instances ({from, to, at: ms}[]); null when it never moved. */
  moves: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON of the call's InterpretationFailure; null while its interpretation has not failed. */
  interpretation_failure: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface TranscriptLinesTable {
  call_id: string;
  seq: number;
  direction: string;
  source_text: string;
  source_language: string;
  translation_text: string;
  translation_language: string;
  start_ms: number;
  end_ms: number;
  /** Null when no latency was measured (and for lines written before it was kept). */
  latency_ms: ColumnType<number | null, number | null | undefined, number | null>;
  /** Null when no lag was measured (and for lines written before it was kept). */
  lag_ms: ColumnType<number | null, number | null | undefined, number | null>;
  /** The speaker's leg (role and call SID); null when not known (and for lines written before it was kept). */
  speaker_role: ColumnType<string | null, string | null | undefined, string | null>;
  speaker_call_sid: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CallerLanguagesTable {
  number: string;
  caller: string;
  language: string;
  updated_at: Millis;
}

/** Every Twilio CallSid a call has had (caller and dialled legs). */
export interface CallSidsTable {
  call_sid: string;
  call_id: string;
  role: string;
}

/** A webhook delivery owed to a customer (see src/webhooks/deliveries.ts). */
export interface WebhookDeliveriesTable {
  id: string;
  call_id: string;
  event: string;
  url: string;
  /** The JSON body, exactly as it is sent (and signed). */
  payload: string;
  /** 'pending', 'delivered' or 'failed'. */
  status: string;
  attempts: number;
  next_attempt_at: Millis;
  /** After this no retry is scheduled (24 h after the delivery was recorded or retried by hand). */
  retry_until: Millis;
  last_status: number | null;
  last_error: string | null;
  created_at: Millis;
  updated_at: Millis;
  delivered_at: Millis | null;
}

/** Single-use keys, each remembered until it expires. */
export interface ReplayKeysTable {
  key: string;
  expires_at: Millis;
}

export interface StoreDatabase {
  numbers: NumbersTable;
  calls: CallsTable;
  transcript_lines: TranscriptLinesTable;
  caller_languages: CallerLanguagesTable;
  call_sids: CallSidsTable;
  replay_keys: ReplayKeysTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type Dialect = 'sqlite' | 'postgres';

/** bigint columns come back from pg as strings; everything else as numbers. */
export function toNumber(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

export function toBoolean(v: number | boolean): boolean {
  return typeof v === 'boolean' ? v : v !== 0;
}
