/**
 * PromQL's own arithmetic for rate() and histogram_quantile(), so the in-memory hub and a real Prometheus
 * give the same answer for the same samples (Prometheus 2.x, promql/functions.go and promql/quantile.go).
 * Hand-written: no maintained JavaScript package implements PromQL evaluation.
 */

/** The samples of one counter series inside a range, in time order; values are already reset-adjusted. */
export interface CounterRange {
  /** Milliseconds since the epoch of the first and the last sample in the range. */
  firstAt: number;
  lastAt: number;
  /** How many samples the range holds (at least 2 for a rate). */
  count: number;
  /** The raw value of the first sample (before reset adjustment): where the counter started. */
  firstRaw: number;
  /** Increase between the first and the last sample, counter resets accounted for. */
  increase: number;
}

/**
 * rate(): the increase extrapolated to the range's edges (not past where the counter would have been zero),
 * divided by the range. `rangeStart`/`rangeEnd` in ms; returns per-second.
 */
export function extrapolatedRate(range: CounterRange, rangeStart: number, rangeEnd: number): number {
  const sampledInterval = (range.lastAt - range.firstAt) / 1000;
  if (range.count < 2 || sampledInterval <= 0) return Number.NaN;
  const averageDurationBetweenSamples = sampledInterval / (range.count - 1);
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  let durationToStart = (range.firstAt - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - range.lastAt) / 1000;
  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  if (range.increase > 0 && range.firstRaw >= 0) {
    // A counter cannot have been below zero: do not extrapolate to before it started.
    const durationToZero = sampledInterval * (range.firstRaw / range.increase);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  const extrapolateToInterval = sampledInterval + durationToStart + durationToEnd;
  return (range.increase * (extrapolateToInterval / sampledInterval)) / ((rangeEnd - rangeStart) / 1000);
}

export interface Bucket {
  /** The bucket's `le`. */
  upperBound: number;
  /** Cumulative count (or rate) of observations at or below upperBound. */
  count: number;
}

/**
 * histogram_quantile(): finds the bucket holding the q-th observation and interpolates linearly inside it.
 * NaN without observations or without a +Inf bucket, like Prometheus.
 */
export function bucketQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const buckets = coalesce([...input].sort((a, b) => a.upperBound - b.upperBound));
  const highest = buckets.at(-1);
  if (highest === undefined || highest.upperBound !== Number.POSITIVE_INFINITY) return Number.NaN;
  ensureMonotonic(buckets);
  if (buckets.length < 2) return Number.NaN;
  const observations = highest.count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  let b = buckets.findIndex((bucket, index) => index < buckets.length - 1 && bucket.count >= rank);
  if (b === -1) b = buckets.length - 1;
  if (b === buckets.length - 1) return buckets[buckets.length - 2]?.upperBound ?? Number.NaN;
  const bucket = buckets[b] as Bucket;
  if (b === 0 && bucket.upperBound <= 0) return bucket.upperBound;
  let bucketStart = 0;
  let count = bucket.count;
  const previous = buckets[b - 1];
  if (previous !== undefined) {
    bucketStart = previous.upperBound;
    count -= previous.count;
    rank -= previous.count;
  }
  return bucketStart + (bucket.upperBound - bucketStart) * (rank / count);
}

/** Buckets with the same bound (from series summed together) add up. */
function coalesce(sorted: Bucket[]): Bucket[] {
  const result: Bucket[] = [];
  for (const bucket of sorted) {
    const last = result.at(-1);
    if (last !== undefined && last.upperBound === bucket.upperBound) last.count += bucket.count;
    else result.push({ ...bucket });
  }
  return result;
}

/** Rates of cumulative buckets can dip by rounding or scrape skew; a dip would break the search. */
function ensureMonotonic(buckets: Bucket[]): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const bucket of buckets) {
    if (bucket.count > max) max = bucket.count;
    else bucket.count = max;
  }
}
