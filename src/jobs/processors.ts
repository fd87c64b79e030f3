/**
 * Which processor runs each queue, given the ports they work through. The server (unless
 * TOLK_WORKERS=off) and `tolk worker` both call `runWorkers`, so a job is processed the same way
 * wherever it runs.
 */
import type { ConferenceTelephony, Telephony } from '../call/ports';
import type { Logger } from '../log/logger';
import type { CallRecordStore } from '../store/call-record-store';
import { WEBHOOK_QUEUE, webhookQueueSpec, type DeliveryService } from '../webhooks/deliveries';
import { outboundQueueSpec } from '../outbound/outbound-calls';
import { RETENTION_QUEUE, retentionQueueSpec, type Retention } from '../retention/retention';
import { CALL_ENDS_QUEUE, callEndsProcessor, callEndsQueueSpec } from './call-ends';
import type { DialLedger } from './dial-ledger';
import { DIAL_QUEUE, dialProcessor, dialQueueSpec, type InstanceChecks } from './dial-queue';
import type { JobQueues, QueueSpec } from './queue';

export interface QueueSettings {
  /** TWILIO_CPS: outbound legs placed per second, across every instance. */
  callsPerSecond: number;
}

/** Every queue tolk has and how its workers run. */
export function queueSpecs(settings: QueueSettings): QueueSpec[] {
  return [dialQueueSpec(settings.callsPerSecond), webhookQueueSpec, outboundQueueSpec, retentionQueueSpec, callEndsQueueSpec];
}

export interface WorkerDeps {
  /** The telephony that really places legs (not the queued one). */
  telephony: Telephony;
  /** The conferences that really add parties and interpreter legs (not the queued ones); absent: no conference interpreting. */
  conferences?: ConferenceTelephony;
  /** Which telephony errors are worth another attempt (Twilio: 429 and 5xx). */
  retryableDialError: (err: unknown) => boolean;
  /** The calls' records: no leg is placed for a call that has ended; ends not written are written there. */
  calls: Pick<CallRecordStore, 'get' | 'updateLegs' | 'close'>;
  /** Whether an instance is up or answers (TOLK_CLUSTER=on: the cluster's directory); no leg is placed for one that stopped. */
  instances?: InstanceChecks;
  /** Which run of a dial job places its leg (REDIS_URL): a job run again places it once. */
  dialLedger?: DialLedger;
  /** Webhook deliveries (the `webhooks` queue). */
  deliveries: DeliveryService;
  /** The hourly sweep (the `retention` queue): what is kept past TOLK_RETENTION_DAYS, and webhook deliveries left without their call. */
  retention: Retention;
  logger: Logger;
}

/**
 * Runs the background queues, and returns their names (the `outbound` queue is not one: servers
 * run it, as the instance that starts a call serves it).
 */
export function runWorkers(jobs: JobQueues, deps: WorkerDeps): string[] {
  jobs.work(DIAL_QUEUE, dialProcessor(deps.telephony, deps.retryableDialError, { conferences: deps.conferences, calls: deps.calls, instances: deps.instances, ledger: deps.dialLedger, logger: deps.logger }));
  jobs.work(WEBHOOK_QUEUE, deps.deliveries.processor());
  jobs.work(RETENTION_QUEUE, deps.retention.processor());
  jobs.work(CALL_ENDS_QUEUE, callEndsProcessor(deps.calls, deps.logger));
  return [DIAL_QUEUE, WEBHOOK_QUEUE, RETENTION_QUEUE, CALL_ENDS_QUEUE];
}
