/**
 * `tolk worker`: runs the background job processors apart from the media server, on the queues in
 * Redis (REDIS_URL is required: without it the server runs its jobs itself). Several workers may
 * run; each job runs once, and one whose worker died is taken over by another.
 */
import type { Config } from './config/env';
import { StartupError } from './config/startup-error';
import { TWIML_DIR } from './config/paths';
import { instanceAnswers, instanceUp } from './cluster/directory';
import { openClusterRedis } from './cluster/redis';
import { openJobQueues } from './jobs/open-queues';
import { RedisDialLedger } from './jobs/dial-ledger';
import { queueSpecs, runWorkers } from './jobs/processors';
import type { JobQueues } from './jobs/queue';
import type { Logger } from './log/logger';
import { Retention } from './retention/retention';
import { openStore, type Store } from './store/open-store';
import { createCallAnswerRenderer } from './twilio/call-answers';
import { streamStatusUrl } from './twilio/module';
import { isRetryableTwilioError } from './twilio/rest-errors';
import { TwilioRestClient } from './twilio/rest-client';
import { mediaStreamUrl } from './twilio/signature';
import { resolveMediaStreamSecret, StreamTokens } from './twilio/stream-token';
import { TwilioConferences } from './twilio/conferences';
import { TwilioTelephony } from './twilio/telephony';
import { createTwimlRenderer } from './twilio/twiml';
import { deliveryServiceFor } from './webhooks/setup';

export interface Worker {
  jobs: JobQueues;
  stop(): Promise<void>;
}

export async function startWorker(config: Config, logger: Logger): Promise<Worker> {
  if (!config.REDIS_URL) {
    throw new StartupError('REDIS_URL', 'is required by tolk worker (the queues it works on are in Redis; without REDIS_URL the server runs its jobs itself)');
  }
  const store: Store = await openStore({ databaseUrl: config.DATABASE_URL, sqlitePath: config.TOLK_DB_PATH, connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS, logger });
  const rest = new TwilioRestClient({ accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN, apiUrl: config.TWILIO_API_URL, logger });
  const tokens = new StreamTokens({ secret: resolveMediaStreamSecret(config.MEDIA_STREAM_SECRET).secret, replayStore: store.replayKeys, defaultTtlMs: 60_000 });
  const twiml = createTwimlRenderer({ dir: TWIML_DIR, streamStatusCallback: streamStatusUrl(config.PUBLIC_URL) });
  const answers = createCallAnswerRenderer({ twiml, tokens, publicUrl: config.PUBLIC_URL, streamUrl: mediaStreamUrl(config.PUBLIC_URL) });
  const telephony = new TwilioTelephony({ rest, answers, publicUrl: config.PUBLIC_URL });
  const conferences = config.TWILIO_TWIML_APP_SID ? new TwilioConferences({ rest, tokens, publicUrl: config.PUBLIC_URL, appSid: config.TWILIO_TWIML_APP_SID, logger }) : undefined;
  const jobs = openJobQueues({
    redisUrl: config.REDIS_URL,
    prefix: config.TOLK_QUEUE_PREFIX,
    lockDurationMs: config.TOLK_JOB_LOCK_MS,
    specs: queueSpecs({ callsPerSecond: config.TWILIO_CPS }),
    logger,
  });
  const deliveries = deliveryServiceFor(config, { store: store.deliveries, jobs, logger });
  const retention = new Retention({ calls: store.calls, deliveries: store.deliveries, callerLanguages: store.callerLanguages, jobs, scrub: () => store.scrub(), logger, days: config.TOLK_RETENTION_DAYS });
  const redis = openClusterRedis({ url: config.REDIS_URL, prefix: config.TOLK_QUEUE_PREFIX });
  const queues = runWorkers(jobs, {
    telephony,
    conferences,
    retryableDialError: isRetryableTwilioError,
    calls: store.calls,
    // In a cluster, a dial whose instance stopped waiting for it places nothing (see dial-queue.ts).
    ...(config.TOLK_CLUSTER === 'on' ? { instances: { up: (id: string) => instanceUp(redis, id), answers: (id: string) => instanceAnswers(redis, id) } } : {}),
    dialLedger: new RedisDialLedger(redis.client, `${redis.keyPrefix}dials:`),
    deliveries,
    retention,
    logger,
  });
  deliveries.start();
  retention.start();
  logger.info({ event: 'worker.started', queues }, `tolk worker running the ${queues.join(', ')} queues`);
  let stopping: Promise<void> | undefined;
  return {
    jobs,
    stop: () =>
      (stopping ??= (async () => {
        retention.stop();
        await deliveries.stop();
        await jobs.close();
        await redis.close();
        await store.close();
        logger.info({ event: 'worker.stopped' }, 'worker stopped');
      })()),
  };
}
