/**
 * Call records in process memory, bounded: the newest `maxCalls` calls are kept (finished calls are
 * evicted before ongoing ones), and each transcript keeps at most `maxUtterancesPerCall` lines.
 * CallSids outlive their evicted calls (up to ten times `maxCalls` of them), so a CallSid seen
 * recently never starts a second call. Records are copied in and out, so callers never share
 * mutable state with the store.
 */
import type { CallLeg, CallRecord, CallRecordPatch, CallRecordWithTranscript, NewCallRecord, Utterance } from './call-record';
import {
  CallSidTakenError,
  compareNewestFirst,
  decodeCursor,
  encodeCursor,
  isCallIdPrefix,
  MAX_CALL_ID_LENGTH,
  pageLimit,
  positiveInt,
  SCHEDULED_STATE,
  storeSettings,
  type CallListPage,
  type CallEnd,
  type CallListQuery,
  type CallRecordStore,
  type CallRecordStoreOptions,
  type EndedQuery,
  type UnservedQuery,
} from './call-record-store';

export interface InMemoryCallRecordStoreOptions extends CallRecordStoreOptions {
  /** Calls kept; the oldest finished call is evicted first. Default 1000. */
  maxCalls?: number;
}

interface Entry {
  record: CallRecord;
  transcript: Utterance[];
  dropped: number;
  /** When the instance serving it last said so (ms). */
  seenAt: number;
}

export class InMemoryCallRecordStore implements CallRecordStore {
  private readonly calls = new Map<string, Entry>(); // insertion order = creation order
  /** CallSid -> call id, oldest first. */
  private readonly callSids = new Map<string, string>();
  private readonly maxCalls: number;
  private readonly maxUtterances: number;
  private readonly newId: () => string;

  constructor(opts: InMemoryCallRecordStoreOptions = {}) {
    this.maxCalls = positiveInt(opts.maxCalls ?? 1000, 'maxCalls');
    const settings = storeSettings(opts);
    this.maxUtterances = settings.maxUtterances;
    this.newId = settings.newId;
  }

  /** Number of calls currently held. */
  get size(): number {
    return this.calls.size;
  }

  create(input: NewCallRecord): Promise<CallRecord> {
    const id = input.id ?? this.newId();
    if (this.calls.has(id)) return Promise.reject(new Error(`call ${id} already exists`));
    const record: CallRecord = structuredClone({ ...input, id, legs: input.legs ?? [] });
    const taken = record.legs.find((l) => this.callSids.has(l.callSid) && this.callSids.get(l.callSid) !== id);
    if (taken) return Promise.reject(new CallSidTakenError(taken.callSid));
    if (this.calls.size >= this.maxCalls) this.evictOne();
    this.calls.set(id, { record, transcript: [], dropped: 0, seenAt: record.startedAt.getTime() });
    this.remember(id, record.legs);
    return Promise.resolve(structuredClone(record));
  }

  findByCallSid(callSid: string): Promise<CallRecord | undefined> {
    const entry = this.calls.get(this.callSids.get(callSid) ?? '');
    return Promise.resolve(entry && structuredClone(entry.record));
  }

  private remember(id: string, legs: readonly CallLeg[]): void {
    for (const { callSid } of legs) {
      if (callSid === '' || this.callSids.has(callSid)) continue;
      this.callSids.set(callSid, id);
      if (this.callSids.size > this.maxCalls * 10) this.callSids.delete(this.callSids.keys().next().value!);
    }
  }

  update(id: string, patch: CallRecordPatch): Promise<boolean> {
    const entry = this.calls.get(id);
    if (!entry) return Promise.resolve(false);
    const changes: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(structuredClone(patch))) if (v !== undefined && k !== 'id') changes[k] = v;
    entry.record = { ...entry.record, ...changes };
    if (patch.legs) this.remember(id, patch.legs);
    return Promise.resolve(true);
  }

  updateLive(id: string, patch: CallRecordPatch): Promise<boolean> {
    if (this.calls.get(id)?.record.outcome !== undefined) return Promise.resolve(false);
    return this.update(id, patch);
  }

  updateLegs(id: string, change: (legs: CallLeg[]) => CallLeg[]): Promise<boolean> {
    const entry = this.calls.get(id);
    if (!entry || entry.record.outcome !== undefined) return Promise.resolve(false);
    return this.update(id, { legs: change(structuredClone(entry.record.legs)) });
  }

  transition(id: string, from: string, patch: CallRecordPatch): Promise<boolean> {
    const entry = this.calls.get(id);
    if (!entry || entry.record.state !== from || entry.record.outcome !== undefined) return Promise.resolve(false);
    if (patch.startedAt !== undefined) entry.seenAt = patch.startedAt.getTime();
    return this.update(id, patch);
  }

  touch(ids: readonly string[], at: Date): Promise<void> {
    for (const id of ids) {
      const entry = this.calls.get(id);
      if (entry && entry.record.outcome === undefined) entry.seenAt = at.getTime();
    }
    return Promise.resolve();
  }

  unserved(q: UnservedQuery): Promise<CallRecord[]> {
    const found = [...this.calls.values()]
      .filter(({ record: r, seenAt }) => {
        if (r.outcome !== undefined || r.state === SCHEDULED_STATE) return false;
        const previousRun = r.instance === q.instance && r.startedAt.getTime() < q.startedBefore.getTime();
        return previousRun || seenAt < q.seenBefore.getTime();
      })
      .map((e) => e.record)
      .sort(earliestFirst((r) => r.startedAt.getTime()));
    return Promise.resolve(structuredClone(found.slice(0, Math.max(1, Math.floor(q.limit)))));
  }

  close(id: string, end: CallEnd): Promise<boolean> {
    const entry = this.calls.get(id);
    if (!entry || entry.record.outcome !== undefined) return Promise.resolve(false);
    entry.record = { ...entry.record, state: 'ended', outcome: end.outcome, endReason: end.endReason, endedAt: new Date(end.endedAt) };
    return Promise.resolve(true);
  }

  ended(q: EndedQuery): Promise<string[]> {
    const before = q.endedBefore.getTime();
    const found = [...this.calls.values()]
      .map((e) => e.record)
      .filter((r) => r.outcome !== undefined && r.endedAt !== undefined && r.endedAt.getTime() < before && (q.from === undefined || r.from === q.from))
      .sort(earliestFirst((r) => r.endedAt!.getTime()));
    const offset = Math.max(0, Math.floor(q.offset ?? 0));
    return Promise.resolve(found.slice(offset, offset + pageLimit(q.limit)).map((r) => r.id));
  }

  erase(ids: readonly string[]): Promise<number> {
    let erased = 0;
    for (const id of ids) {
      const entry = this.calls.get(id);
      if (!entry || entry.record.outcome === undefined) continue;
      this.calls.delete(id);
      for (const [sid, owner] of this.callSids) if (owner === id) this.callSids.delete(sid);
      erased++;
    }
    return Promise.resolve(erased);
  }

  appendUtterance(id: string, utterance: Utterance): Promise<boolean> {
    const entry = this.calls.get(id);
    if (!entry) return Promise.resolve(false);
    if (entry.transcript.length < this.maxUtterances) entry.transcript.push(structuredClone(utterance));
    else entry.dropped++;
    return Promise.resolve(true);
  }

  get(id: string): Promise<CallRecordWithTranscript | undefined> {
    const entry = this.calls.get(id);
    if (!entry) return Promise.resolve(undefined);
    return Promise.resolve(
      structuredClone({ ...entry.record, transcript: entry.transcript, droppedUtterances: entry.dropped }),
    );
  }

  list(query: CallListQuery): Promise<CallListPage> {
    try {
      return Promise.resolve(this.listNow(query));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private listNow(query: CallListQuery): CallListPage {
    const limit = pageLimit(query.limit);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.idPrefix !== undefined && !isCallIdPrefix(query.idPrefix)) throw new RangeError(`idPrefix must be 1 to ${MAX_CALL_ID_LENGTH} visible ASCII characters`);
    const from = query.from?.getTime();
    const to = query.to?.getTime();
    const matching: CallRecord[] = [];
    for (const { record: r } of this.calls.values()) {
      const t = r.startedAt.getTime();
      if (query.number !== undefined && r.number !== query.number) continue;
      if (query.outcome !== undefined && r.outcome !== query.outcome) continue;
      if (query.state !== undefined && r.state !== query.state) continue;
      if (query.idPrefix !== undefined && !r.id.startsWith(query.idPrefix)) continue;
      if (from !== undefined && t < from) continue;
      if (to !== undefined && t >= to) continue;
      if (after && compareNewestFirst(after, { startedAt: t, id: r.id }) >= 0) continue;
      matching.push(r);
    }
    matching.sort((a, b) => compareNewestFirst(keyOf(a), keyOf(b)));
    const items = matching.slice(0, limit);
    const page: CallListPage = { items: structuredClone(items) };
    if (matching.length > limit) page.nextCursor = encodeCursor(keyOf(items[items.length - 1]));
    return page;
  }

  private evictOne(): void {
    let victim: string | undefined;
    for (const [id, { record }] of this.calls) {
      if (record.endedAt !== undefined) {
        victim = id;
        break;
      }
    }
    victim ??= this.calls.keys().next().value;
    if (victim !== undefined) this.calls.delete(victim);
  }
}

/** Orders records by a time, earliest first, then by id. */
function earliestFirst(time: (r: CallRecord) => number): (a: CallRecord, b: CallRecord) => number {
  return (a, b) => time(a) - time(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function keyOf(r: CallRecord) {
  return { startedAt: r.startedAt.getTime(), id: r.id };
}
