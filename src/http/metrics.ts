/**
 * Prometheus metrics. `Metrics` owns its own prom-client Registry (never the global one, so tests
 * and several instances never collide) and offers one method per thing the call bridge does.
 * Methods take milliseconds, as the bridge measures; metrics are exported in seconds, as
 * Prometheus convention asks. Hot-path histograms (per frame, per tick) are `HistogramRecorder`s,
 * which count observations apart and hand them to prom-client at scrape time.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HistogramRecorder, type RecordedSeries } from './histogram-recorder';
import type { JobQueueEvents, QueueCounts } from '../jobs/queue';
import type { HttpModule } from './server';
import type { UtteranceDelay } from '../call/ports';

export type FramePath = 'in' | 'out';

export interface MetricsOptions {
  /** Also export Node.js process metrics (CPU, memory, event-loop lag, GC). Default true. */
  defaultMetrics?: boolean;
  /** Prefix of every metric name. Default 'tolk_'. */
  prefix?: string;
}

/** From end of speech to first translated audio played: about 0.2 s to 5 s is the useful range. */
const UTTERANCE_LATENCY_BUCKETS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10];
/** tolk's own work per 20 ms frame: microseconds normally, milliseconds means trouble. */
const FRAME_PROCESSING_BUCKETS = [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2];
/** Inbound audio a leg's jitter buffer holds: 0 on a calm network, tens of ms under jitter, 300 ms at most. */
const JITTER_DELAY_BUCKETS = [0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3];
/** Audio waiting in a leg's play-out queue, sampled about once a second per leg. */
const PLAYOUT_DEPTH_BUCKETS = [0, 0.02, 0.04, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8];

const ms = (v: number) => v / 1000;

/** Prometheus metrics; satisfies the call core's `CallMetrics` (src/call/ports/metrics.ts). Times in ms. */
export class Metrics {
  readonly registry = new Registry();

  private readonly activeCalls: Gauge;
  private readonly activeSessions: Gauge;
  private readonly callsTotal: Counter<'outcome'>;
  private readonly reconnects: Counter<'direction'>;
  private readonly failures: Counter<'kind'>;
  private readonly utteranceLatency: Histogram<'direction'>;
  private readonly utteranceLag: Histogram<'direction'>;
  private readonly frameIn: RecordedSeries;
  private readonly frameOut: RecordedSeries;
  private readonly playoutDepth: RecordedSeries;
  private readonly playoutDropped: Counter;
  private readonly playoutUnderrunCount: Counter;
  private readonly playoutConcealmentCount: Counter;
  private readonly playoutConcealed: Counter;
  private readonly clockSkips: Counter;
  private readonly inboundUnderruns: Counter;
  private readonly inboundLateFrames: Counter;
  private readonly inboundJitterDelay: RecordedSeries;
  private readonly activeByKind: Gauge<'kind'>;
  private readonly callsByKind: Counter<'kind' | 'outcome'>;
  private readonly prefix: string;
  private readonly jobRetries: Counter<'queue'>;
  private readonly jobFailures: Counter<'queue'>;
  private readonly webhooks: Counter<'outcome'>;
  private readonly uninterpreted: Counter<'scope'>;
  private readonly restored: Counter<'scope'>;

  constructor(opts: MetricsOptions = {}) {
    const p = opts.prefix ?? 'tolk_';
    this.prefix = p;
    const registers = [this.registry];
    // The event-loop lag gauges are read from a histogram of the intervals of a sampling timer,
    // so each reading includes the timer's own period: at prom-client's default 10 ms an idle
    // loop reports ~10 ms of "lag". A 1 ms period keeps readings within ~1 ms of the real delay.
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: p, eventLoopMonitoringPrecision: 1 });

    this.jobRetries = new Counter({ name: `${p}job_retries_total`, help: 'Job attempts that failed and were retried, by queue', labelNames: ['queue'], registers });
    this.jobFailures = new Counter({ name: `${p}job_failures_total`, help: 'Jobs that failed for good, by queue', labelNames: ['queue'], registers });
    this.webhooks = new Counter({ name: `${p}webhook_deliveries_total`, help: 'Webhook delivery attempts, by outcome (delivered, retried, failed: for good)', labelNames: ['outcome'], registers });
    this.activeCalls = new Gauge({ name: `${p}active_calls`, help: 'Calls in progress', registers });
    this.uninterpreted = new Counter({
      name: `${p}conferences_uninterpreted_total`,
      help:
        'Times interpretation became unavailable in a conference, counted when it happened, including those where it came back later (see conferences_interpretation_restored_total): once per conference whose every interpreter leg failed (scope conference), or each time one party\'s own interpreter leg failed while the others stayed interpreted (scope party)',
      labelNames: ['scope'],
      registers,
    });
    this.restored = new Counter({
      name: `${p}conferences_interpretation_restored_total`,
      help: 'Times interpretation came back after it became unavailable (a leg refused for now was asked for again and joined): to every party of a conference (scope conference), or to one party whose own leg had failed (scope party); conferences_uninterpreted_total less this, by scope, is how many stayed uninterpreted',
      labelNames: ['scope'],
      registers,
    });
    this.activeSessions = new Gauge({
      name: `${p}active_translation_sessions`,
      help: 'Open translation sessions (one per direction of each call)',
      registers,
    });
    this.callsTotal = new Counter({
      name: `${p}calls_total`,
      help: 'Calls ended, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.activeByKind = new Gauge({ name: `${p}active_calls_by_kind`, help: 'Calls in progress, by kind (direct, conference)', labelNames: ['kind'], registers });
    this.callsByKind = new Counter({
      name: `${p}calls_by_kind_total`,
      help: 'Calls ended, by kind (direct, conference) and outcome',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.reconnects = new Counter({
      name: `${p}translation_reconnects_total`,
      help: 'Translation sessions re-opened after a drop, by direction',
      labelNames: ['direction'],
      registers,
    });
    this.failures = new Counter({
      name: `${p}translation_failures_total`,
      help: 'Translation failures, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.utteranceLatency = new Histogram({
      name: `${p}utterance_latency_seconds`,
      help: "From the end of the speaker's speech to the first translated audio played to the listener",
      labelNames: ['direction'],
      buckets: UTTERANCE_LATENCY_BUCKETS,
      registers,
    });
    this.utteranceLag = new Histogram({
      name: `${p}utterance_lag_seconds`,
      help: "From the start of the speaker's speech to the start of its translation played to the listener (how far the listener is behind)",
      labelNames: ['direction'],
      buckets: UTTERANCE_LATENCY_BUCKETS,
      registers,
    });
    const frameProcessing = new HistogramRecorder({
      name: `${p}frame_processing_seconds`,
      help: "tolk's own processing time per audio frame (in: Twilio to translator, out: translator to Twilio)",
      labelNames: ['path'],
      buckets: FRAME_PROCESSING_BUCKETS,
      registers,
    });
    this.frameIn = frameProcessing.series({ path: 'in' });
    this.frameOut = frameProcessing.series({ path: 'out' });
    this.playoutDepth = new HistogramRecorder({
      name: `${p}playout_queue_depth_seconds`,
      help: "Translated audio tolk holds for a leg, not yet sent to the phone network, sampled about once a second per leg",
      buckets: PLAYOUT_DEPTH_BUCKETS,
      registers,
    }).series({});
    this.playoutDropped = new Counter({
      name: `${p}playout_dropped_seconds_total`,
      help: 'Audio discarded because a play-out queue was full',
      registers,
    });
    this.playoutUnderrunCount = new Counter({
      name: `${p}playout_underruns_total`,
      help: 'Times translated speech ran dry inside an utterance and resumed: a gap the listener heard',
      registers,
    });
    this.playoutConcealmentCount = new Counter({
      name: `${p}playout_concealments_total`,
      help: 'Times translated speech ran dry inside an utterance and was carried on (its last pitch period repeated) until it resumed: no gap heard',
      registers,
    });
    this.playoutConcealed = new Counter({
      name: `${p}playout_concealed_seconds_total`,
      help: 'Translated speech made up while carrying an utterance over until it resumed (each second of it delays the rest of its utterance)',
      registers,
    });
    this.inboundUnderruns = new Counter({
      name: `${p}inbound_underruns_total`,
      help: "Times a leg's inbound voice was late: a frame not there when due, a hole in the audio passed on",
      registers,
    });
    this.inboundLateFrames = new Counter({
      name: `${p}inbound_late_frames_total`,
      help: "Inbound frames that nearly missed their tick: each time a leg's jitter buffer took one more frame (20 ms) in hand",
      registers,
    });
    this.inboundJitterDelay = new HistogramRecorder({
      name: `${p}inbound_jitter_delay_seconds`,
      help: "Inbound audio held by a leg's jitter buffer (the delay it adds), sampled about once a second per leg",
      buckets: JITTER_DELAY_BUCKETS,
      registers,
    }).series({});
    this.clockSkips = new Counter({
      name: `${p}clock_skipped_frames_total`,
      help: 'Play-out frames skipped because the event loop stalled for longer than the clock catches up',
      registers,
    });
  }

  /**
   * Exposes a plain counters object, read at scrape time, as `tolk_<name>{kind}` (e.g. the Twilio
   * edge's counters, kept free of prom-client).
   */
  exposeCounters(name: string, help: string, read: () => Readonly<Record<string, number>>): void {
    new Gauge({
      name: `${this.prefix}${name}`,
      help,
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        for (const [kind, value] of Object.entries(read())) this.set({ kind }, value);
      },
    });
  }

  /**
   * Background job queues, read at scrape time: `tolk_jobs{queue,state}` and
   * `tolk_jobs_oldest_waiting_seconds{queue}`; `jobEvents()` counts retries and final failures.
   */
  exposeJobs(read: () => Promise<readonly QueueCounts[]>): void {
    const oldest = new Gauge({ name: `${this.prefix}jobs_oldest_waiting_seconds`, help: 'Age of the oldest job that is due and not yet started, by queue', labelNames: ['queue'], registers: [this.registry] });
    new Gauge({
      name: `${this.prefix}jobs`,
      help: 'Background jobs, by queue and state (waiting, delayed, active, completed, failed)',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        let counts: readonly QueueCounts[];
        try {
          counts = await read();
        } catch {
          return; // the queue store is unreachable: nothing to report this scrape
        }
        for (const c of counts) {
          for (const state of ['waiting', 'delayed', 'active', 'completed', 'failed'] as const) this.set({ queue: c.queue, state }, c[state]);
          oldest.set({ queue: c.queue }, c.oldestWaitingMs / 1000);
        }
      },
    });
  }

  /** Listeners for the job queues' retries and final failures (counted by queue). */
  jobEvents(): JobQueueEvents {
    const retries = this.jobRetries;
    const failures = this.jobFailures;
    return {
      retrying: (queue) => retries.inc({ queue }),
      failed: (queue) => failures.inc({ queue }),
    };
  }

  webhookDelivered(): void {
    this.webhooks.inc({ outcome: 'delivered' });
  }

  webhookRetried(): void {
    this.webhooks.inc({ outcome: 'retried' });
  }

  webhookFailed(): void {
    this.webhooks.inc({ outcome: 'failed' });
  }

  clockSkipped(frames: number): void {
    this.clockSkips.inc(frames);
  }

  callStarted(kind = 'direct'): void {
    this.activeCalls.inc();
    this.activeByKind.inc({ kind });
  }

  /** A call that `callStarted` counted has ended. */
  callEnded(outcome: string, kind = 'direct'): void {
    this.activeCalls.dec();
    this.activeByKind.dec({ kind });
    this.callsByKind.inc({ kind, outcome });
    this.callsTotal.inc({ outcome });
  }

  callMoved(direction: 'in' | 'out', kind: string): void {
    const step = direction === 'in' ? 1 : -1;
    this.activeCalls.inc(step);
    this.activeByKind.inc({ kind }, step);
  }

  /** A call that ended before it was counted as started (e.g. an unknown number). */
  callRejected(outcome: string): void {
    this.callsTotal.inc({ outcome });
  }

  translationSessionOpened(): void {
    this.activeSessions.inc();
  }

  translationSessionClosed(): void {
    this.activeSessions.dec();
  }

  translationReconnected(direction: string): void {
    this.reconnects.inc({ direction });
  }

  conferenceUninterpreted(scope: 'conference' | 'party'): void {
    this.uninterpreted.inc({ scope });
  }

  conferenceInterpretationRestored(scope: 'conference' | 'party'): void {
    this.restored.inc({ scope });
  }

  translationFailed(kind: string): void {
    this.failures.inc({ kind });
  }

  observeUtteranceDelay(direction: string, delay: UtteranceDelay): void {
    this.utteranceLatency.observe({ direction }, ms(delay.latencyMs));
    if (delay.lagMs !== undefined) this.utteranceLag.observe({ direction }, ms(delay.lagMs));
  }

  observeFrameProcessing(path: FramePath, durationMs: number): void {
    (path === 'in' ? this.frameIn : this.frameOut).observe(ms(durationMs));
  }

  observePlayoutDepth(depthMs: number): void {
    this.playoutDepth.observe(ms(depthMs));
  }

  playoutOverflow(droppedMs: number): void {
    this.playoutDropped.inc(ms(droppedMs));
  }

  playoutUnderruns(count: number): void {
    this.playoutUnderrunCount.inc(count);
  }

  playoutConcealments(count: number, concealedMs: number): void {
    this.playoutConcealmentCount.inc(count);
    this.playoutConcealed.inc(ms(concealedMs));
  }

  inboundUnderrun(): void {
    this.inboundUnderruns.inc();
  }

  inboundLateFrame(): void {
    this.inboundLateFrames.inc();
  }

  observeInboundJitterDelay(depthMs: number): void {
    this.inboundJitterDelay.observe(ms(depthMs));
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** `GET /metrics` in Prometheus text format. */
export function createMetricsModule(metrics: Metrics, path = '/metrics'): HttpModule {
  return {
    name: 'metrics',
    mount(app) {
      app.get(path, async (_req, res) => {
        const body = await metrics.render();
        res.set('Content-Type', metrics.contentType).set('Cache-Control', 'no-store').send(body);
      });
    },
  };
}
