/**
 * The Redis connection of the cluster (stream token claims, the directory of live calls, the
 * events instances share). Every command has a deadline: a Redis that does not answer within
 * `commandTimeoutMs` fails the command instead of holding a webhook or a call.
 */
import { Redis } from 'ioredis';

export interface ClusterRedisOptions {
  url: string;
  /** Namespace of every key (TOLK_QUEUE_PREFIX), followed by `:cluster:`. */
  prefix: string;
  /** Deadline of each command (default 2 s). */
  commandTimeoutMs?: number;
  /** Deadline of each connection attempt (default 5 s). */
  connectTimeoutMs?: number;
}

export interface ClusterRedis {
  client: Redis;
  /** `<prefix>:cluster:` */
  keyPrefix: string;
  /** Another connection to the same Redis (pub/sub takes a connection of its own). */
  duplicate(): Redis;
  close(): Promise<void>;
}

export function openClusterRedis(opts: ClusterRedisOptions): ClusterRedis {
  const options = {
    commandTimeout: opts.commandTimeoutMs ?? 2000,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    maxRetriesPerRequest: 1,
    // Reconnects for ever, at most every 2 s: a Redis restart is survived.
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
  const client = new Redis(opts.url, options);
  // Errors surface on the commands that fail; the connection's own error events are not fatal.
  client.on('error', () => undefined);
  const extra: Redis[] = [];
  return {
    client,
    keyPrefix: `${opts.prefix}:cluster:`,
    duplicate() {
      const c = new Redis(opts.url, { ...options, commandTimeout: undefined, maxRetriesPerRequest: null });
      c.on('error', () => undefined);
      extra.push(c);
      return c;
    },
    async close() {
      for (const c of [client, ...extra]) {
        await c.quit().catch(() => c.disconnect());
      }
    },
  };
}
