/** Chooses the job-queue adapter: BullMQ on REDIS_URL when set, else in this process. */
import type { Logger } from '../log/logger';
import { BullJobQueues } from './bullmq-queues';
import { MemoryJobQueues } from './memory-queues';
import type { JobQueueEvents, JobQueues, QueueSpec } from './queue';

export interface OpenJobQueuesOptions {
  redisUrl?: string;
  prefix?: string;
  lockDurationMs?: number;
  specs: readonly QueueSpec[];
  logger: Logger;
  events?: JobQueueEvents;
}

export function openJobQueues(opts: OpenJobQueuesOptions): JobQueues {
  if (opts.redisUrl) {
    opts.logger.info({ event: 'jobs.backend', backend: 'redis', redis: redactedUrl(opts.redisUrl), prefix: opts.prefix, queues: opts.specs.map((s) => s.name) }, 'background jobs on Redis (BullMQ)');
    return new BullJobQueues({ redisUrl: opts.redisUrl, prefix: opts.prefix, specs: opts.specs, logger: opts.logger, events: opts.events, lockDurationMs: opts.lockDurationMs });
  }
  opts.logger.info({ event: 'jobs.backend', backend: 'in-process', queues: opts.specs.map((s) => s.name) }, 'background jobs in this process (REDIS_URL unset)');
  return new MemoryJobQueues({ specs: opts.specs, logger: opts.logger, events: opts.events });
}

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://?';
  }
}
