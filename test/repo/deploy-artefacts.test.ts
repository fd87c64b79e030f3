/**
 * The deployment artefacts in scripts/deploy/ (Kubernetes manifests, Grafana dashboard, Prometheus
 * alert rules) parse, agree with each other, and name only metrics and endpoints that a running tolk
 * really serves.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { startApp, type App } from '../../src/app';
import { NOTICE_LIMIT_MS } from '../../src/call/call-service';
import { MOVE_PHASE_LIMIT_MS } from '../../src/cluster/move-calls';
import { loadConfig } from '../../src/config/env';
import { silentLogger } from '../store/helpers/silent-logger';
import { testAppConfig } from '../helpers/app-config';

const deployDir = path.resolve(__dirname, '../../scripts/deploy');
const read = (f: string): string => fs.readFileSync(path.join(deployDir, f), 'utf8');

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`not an object: ${JSON.stringify(v)}`);
  return v as Obj;
};
const arr = (v: unknown): unknown[] => {
  if (!Array.isArray(v)) throw new Error(`not a list: ${JSON.stringify(v)}`);
  return v;
};
const at = (v: unknown, ...keys: (string | number)[]): unknown => keys.reduce<unknown>((o, k) => (typeof k === 'number' ? arr(o)[k] : obj(o)[k]), v);

/** Every document of a multi-document YAML file; a syntax error fails the test. */
function yamlDocs(file: string): Obj[] {
  const docs = parseAllDocuments(read(file));
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) expect(d.errors.map((e) => e.message)).toEqual([]);
  return list.map((d) => d.toJS() as unknown).filter((d) => d !== null).map(obj);
}

function kind(docs: Obj[], k: string): Obj {
  const found = docs.filter((d) => d.kind === k);
  expect(found).toHaveLength(1);
  return found[0];
}

/** Metric names a PromQL expression reads (tolk's own; Prometheus built-ins like `up` are not tolk's to check). */
const metricNames = (expr: string): string[] => [...expr.matchAll(/\btolk_[a-zA-Z0-9_]+\b/g)].map((m) => m[0]);

/** Brackets, braces, parentheses and quotes balance: the expression is at least well-formed. */
function balanced(expr: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  let quote: string | undefined;
  for (const c of expr) {
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) stack.push(c);
    else if (c in pairs && stack.pop() !== pairs[c]) return false;
  }
  return stack.length === 0 && quote === undefined;
}

const alertRules = (): Obj[] => arr(obj(parseYaml(read('monitoring/prometheus-alerts.yaml'))).groups).flatMap((g) => arr(obj(g).rules).map(obj));

interface DashboardPanel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
const dashboard = (): { panels: DashboardPanel[]; templating: { list: { query: unknown }[] } } => JSON.parse(read('monitoring/grafana-dashboard.json')) as never;

describe('deployment artefacts against a running tolk', () => {
  let app: App;
  let dir: string;
  let base: string;
  let exported: Set<string>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-deploy-'));
    app = await startApp(testAppConfig(dir), silentLogger());
    base = `http://127.0.0.1:${app.address.port}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    // Series names as Prometheus stores them: a histogram is its _bucket, _sum and _count series.
    exported = new Set<string>();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      const [, name, type] = m;
      exported.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(name + s);
      if (type === 'summary') for (const s of ['_sum', '_count']) exported.add(name + s);
    }
  });

  afterAll(async () => {
    await app?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads tolk metrics from /metrics (the check below has something to check against)', () => {
    expect(exported).toContain('tolk_active_calls');
    expect(exported).toContain('tolk_utterance_latency_seconds_bucket');
    expect(exported).not.toContain('tolk_no_such_metric');
  });

  it('the alert rules parse, are well-formed, and name only metrics tolk exports', () => {
    const rules = alertRules();
    expect(rules.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const r of rules) {
      expect(typeof r.alert).toBe('string');
      expect(typeof r.expr).toBe('string');
      expect(String(r.alert)).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
      expect(['warning', 'critical']).toContain(at(r, 'labels', 'severity'));
      expect(typeof at(r, 'annotations', 'summary')).toBe('string');
      if (r.for !== undefined) expect(r.for).toMatch(/^\d+[smh]$/);
      const expr = String(r.expr);
      expect({ alert: r.alert, balanced: balanced(expr) }).toEqual({ alert: r.alert, balanced: true });
      const names = metricNames(expr);
      expect({ alert: r.alert, names: names.length > 0 }).toEqual({ alert: r.alert, names: true });
      for (const n of names) if (!exported.has(n)) missing.push(`${String(r.alert)}: ${n}`);
    }
    expect(missing).toEqual([]);
    const alerts = rules.map((r) => String(r.alert));
    expect(new Set(alerts).size).toBe(alerts.length);
  });

  it('the alert rules cover latency, call failures, play-out drops, event-loop lag, job queues and deliveries', () => {
    const read = new Set(alertRules().flatMap((r) => metricNames(String(r.expr))));
    for (const m of [
      'tolk_utterance_latency_seconds_bucket',
      'tolk_calls_total',
      'tolk_translation_failures_total',
      'tolk_playout_dropped_seconds_total',
      'tolk_nodejs_eventloop_lag_p99_seconds',
      'tolk_jobs_oldest_waiting_seconds',
      'tolk_webhook_deliveries_total',
    ]) {
      expect(read).toContain(m);
    }
  });

  it('the Grafana dashboard parses and every query names only metrics tolk exports', () => {
    const d = dashboard();
    const graphs = d.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(0);
    const missing: string[] = [];
    const queries = [...graphs.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))), ...d.templating.list.map((v) => ({ where: 'variable', expr: JSON.stringify(v.query) }))];
    for (const p of graphs) expect({ panel: p.title, targets: (p.targets ?? []).length > 0 }).toEqual({ panel: p.title, targets: true });
    for (const q of queries) {
      expect({ where: q.where, balanced: balanced(q.expr) }).toEqual({ where: q.where, balanced: true });
      for (const n of metricNames(q.expr)) if (!exported.has(n)) missing.push(`${q.where}: ${n}`);
    }
    expect(missing).toEqual([]);
    const shown = new Set(queries.flatMap((q) => metricNames(q.expr)));
    for (const m of ['tolk_active_calls', 'tolk_utterance_latency_seconds_bucket', 'tolk_calls_total', 'tolk_playout_dropped_seconds_total', 'tolk_nodejs_eventloop_lag_p99_seconds', 'tolk_jobs', 'tolk_webhook_deliveries_total']) {
      expect(shown).toContain(m);
    }
  });

  it("the Deployment's probes ask endpoints tolk serves: /readyz for readiness, /healthz for liveness", async () => {
    const deployment = kind(yamlDocs('kubernetes/tolk.yaml'), 'Deployment');
    const container = obj(at(deployment, 'spec', 'template', 'spec', 'containers', 0));
    expect(at(container, 'readinessProbe', 'httpGet', 'path')).toBe('/readyz');
    expect(at(container, 'livenessProbe', 'httpGet', 'path')).toBe('/healthz');
    const status = async (probe: string): Promise<{ probe: string; status: number }> => ({ probe, status: (await fetch(`${base}${String(at(container, probe, 'httpGet', 'path'))}`)).status });
    // Not ready until it has a number to answer; then every probe passes.
    expect(await status('readinessProbe')).toEqual({ probe: 'readinessProbe', status: 503 });
    await app.store.numbers.upsert({ number: '+15550001111', destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', echoTargetLanguage: false, originalVolume: 0.16, rememberLanguage: true });
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) expect(await status(probe)).toEqual({ probe, status: 200 });
    // Draining: out of the Service at once, but alive (liveness must not restart a pod moving its calls).
    app.readiness.startDraining();
    expect(await status('readinessProbe')).toEqual({ probe: 'readinessProbe', status: 503 });
    expect(await status('livenessProbe')).toEqual({ probe: 'livenessProbe', status: 200 });
    // The metric the autoscaler reads is one tolk exports.
    const hpa = kind(yamlDocs('kubernetes/autoscaler.yaml'), 'HorizontalPodAutoscaler');
    expect(exported).toContain(String(at(hpa, 'spec', 'metrics', 0, 'pods', 'metric', 'name')));
  });
});

describe('Kubernetes manifests', () => {
  const docs = yamlDocs('kubernetes/tolk.yaml');
  const config = obj(kind(docs, 'ConfigMap').data);
  const deployment = kind(docs, 'Deployment');
  const pod = obj(at(deployment, 'spec', 'template', 'spec'));
  const container = obj(at(pod, 'containers', 0));

  it("gives tolk settings it accepts (with the Secret's values)", () => {
    const secretKeys = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'GEMINI_API_KEY', 'ADMIN_TOKEN', 'MEDIA_STREAM_SECRET', 'DATABASE_URL', 'REDIS_URL'];
    const header = read('kubernetes/tolk.yaml');
    for (const k of secretKeys) expect(header).toContain(`--from-literal=${k}=`);
    for (const v of Object.values(config)) expect(typeof v).toBe('string');
    const env = {
      ...(config as Record<string, string>),
      TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
      TWILIO_AUTH_TOKEN: 'f'.repeat(32),
      GEMINI_API_KEY: 'key',
      ADMIN_TOKEN: 'a'.repeat(32),
      MEDIA_STREAM_SECRET: 's'.repeat(32),
      DATABASE_URL: 'postgres://tolk@db/tolk',
      REDIS_URL: 'redis://redis:6379',
    };
    expect(() => loadConfig(env)).not.toThrow();
    expect(at(container, 'envFrom', 0, 'configMapRef', 'name')).toBe(at(kind(docs, 'ConfigMap'), 'metadata', 'name'));
    expect(at(container, 'envFrom', 1, 'secretRef', 'name')).toBe('tolk-secrets');
  });

  it('listens where the probes, the Service and the scrape annotations look', () => {
    const port = Number(config.PORT);
    const ports = arr(container.ports).map(obj);
    expect(ports).toContainEqual(expect.objectContaining({ name: 'http', containerPort: port }));
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) expect(at(container, probe, 'httpGet', 'port')).toBe('http');
    expect(at(deployment, 'spec', 'template', 'metadata', 'annotations', 'prometheus.io/port')).toBe(String(port));
    expect(at(deployment, 'spec', 'template', 'metadata', 'annotations', 'prometheus.io/path')).toBe('/metrics');
    expect(fs.readFileSync(path.resolve(__dirname, '../../Dockerfile'), 'utf8')).toMatch(new RegExp(`^EXPOSE ${port}$`, 'm'));

    const service = kind(docs, 'Service');
    const podLabels = obj(at(deployment, 'spec', 'template', 'metadata', 'labels'));
    for (const [k, v] of Object.entries(obj(at(service, 'spec', 'selector')))) expect(podLabels[k]).toBe(v);
    expect(at(service, 'spec', 'ports', 0, 'targetPort')).toBe('http');
    for (const [k, v] of Object.entries(obj(at(deployment, 'spec', 'selector', 'matchLabels')))) expect(podLabels[k]).toBe(v);
  });

  it('gives a stopping pod time to move and drain its calls: preStop pause + the move + TOLK_DRAIN_TIMEOUT_MS fit in the grace period', () => {
    const command = arr(at(container, 'lifecycle', 'preStop', 'exec', 'command')).map(String);
    expect(command[0]).toBe('sleep');
    const pauseSec = Number(command[1]);
    expect(pauseSec).toBeGreaterThan(0);
    const drainMs = Number(config.TOLK_DRAIN_TIMEOUT_MS);
    expect(drainMs).toBe(30 * 60_000);
    const grace = Number(pod.terminationGracePeriodSeconds);
    // The move, the drain, then the notices (NOTICE_LIMIT_MS), then closing down (SHUTDOWN_GRACE_MS).
    expect(grace).toBeGreaterThanOrEqual(pauseSec + (MOVE_PHASE_LIMIT_MS + drainMs + NOTICE_LIMIT_MS + Number(config.SHUTDOWN_GRACE_MS)) / 1000);
    // A rolling update starts the new pod before stopping an old one, so moved calls have somewhere to go.
    expect(at(deployment, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable')).toBe(0);
  });

  it('scales the Deployment on tolk_active_calls, served by the custom-metrics adapter rule', () => {
    const hpa = kind(yamlDocs('kubernetes/autoscaler.yaml'), 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(at(hpa, 'spec', 'scaleTargetRef', 'kind')).toBe('Deployment');
    expect(at(hpa, 'spec', 'scaleTargetRef', 'name')).toBe(at(deployment, 'metadata', 'name'));
    expect(at(hpa, 'spec', 'metrics', 0, 'type')).toBe('Pods');
    expect(at(hpa, 'spec', 'metrics', 0, 'pods', 'metric', 'name')).toBe('tolk_active_calls');
    expect(Number(at(hpa, 'spec', 'minReplicas'))).toBeGreaterThanOrEqual(2);

    const adapter = obj(parseYaml(read('kubernetes/prometheus-adapter.yaml')));
    const rules = arr(at(adapter, 'rules', 'custom')).map(obj);
    const served = rules.map((r) => at(r, 'name', 'as'));
    expect(served).toContain('tolk_active_calls');
    const rule = rules[served.indexOf('tolk_active_calls')];
    expect(metricNames(String(rule.seriesQuery))).toEqual(['tolk_active_calls']);
  });
});
