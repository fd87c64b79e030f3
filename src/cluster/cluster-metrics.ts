/**
 * Metrics of the whole cluster from any instance: `GET /metrics/cluster` asks every instance that is
 * up for its metrics (`GET /metrics/instance.json`, with a deadline) and answers their sums in the
 * Prometheus text format (counters, gauges and histogram buckets added up across instances).
 * `X-Tolk-Instances` names the instances counted, `X-Tolk-Instances-Missing` any that did not
 * answer in time. `/metrics` stays this instance's own, for a Prometheus that scrapes each one.
 */
import { AggregatorRegistry } from 'prom-client';

type MetricsJson = Awaited<ReturnType<Metrics['registry']['getMetricsAsJSON']>>;
import type { HttpModule } from '../http/server';
import type { Metrics } from '../http/metrics';
import type { Logger } from '../log/logger';
import type { Member } from './directory';

export const CLUSTER_METRICS_PATH = '/metrics/cluster';
export const INSTANCE_METRICS_JSON_PATH = '/metrics/instance.json';

export interface ClusterMetricsDeps {
  self: string;
  metrics: Metrics;
  /** The instances that are up (this one included). */
  members(): Promise<Member[]>;
  logger: Logger;
  /** Deadline of each instance's answer (default 2 s). */
  timeoutMs?: number;
}

export function createClusterMetricsModule(deps: ClusterMetricsDeps): HttpModule {
  const log = deps.logger.child({ component: 'cluster-metrics' });
  const timeoutMs = deps.timeoutMs ?? 2000;
  const fetchOne = async (m: Member): Promise<MetricsJson> => {
    const res = await fetch(m.url.replace(/\/+$/, '') + INSTANCE_METRICS_JSON_PATH, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return (await res.json()) as MetricsJson;
  };
  return {
    name: 'cluster-metrics',
    mount(app) {
      app.get(INSTANCE_METRICS_JSON_PATH, async (_req, res) => {
        res.set('Cache-Control', 'no-store').json(await deps.metrics.registry.getMetricsAsJSON());
      });
      app.get(CLUSTER_METRICS_PATH, async (_req, res) => {
        const others = (await deps.members().catch(() => [] as Member[])).filter((m) => m.id !== deps.self);
        const answers = await Promise.allSettled(others.map(fetchOne));
        const counted = [deps.self];
        const missing: string[] = [];
        const all: MetricsJson[] = [await deps.metrics.registry.getMetricsAsJSON()];
        answers.forEach((a, i) => {
          if (a.status === 'fulfilled') {
            all.push(a.value);
            counted.push(others[i].id);
          } else {
            missing.push(others[i].id);
            log.warn({ event: 'cluster.metrics_missing', instance: others[i].id, err: a.reason as unknown }, 'an instance did not give its metrics in time');
          }
        });
        const registry = AggregatorRegistry.aggregate(all);
        res.set('Content-Type', registry.contentType).set('Cache-Control', 'no-store').set('X-Tolk-Instances', counted.sort().join(','));
        if (missing.length > 0) res.set('X-Tolk-Instances-Missing', missing.sort().join(','));
        res.send(await registry.metrics());
      });
    },
  };
}
