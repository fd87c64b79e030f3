/**
 * The directory of the cluster in Redis: which instances are up (each renews a key of its own every
 * `heartbeatMs`; one not renewed for three beats is down) and where each is reached, and which
 * instance serves which call, caller leg and conference. Entries of a call go when it ends, and
 * expire after a day whatever happens, so the directory stays bounded.
 *
 *   <prefix>:cluster:instance:<id>     its internal URL, expiring three beats after the last
 *   <prefix>:cluster:members           hash id -> URL of every instance that joined and has not left
 *   <prefix>:cluster:call:<call id>    the instance serving the call
 *   <prefix>:cluster:leg:<call SID>    the instance serving the call of this leg
 *   <prefix>:cluster:conf:<name|SID>   the instance interpreting this conference
 *   <prefix>:cluster:draining          hash id -> ms since the epoch of every instance shutting down
 *
 * A stopping instance hands its calls to another (`takeOver`, run by the one taking them), compare-
 * and-set: see ownership-cas.ts.
 */
import type { CallOwnership } from '../call/ports';
import type { Logger } from '../log/logger';
import { HAND_OVER_SCRIPT, type HandOverDecision } from './ownership-cas';
import type { ClusterRedis } from './redis';

export interface Member {
  id: string;
  /** Where other instances reach it (TOLK_INTERNAL_URL). */
  url: string;
}

export type OwnerKey = { call: string } | { leg: string } | { conference: string };

const ENTRY_TTL_S = 24 * 60 * 60;
/** Longest reference kept as a key (call ids, SIDs and conference names are far shorter). */
const MAX_REF_LENGTH = 256;

export interface DirectoryOptions {
  self: Member;
  /** How often this instance says it is up (default 2 s); down after three missed beats. */
  heartbeatMs?: number;
  logger: Logger;
}

/** Whether instance `id` of the cluster on `redis` is up (has renewed its entry within three beats). */
export async function instanceUp(redis: ClusterRedis, id: string): Promise<boolean> {
  return (await redis.client.exists(`${redis.keyPrefix}instance:${id}`)) === 1;
}

/** Whether instance `m` answers at its internal URL: GET /healthz within 1 s. */
export async function answersHealthz(m: Member): Promise<boolean> {
  try {
    return (await fetch(m.url.replace(/\/+$/, '') + '/healthz', { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Whether instance `id`, a member of the cluster on `redis` (it joined and has not left), answers
 * its health check: one whose heartbeat is merely late still does. One that left answers nothing.
 */
export async function instanceAnswers(redis: ClusterRedis, id: string, answers: (m: Member) => Promise<boolean> = answersHealthz): Promise<boolean> {
  const url = await redis.client.hget(`${redis.keyPrefix}members`, id);
  return url !== null && (await answers({ id, url }));
}

export class RedisCallDirectory implements CallOwnership {
  private readonly claimed = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;
  private readonly heartbeatMs: number;
  private readonly log: Logger;

  constructor(
    private readonly redis: ClusterRedis,
    private readonly opts: DirectoryOptions,
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? 2000;
    this.log = opts.logger.child({ component: 'directory' });
  }

  get self(): Member {
    return this.opts.self;
  }

  /** Joins the cluster (resolves once the first beat is in Redis), then beats every heartbeatMs. */
  async start(): Promise<void> {
    await this.redis.client.hdel(this.key('draining'), this.opts.self.id);
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch((err: unknown) => this.log.warn({ event: 'cluster.heartbeat_failed', err }, 'could not tell Redis this instance is up'));
    }, this.heartbeatMs);
    this.timer.unref();
  }

  /** Leaves the cluster: other instances no longer send anything here, and do not take it as lost. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const { id } = this.opts.self;
    await this.redis.client
      .multi()
      .del(this.key(`instance:${id}`))
      .hdel(this.key('members'), id)
      .hdel(this.key('draining'), id)
      .exec()
      .catch((err: unknown) => this.log.warn({ event: 'cluster.leave_failed', err }, 'could not tell Redis this instance has left'));
  }

  private async beat(): Promise<void> {
    const { id, url } = this.opts.self;
    await this.redis.client
      .multi()
      .set(this.key(`instance:${id}`), url, 'PX', this.heartbeatMs * 3)
      .hset(this.key('members'), id, url)
      .exec();
  }

  async claim(callId: string, refs: { legs?: readonly string[]; conferences?: readonly string[] }): Promise<void> {
    const keys = [`call:${callId}`, ...(refs.legs ?? []).map((l) => `leg:${l}`), ...(refs.conferences ?? []).map((c) => `conf:${c}`)]
      .filter((k) => k.length <= MAX_REF_LENGTH)
      .map((k) => this.key(k));
    this.claimed.set(callId, [...(this.claimed.get(callId) ?? []), ...keys]);
    const multi = this.redis.client.multi();
    for (const k of keys) multi.set(k, this.opts.self.id, 'EX', ENTRY_TTL_S);
    await multi.exec();
  }

  async claimConference(callId: string, names: readonly string[]): Promise<{ ok: true } | { ok: false; holder: string }> {
    for (const name of names) {
      const holder = await this.redis.client.get(this.key(`conf:${name}`));
      if (holder && holder !== this.opts.self.id && (await this.isUp(holder))) return { ok: false, holder };
    }
    await this.claim(callId, { conferences: names });
    return { ok: true };
  }

  release(callId: string): void {
    const keys = this.claimed.get(callId);
    this.claimed.delete(callId);
    if (!keys || keys.length === 0) return;
    // Only entries still naming this instance go (another may have claimed a conference name since).
    const multi = this.redis.client.multi();
    for (const k of keys) multi.eval(DEL_IF_MINE, 1, k, this.opts.self.id);
    multi.exec().catch((err: unknown) => this.log.warn({ event: 'cluster.release_failed', callId, err }, 'could not remove a call from the directory (its entries expire within a day)'));
  }

  /** The instance, other than this one and up, that serves what `key` names; undefined when it is this one, or none is up. */
  async owner(key: OwnerKey): Promise<Member | undefined> {
    const ref = 'call' in key ? `call:${key.call}` : 'leg' in key ? `leg:${key.leg}` : `conf:${key.conference}`;
    if (ref.length > MAX_REF_LENGTH) return undefined;
    const id = await this.redis.client.get(this.key(ref));
    if (!id || id === this.opts.self.id) return undefined;
    return this.member(id);
  }

  /** Instance `id` if it is up. */
  async member(id: string): Promise<Member | undefined> {
    const url = await this.redis.client.get(this.key(`instance:${id}`));
    return url ? { id, url } : undefined;
  }

  isUp(id: string): Promise<boolean> {
    return instanceUp(this.redis, id);
  }

  /** Whether instance `id` answers its health check (see instanceAnswers). */
  answers(id: string): Promise<boolean> {
    return instanceAnswers(this.redis, id);
  }

  /** Every instance that joined and has not left, and whether it is up. */
  async members(): Promise<(Member & { up: boolean })[]> {
    const all = await this.redis.client.hgetall(this.key('members'));
    const ids = Object.keys(all);
    if (ids.length === 0) return [];
    const up = await this.redis.client.mget(...ids.map((id) => this.key(`instance:${id}`)));
    return ids.map((id, i) => ({ id, url: up[i] ?? all[id], up: up[i] !== null }));
  }

  /** This instance is shutting down: it takes no call another instance hands over. */
  async markDraining(): Promise<void> {
    await this.redis.client.hset(this.key('draining'), this.opts.self.id, String(Date.now()));
  }

  /** The other instances that are up and not shutting down: those a call can move to. */
  async readyPeers(): Promise<Member[]> {
    const [members, draining] = await Promise.all([this.members(), this.redis.client.hkeys(this.key('draining'))]);
    const stopping = new Set(draining);
    return members.filter((m) => m.up && m.id !== this.opts.self.id && !stopping.has(m.id)).map(({ id, url }) => ({ id, url }));
  }

  async isDraining(id: string): Promise<boolean> {
    return (await this.redis.client.hexists(this.key('draining'), id)) === 1;
  }

  /**
   * This instance takes call `callId` over from instance `from` (compare-and-set, ownership-cas.ts):
   * the call's entry and those of `refs` name this instance from now on, and it releases them when
   * the call ends here.
   */
  async takeOver(callId: string, refs: { legs?: readonly string[]; conferences?: readonly string[] }, from: string): Promise<HandOverDecision> {
    const keys = this.refKeys(callId, refs);
    const decision = await this.handOver(keys, from, this.opts.self.id);
    if (decision.ok) this.claimed.set(callId, keys);
    return decision;
  }

  /** Gives a call this instance took over back to instance `to` (the move failed before its media came). */
  async handBack(callId: string, refs: { legs?: readonly string[]; conferences?: readonly string[] }, to: string): Promise<HandOverDecision> {
    const decision = await this.handOver(this.refKeys(callId, refs), this.opts.self.id, to);
    if (decision.ok) this.claimed.delete(callId);
    return decision;
  }

  private async handOver(keys: string[], from: string, to: string): Promise<HandOverDecision> {
    const holder = String(await this.redis.client.eval(HAND_OVER_SCRIPT, keys.length, ...keys, from, to, String(ENTRY_TTL_S)));
    return holder === '' ? { ok: true } : { ok: false, holder: holder === '-' ? null : holder };
  }

  private refKeys(callId: string, refs: { legs?: readonly string[]; conferences?: readonly string[] }): string[] {
    return [`call:${callId}`, ...(refs.legs ?? []).map((l) => `leg:${l}`), ...(refs.conferences ?? []).map((c) => `conf:${c}`)]
      .filter((k) => k.length <= MAX_REF_LENGTH)
      .map((k) => this.key(k));
  }

  /** Instance `id` is gone for good (its calls have been closed). */
  async forget(id: string): Promise<void> {
    await this.redis.client.hdel(this.key('members'), id);
  }

  private key(rest: string): string {
    return this.redis.keyPrefix + rest;
  }
}

const DEL_IF_MINE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
