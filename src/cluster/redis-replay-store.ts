/**
 * Single-use keys (stream token nonces, handled status callbacks) in Redis, each until it expires:
 * every instance sharing the Redis sees every claim, and Redis forgets expired keys by itself.
 */
import { MAX_REPLAY_KEY_LENGTH, type ReplayKeyStore } from '../store/replay-key-store';
import type { ClusterRedis } from './redis';

export class RedisReplayStore implements ReplayKeyStore {
  constructor(
    private readonly redis: ClusterRedis,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(key: string, expiresAtMs: number): Promise<boolean> {
    if (key.length > MAX_REPLAY_KEY_LENGTH) throw new RangeError(`replay key longer than ${MAX_REPLAY_KEY_LENGTH} characters`);
    const ttlMs = Math.max(1, Math.ceil(expiresAtMs - this.now()));
    const set = await this.redis.client.set(`${this.redis.keyPrefix}replay:${key}`, '1', 'PX', ttlMs, 'NX');
    return set === 'OK';
  }
}
