/**
 * Instances that died (SIGKILL, a crash, a lost machine) stop beating in the directory. Every
 * `checkMs` each survivor looks for members that are down; one that also does not answer its
 * `/healthz` (so a Redis hiccup is not taken for a death) is claimed by one survivor (a lock in
 * Redis), whose reconciler closes its live calls as `instance_lost`, keeping their transcripts.
 * Once none is left open the member is forgotten.
 *
 * The lock lasts `lockMs` and is renewed every third of it for as long as the closing goes on
 * (however long the reconciler's deadline lets that be), so no other survivor closes the same calls
 * meanwhile; it is renewed and released only while it is still this survivor's. A survivor that
 * dies while closing holds it at most `lockMs` more.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/logger';
import { answersHealthz, type Member, type RedisCallDirectory } from './directory';
import type { ClusterRedis } from './redis';

export interface LostInstancesDeps {
  directory: Pick<RedisCallDirectory, 'members' | 'forget' | 'self'>;
  redis: ClusterRedis;
  /** Closes instance `id`'s live calls; resolves with how many are left open. */
  closeLost(id: string): Promise<number>;
  /** How often to look (default 5 s). */
  checkMs?: number;
  /** How long the lock on a lost instance lasts unless renewed (default 60 s; renewed every third of it while closing). */
  lockMs?: number;
  /** Whether the instance answers at its internal URL (default: GET /healthz within 1 s). */
  answers?: (member: Member) => Promise<boolean>;
  logger: Logger;
}

/** The lock's default life; renewed every third of it while its holder closes the lost instance's calls. */
export const LOCK_MS = 60_000;

/** KEYS[1]: the lock; ARGV: its holder's token, its life (ms). Renews it if still held by that token (1), else 0. */
const RENEW_IF_MINE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
/** KEYS[1]: the lock; ARGV[1]: its holder's token. Deletes it if still held by that token. */
const RELEASE_IF_MINE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export class LostInstances {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly deps: LostInstancesDeps) {
    this.log = deps.logger.child({ component: 'lost-instances' });
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.deps.checkMs ?? 5000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One look; resolves once any lost instance found has been dealt with. */
  check(): Promise<void> {
    const run = this.running.then(() => this.checkNow());
    this.running = run.catch(() => undefined);
    return run;
  }

  private async checkNow(): Promise<void> {
    if (this.stopped) return;
    const self = this.deps.directory.self.id;
    let members: (Member & { up: boolean })[];
    try {
      members = await this.deps.directory.members();
    } catch (err) {
      this.log.warn({ event: 'cluster.members_failed', err }, 'could not read the cluster members');
      return;
    }
    for (const m of members) {
      if (m.up || m.id === self || this.stopped) continue;
      if (await (this.deps.answers ?? answersHealthz)(m)) continue;
      const lock = `${this.deps.redis.keyPrefix}reaping:${m.id}`;
      const token = `${self}:${randomUUID()}`;
      const lockMs = this.deps.lockMs ?? LOCK_MS;
      const mine = await this.deps.redis.client.set(lock, token, 'PX', lockMs, 'NX').catch(() => null);
      if (mine !== 'OK') continue;
      const renewing = setInterval(() => void this.renew(lock, token, lockMs, m.id), Math.max(1, Math.floor(lockMs / 3)));
      renewing.unref();
      try {
        this.log.warn({ event: 'cluster.instance_lost', instance: m.id }, `instance ${m.id} is down: closing its calls`);
        const left = await this.deps.closeLost(m.id);
        if (left === 0) await this.deps.directory.forget(m.id);
      } catch (err) {
        this.log.error({ event: 'cluster.reap_failed', instance: m.id, err }, 'could not close the calls of a lost instance');
      } finally {
        clearInterval(renewing);
        await this.deps.redis.client.eval(RELEASE_IF_MINE, 1, lock, token).catch(() => undefined);
      }
    }
  }

  /** Keeps the lock on lost instance `instance` while its calls are being closed here. */
  private async renew(lock: string, token: string, lockMs: number, instance: string): Promise<void> {
    try {
      const renewed = await this.deps.redis.client.eval(RENEW_IF_MINE, 1, lock, token, String(lockMs));
      if (renewed !== 1) this.log.warn({ event: 'cluster.reap_lock_lost', instance }, 'the lock on a lost instance expired while its calls were being closed here: another instance may close them too');
    } catch (err) {
      this.log.warn({ event: 'cluster.reap_lock_renew_failed', instance, err }, 'could not renew the lock on a lost instance while closing its calls; trying again');
    }
  }
}
