/** The delivery service as the environment configures it (TOLK_WEBHOOK_SECRET, TOLK_ALLOW_HTTP_WEBHOOKS, TOLK_ALLOW_PRIVATE_WEBHOOKS). */
import type { Config } from '../config/env';
import type { JobQueues } from '../jobs/queue';
import type { Logger } from '../log/logger';
import type { DeliveryStore } from '../store/delivery-store';
import { DeliveryService, type DeliveryMetrics, type RetryPolicy } from './deliveries';
import { WebhookSender } from './sender';

export type WebhookConfig = Pick<Config, 'TOLK_WEBHOOK_SECRET' | 'TOLK_ALLOW_HTTP_WEBHOOKS' | 'TOLK_ALLOW_PRIVATE_WEBHOOKS'>;

export function deliveryServiceFor(
  config: WebhookConfig,
  deps: { store: DeliveryStore; jobs: JobQueues; logger: Logger; metrics?: DeliveryMetrics; retry?: Partial<RetryPolicy> },
): DeliveryService {
  const sender = config.TOLK_WEBHOOK_SECRET
    ? new WebhookSender({ secret: config.TOLK_WEBHOOK_SECRET, allowHttp: config.TOLK_ALLOW_HTTP_WEBHOOKS, allowPrivate: config.TOLK_ALLOW_PRIVATE_WEBHOOKS })
    : undefined;
  return new DeliveryService({ ...deps, send: sender && ((req) => sender.send(req)) });
}
