/** Job queues on both adapters for tests: in-process, and BullMQ on the test Redis under a prefix of the test's own (removed afterwards). */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { BullJobQueues } from '../../src/jobs/bullmq-queues';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import type { JobQueueEvents, JobQueues, QueueSpec } from '../../src/jobs/queue';
import { createLogger } from '../../src/log/logger';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const silent = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });

export type Backend = 'in-process' | 'redis';
export const BACKENDS: Backend[] = ['in-process', 'redis'];

/** A prefix no other test run uses. */
export function uniquePrefix(): string {
  return `tolktest-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix` on the Redis at `url`. */
export async function dropPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface TestQueues {
  jobs: JobQueues;
  prefix: string;
  close(): Promise<void>;
}

export function openTestQueues(backend: Backend, specs: QueueSpec[], opts: { events?: JobQueueEvents; prefix?: string; lockDurationMs?: number; redisUrl?: string } = {}): TestQueues {
  const prefix = opts.prefix ?? uniquePrefix();
  const jobs =
    backend === 'redis'
      ? new BullJobQueues({ redisUrl: opts.redisUrl ?? REDIS_URL, prefix, specs, logger: silent, events: opts.events, lockDurationMs: opts.lockDurationMs })
      : new MemoryJobQueues({ specs, logger: silent, events: opts.events });
  let closed = false;
  return {
    jobs,
    prefix,
    async close() {
      if (closed) return;
      closed = true;
      await jobs.close();
      if (backend === 'redis') await dropPrefix(prefix, opts.redisUrl ?? REDIS_URL);
    },
  };
}

/** Resolves once `check` holds, polling every 20 ms; rejects after `ms`. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
