import { bucketIndex } from "./bucket-index.ts";
import type { CounterRange } from "./promql-math.ts";

/** One sample as scraped: a counter or cumulative bucket value with its labels. */
export interface ScrapedSample {
  /** Series identity within the target (its exposition line up to the value). */
  key: string;
  metric: string;
  labels: Record<string, string>;
  value: number;
}

/** The request counter and the latency buckets of one label set (all labels but `le`). */
export interface SeriesGroup {
  labels: Record<string, string>;
  series: StoredSeries[];
  /** The group's rates as last computed, and for which window and hub generation (the hub's rate cache). */
  totals?: GroupTotals;
}

/** One label set's rates over a window: what every query grouping by a coarser label set adds up. */
export interface GroupTotals {
  windowMs: number;
  generation: number;
  rps: number;
  failedRps: number;
  /** Bucket rates by bucketIndex(). */
  buckets: number[];
}

export interface StoredSeries {
  metric: string;
  group: SeriesGroup;
  labels: Record<string, string>;
  /** A histogram bucket's bucketIndex() of its `le`; -1 for other series. */
  bucketIndex: number;
  /** Reset-adjusted values, one slot per scrape of the target; NaN where the series was absent. */
  values: Float64Array;
  /** Added to raw values since the last reset; raw = adjusted - offset in force at that time. */
  offset: number;
  lastRaw: number;
  /** When each reset within the retention happened and the offset from then on, oldest first (resets are rare). */
  resets: { at: number; offset: number }[];
  /** The offset in force before the oldest reset still listed. */
  offsetBeforeResets: number;
}

/**
 * The last hour of one proxy's series in ring buffers. Every scrape of a target shares one timestamp, so
 * timestamps are kept once per target and each series holds only a Float64Array of values (8 bytes a sample).
 * Values are stored reset-adjusted, which makes a counter's increase over any range two reads.
 */
export class TargetSeries {
  private readonly timestamps: Float64Array;
  /** Ring slot of the oldest sample, and how many slots are filled. */
  private head = 0;
  private size = 0;
  readonly series = new Map<string, StoredSeries>();
  /** The series by label set, so a query matches and groups each label set once rather than per bucket. */
  readonly groups = new Map<string, SeriesGroup>();

  constructor(
    private readonly capacity: number,
    private readonly retentionMs: number,
  ) {
    this.timestamps = new Float64Array(capacity);
  }

  get lastScrapeAt(): number | undefined {
    return this.size === 0 ? undefined : this.timestamps[this.slot(this.size - 1)];
  }

  append(at: number, samples: readonly ScrapedSample[]): void {
    if (this.size === this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
    const slot = this.slot(this.size);
    this.timestamps[slot] = at;
    this.size++;
    const seen = new Set<string>();
    for (const sample of samples) {
      seen.add(sample.key);
      let stored = this.series.get(sample.key);
      if (stored === undefined) {
        stored = {
          metric: sample.metric,
          group: this.groupOf(sample.labels),
          labels: sample.labels,
          bucketIndex: bucketIndex(sample.labels.le),
          values: new Float64Array(this.capacity).fill(Number.NaN),
          offset: 0,
          lastRaw: sample.value,
          resets: [],
          offsetBeforeResets: 0,
        };
        this.series.set(sample.key, stored);
        stored.group.series.push(stored);
      }
      if (sample.value < stored.lastRaw) {
        stored.offset += stored.lastRaw;
        stored.resets.push({ at, offset: stored.offset });
      }
      stored.lastRaw = sample.value;
      stored.values[slot] = sample.value + stored.offset;
    }
    for (const [key, stored] of this.series) if (!seen.has(key)) stored.values[slot] = Number.NaN;
    this.forget(at - this.retentionMs);
  }

  /** Logical indexes [first, last] of the samples with from <= t <= to, or undefined when none. */
  indexesWithin(from: number, to: number): { first: number; last: number } | undefined {
    const first = this.firstIndexAtOrAfter(from);
    const last = this.firstIndexAtOrAfter(to + 1) - 1;
    return first <= last ? { first, last } : undefined;
  }

  /** The samples of one series within logical indexes [first, last]: what rate() needs. */
  counterRange(stored: StoredSeries, first: number, last: number): CounterRange | undefined {
    let start = first;
    while (start <= last && Number.isNaN(stored.values[this.slot(start)] as number)) start++;
    let end = last;
    while (end > start && Number.isNaN(stored.values[this.slot(end)] as number)) end--;
    if (end <= start) return undefined;
    const firstAt = this.timestamps[this.slot(start)] as number;
    const firstAdjusted = stored.values[this.slot(start)] as number;
    return {
      firstAt,
      lastAt: this.timestamps[this.slot(end)] as number,
      // Series do not come and go between scrapes of a live proxy, so the slots between are filled.
      count: end - start + 1,
      firstRaw: firstAdjusted - offsetAt(stored, firstAt),
      increase: (stored.values[this.slot(end)] as number) - firstAdjusted,
    };
  }

  private slot(index: number): number {
    return (this.head + index) % this.capacity;
  }

  private firstIndexAtOrAfter(at: number): number {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.timestamps[this.slot(middle)] as number) < at) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private forget(before: number): void {
    while (this.size > 0 && (this.timestamps[this.head] as number) < before) {
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
    for (const [key, stored] of this.series) {
      while ((stored.resets[0]?.at ?? Number.POSITIVE_INFINITY) < before)
        stored.offsetBeforeResets = stored.resets.shift()?.offset ?? stored.offsetBeforeResets;
      if (this.size === 0 || Number.isNaN(stored.values[this.slot(this.size - 1)] as number)) {
        if (this.isEmpty(stored)) this.remove(key, stored);
      }
    }
  }

  private groupOf(labels: Record<string, string>): SeriesGroup {
    const { le: _, ...withoutLe } = labels;
    const key = JSON.stringify(withoutLe);
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { labels: withoutLe, series: [] };
      this.groups.set(key, group);
    }
    return group;
  }

  private remove(key: string, stored: StoredSeries): void {
    this.series.delete(key);
    stored.group.series = stored.group.series.filter((candidate) => candidate !== stored);
    if (stored.group.series.length === 0) this.groups.delete(JSON.stringify(stored.group.labels));
  }

  private isEmpty(stored: StoredSeries): boolean {
    for (let index = 0; index < this.size; index++)
      if (!Number.isNaN(stored.values[this.slot(index)] as number)) return false;
    return true;
  }
}

function offsetAt(stored: StoredSeries, at: number): number {
  let offset = stored.offsetBeforeResets;
  for (const reset of stored.resets) {
    if (reset.at > at) break;
    offset = reset.offset;
  }
  return offset;
}
