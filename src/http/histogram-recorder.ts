/**
 * A prom-client histogram for hot paths. Each label set's observations are counted into a
 * preallocated Float64Array (one slot per bucket, then sum and count), the bucket found by a scan
 * of the bounds from the lowest (a dozen numbers, and these histograms' values mostly sit in their
 * lower buckets, where the scan stops early). When the registry is scraped, the histogram's
 * `collect()` writes those totals into the histogram's series and prom-client exports them as
 * usual. prom-client's own `observe` hashes the labels and looks its bucket up by the bound's
 * string key on every call.
 *
 * A scrape shows what the histogram would show had each value gone to prom-client's `observe`
 * in the same order: the same buckets, counts and sum (added in the same order, so the same
 * floating-point value), a labelled series only once it has an observation, and a TypeError
 * (prom-client's message) for a value that is not a finite number, which is not counted.
 *
 * Writing the totals reaches into prom-client's Histogram (its `hashMap` of series, each with
 * `labels`, `bucketValues` keyed by bound, `sum` and `count`); the recorder checks that shape
 * when made and fails then if it is not there. The totals cover the recorder's whole life:
 * `Registry.resetMetrics()` does not clear them.
 */
import { format } from 'node:util';
import { Histogram, type HistogramConfiguration } from 'prom-client';

/** One label set's series: what a hot path holds and calls. */
export interface RecordedSeries {
  observe(value: number): void;
}

export type RecordedHistogramConfiguration<T extends string> = Omit<HistogramConfiguration<T>, 'buckets' | 'collect' | 'enableExemplars'> & {
  /** Upper bounds, strictly increasing and finite (+Inf is implicit), as prom-client takes them. */
  buckets: readonly number[];
};

type Labels = Readonly<Record<string, string>>;

/** A series inside prom-client's Histogram, as its `observe` keeps and its export reads it. */
interface PromSeries {
  labels: Record<string, string | number>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

class Series implements RecordedSeries {
  /** Observations per bucket (slot i: bounds[i-1] < value <= bounds[i]), then the sum, then the count. */
  readonly slots: Float64Array;

  constructor(
    readonly labels: Labels,
    private readonly bounds: Float64Array,
    /** The recorder's series in the order of their first observation, as prom-client lists them. */
    private readonly observed: Series[],
  ) {
    this.slots = new Float64Array(bounds.length + 2);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${format(value)}`);
    const bounds = this.bounds;
    const n = bounds.length;
    let i = 0;
    while (i < n && value > bounds[i]) i++;
    const slots = this.slots;
    if (slots[n + 1] === 0) this.observed.push(this);
    if (i < n) slots[i] += 1; // above the last bound: counted in +Inf (the count) only
    slots[n] += value;
    slots[n + 1] += 1;
  }
}

export class HistogramRecorder<T extends string = never> {
  private readonly histogram: Histogram<T>;
  private readonly upperBounds: readonly number[];
  private readonly bounds: Float64Array;
  private readonly labelNames: readonly string[];
  private readonly recorded: Series[] = [];
  private readonly observed: Series[] = [];

  constructor(config: RecordedHistogramConfiguration<T>) {
    const buckets = [...config.buckets];
    for (let i = 0; i < buckets.length; i++) {
      if (!Number.isFinite(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1]))) {
        throw new Error(`${config.name}: buckets must be finite and strictly increasing`);
      }
    }
    this.upperBounds = buckets;
    this.bounds = Float64Array.from(buckets);
    this.labelNames = [...(config.labelNames ?? [])];
    const fold = () => this.fold();
    this.histogram = new Histogram<T>({ ...config, buckets, collect: fold });
    this.checkPromSeries();
  }

  /** The series for one set of label values (the same object for the same values). */
  series(labels: Readonly<Record<T, string>>): RecordedSeries {
    const own: Labels = { ...labels };
    for (const name of Object.keys(own)) {
      if (!this.labelNames.includes(name)) throw new Error(`Added label "${name}" is not included in initial labelset: ${this.labelNames.join(', ')}`);
    }
    const known = this.recorded.find((s) => sameLabels(s.labels, own));
    if (known) return known;
    const made = new Series(own, this.bounds, this.observed);
    this.recorded.push(made);
    return made;
  }

  /** Writes every observed series' totals into the histogram (run by prom-client before each scrape). */
  private fold(): void {
    const n = this.upperBounds.length;
    // Only series with an observation (prom-client shows no other), made in that order.
    for (const s of this.observed) {
      const slots = s.slots;
      const target = this.promSeriesFor(s.labels);
      for (let i = 0; i < n; i++) target.bucketValues[this.upperBounds[i]] = slots[i];
      target.sum = slots[n];
      target.count = slots[n + 1];
    }
  }

  /** Fails now, not at the first scrape, if prom-client keeps its series otherwise: a probe series made and removed. */
  private checkPromSeries(): void {
    const probe: Labels = Object.fromEntries(this.labelNames.map((name) => [name, '']));
    this.promSeriesFor(probe);
    // An unlabelled histogram has its one series from the start, zero, as it is now.
    if (this.labelNames.length > 0) this.histogram.remove(probe as Record<T, string>);
  }

  private promSeriesFor(labels: Labels): PromSeries {
    const find = () => this.promSeries().find((p) => sameLabels(p.labels, labels));
    let found = find();
    if (!found) {
      this.histogram.zero({ ...labels } as Record<T, string>);
      found = find();
    }
    if (!found || !isPromSeries(found)) throw new Error("prom-client's Histogram does not keep its series as HistogramRecorder expects");
    return found;
  }

  private promSeries(): PromSeries[] {
    const map = (this.histogram as unknown as { hashMap?: unknown }).hashMap;
    if (typeof map !== 'object' || map === null) throw new Error("prom-client's Histogram has no series map (hashMap)");
    return Object.values(map as Record<string, PromSeries>);
  }
}

function isPromSeries(p: PromSeries): boolean {
  return typeof p === 'object' && p !== null && typeof p.labels === 'object' && typeof p.bucketValues === 'object' && typeof p.sum === 'number' && typeof p.count === 'number';
}

function sameLabels(a: Readonly<Record<string, string | number>>, b: Labels): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (String(a[k]) !== b[k]) return false;
  return true;
}
