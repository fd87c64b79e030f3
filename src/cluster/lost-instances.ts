/**
 * Instances that died (SIGKILL, a crash, a lost machine) stop beating in the directory. Every
 * `checkMs` each survivor looks for members that are down; one that also does not answer its
 * `/healthz` (so a Redis hiccup is not taken for a death) is claimed by one survivor (a lock in
 * Redis), whose reconciler closes its live calls as `instance_lost`, keeping their transcripts.
 * Once none is left open the member is forgotten.
 */
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
  /** Whether the instance answers at its internal URL (default: GET /healthz within 1 s). */
  answers?: (member: Member) => Promise<boolean>;
  logger: Logger;
}

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
      const mine = await this.deps.redis.client.set(lock, self, 'PX', 60_000, 'NX').catch(() => null);
      if (mine !== 'OK') continue;
      try {
        this.log.warn({ event: 'cluster.instance_lost', instance: m.id }, `instance ${m.id} is down: closing its calls`);
        const left = await this.deps.closeLost(m.id);
        if (left === 0) await this.deps.directory.forget(m.id);
      } catch (err) {
        this.log.error({ event: 'cluster.reap_failed', instance: m.id, err }, 'could not close the calls of a lost instance');
      } finally {
        await this.deps.redis.client.del(lock).catch(() => undefined);
      }
    }
  }
}
