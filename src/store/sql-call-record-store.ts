/**
 * Call records in SQLite or PostgreSQL, with the semantics of the in-memory store: newest-first
 * keyset pages, the same filters, a per-call transcript cap with a count of what was dropped.
 * Each final utterance is one committed row, so a transcript survives tolk stopping mid-call.
 * Unlike the in-memory store nothing is evicted: the database keeps every call until it is erased
 * (see retention/retention.ts).
 */
import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import type {
  CallMove,
  InterpretationFailure,
  CallLeg,
  CallOutcome,
  CallRecord,
  CallRecordPatch,
  CallRecordWithTranscript,
  LegRole,
  NewCallRecord,
  OutboundPlan,
  Utterance,
} from './call-record';
import {
  CallSidTakenError,
  decodeCursor,
  encodeCursor,
  idPrefixEnd,
  isCallIdPrefix,
  MAX_CALL_ID_LENGTH,
  pageLimit,
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
import { toNumber, type CallsTable, type StoreDatabase, type TranscriptLinesTable } from './database';

export type SqlCallRecordStoreOptions = CallRecordStoreOptions;

/** How often `updateLegs` reads and writes again while other writes keep changing the legs. */
const LEGS_TRIES = 5;

export class SqlCallRecordStore implements CallRecordStore {
  private readonly maxUtterances: number;
  private readonly newId: () => string;

  constructor(
    private readonly db: Kysely<StoreDatabase>,
    opts: SqlCallRecordStoreOptions = {},
  ) {
    const settings = storeSettings(opts);
    this.maxUtterances = settings.maxUtterances;
    this.newId = settings.newId;
  }

  async create(input: NewCallRecord): Promise<CallRecord> {
    const record: CallRecord = structuredClone({ ...input, id: input.id ?? this.newId(), legs: input.legs ?? [] });
    const row: Insertable<CallsTable> = {
      id: record.id,
      number: record.number,
      from_number: record.from,
      destination: record.destination,
      legs: JSON.stringify(record.legs),
      caller_language: record.languages.caller,
      agent_language: record.languages.agent,
      state: record.state,
      outcome: record.outcome ?? null,
      started_at: record.startedAt.getTime(),
      answered_at: record.answeredAt?.getTime() ?? null,
      ended_at: record.endedAt?.getTime() ?? null,
      kind: record.kind ?? 'direct',
      conference: record.conference ?? null,
      end_reason: record.endReason ?? null,
      instance: record.instance ?? null,
      seen_at: record.outcome === undefined ? record.startedAt.getTime() : null,
      outbound: record.outbound ? outboundJson(record.outbound) : null,
      moves: record.moves ? movesJson(record.moves) : null,
      interpretation_failure: record.interpretationFailure ? JSON.stringify(record.interpretationFailure) : null,
    };
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('calls').values(row).execute();
        const taken = await rememberCallSids(trx, record.id, record.legs);
        if (taken) throw new CallSidTakenError(taken);
      });
    } catch (err) {
      if (err instanceof CallSidTakenError) throw err;
      const taken = await this.db.selectFrom('calls').select('id').where('id', '=', record.id).executeTakeFirst();
      if (taken) throw new Error(`call ${record.id} already exists`);
      throw err;
    }
    return record;
  }

  update(id: string, patch: CallRecordPatch): Promise<boolean> {
    return this.patch(id, patch, false);
  }

  updateLive(id: string, patch: CallRecordPatch): Promise<boolean> {
    return this.patch(id, patch, true);
  }

  /** Writes `patch` to the call's row (`live`: only while it has no outcome); false when no row matched. */
  private async patch(id: string, patch: CallRecordPatch, live: boolean): Promise<boolean> {
    const set = patchToRow(patch);
    if (Object.keys(set).length === 0) {
      let found = this.db.selectFrom('calls').select('id').where('id', '=', id);
      if (live) found = found.where('outcome', 'is', null);
      return (await found.executeTakeFirst()) !== undefined;
    }
    const write = (db: Kysely<StoreDatabase>) => {
      const q = db.updateTable('calls').set(set).where('id', '=', id);
      return (live ? q.where('outcome', 'is', null) : q).executeTakeFirst();
    };
    const legs = patch.legs;
    if (!legs) return (await write(this.db)).numUpdatedRows > 0n;
    return this.db.transaction().execute(async (trx) => {
      const res = await write(trx);
      if (res.numUpdatedRows === 0n) return false;
      await rememberCallSids(trx, id, legs);
      return true;
    });
  }

  async updateLegs(id: string, change: (legs: CallLeg[]) => CallLeg[]): Promise<boolean> {
    for (let tries = 0; tries < LEGS_TRIES; tries++) {
      const row = await this.db.selectFrom('calls').select('legs').where('id', '=', id).where('outcome', 'is', null).executeTakeFirst();
      if (!row) return false;
      const legs = change(JSON.parse(row.legs) as CallLeg[]);
      // Written only over the legs read: another write of them meanwhile makes this try again.
      const written = await this.db.transaction().execute(async (trx) => {
        const res = await trx.updateTable('calls').set({ legs: JSON.stringify(legs) }).where('id', '=', id).where('outcome', 'is', null).where('legs', '=', row.legs).executeTakeFirst();
        if (res.numUpdatedRows === 0n) return false;
        await rememberCallSids(trx, id, legs);
        return true;
      });
      if (written) return true;
    }
    return false;
  }

  async transition(id: string, from: string, patch: CallRecordPatch): Promise<boolean> {
    const set = patchToRow(patch);
    if (patch.startedAt !== undefined) set.seen_at = patch.startedAt.getTime();
    const res = await this.db.updateTable('calls').set(set).where('id', '=', id).where('state', '=', from).where('outcome', 'is', null).executeTakeFirst();
    if (res.numUpdatedRows === 0n) return false;
    if (patch.legs) await rememberCallSids(this.db, id, patch.legs);
    return true;
  }

  async findByCallSid(callSid: string): Promise<CallRecord | undefined> {
    const row = await this.db
      .selectFrom('call_sids')
      .innerJoin('calls', 'calls.id', 'call_sids.call_id')
      .selectAll('calls')
      .where('call_sids.call_sid', '=', callSid)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async touch(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('calls').set({ seen_at: at.getTime() }).where('id', 'in', [...ids]).where('outcome', 'is', null).execute();
  }

  async unserved(q: UnservedQuery): Promise<CallRecord[]> {
    const rows = await this.db
      .selectFrom('calls')
      .selectAll()
      .where('outcome', 'is', null)
      .where('state', '!=', SCHEDULED_STATE)
      .where((eb) =>
        eb.or([
          eb.and([eb('instance', '=', q.instance), eb('started_at', '<', q.startedBefore.getTime())]),
          eb('seen_at', 'is', null),
          eb('seen_at', '<', q.seenBefore.getTime()),
        ]),
      )
      .orderBy('started_at')
      .orderBy('id')
      .limit(pageLimit(q.limit))
      .execute();
    return rows.map(fromRow);
  }

  async ended(q: EndedQuery): Promise<string[]> {
    let query = this.db
      .selectFrom('calls')
      .select('id')
      .where('outcome', 'is not', null)
      .where('ended_at', '<', q.endedBefore.getTime());
    if (q.from !== undefined) query = query.where('from_number', '=', q.from);
    const rows = await query
      .orderBy('ended_at')
      .orderBy('id')
      .limit(pageLimit(q.limit))
      .offset(Math.max(0, Math.floor(q.offset ?? 0)))
      .execute();
    return rows.map((r) => r.id);
  }

  async erase(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    // Transcript lines and CallSids go with their call (foreign keys, ON DELETE CASCADE).
    const res = await this.db.deleteFrom('calls').where('id', 'in', [...ids]).where('outcome', 'is not', null).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async close(id: string, end: CallEnd): Promise<boolean> {
    const res = await this.db
      .updateTable('calls')
      .set({ state: 'ended', outcome: end.outcome, end_reason: end.endReason, ended_at: end.endedAt.getTime() })
      .where('id', '=', id)
      .where('outcome', 'is', null)
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  async appendUtterance(id: string, u: Utterance): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // The counter update locks the call's row (PostgreSQL) and numbers the line.
      const counted = await trx
        .updateTable('calls')
        .set({ utterance_count: sql<number>`utterance_count + 1` })
        .where('id', '=', id)
        .returning('utterance_count')
        .executeTakeFirst();
      if (!counted) return false;
      const seq = toNumber(counted.utterance_count);
      if (seq > this.maxUtterances) {
        await trx
          .updateTable('calls')
          .set({ dropped_utterances: sql<number>`dropped_utterances + 1` })
          .where('id', '=', id)
          .execute();
        return true;
      }
      const line: Insertable<TranscriptLinesTable> = {
        call_id: id,
        seq,
        direction: u.direction,
        source_text: u.source.text,
        source_language: u.source.languageCode,
        translation_text: u.translation.text,
        translation_language: u.translation.languageCode,
        start_ms: u.startMs,
        end_ms: u.endMs,
        latency_ms: u.latencyMs ?? null,
        lag_ms: u.lagMs ?? null,
        speaker_role: u.speaker?.role ?? null,
        speaker_call_sid: u.speaker?.callSid ?? null,
      };
      await trx.insertInto('transcript_lines').values(line).execute();
      return true;
    });
  }

  async get(id: string): Promise<CallRecordWithTranscript | undefined> {
    const row = await this.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const lines = await this.db.selectFrom('transcript_lines').selectAll().where('call_id', '=', id).orderBy('seq').execute();
    return { ...fromRow(row), transcript: lines.map(lineToUtterance), droppedUtterances: toNumber(row.dropped_utterances) };
  }

  async list(query: CallListQuery): Promise<CallListPage> {
    const limit = pageLimit(query.limit);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    let q = this.db.selectFrom('calls').selectAll();
    if (query.number !== undefined) q = q.where('number', '=', query.number);
    if (query.outcome !== undefined) q = q.where('outcome', '=', query.outcome);
    if (query.state !== undefined) q = q.where('state', '=', query.state);
    if (query.idPrefix !== undefined) {
      if (!isCallIdPrefix(query.idPrefix)) throw new RangeError(`idPrefix must be 1 to ${MAX_CALL_ID_LENGTH} visible ASCII characters`);
      q = q.where('id', '>=', query.idPrefix).where('id', '<', idPrefixEnd(query.idPrefix));
    }
    if (query.from !== undefined) q = q.where('started_at', '>=', query.from.getTime());
    if (query.to !== undefined) q = q.where('started_at', '<', query.to.getTime());
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('started_at', '<', after.startedAt),
          eb.and([eb('started_at', '=', after.startedAt), eb('id', '<', after.id)]),
        ]),
      );
    }
    const rows = await q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map(fromRow);
    const page: CallListPage = { items };
    if (rows.length > limit) {
      const last = items[items.length - 1];
      page.nextCursor = encodeCursor({ startedAt: last.startedAt.getTime(), id: last.id });
    }
    return page;
  }
}

/**
 * Records the legs' CallSids for the call (those it already has are left alone); returns a CallSid
 * that belongs to another call, if any.
 */
async function rememberCallSids(db: Kysely<StoreDatabase>, callId: string, legs: readonly CallLeg[]): Promise<string | undefined> {
  const sids = [...new Map(legs.filter((l) => l.callSid !== '').map((l) => [l.callSid, l.role])).entries()];
  if (sids.length === 0) return undefined;
  await db
    .insertInto('call_sids')
    .values(sids.map(([call_sid, role]) => ({ call_sid, call_id: callId, role })))
    .onConflict((oc) => oc.column('call_sid').doNothing())
    .execute();
  const owners = await db
    .selectFrom('call_sids')
    .select(['call_sid', 'call_id'])
    .where(
      'call_sid',
      'in',
      sids.map(([sid]) => sid),
    )
    .execute();
  return owners.find((o) => o.call_id !== callId)?.call_sid;
}

function patchToRow(patch: CallRecordPatch): Updateable<CallsTable> {
  const set: Updateable<CallsTable> = {};
  if (patch.number !== undefined) set.number = patch.number;
  if (patch.from !== undefined) set.from_number = patch.from;
  if (patch.destination !== undefined) set.destination = patch.destination;
  if (patch.legs !== undefined) set.legs = JSON.stringify(patch.legs);
  if (patch.languages !== undefined) {
    set.caller_language = patch.languages.caller;
    set.agent_language = patch.languages.agent;
  }
  if (patch.state !== undefined) set.state = patch.state;
  if (patch.outcome !== undefined) set.outcome = patch.outcome;
  if (patch.startedAt !== undefined) set.started_at = patch.startedAt.getTime();
  if (patch.answeredAt !== undefined) set.answered_at = patch.answeredAt.getTime();
  if (patch.endedAt !== undefined) set.ended_at = patch.endedAt.getTime();
  if (patch.endReason !== undefined) set.end_reason = patch.endReason;
  if (patch.instance !== undefined) set.instance = patch.instance;
  if (patch.kind !== undefined) set.kind = patch.kind;
  if (patch.conference !== undefined) set.conference = patch.conference;
  if (patch.outbound !== undefined) set.outbound = outboundJson(patch.outbound);
  if (patch.moves !== undefined) set.moves = movesJson(patch.moves);
  if (patch.interpretationFailure !== undefined) set.interpretation_failure = JSON.stringify({ kind: patch.interpretationFailure.kind, message: patch.interpretationFailure.message });
  return set;
}

function fromRow(row: Selectable<CallsTable>): CallRecord {
  const r: CallRecord = {
    id: row.id,
    number: row.number,
    from: row.from_number,
    destination: row.destination,
    legs: JSON.parse(row.legs) as CallLeg[],
    languages: { caller: row.caller_language, agent: row.agent_language },
    state: row.state,
    startedAt: new Date(toNumber(row.started_at)),
  };
  if (row.kind === 'conference') r.kind = 'conference';
  if (row.conference !== null) r.conference = row.conference;
  if (row.outcome !== null) r.outcome = row.outcome as CallOutcome;
  if (row.answered_at !== null) r.answeredAt = new Date(toNumber(row.answered_at));
  if (row.ended_at !== null) r.endedAt = new Date(toNumber(row.ended_at));
  if (row.end_reason !== null) r.endReason = row.end_reason;
  if (row.instance !== null) r.instance = row.instance;
  if (row.outbound !== null && row.outbound !== undefined) r.outbound = outboundOf(row.outbound);
  if (row.moves !== null && row.moves !== undefined) r.moves = movesOf(row.moves);
  if (row.interpretation_failure !== null && row.interpretation_failure !== undefined) r.interpretationFailure = JSON.parse(row.interpretation_failure) as InterpretationFailure;
  return r;
}

function movesJson(moves: readonly CallMove[]): string {
  return JSON.stringify(moves.map((m) => ({ from: m.from, to: m.to, at: m.at.getTime() })));
}

function movesOf(json: string): CallMove[] {
  return (JSON.parse(json) as { from: string; to: string; at: number }[]).map((m) => ({ from: m.from, to: m.to, at: new Date(m.at) }));
}

function outboundJson(p: OutboundPlan): string {
  return JSON.stringify({ ...p, at: p.at?.getTime(), dueAt: p.dueAt.getTime() });
}

function outboundOf(json: string): OutboundPlan {
  const v = JSON.parse(json) as Omit<OutboundPlan, 'at' | 'dueAt'> & { at?: number; dueAt: number };
  return {
    ...(v.at !== undefined ? { at: new Date(v.at) } : {}),
    dueAt: new Date(v.dueAt),
    attempts: v.attempts,
    retries: v.retries,
    retryAfterSec: v.retryAfterSec,
    ...(v.callerLanguage !== undefined ? { callerLanguage: v.callerLanguage } : {}),
  };
}

function lineToUtterance(l: Selectable<TranscriptLinesTable>): Utterance {
  return {
    direction: l.direction,
    ...(l.speaker_role && l.speaker_call_sid ? { speaker: { role: l.speaker_role as LegRole, callSid: l.speaker_call_sid } } : {}),
    source: { text: l.source_text, languageCode: l.source_language },
    translation: { text: l.translation_text, languageCode: l.translation_language },
    startMs: l.start_ms,
    endMs: l.end_ms,
    ...(l.latency_ms !== null && l.latency_ms !== undefined ? { latencyMs: Number(l.latency_ms) } : {}),
    ...(l.lag_ms !== null && l.lag_ms !== undefined ? { lagMs: Number(l.lag_ms) } : {}),
  };
}
