/**
 * Where call records live. Every method is async so that a database-backed store can implement
 * the same contract; the in-memory store is the default and the reference implementation.
 */
import { randomUUID } from 'node:crypto';
import type { CallLeg, CallOutcome, CallRecord, CallRecordPatch, CallRecordWithTranscript, NewCallRecord, Utterance } from './call-record';

export interface CallListQuery {
  /** Only calls to this tolk number (E.164). */
  number?: string;
  /** Only calls started at or after this time. */
  from?: Date;
  /** Only calls started before this time. */
  to?: Date;
  outcome?: CallOutcome;
  /** Only calls in this state (e.g. 'scheduled'). */
  state?: string;
  /** Only calls whose id starts with this (visible ASCII, see `isCallIdPrefix`). */
  idPrefix?: string;
  /** Page size, 1..MAX_LIST_LIMIT. */
  limit: number;
  /** `nextCursor` of the previous page; omit for the first page. */
  cursor?: string;
}

export interface CallListPage {
  /** Newest first (by startedAt, then id), without transcripts. */
  items: CallRecord[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

export const MAX_LIST_LIMIT = 500;

/** A requested page size as the stores use it: a whole number from 1 to MAX_LIST_LIMIT. */
export function pageLimit(limit: number): number {
  return Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(limit)));
}

/** Longest call id looked up (tolk's ids are UUIDs), and so longest id prefix. */
export const MAX_CALL_ID_LENGTH = 128;

/**
 * A prefix the stores can look up exactly: 1 to MAX_CALL_ID_LENGTH visible ASCII characters. The
 * SQL store matches it as the key range [prefix, prefix with its last character incremented),
 * which holds in byte order (SQLite's BINARY, PostgreSQL's "C") only for such characters.
 */
export function isCallIdPrefix(prefix: string): boolean {
  return prefix.length >= 1 && prefix.length <= MAX_CALL_ID_LENGTH && /^[\x21-\x7e]+$/.test(prefix);
}

/** The least string greater than every string that starts with `prefix` (an `isCallIdPrefix`). */
export function idPrefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export interface UnservedQuery {
  instance: string;
  startedBefore: Date;
  seenBefore: Date;
  limit: number;
}

/** Which ended calls to erase (see `CallRecordStore.ended`). */
export interface EndedQuery {
  /** Calls that ended before this time. */
  endedBefore: Date;
  /** Only calls whose `from` is this number (the caller; for a call tolk placed, the customer). */
  from?: string;
  limit: number;
  /** Skip this many of them first (to read past the first page without erasing it: a dry run). */
  offset?: number;
}

export interface CallEnd {
  outcome: CallOutcome;
  endReason: string;
  endedAt: Date;
}

export interface CallRecordStore {
  /**
   * Stores a new record and returns it (with its id). Rejects if the id is already taken, and with
   * CallSidTakenError (storing nothing) if a leg's CallSid already belongs to a stored call: a
   * Twilio call starts at most one tolk call, however often its webhook arrives.
   */
  create(record: NewCallRecord): Promise<CallRecord>;
  /**
   * Changes fields of a record; resolves false if there is no such call (e.g. evicted). New legs'
   * CallSids are remembered for the call (one already another call's stays with that call).
   */
  update(id: string, patch: CallRecordPatch): Promise<boolean>;
  /**
   * `update`, only while the call is live (no outcome yet); resolves false once it has ended (its
   * end, written first, stays as it is) or if there is no such call.
   */
  updateLive(id: string, patch: CallRecordPatch): Promise<boolean>;
  /**
   * Replaces a live call's legs with `change` of them as stored, resolving false once it has ended
   * or if there is no such call (or, the legs changing under it again and again, after 5 tries). A
   * write of the legs landing between the read and this write is not lost: `change` is made again
   * on what it wrote. New legs' CallSids are remembered as `update` does.
   */
  updateLegs(id: string, change: (legs: CallLeg[]) => CallLeg[]): Promise<boolean>;
  /** The call one of whose legs had this CallSid. */
  findByCallSid(callSid: string): Promise<CallRecord | undefined>;
  /**
   * Marks live calls (no outcome yet) as still served at `at`: the instance serving them is up.
   * A new record counts as seen when it started.
   */
  touch(ids: readonly string[], at: Date): Promise<void>;
  /**
   * Changes fields of a record only if it is in state `from` with no outcome yet; resolves false
   * otherwise (another instance or request moved it first) or if there is no such call.
   */
  transition(id: string, from: string, patch: CallRecordPatch): Promise<boolean>;
  /**
   * Live calls (no outcome, not waiting to be placed: state 'scheduled') that no instance serves: those of `instance` started before
   * `startedBefore` (its previous run), and any not marked as served since `seenBefore`. Oldest
   * first, at most `limit`.
   */
  unserved(query: UnservedQuery): Promise<CallRecord[]>;
  /**
   * Ends a live call's record (state 'ended', outcome, reason and time) only if it has no outcome
   * yet; resolves false if it has one (someone closed it first) or there is no such call.
   */
  close(id: string, end: CallEnd): Promise<boolean>;
  /** Appends a final utterance to the call's transcript; resolves false if there is no such call. */
  appendUtterance(id: string, utterance: Utterance): Promise<boolean>;
  get(id: string): Promise<CallRecordWithTranscript | undefined>;
  list(query: CallListQuery): Promise<CallListPage>;
  /** Ids of ended calls (with an outcome) that match, the earliest ended first, at most `limit` (1..MAX_LIST_LIMIT). */
  ended(query: EndedQuery): Promise<string[]>;
  /**
   * Erases ended calls with their transcripts and the CallSids they had; a call still live (no
   * outcome) is kept. Resolves how many were erased.
   */
  erase(ids: readonly string[]): Promise<number>;
}

/** What every store takes: its transcript cap and how it makes ids. */
export interface CallRecordStoreOptions {
  /** Utterances kept per call; later ones are counted in `droppedUtterances`. Default 5000. */
  maxUtterancesPerCall?: number;
  /** Generates ids for records created without one. Default: random UUIDs. */
  newId?: () => string;
}

/** `opts` with their defaults; RangeError for a transcript cap that is not a positive whole number. */
export function storeSettings(opts: CallRecordStoreOptions): { maxUtterances: number; newId: () => string } {
  return { maxUtterances: positiveInt(opts.maxUtterancesPerCall ?? 5000, 'maxUtterancesPerCall'), newId: opts.newId ?? randomUUID };
}

/** `n`, or RangeError naming the option `name` unless it is a positive whole number. */
export function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}

/** The state of a call tolk will place later: nobody serves it until it starts. */
export const SCHEDULED_STATE = 'scheduled';

export class CallSidTakenError extends Error {
  readonly status = 409;
  constructor(readonly callSid: string) {
    super(`CallSid ${callSid} already started a call`);
    this.name = 'CallSidTakenError';
  }
}

export class InvalidCursorError extends Error {
  readonly status = 400;
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

/** Position in the newest-first order, encoded opaquely so a database can use keyset paging. */
export interface CursorKey {
  startedAt: number;
  id: string;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.startedAt, key.id])).toString('base64url');
}

/** Longest cursor accepted: one this store made is far shorter. */
export const MAX_CURSOR_LENGTH = 512;
/** Longest call id a cursor may carry. */
const MAX_CURSOR_ID_LENGTH = 128;
/** The latest time a Date can hold. */
const MAX_TIME_MS = 8.64e15;

/** The key a cursor holds; InvalidCursorError unless it is one `encodeCursor` could have made. */
export function decodeCursor(cursor: string): CursorKey {
  if (cursor.length > MAX_CURSOR_LENGTH) throw new InvalidCursorError();
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      Number.isSafeInteger(v[0]) &&
      Math.abs(v[0] as number) <= MAX_TIME_MS &&
      typeof v[1] === 'string' &&
      v[1].length <= MAX_CURSOR_ID_LENGTH
    ) {
      return { startedAt: v[0] as number, id: v[1] };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}

/** Newest-first ordering shared by every store: startedAt descending, then id descending. */
export function compareNewestFirst(a: CursorKey, b: CursorKey): number {
  if (a.startedAt !== b.startedAt) return b.startedAt - a.startedAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
