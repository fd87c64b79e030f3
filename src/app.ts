/**
 * Builds a running tolk from a validated Config: the one place where concrete implementations are
 * chosen and wired together. `main.ts` calls it for `npm start`; the demo, the benchmark and the
 * end-to-end tests call it in-process (with a faster clock where timing is not under test).
 */
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { EchoCanceller } from './audio/echo-canceller';
import { CallService, NOTICE_LIMIT_MS } from './call/call-service';
import type { EchoControl } from './call/endpoint';
import { CallEventBus } from './call/events';
import { CallReconciler, PASS_STEPS, stopWriteMsWithin } from './call/reconciler';
import { RealFrameClock } from './call/frame-clock';
import type { FrameClock, LanguageMemory, TranslationSessionFactory } from './call/ports';
import { FilePromptLibrary } from './call/prompts';
import { logCalls } from './call/subscribers/log';
import { measureCalls } from './call/subscribers/metrics';
import { recordCalls } from './call/subscribers/records';
import { TwilioTelephony } from './twilio/telephony';
import { CLUSTER_INSTANCE_ID, type Config } from './config/env';
import { createCluster, type Cluster } from './cluster/cluster';
import { openClusterRedis, type ClusterRedis } from './cluster/redis';
import { RedisReplayStore } from './cluster/redis-replay-store';
import { TwilioCounters } from './twilio/counters';
import { PROMPTS_DIR, TWIML_DIR } from './config/paths';
import { loadNumbersFile } from './config/numbers-file';
import { applyNumbersFile } from './config/numbers-import';
import { callModeOf, type NumberDirectory, type NumberSettings } from './config/numbers';
import { portInUse, StartupError } from './config/startup-error';
import { createAdminApi } from './http/admin-api';
import { createConsole } from './http/console';
import { createMetricsModule, Metrics } from './http/metrics';
import { Readiness } from './http/readiness';
import { createHttpServer, type HttpServer } from './http/server';
import { QueuedConferences, QueuedTelephony } from './jobs/dial-queue';
import { openJobQueues } from './jobs/open-queues';
import { Retention } from './retention/retention';
import { retainedLanguages } from './retention/retained-languages';
import { RedisDialLedger } from './jobs/dial-ledger';
import { queueSpecs, runWorkers } from './jobs/processors';
import type { JobQueues } from './jobs/queue';
import type { Logger } from './log/logger';
import { RecentLateness } from './audio/recent-lateness';
import { deliverCallSummaries } from './webhooks/call-summaries';
import type { DeliveryService, RetryPolicy } from './webhooks/deliveries';
import { deliveryServiceFor } from './webhooks/setup';
import { refusedBeforeLookup } from './webhooks/target';
import type { CallRecordStore } from './store/call-record-store';
import { openStore, StoreUnavailableError, type Store } from './store/open-store';
import { TranslateTokenMinter } from './translate/ephemeral-token';
import { GeminiTranslatorFactory } from './translate/gemini-translator';
import { createCallAnswerRenderer } from './twilio/call-answers';
import { callWebhookHandlers } from './twilio/call-webhooks';
import { TwilioConferences } from './twilio/conferences';
import { checkInterpreterApp } from './twilio/interpreter-app';
import { createTwilioModule, streamStatusUrl } from './twilio/module';
import { TwilioRestClient } from './twilio/rest-client';
import { isRetryableTwilioError } from './twilio/rest-errors';
import { mediaStreamUrl } from './twilio/signature';
import { resolveMediaStreamSecret, StreamTokens } from './twilio/stream-token';
import { createTwimlRenderer } from './twilio/twiml';
import { LiveFeed } from './live/live-feed';
import { OUTBOUND_QUEUE, OutboundCalls } from './outbound/outbound-calls';

/** Replaceable parts, for tests and the benchmark; production uses the defaults. */
export interface AppOverrides {
  clock?: FrameClock;
  /**
   * Real seconds per second of the calls' time (0.1: ten times faster), for emulated calls in tests
   * and the demo: the media streams' wall clock runs at the same pace as the emulators. Default 1.
   */
  timeScale?: number;
  /** The database; default: opened from DATABASE_URL / TOLK_DB_PATH. */
  store?: Store;
  numbers?: NumberDirectory;
  records?: CallRecordStore;
  translators?: TranslationSessionFactory;
  echoCanceller?: () => EchoControl;
  languages?: LanguageMemory;
  metrics?: Metrics;
  /** The job queues; default: opened from REDIS_URL (in this process without it). */
  jobs?: JobQueues;
  /** Webhook retries (tests shorten them); default 30 s doubling to 1 h, for 24 h. */
  webhookRetry?: Partial<RetryPolicy>;
  /** How often pending webhook deliveries are swept into the queue; default 30 s. */
  webhookSweepMs?: number;
  /** Folder of the built console; default dist/console. */
  consoleDir?: string;
}

export interface App {
  config: Config;
  logger: Logger;
  http: HttpServer;
  address: AddressInfo;
  calls: CallService;
  store: Store;
  records: CallRecordStore;
  metrics: Metrics;
  readiness: Readiness;
  jobs: JobQueues;
  deliveries: DeliveryService;
  /**
   * Stops: /readyz answers 503 at once, new calls are refused, live calls move to another ready
   * instance of the cluster (TOLK_CLUSTER=on); those that do not run on until they end or
   * TOLK_DRAIN_TIMEOUT_MS passes (then they are told and ended), then everything closes.
   */
  stop(): Promise<void>;
  /** During `stop`, ends the live calls now instead of waiting for them. */
  endCallsNow(): void;
}

/**
 * Starts tolk. In order: the numbers file is read and checked, the database opened, the server
 * listening; only then is the numbers file applied to the database (see config/numbers-import.ts),
 * so a start that fails leaves the stored numbers as they were. A failure the operator can fix
 * in the configuration (port taken, database unusable) is a StartupError naming the variable.
 */
export async function startApp(config: Config, logger: Logger, overrides: AppOverrides = {}): Promise<App> {
  const numbersFile = config.TOLK_NUMBERS ? { path: config.TOLK_NUMBERS, entries: await (await loadNumbersFile(config.TOLK_NUMBERS)).list() } : undefined;
  const store = overrides.store ?? (await openConfiguredStore(config, logger));
  try {
    return await startOnStore(config, logger, overrides, store, numbersFile);
  } catch (err) {
    if (!overrides.store) await store.close();
    throw err;
  }
}

async function startOnStore(
  config: Config,
  logger: Logger,
  overrides: AppOverrides,
  store: Store,
  numbersFile: { path: string; entries: NumberSettings[] } | undefined,
): Promise<App> {
  const readiness = new Readiness();
  const metrics = overrides.metrics ?? new Metrics();
  const numbers = overrides.numbers ?? store.numbers;
  readiness.register('numbers', async () => (await numbers.list()).length > 0);
  readiness.register('database', () => store.ping().then(() => true));
  const records = overrides.records ?? store.calls;

  if (!config.PUBLIC_URL.startsWith('https:')) {
    logger.warn({ event: 'config.insecure_public_url', publicUrl: config.PUBLIC_URL }, 'PUBLIC_URL is plain http on this machine: fine for emulators and local tests, but Twilio can reach only an https URL');
  }
  if (config.TOLK_WEBHOOK_URL) {
    const refused = refusedBeforeLookup(new URL(config.TOLK_WEBHOOK_URL), { allowHttp: config.TOLK_ALLOW_HTTP_WEBHOOKS, allowPrivate: config.TOLK_ALLOW_PRIVATE_WEBHOOKS });
    if (refused) throw new StartupError('TOLK_WEBHOOK_URL', `would never be delivered to: ${refused}`);
  }
  const { secret, generated } = resolveMediaStreamSecret(config.MEDIA_STREAM_SECRET);
  if (generated) logger.warn({ event: 'config.generated_stream_secret' }, 'MEDIA_STREAM_SECRET unset: using a random one (single instance only)');
  const clustered = config.TOLK_CLUSTER === 'on';
  // Another run of this instance (same name) owns calls from before it started. The name is in
  // lower case, as request paths are matched (it is part of the media stream URL).
  const host = os.hostname().toLowerCase();
  const instance = config.TOLK_INSTANCE_ID ?? (clustered ? host : `${host}:${config.PORT}`);
  if (clustered && !CLUSTER_INSTANCE_ID.test(instance)) {
    throw new StartupError('TOLK_INSTANCE_ID', `is unset and the host name ${JSON.stringify(instance.slice(0, 64))} cannot name this instance in the media stream URL: set 1 to 63 letters, digits, dots, dashes or underscores`);
  }
  const redis = config.REDIS_URL ? openClusterRedis({ url: config.REDIS_URL, prefix: config.TOLK_QUEUE_PREFIX }) : undefined;
  try {
    return await startWith(config, logger, overrides, store, numbersFile, { readiness, metrics, numbers, records, secret, clustered, instance, redis });
  } catch (err) {
    await redis?.close();
    throw err;
  }
}

interface Basics {
  readiness: Readiness;
  metrics: Metrics;
  numbers: NumberDirectory;
  records: CallRecordStore;
  secret: string;
  clustered: boolean;
  instance: string;
  redis: ClusterRedis | undefined;
}

async function startWith(
  config: Config,
  logger: Logger,
  overrides: AppOverrides,
  store: Store,
  numbersFile: { path: string; entries: NumberSettings[] } | undefined,
  { readiness, metrics, numbers, records, secret, clustered, instance, redis }: Basics,
): Promise<App> {
  // Used stream tokens and handled status callbacks are remembered in Redis when there is one, in
  // the database otherwise, so neither a restart nor another instance lets one be used twice.
  const replays = redis ? new RedisReplayStore(redis) : store.replayKeys;
  const tokens = new StreamTokens({ secret, replayStore: replays, defaultTtlMs: 60_000 });
  const counters = new TwilioCounters();
  const cluster: Cluster | undefined =
    clustered && redis ? createCluster({ redis, self: instance, publicUrl: config.PUBLIC_URL, authToken: config.TWILIO_AUTH_TOKEN, secret, adminToken: config.ADMIN_TOKEN, metrics, counters, logger }) : undefined;
  if (cluster && redis) readiness.register('redis', () => redis.client.ping().then(() => true));
  // In a cluster each instance's streams come to a path of its own, which the load balancer routes to it.
  const streamUrl = mediaStreamUrl(config.PUBLIC_URL, cluster ? instance : undefined);
  const twiml = createTwimlRenderer({ dir: TWIML_DIR, streamStatusCallback: streamStatusUrl(config.PUBLIC_URL) });
  const rest = new TwilioRestClient({ accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN, apiUrl: config.TWILIO_API_URL, logger });

  const translators =
    overrides.translators ??
    new GeminiTranslatorFactory(
      {
        apiKey: config.GEMINI_API_KEY,
        model: config.GEMINI_MODEL,
        baseUrl: config.GEMINI_API_URL,
        apiVersion: config.GEMINI_API_VERSION,
        chunkMs: config.TRANSLATE_CHUNK_MS,
      });

  const clock =
    overrides.clock ??
    new RealFrameClock({
      onSkip: (n) => {
        metrics.clockSkipped(n);
        logger.warn({ event: 'clock.skipped', frames: n }, 'event loop stalled');
      },
      onListenerError: (err) => logger.error({ event: 'clock.listener_failed', err }, 'a frame tick threw: that listener no longer ticks, the others go on'),
    });
  const answers = createCallAnswerRenderer({ twiml, tokens, publicUrl: config.PUBLIC_URL, streamUrl });
  const twilioConferences = config.TWILIO_TWIML_APP_SID ? new TwilioConferences({ rest, tokens, publicUrl: config.PUBLIC_URL, appSid: config.TWILIO_TWIML_APP_SID, pollMs: 1000 * (overrides.timeScale ?? 1), logger }) : undefined;
  const twilioTelephony = new TwilioTelephony({ rest, answers, publicUrl: config.PUBLIC_URL });
  const jobs = overrides.jobs ?? openConfiguredJobs(config, logger, metrics);
  metrics.exposeJobs(() => jobs.counts());
  // Every leg tolk places waits its turn in the dial queue (TWILIO_CPS), conference legs included.
  // Each dial names this instance as the one waiting for its leg (see dial-queue.ts).
  const telephony = new QueuedTelephony(twilioTelephony, jobs, { waiter: instance });
  const conferences = twilioConferences && new QueuedConferences(twilioConferences, jobs, { waiter: instance });
  // One stream of call events: the records, the metrics and the logs follow it.
  const events = new CallEventBus(logger);
  // An end it cannot write is the reconciler's to write again (never to close a second time).
  recordCalls(events, records, { endNotWritten: (id, end) => reconciler.endNotWritten(id, end), logger });
  measureCalls(events, metrics);
  logCalls(events, logger, { transcripts: config.TOLK_LOG_TRANSCRIPTS === 'on' });
  // Ended calls are owed to the customer's webhook: recorded in the database, then queued.
  const deliveries = deliveryServiceFor(config, { store: store.deliveries, jobs, logger, metrics, retry: overrides.webhookRetry });
  deliverCallSummaries(events, { numbers, records, deliveries, defaultUrl: config.TOLK_WEBHOOK_URL, logger });
  // Ended calls and remembered languages erased after TOLK_RETENTION_DAYS, or when an operator asks; webhook deliveries left without their call, hourly.
  const retention = new Retention({ calls: records, deliveries: store.deliveries, callerLanguages: store.callerLanguages, jobs, scrub: () => store.scrub(), logger, days: config.TOLK_RETENTION_DAYS });
  // What live viewers (the console's Live page) follow; it could follow a Redis carrier instead.
  const live = new LiveFeed(cluster ? cluster.carry(events) : events);
  const startedAt = new Date();
  const calls = new CallService({
    events,
    clock,
    translators,
    telephony,
    records,
    numbers,
    prompts: new FilePromptLibrary(PROMPTS_DIR),
    metrics,
    logger,
    echoCanceller: overrides.echoCanceller ?? (() => new EchoCanceller()),
    playoutLateness: new RecentLateness(),
    languages: overrides.languages ?? retainedLanguages(store.callerLanguages, config.TOLK_RETENTION_DAYS),
    maxCalls: config.TOLK_MAX_CALLS,
    conferences,
    maxConferenceLanguages: config.TOLK_MAX_CONFERENCE_LANGUAGES,
    stepTimeoutMs: config.TOLK_STEP_TIMEOUT_SEC * 1000,
    instance,
    onUnknownLegEnded: (legRef) => void reconciler.legEnded(legRef),
    retryOutbound: (id, plan): Promise<void> => outbound.retry(id, plan),
    ...(cluster ? { ownership: cluster.directory } : {}),
  });
  // Calls tolk places (POST /api/calls): scheduled in the database, started by the `outbound` queue.
  const outbound: OutboundCalls = new OutboundCalls({ records, numbers, jobs, events, calls, logger, stepTimeoutMs: config.TOLK_STEP_TIMEOUT_SEC * 1000, instance });
  const reconciler = new CallReconciler({
    records,
    telephony,
    instance,
    startedAt,
    intervalMs: config.TOLK_RECONCILE_INTERVAL_SEC * 1000,
    passLimitMs: PASS_STEPS * config.TOLK_STEP_TIMEOUT_SEC * 1000,
    stopWriteMs: stopWriteMsWithin(config.SHUTDOWN_GRACE_MS),
    serving: () => calls.liveCallIds,
    // A call closed here ends on the call event stream, as any call does.
    events,
    jobs,
    logger,
  });
  const twilioModule = createTwilioModule({
    logger,
    publicUrl: config.PUBLIC_URL,
    accountSid: config.TWILIO_ACCOUNT_SID,
    authToken: config.TWILIO_AUTH_TOKEN,
    wsSignature: config.TWILIO_WS_SIGNATURE,
    tokens,
    twiml,
    counters,
    webhookReplays: replays,
    ...(cluster ? { instance, relay: cluster.relays.relay } : {}),
    ...(overrides.timeScale ? { media: { clock: { now: scaledNow(overrides.timeScale) } } } : {}),
    handlers: callWebhookHandlers(calls, answers, tokens, logger),
  });
  metrics.exposeCounters('twilio_edge_events', 'Unusual events at the Twilio edge (refused signatures and tokens, malformed messages, gaps, dropped audio, stream errors), by kind', () =>
    twilioModule.counters.snapshot(),
  );
  const webConsole = createConsole({ adminToken: config.ADMIN_TOKEN, publicUrl: config.PUBLIC_URL, geminiApiUrl: config.GEMINI_API_URL, logger, staticDir: overrides.consoleDir });
  const http = createHttpServer({
    logger,
    readiness,
    trustProxy: config.TRUST_PROXY,
    ...(cluster ? { instance } : {}),
    modules: [
      // Before the Twilio module: a webhook about another instance's call goes there.
      ...(cluster ? cluster.front : []),
      twilioModule,
      createAdminApi({
        calls: records,
        numbers: store.numbers,
        jobs,
        deliveries,
        adminToken: config.ADMIN_TOKEN,
        authenticate: webConsole.authenticate,
        stillAuthorized: webConsole.stillAuthorized,
        live,
        hangUp: (id) => calls.hangUp(id),
        retention,
        outbound,
        interpreters: calls,
        conferencesConfigured: conferences !== undefined,
        ...(cluster ? { passOn: cluster.passOn } : {}),
        logger,
        tokens: new TranslateTokenMinter({ apiKey: config.GEMINI_API_KEY, model: config.GEMINI_MODEL, baseUrl: config.GEMINI_API_URL }),
      }),
      webConsole.module,
      createMetricsModule(metrics),
      ...(cluster ? [cluster.metricsModule, cluster.adoptionModule((req) => calls.adopt(req), (handOver) => calls.takeSpeech(handOver))] : []),
    ],
  });
  const address = await listen(http, config).catch(async (err: unknown) => {
    if (!overrides.jobs) await jobs.close();
    throw err;
  });
  let configured: NumberSettings[];
  try {
    if (numbersFile) await applyNumbersFile(store.numbers, numbersFile, config.TOLK_NUMBERS_MODE, logger);
    configured = await numbers.list();
    const conferenceNumber = configured.find((n) => callModeOf(n) === 'conference');
    if (conferenceNumber && !conferences) {
      throw new StartupError('TWILIO_TWIML_APP_SID', `is not set, but ${conferenceNumber.number} is in conference mode: create the interpreter's TwiML App with \`tolk twilio configure-app\` and set the SID it prints`);
    }
  } catch (err) {
    await http.close();
    if (!overrides.jobs) await jobs.close();
    throw err;
  }
  if (config.TOLK_WORKERS === 'on') {
    runWorkers(jobs, {
      telephony: twilioTelephony,
      conferences: twilioConferences,
      retryableDialError: isRetryableTwilioError,
      calls: records,
      ...(cluster ? { instances: { up: (id: string) => cluster.directory.isUp(id), answers: (id: string) => cluster.directory.answers(id) } } : {}),
      ...(redis ? { dialLedger: new RedisDialLedger(redis.client, `${redis.keyPrefix}dials:`) } : {}),
      deliveries,
      retention,
      logger,
    });
  }
  else logger.info({ event: 'jobs.workers_off' }, 'TOLK_WORKERS=off: background jobs run in tolk worker processes');
  // Deliveries that could not be queued (or whose job was lost) are queued again from the database.
  deliveries.start(overrides.webhookSweepMs);
  // The instance that starts a call serves it: every server starts the calls tolk places.
  jobs.work(OUTBOUND_QUEUE, outbound.processor(), { abandoned: (job, reason) => outbound.abandoned(job, reason) });
  retention.start();
  void outbound.resume().catch((err: unknown) => logger.error({ event: 'outbound.resume_failed', err }, 'could not queue the scheduled calls again'));
  if (configured.length === 0) logger.warn({ event: 'config.no_numbers' }, 'no numbers configured: every call will be refused (add one with the admin API, the CLI or TOLK_NUMBERS)');
  logger.info({ event: 'server.listening', port: address.port, host: config.HOST, numbers: configured.length, instance }, 'tolk listening');
  if (config.TWILIO_TWIML_APP_SID) void checkInterpreterApp(rest, config.TWILIO_TWIML_APP_SID, config.PUBLIC_URL, logger);
  if (cluster) {
    try {
      await cluster.start(config.TOLK_INTERNAL_URL ?? `http://${internalHost(config.HOST)}:${address.port}`, (id) => reconciler.closeLost(id));
    } catch (err) {
      await http.close();
      if (!overrides.jobs) await jobs.close();
      throw new StartupError('REDIS_URL', `cannot be used to join the cluster: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  // Calls the store holds as live that nobody serves any more (this instance crashed before) are closed.
  reconciler.start();

  let stopping: Promise<void> | undefined;
  let endingNow = false;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const drainedBy = Date.now() + config.TOLK_DRAIN_TIMEOUT_MS;
      readiness.startDraining();
      logger.info({ event: 'server.draining', activeCalls: calls.activeCalls }, 'draining');
      // In a cluster the live calls move to the ready instances first; the others are still served
      // (and marked so for other instances) while they drain.
      await calls.drain(config.TOLK_DRAIN_TIMEOUT_MS, NOTICE_LIMIT_MS, cluster ? () => cluster.moveCalls(calls) : undefined);
      if (cluster) await settleRelays(cluster.relays, endingNow ? 0 : drainedBy - Date.now());
      retention.stop();
      // Live viewers' streams stay open until ended: the server would wait for them for ever.
      live.close();
      await http.close();
      // The reconciler closes (and publishes) nothing more; then what the calls' subscribers still
      // write (records, webhook deliveries) is written before the queues and the database close;
      // the reconciler then tries once more, within its deadline, the ends it could neither write
      // nor queue.
      await reconciler.stopClosing();
      await events.settleAll();
      await reconciler.stop();
      await cluster?.stop();
      await redis?.close();
      await deliveries.stop();
      if (!overrides.jobs) await jobs.close();
      if (!overrides.store) await store.close();
      logger.info({ event: 'server.stopped' }, 'stopped');
    })();
    return stopping;
  };
  /** Other instances' streams relayed through this one go on until they end, up to the drain's timeout. */
  const settleRelays = async (relays: Cluster['relays'], withinMs: number): Promise<void> => {
    if (relays.open() === 0) return;
    logger.info({ event: 'cluster.relays_draining', streams: relays.open(), timeoutMs: Math.max(0, withinMs) }, 'waiting for the media streams relayed to other instances to end');
    const left = await relays.settled(Math.max(0, withinMs));
    if (left > 0) {
      logger.warn({ event: 'cluster.relays_cut', streams: left }, 'closing the media streams still relayed to other instances');
      relays.closeAll();
    }
  };
  const endCallsNow = (): void => {
    endingNow = true;
    calls.endNow();
    cluster?.relays.closeAll();
  };
  return { config, logger, http, address, calls, store, records, metrics, readiness, jobs, deliveries, stop, endCallsNow };
}

/** The database DATABASE_URL or TOLK_DB_PATH names; one that cannot be used is a StartupError naming that variable. */
async function openConfiguredStore(config: Config, logger: Logger): Promise<Store> {
  try {
    return await openStore({ databaseUrl: config.DATABASE_URL, sqlitePath: config.TOLK_DB_PATH, connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS, logger });
  } catch (err) {
    if (err instanceof StoreUnavailableError) {
      throw new StartupError(err.dialect === 'postgres' ? 'DATABASE_URL' : 'TOLK_DB_PATH', `${err.target} ${err.reason}`, { cause: err });
    }
    throw err;
  }
}

/** The job queues on REDIS_URL (in this process without it); TOLK_WORKERS=off needs Redis, or nothing would run the jobs. */
function openConfiguredJobs(config: Config, logger: Logger, metrics: Metrics): JobQueues {
  if (config.TOLK_WORKERS === 'off' && !config.REDIS_URL) {
    throw new StartupError('TOLK_WORKERS', 'is off but REDIS_URL is unset: without Redis no tolk worker can reach the jobs, so the server must run them (unset TOLK_WORKERS or set REDIS_URL)');
  }
  return openJobQueues({
    redisUrl: config.REDIS_URL,
    prefix: config.TOLK_QUEUE_PREFIX,
    lockDurationMs: config.TOLK_JOB_LOCK_MS,
    specs: queueSpecs({ callsPerSecond: config.TWILIO_CPS }),
    logger,
    events: metrics.jobEvents(),
  });
}

/** Listens on PORT/HOST; an address that is taken or not this machine's is a StartupError. */
async function listen(http: HttpServer, config: Config): Promise<AddressInfo> {
  try {
    return await http.listen(config.PORT, config.HOST);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw portInUse(config.PORT, config.HOST, err);
    if (code === 'EACCES') throw new StartupError('PORT', `${config.PORT} needs more privileges than this process has (use a port above 1023)`, { cause: err });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new StartupError('HOST', `${config.HOST} is not an address of this machine (${code})`, { cause: err });
    }
    throw err;
  }
}

/** How other instances reach this one when TOLK_INTERNAL_URL is unset: HOST, or the host name when it listens on every address. */
function internalHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return os.hostname();
  return host.includes(':') ? `[${host}]` : host;
}

function scaledNow(timeScale: number): () => number {
  return () => performance.now() / timeScale;
}
