import fc from 'fast-check';
import { format } from 'node:util';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { HistogramRecorder, type RecordedSeries } from '../../src/http/histogram-recorder';

const BUCKETS = [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2];
const DEPTH_BUCKETS = [0, 0.02, 0.04, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8];

/** The double next to x, up (+1) or down (-1). */
function adjacent(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigInt64(0, view.getBigInt64(0) + BigInt(x > 0 ? dir : -dir));
  return view.getFloat64(0);
}

/** Values a histogram over `buckets` meets at its edges, and anywhere. */
function values(buckets: readonly number[]): fc.Arbitrary<number> {
  const edges = buckets.flatMap((b) => [b, adjacent(b, 1), adjacent(b, -1)]);
  const last = buckets[buckets.length - 1];
  return fc.oneof(
    fc.constantFrom(...edges, 0, -0, -1e-9, -1, last * 2, 1e300, -1e300, Number.MAX_VALUE, Number.MIN_VALUE),
    fc.double({ min: -last, max: last * 1.5, noNaN: true }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
}

/** The same histogram twice, each in its own registry: prom-client's own, and recorded. */
function pair<T extends string>(labelNames: readonly T[], buckets: readonly number[]) {
  const config = { name: 'h_seconds', help: 'a histogram', labelNames: [...labelNames] };
  const plainRegistry = new Registry();
  const plain = new Histogram<T>({ ...config, buckets: [...buckets], registers: [plainRegistry] });
  const recordedRegistry = new Registry();
  const recorder = new HistogramRecorder<T>({ ...config, buckets, registers: [recordedRegistry] });
  return {
    plain,
    plainRegistry,
    recorder,
    recordedRegistry,
    scrapes: async () => [await plainRegistry.metrics(), await recordedRegistry.metrics()] as const,
  };
}

describe('HistogramRecorder', () => {
  it("scrapes as prom-client's observe would, batch after batch, each scrape twice (labelled)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.record({ path: fc.constantFrom('in', 'out'), value: values(BUCKETS) }), { maxLength: 60 }), { maxLength: 5 }), async (batches) => {
        const { plain, recorder, scrapes } = pair(['path'] as const, BUCKETS);
        const series: Record<string, RecordedSeries> = { in: recorder.series({ path: 'in' }), out: recorder.series({ path: 'out' }) };
        const children = { in: plain.labels('in'), out: plain.labels('out') };
        for (const batch of batches) {
          for (const { path, value } of batch) {
            children[path].observe(value);
            series[path].observe(value);
          }
          const [want, got] = await scrapes();
          expect(got).toBe(want);
          const [again, gotAgain] = await scrapes();
          expect(gotAgain).toBe(again);
          expect(gotAgain).toBe(got);
        }
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  it("scrapes as prom-client's observe would, batch after batch (unlabelled, a bucket at 0)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(values(DEPTH_BUCKETS), { maxLength: 60 }), { maxLength: 5 }), async (batches) => {
        const { plain, recorder, scrapes } = pair([], DEPTH_BUCKETS);
        const series = recorder.series({});
        for (const batch of batches) {
          for (const value of batch) {
            plain.observe(value);
            series.observe(value);
          }
          const [want, got] = await scrapes();
          expect(got).toBe(want);
          expect((await scrapes())[1]).toBe(got);
        }
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  it("gives the cluster's aggregation (getMetricsAsJSON, AggregatorRegistry) what prom-client's observe would", async () => {
    const { plain, plainRegistry, recorder, recordedRegistry } = pair(['path'] as const, BUCKETS);
    const series = recorder.series({ path: 'out' });
    for (const v of [3e-5, 5e-6, 0.2, 1e-4]) {
      plain.labels('out').observe(v);
      series.observe(v);
    }
    // Two workers' metrics, as the cluster's primary merges them (src/cluster/cluster-metrics.ts).
    const merged = async (registry: Registry) => AggregatorRegistry.aggregate([await registry.getMetricsAsJSON(), await registry.getMetricsAsJSON()]).metrics();
    const want = await merged(plainRegistry);
    expect(want).toContain('h_seconds_count{path="out"} 8');
    expect(await merged(recordedRegistry)).toBe(want);
  });

  it('counts a value on a bound in that bound, the next double up in the next, and 0, -0 and negatives in the first', async () => {
    const { plain, recorder, scrapes } = pair([], DEPTH_BUCKETS);
    const series = recorder.series({});
    for (const v of [0, -0, -5, 0.02, adjacent(0.02, 1), 12.8, adjacent(12.8, 1)]) {
      plain.observe(v);
      series.observe(v);
    }
    const [want, got] = await scrapes();
    expect(got).toBe(want);
    expect(got).toContain('h_seconds_bucket{le="0"} 3\n');
    expect(got).toContain('h_seconds_bucket{le="0.02"} 4\n');
    expect(got).toContain('h_seconds_bucket{le="0.04"} 5\n');
    expect(got).toContain('h_seconds_bucket{le="12.8"} 6\n');
    expect(got).toContain('h_seconds_bucket{le="+Inf"} 7\n');
    expect(got).toContain('h_seconds_count 7');
  });

  it('keeps the sum to the last bit, added in the order observed', async () => {
    const { plain, recorder, scrapes } = pair(['path'] as const, BUCKETS);
    const series = recorder.series({ path: 'in' });
    for (const v of [0.1, 0.2, 0.3, 1e-17, 3e-5, 0.7]) {
      plain.labels('in').observe(v);
      series.observe(v);
    }
    const [want, got] = await scrapes();
    expect(got).toBe(want);
    expect(got).toContain(`h_seconds_sum{path="in"} ${((((0.1 + 0.2) + 0.3) + 1e-17) + 3e-5) + 0.7}\n`);
  });

  it('shows a labelled series only once it has an observation, and an unlabelled one from the start', async () => {
    const labelled = pair(['path'] as const, BUCKETS);
    labelled.recorder.series({ path: 'in' });
    const [want, got] = await labelled.scrapes();
    expect(got).toBe(want);
    expect(got).not.toContain('h_seconds_count');
    labelled.plain.labels('out').observe(1e-4);
    labelled.recorder.series({ path: 'out' }).observe(1e-4);
    const [want2, got2] = await labelled.scrapes();
    expect(got2).toBe(want2);
    expect(got2).not.toContain('path="in"');

    const unlabelled = pair([], DEPTH_BUCKETS);
    unlabelled.recorder.series({});
    const [wantU, gotU] = await unlabelled.scrapes();
    expect(gotU).toBe(wantU);
    expect(gotU).toContain('h_seconds_count 0');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])("refuses %p with prom-client's TypeError and counts nothing", async (bad) => {
    const { plain, recorder, scrapes } = pair(['path'] as const, BUCKETS);
    const series = recorder.series({ path: 'in' });
    plain.labels('in').observe(1e-4);
    series.observe(1e-4);
    expect(() => plain.labels('in').observe(bad)).toThrow(new TypeError(`Value is not a valid number: ${format(bad)}`));
    expect(() => series.observe(bad)).toThrow(new TypeError(`Value is not a valid number: ${format(bad)}`));
    const [want, got] = await scrapes();
    expect(got).toBe(want);
    expect(got).toContain('h_seconds_count{path="in"} 1');
  });

  it('gives one series per set of label values, and refuses labels and buckets prom-client would not take', () => {
    const { recorder } = pair(['path'] as const, BUCKETS);
    expect(recorder.series({ path: 'in' })).toBe(recorder.series({ path: 'in' }));
    expect(recorder.series({ path: 'in' })).not.toBe(recorder.series({ path: 'out' }));
    expect(() => recorder.series({ path: 'in', other: 'x' } as { path: string })).toThrow(/other/);
    expect(() => new HistogramRecorder({ name: 'b', help: 'b', buckets: [1, 1], registers: [] })).toThrow(/strictly increasing/);
    expect(() => new HistogramRecorder({ name: 'b', help: 'b', buckets: [2, 1], registers: [] })).toThrow(/strictly increasing/);
    expect(() => new HistogramRecorder({ name: 'b', help: 'b', buckets: [1, Number.NaN], registers: [] })).toThrow(/strictly increasing/);
  });
});
