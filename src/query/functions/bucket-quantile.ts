// Quantiles and fractions of a classic histogram: cumulative bucket counts by
// upper bound, the last bound +Inf. The algorithms and their special cases are
// Prometheus's (promql/quantile.go: BucketQuantile, BucketFraction).
//
// Both take the buckets already sorted by upper bound, in two parallel arrays
// of which the first `n` entries are used; both may rewrite those entries.

/** Relative differences between neighbouring buckets below this are float noise. */
const SMALL_DELTA_TOLERANCE = 1e-12;
const MIN_NORMAL = 2.2250738585072014e-308;

/** What bucketQuantile last had to correct (read right after the call). */
export const monotonicityFix = {
  forced: false,
  minBucket: Number.POSITIVE_INFINITY,
  maxBucket: Number.NEGATIVE_INFINITY,
  maxDiff: 0,
};

/** Prometheus's almost.Equal for two finite or infinite floats (NaN equals NaN). */
export function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** Adds up the counts of buckets with the same upper bound; returns the new length. */
export function coalesceBuckets(bounds: Float64Array, counts: Float64Array, n: number): number {
  let k = 0;
  for (let i = 1; i < n; i++) {
    if (bounds[i] === bounds[k]) {
      counts[k] += counts[i];
    } else {
      k++;
      bounds[k] = bounds[i];
      counts[k] = counts[i];
    }
  }
  return n === 0 ? 0 : k + 1;
}

/**
 * Makes the counts non-decreasing: a difference within the tolerance is taken
 * as equal, a real decrease is lifted to the count before it (and recorded in
 * monotonicityFix), as Prometheus's ensureMonotonicAndIgnoreSmallDeltas.
 */
function ensureMonotonic(bounds: Float64Array, counts: Float64Array, n: number): void {
  monotonicityFix.forced = false;
  monotonicityFix.minBucket = Number.POSITIVE_INFINITY;
  monotonicityFix.maxBucket = Number.NEGATIVE_INFINITY;
  monotonicityFix.maxDiff = 0;
  let prev = counts[0];
  for (let i = 1; i < n; i++) {
    const curr = counts[i];
    if (curr === prev) continue;
    if (almostEqual(prev, curr, SMALL_DELTA_TOLERANCE)) {
      counts[i] = prev;
      continue;
    }
    if (curr < prev) {
      counts[i] = prev;
      monotonicityFix.forced = true;
      if (bounds[i] < monotonicityFix.minBucket) monotonicityFix.minBucket = bounds[i];
      if (bounds[i] > monotonicityFix.maxBucket) monotonicityFix.maxBucket = bounds[i];
      if (prev - curr > monotonicityFix.maxDiff) monotonicityFix.maxDiff = prev - curr;
      continue;
    }
    prev = curr;
  }
}

/**
 * The q-quantile of the buckets, interpolating linearly inside a bucket (from
 * 0 in the lowest bucket when its bound is positive). q NaN gives NaN, q < 0
 * gives -Inf, q > 1 gives +Inf; no +Inf bucket, fewer than two buckets or no
 * observations give NaN; a quantile in the +Inf bucket is the bound below it.
 */
export function bucketQuantile(
  q: number,
  bounds: Float64Array,
  counts: Float64Array,
  size: number,
): number {
  monotonicityFix.forced = false;
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (size === 0 || bounds[size - 1] !== Number.POSITIVE_INFINITY) return Number.NaN;
  const n = coalesceBuckets(bounds, counts, size);
  ensureMonotonic(bounds, counts, n);
  if (n < 2) return Number.NaN;
  const observations = counts[n - 1];
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  // The first bucket (of all but the last) whose count reaches the rank.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (counts[mid] >= rank) hi = mid;
    else lo = mid + 1;
  }
  const b = lo;
  if (b === n - 1) return bounds[n - 2];
  if (b === 0 && bounds[0] <= 0) return bounds[0];
  let start = 0;
  let count = counts[b];
  if (b > 0) {
    start = bounds[b - 1];
    count -= counts[b - 1];
    rank -= counts[b - 1];
  }
  return start + (bounds[b] - start) * (rank / count);
}

/**
 * The fraction of observations between lower and upper, interpolating
 * linearly inside buckets (a bucket with an infinite bound contributes its
 * whole count or nothing). NaN without a +Inf bucket, without observations or
 * with a NaN bound; 0 when lower >= upper.
 */
export function bucketFraction(
  lower: number,
  upper: number,
  bounds: Float64Array,
  counts: Float64Array,
  size: number,
): number {
  if (size === 0 || bounds[size - 1] !== Number.POSITIVE_INFINITY) return Number.NaN;
  const n = coalesceBuckets(bounds, counts, size);
  const total = counts[n - 1];
  if (total === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return Number.NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = bounds[0] <= 0 ? Number.NEGATIVE_INFINITY : 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) lowerBound = bounds[i - 1];
    const upperBound = bounds[i];
    const c = counts[i];
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank =
        lowerBound === Number.NEGATIVE_INFINITY
          ? c
          : rank + ((c - rank) * (lower - lowerBound)) / (upperBound - lowerBound);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank =
        lowerBound === Number.NEGATIVE_INFINITY
          ? c
          : rank + ((c - rank) * (upper - lowerBound)) / (upperBound - lowerBound);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = c;
  }
  if (!lowerSet || lowerRank > total) lowerRank = total;
  if (!upperSet || upperRank > total) upperRank = total;
  return (upperRank - lowerRank) / total;
}
