/**
 * Webhook deliveries: each is written to the database first (store/delivery-store.ts), then queued
 * on the `webhooks` queue, one job per scheduled attempt (`webhook.<delivery id>.<due time>`, so
 * the same attempt is never queued twice). A failed attempt that a retry could fix (timeout,
 * network, 408, 429, 5xx) is scheduled again with exponential backoff and jitter until 24 h after
 * the delivery was recorded; any other answer is final. When a delivery cannot be queued (Redis
 * down) it stays pending in the database, and the sweep queues it once the queue answers again.
 */
import type { JobQueues, Processor, QueueSpec } from '../jobs/queue';
import type { Logger } from '../log/logger';
import type { Delivery, DeliveryStatus, DeliveryStore } from '../store/delivery-store';
import type { SendOutcome, WebhookRequest } from './sender';

export const WEBHOOK_QUEUE = 'webhooks';

export const webhookQueueSpec: QueueSpec = { name: WEBHOOK_QUEUE, concurrency: 10 };

export interface DeliveryJob {
  deliveryId: string;
}

export interface RetryPolicy {
  /** First backoff; doubles each attempt. Default 30 s. */
  baseDelayMs: number;
  /** Longest backoff. Default 1 h. */
  maxDelayMs: number;
  /** How long after it is recorded (or retried by hand) a delivery is retried. Default 24 h. */
  windowMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 30_000, maxDelayMs: 3_600_000, windowMs: 24 * 3_600_000 };

export interface DeliveryMetrics {
  webhookDelivered(): void;
  webhookRetried(): void;
  webhookFailed(): void;
}

export interface DeliveryServiceDeps {
  store: DeliveryStore;
  jobs: JobQueues;
  /** Sends one attempt; undefined when TOLK_WEBHOOK_SECRET is unset (tolk sends nothing unsigned). */
  send: ((req: WebhookRequest) => Promise<SendOutcome>) | undefined;
  logger: Logger;
  metrics?: DeliveryMetrics;
  retry?: Partial<RetryPolicy>;
  now?: () => number;
  random?: () => number;
  /** How long queuing may take before the delivery is left to the sweep. Default 2 s. */
  enqueueTimeoutMs?: number;
}

export class DeliveryService {
  private readonly retry: RetryPolicy;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: Logger;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;

  constructor(private readonly deps: DeliveryServiceDeps) {
    this.retry = { ...DEFAULT_RETRY, ...deps.retry };
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.log = deps.logger.child({ component: 'webhooks' });
  }

  /** Records a delivery and queues its first attempt; resolves once it is in the database. */
  async record(callId: string, event: string, url: string, payload: string): Promise<Delivery | undefined> {
    const delivery = await this.deps.store.create({ callId, event, url, payload, retryUntil: new Date(this.now() + this.retry.windowMs) });
    if (!delivery) return undefined;
    this.log.info({ event: 'webhook.recorded', callId, deliveryId: delivery.id, webhookEvent: event }, 'webhook delivery recorded');
    void this.enqueue(delivery);
    return delivery;
  }

  get(id: string): Promise<Delivery | undefined> {
    return this.deps.store.get(id);
  }

  list(filter: { status?: DeliveryStatus; callId?: string; limit: number }): Promise<Delivery[]> {
    return this.deps.store.list(filter);
  }

  /** Sends a delivery that failed (or is pending) again now, with a fresh 24 h of retries. */
  async redeliver(id: string): Promise<Delivery | undefined> {
    const d = await this.deps.store.get(id);
    if (!d) return undefined;
    if (d.status === 'delivered') return d;
    const now = this.now();
    const patch = { status: 'pending' as const, nextAttemptAt: new Date(now), retryUntil: new Date(now + this.retry.windowMs) };
    await this.deps.store.update(id, patch);
    const next = { ...d, ...patch };
    this.log.info({ event: 'webhook.redeliver', callId: d.callId, deliveryId: id }, 'webhook delivery retried by hand');
    await this.enqueue(next);
    return next;
  }

  /** Queues every pending delivery that is overdue by `graceMs` (its job was lost, or never queued); resolves with how many. */
  sweep(graceMs = 5_000): Promise<number> {
    this.sweeping ??= (async () => {
      try {
        const due = await this.deps.store.due(new Date(this.now() - graceMs), 500);
        for (const d of due) await this.enqueue(d);
        return due.length;
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  /** Sweeps now and every `intervalMs` until `stop`. */
  start(intervalMs = 30_000): void {
    const run = (): void => {
      this.sweep().catch((err: unknown) => this.log.warn({ event: 'webhook.sweep_failed', err: errorText(err) }, 'webhook sweep failed (database unreachable?)'));
    };
    run();
    this.sweeper = setInterval(run, intervalMs);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await this.sweeping?.catch(() => undefined);
  }

  /** The `webhooks` queue's processor: one attempt of one delivery. */
  processor(): Processor<DeliveryJob, string> {
    return async (job) => {
      const d = await this.deps.store.get(job.data.deliveryId);
      if (!d || d.status !== 'pending') return 'nothing to do';
      const attempts = d.attempts + 1;
      const outcome: SendOutcome = this.deps.send
        ? await this.deps.send({ url: d.url, body: d.payload, idempotencyKey: d.callId })
        : { ok: false, retryable: false, error: 'TOLK_WEBHOOK_SECRET is not set: tolk sends no unsigned webhooks' };
      const log = { callId: d.callId, deliveryId: d.id, attempt: attempts, status: outcome.status };
      if (outcome.ok) {
        await this.deps.store.update(d.id, { status: 'delivered', attempts, lastStatus: outcome.status, lastError: undefined, deliveredAt: new Date(this.now()) });
        this.deps.metrics?.webhookDelivered();
        this.log.info({ event: 'webhook.delivered', ...log }, 'webhook delivered');
        return 'delivered';
      }
      const next = this.now() + this.backoff(attempts);
      if (outcome.retryable && next <= d.retryUntil.getTime()) {
        const patch = { attempts, lastStatus: outcome.status, lastError: outcome.error, nextAttemptAt: new Date(next) };
        await this.deps.store.update(d.id, patch);
        this.deps.metrics?.webhookRetried();
        this.log.warn({ event: 'webhook.retry_scheduled', ...log, error: outcome.error, nextAttemptAt: new Date(next).toISOString() }, 'webhook attempt failed; retrying later');
        await this.enqueue({ ...d, ...patch });
        return 'retry scheduled';
      }
      await this.deps.store.update(d.id, { status: 'failed', attempts, lastStatus: outcome.status, lastError: outcome.error });
      this.deps.metrics?.webhookFailed();
      this.log.warn({ event: 'webhook.failed', ...log, error: outcome.error }, 'webhook delivery failed for good');
      return 'failed';
    };
  }

  /** Backoff after attempt `n`: base * 2^(n-1), at most the maximum, less up to half of it at random. */
  private backoff(n: number): number {
    const base = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** Math.min(30, n - 1));
    return Math.round(base * (1 - 0.5 * this.random()));
  }

  /** Queues the delivery's next attempt; a failure leaves it to the sweep. */
  private async enqueue(d: Delivery): Promise<void> {
    const due = d.nextAttemptAt.getTime();
    const add = this.deps.jobs.add<DeliveryJob>(WEBHOOK_QUEUE, { id: `webhook.${d.id}.${due}`, data: { deliveryId: d.id }, runAt: due });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the job queue did not answer in time')), this.deps.enqueueTimeoutMs ?? 2000);
    });
    try {
      await Promise.race([add, timeout]);
    } catch (err) {
      add.catch(() => undefined);
      this.log.warn({ event: 'webhook.enqueue_deferred', callId: d.callId, deliveryId: d.id, err: errorText(err) }, 'webhook delivery kept in the database; it will be queued when the job queue answers');
    } finally {
      clearTimeout(timer);
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
