import request from 'supertest';
import { Writable } from 'node:stream';
import { Histogram, register as globalRegistry, Registry } from 'prom-client';
import { createLogger } from '../../src/log/logger';
import { Readiness } from '../../src/http/readiness';
import { createHttpServer } from '../../src/http/server';
import { createMetricsModule, Metrics } from '../../src/http/metrics';

const silent = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition into samples, and HELP/TYPE lines into a type map. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('Metrics', () => {
  it('exports plain counter objects read at scrape time, and skipped clock frames', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const edge = { gap_fill_ms: 40, bad_base64: 0 };
    m.exposeCounters('twilio_edge_events', 'edge events', () => edge);
    m.clockSkipped(3);
    edge.gap_fill_ms = 60;
    const { samples } = parse(await m.render());
    expect(value(samples, 'tolk_twilio_edge_events', { kind: 'gap_fill_ms' })).toBe(60);
    expect(value(samples, 'tolk_twilio_edge_events', { kind: 'bad_base64' })).toBe(0);
    expect(value(samples, 'tolk_clock_skipped_frames_total')).toBe(3);
  });

  it('exports the call bridge counters, gauges and histograms with the observed values', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.callStarted();
    m.callStarted();
    m.callStarted();
    m.callEnded('completed');
    m.callEnded('busy');
    m.callRejected('unknown-number');
    m.translationSessionOpened();
    m.translationSessionOpened();
    m.translationSessionOpened();
    m.translationSessionClosed();
    m.translationReconnected('caller->agent');
    m.translationReconnected('caller->agent');
    m.translationFailed('quota');
    m.observeUtteranceDelay('caller->agent', { latencyMs: 850, lagMs: 2100 });
    m.observeUtteranceDelay('caller->agent', { latencyMs: 1900 });
    m.observeUtteranceDelay('agent->caller', { latencyMs: 4000, lagMs: 900 });
    m.observeFrameProcessing('in', 0.03); // 30 µs
    m.observeFrameProcessing('out', 0.2);
    m.observeFrameProcessing('out', 0.004);
    m.observePlayoutDepth(60);
    m.observePlayoutDepth(0);
    m.playoutOverflow(40);
    m.playoutUnderruns(2);
    m.playoutConcealments(3, 90);
    m.inboundUnderrun();
    m.inboundLateFrame();
    m.inboundLateFrame();
    m.observeInboundJitterDelay(40);

    const { samples, types } = parse(await m.render());
    expect(value(samples, 'tolk_active_calls')).toBe(1);
    expect(value(samples, 'tolk_active_translation_sessions')).toBe(2);
    expect(value(samples, 'tolk_calls_total', { outcome: 'completed' })).toBe(1);
    expect(value(samples, 'tolk_calls_total', { outcome: 'busy' })).toBe(1);
    expect(value(samples, 'tolk_calls_total', { outcome: 'unknown-number' })).toBe(1);
    expect(value(samples, 'tolk_translation_reconnects_total', { direction: 'caller->agent' })).toBe(2);
    expect(value(samples, 'tolk_translation_failures_total', { kind: 'quota' })).toBe(1);
    expect(types.has('tolk_media_stream_errors_total')).toBe(false);
    expect(value(samples, 'tolk_playout_dropped_seconds_total')).toBeCloseTo(0.04);
    expect(value(samples, 'tolk_playout_underruns_total')).toBe(2);
    expect(value(samples, 'tolk_playout_concealments_total')).toBe(3);
    expect(value(samples, 'tolk_playout_concealed_seconds_total')).toBeCloseTo(0.09);

    // Histograms: seconds, cumulative buckets.
    expect(types.get('tolk_utterance_latency_seconds')).toBe('histogram');
    const lat = { direction: 'caller->agent' };
    expect(value(samples, 'tolk_utterance_latency_seconds_count', lat)).toBe(2);
    expect(value(samples, 'tolk_utterance_latency_seconds_sum', lat)).toBeCloseTo(2.75);
    expect(value(samples, 'tolk_utterance_latency_seconds_bucket', { ...lat, le: '0.8' })).toBe(0);
    expect(value(samples, 'tolk_utterance_latency_seconds_bucket', { ...lat, le: '1' })).toBe(1);
    expect(value(samples, 'tolk_utterance_latency_seconds_bucket', { ...lat, le: '2' })).toBe(2);
    expect(value(samples, 'tolk_utterance_latency_seconds_count', { direction: 'agent->caller' })).toBe(1);
    expect(types.get('tolk_utterance_lag_seconds')).toBe('histogram');
    expect(value(samples, 'tolk_utterance_lag_seconds_count', lat)).toBe(1);
    expect(value(samples, 'tolk_utterance_lag_seconds_sum', lat)).toBeCloseTo(2.1);
    expect(value(samples, 'tolk_utterance_lag_seconds_bucket', { ...lat, le: '2' })).toBe(0);
    expect(value(samples, 'tolk_utterance_lag_seconds_bucket', { ...lat, le: '2.5' })).toBe(1);
    expect(value(samples, 'tolk_utterance_lag_seconds_sum', { direction: 'agent->caller' })).toBeCloseTo(0.9);

    expect(value(samples, 'tolk_frame_processing_seconds_count', { path: 'in' })).toBe(1);
    expect(value(samples, 'tolk_frame_processing_seconds_bucket', { path: 'in', le: '0.000025' })).toBe(0);
    expect(value(samples, 'tolk_frame_processing_seconds_bucket', { path: 'in', le: '0.00005' })).toBe(1);
    expect(value(samples, 'tolk_frame_processing_seconds_bucket', { path: 'out', le: '0.000005' })).toBe(1);
    expect(value(samples, 'tolk_frame_processing_seconds_count', { path: 'out' })).toBe(2);

    expect(value(samples, 'tolk_playout_queue_depth_seconds_count')).toBe(2);
    expect(value(samples, 'tolk_playout_queue_depth_seconds_bucket', { le: '0' })).toBe(1);
    expect(value(samples, 'tolk_playout_queue_depth_seconds_bucket', { le: '0.04' })).toBe(1);
    expect(value(samples, 'tolk_playout_queue_depth_seconds_bucket', { le: '0.1' })).toBe(2);

    expect(value(samples, 'tolk_inbound_underruns_total')).toBe(1);
    expect(value(samples, 'tolk_inbound_late_frames_total')).toBe(2);
    expect(value(samples, 'tolk_inbound_jitter_delay_seconds_bucket', { le: '0.02' })).toBe(0);
    expect(value(samples, 'tolk_inbound_jitter_delay_seconds_bucket', { le: '0.04' })).toBe(1);
  });

  it("exports the per-frame and per-tick histograms exactly as prom-client's own Histogram would, scrape after scrape", async () => {
    // Names, help, labels and buckets as exported: a dashboard's queries depend on them.
    const reference = new Registry();
    const frame = new Histogram({
      name: 'tolk_frame_processing_seconds',
      help: "tolk's own processing time per audio frame (in: Twilio to translator, out: translator to Twilio)",
      labelNames: ['path'],
      buckets: [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2],
      registers: [reference],
    });
    const depth = new Histogram({
      name: 'tolk_playout_queue_depth_seconds',
      help: 'Translated audio tolk holds for a leg, not yet sent to the phone network, sampled about once a second per leg',
      buckets: [0, 0.02, 0.04, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8],
      registers: [reference],
    });
    const jitter = new Histogram({
      name: 'tolk_inbound_jitter_delay_seconds',
      help: "Inbound audio held by a leg's jitter buffer (the delay it adds), sampled about once a second per leg",
      buckets: [0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3],
      registers: [reference],
    });
    const m = new Metrics({ defaultMetrics: false });
    const names = ['tolk_frame_processing_seconds', 'tolk_playout_queue_depth_seconds', 'tolk_inbound_jitter_delay_seconds'];
    const blocks = (text: string) => text.split('\n\n').filter((b) => names.some((n) => b.startsWith(`# HELP ${n} `))).map((b) => b.trimEnd());
    const same = async () => {
      const got = blocks(await m.render());
      expect(got).toHaveLength(3);
      expect(got).toEqual(blocks(await reference.metrics()));
    };

    await same(); // before any observation: the unlabelled two at zero, no frame series
    const frameMs = [0.005, 0.01, 0.03, 0.2, 0.004, 0, 25, 26, 1e-4, 0.05];
    const depthMs = [0, 20, 40, 60, 12800, 13000];
    for (let round = 0; round < 3; round++) {
      for (const [i, v] of frameMs.entries()) {
        const path = (i + round) % 3 === 0 ? 'out' : 'in';
        m.observeFrameProcessing(path, v * (round + 1));
        frame.labels(path).observe((v * (round + 1)) / 1000);
      }
      for (const v of depthMs) {
        m.observePlayoutDepth(v + round);
        depth.observe((v + round) / 1000);
        m.observeInboundJitterDelay(v / 10);
        jitter.observe(v / 10 / 1000);
      }
      await same();
      await same(); // a second scrape counts nothing twice
    }
  });

  it('counts conferences left uninterpreted, for every party or for one, and apart those interpreted again', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.conferenceUninterpreted('conference');
    m.conferenceUninterpreted('party');
    m.conferenceUninterpreted('party');
    m.conferenceInterpretationRestored('party');
    const text = await m.registry.metrics();
    const { samples, types } = parse(text);
    expect(types.get('tolk_conferences_uninterpreted_total')).toBe('counter');
    expect(value(samples, 'tolk_conferences_uninterpreted_total', { scope: 'conference' })).toBe(1);
    expect(value(samples, 'tolk_conferences_uninterpreted_total', { scope: 'party' })).toBe(2);
    expect(types.get('tolk_conferences_interpretation_restored_total')).toBe('counter');
    expect(value(samples, 'tolk_conferences_interpretation_restored_total', { scope: 'party' })).toBe(1);
    expect(value(samples, 'tolk_conferences_interpretation_restored_total', { scope: 'conference' })).toBeUndefined();
    // What a reader of /metrics is told: the first counts those interpreted again too.
    expect(text).toMatch(/^# HELP tolk_conferences_uninterpreted_total .*including those where it came back later/m);
  });

  it('includes process metrics by default, in its own registry only', async () => {
    const a = new Metrics();
    const b = new Metrics(); // a second instance must not clash
    a.callStarted();
    const { samples } = parse(await a.render());
    expect(value(samples, 'tolk_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value(samples, 'tolk_nodejs_eventloop_lag_p99_seconds')).toBeDefined();
    expect(value(parse(await b.render()).samples, 'tolk_active_calls')).toBe(0);
    expect(globalRegistry.getSingleMetric('tolk_active_calls')).toBeUndefined();
  });
});

describe('GET /metrics', () => {
  it('serves the Prometheus text format', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.callStarted();
    const http = createHttpServer({ logger: silent, readiness: new Readiness(), modules: [createMetricsModule(metrics)] });
    const res = await request(http.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parse(res.text);
    expect(types.get('tolk_active_calls')).toBe('gauge');
    expect(value(samples, 'tolk_active_calls')).toBe(1);
  });
});
