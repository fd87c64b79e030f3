/**
 * Webhook deliveries in the database (SQLite or PostgreSQL): every delivery owed to a customer is
 * written here before it is queued, and keeps its state (pending, delivered, failed), its attempts
 * and its last answer, so none is lost when the queue's Redis is down and every failure can be
 * listed and retried.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { StoreDatabase, WebhookDeliveriesTable } from './database';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Delivery {
  id: string;
  callId: string;
  /** What happened, e.g. 'call.ended'. */
  event: string;
  url: string;
  /** The JSON body as sent. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  retryUntil: Date;
  lastStatus?: number;
  lastError?: string;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt?: Date;
}

export interface NewDelivery {
  callId: string;
  event: string;
  url: string;
  payload: string;
  retryUntil: Date;
}

export type DeliveryPatch = Partial<Pick<Delivery, 'status' | 'attempts' | 'nextAttemptAt' | 'retryUntil' | 'lastStatus' | 'lastError' | 'deliveredAt'>>;

export interface DeliveryStore {
  /** Records a delivery; undefined when the call already has one for this event. */
  create(d: NewDelivery): Promise<Delivery | undefined>;
  get(id: string): Promise<Delivery | undefined>;
  /** Newest first. */
  list(filter: { status?: DeliveryStatus; callId?: string; limit: number }): Promise<Delivery[]>;
  /** Pending deliveries due at or before `before`, oldest due first. */
  due(before: Date, limit: number): Promise<Delivery[]>;
  update(id: string, patch: DeliveryPatch): Promise<boolean>;
  /**
   * Erases every delivery of these calls (their payloads hold the transcripts), found by the index
   * on call id, so the work is theirs alone; resolves the ids erased.
   */
  eraseForCalls(callIds: readonly string[]): Promise<string[]>;
  /** Erases the deliveries created before `before` whose call is no longer kept (it reads them all: for the sweep job); resolves the ids erased. */
  eraseOrphans(before: Date): Promise<string[]>;
  /** How many deliveries eraseForCalls would erase, erasing nothing. */
  countForCalls(callIds: readonly string[]): Promise<number>;
}

const num = (v: number | string): number => Number(v);

export class SqlDeliveryStore implements DeliveryStore {
  constructor(
    private readonly db: Kysely<StoreDatabase>,
    private readonly now: () => number = Date.now,
  ) {}

  async create(d: NewDelivery): Promise<Delivery | undefined> {
    const now = this.now();
    const row = {
      id: randomUUID(),
      call_id: d.callId,
      event: d.event,
      url: d.url,
      payload: d.payload,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      retry_until: d.retryUntil.getTime(),
      last_status: null,
      last_error: null,
      created_at: now,
      updated_at: now,
      delivered_at: null,
    };
    const res = await this.db
      .insertInto('webhook_deliveries')
      .values(row)
      .onConflict((oc) => oc.columns(['call_id', 'event']).doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 0) return undefined;
    return fromRow(row);
  }

  async get(id: string): Promise<Delivery | undefined> {
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  async list(filter: { status?: DeliveryStatus; callId?: string; limit: number }): Promise<Delivery[]> {
    let q = this.db.selectFrom('webhook_deliveries').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.callId) q = q.where('call_id', '=', filter.callId);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(fromRow);
  }

  async due(before: Date, limit: number): Promise<Delivery[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', before.getTime())
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  async eraseForCalls(callIds: readonly string[]): Promise<string[]> {
    if (callIds.length === 0) return [];
    const rows = await this.db.deleteFrom('webhook_deliveries').where('call_id', 'in', [...callIds]).returning('id').execute();
    return rows.map((r) => r.id);
  }

  async eraseOrphans(before: Date): Promise<string[]> {
    const rows = await this.db
      .deleteFrom('webhook_deliveries')
      .where('created_at', '<', before.getTime())
      .where((eb) => eb.not(eb.exists(eb.selectFrom('calls').select('calls.id').whereRef('calls.id', '=', 'webhook_deliveries.call_id'))))
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  async countForCalls(callIds: readonly string[]): Promise<number> {
    if (callIds.length === 0) return 0;
    const row = await this.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number | string>().as('n')).where('call_id', 'in', [...callIds]).executeTakeFirst();
    return num(row?.n ?? 0);
  }

  async update(id: string, patch: DeliveryPatch): Promise<boolean> {
    const set: Updateable<WebhookDeliveriesTable> = { updated_at: this.now() };
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.attempts !== undefined) set.attempts = patch.attempts;
    if (patch.nextAttemptAt !== undefined) set.next_attempt_at = patch.nextAttemptAt.getTime();
    if (patch.retryUntil !== undefined) set.retry_until = patch.retryUntil.getTime();
    if ('lastStatus' in patch) set.last_status = patch.lastStatus ?? null;
    if ('lastError' in patch) set.last_error = patch.lastError ?? null;
    if ('deliveredAt' in patch) set.delivered_at = patch.deliveredAt?.getTime() ?? null;
    const res = await this.db.updateTable('webhook_deliveries').set(set).where('id', '=', id).executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }
}

function fromRow(row: Selectable<WebhookDeliveriesTable>): Delivery {
  const d: Delivery = {
    id: row.id,
    callId: row.call_id,
    event: row.event,
    url: row.url,
    payload: row.payload,
    status: row.status as DeliveryStatus,
    attempts: num(row.attempts),
    nextAttemptAt: new Date(num(row.next_attempt_at)),
    retryUntil: new Date(num(row.retry_until)),
    createdAt: new Date(num(row.created_at)),
    updatedAt: new Date(num(row.updated_at)),
  };
  if (row.last_status !== null) d.lastStatus = num(row.last_status);
  if (row.last_error !== null) d.lastError = row.last_error;
  if (row.delivered_at !== null) d.deliveredAt = new Date(num(row.delivered_at));
  return d;
}
