// Prometheus's quantile of a list of floats (promql's quantile function, as
// the quantile aggregation and quantile_over_time use it).

/**
 * The φ-quantile of sorted[from, to), which holds its NaNs last (as
 * Float64Array.prototype.sort leaves them) but ranks them below every number
 * as Prometheus does: linear interpolation between the two nearest ranks;
 * NaN for an empty list or a NaN φ, -Inf for φ below 0, +Inf above 1.
 */
export function quantileOfSorted(
  phi: number,
  sorted: Float64Array,
  from: number,
  to: number,
): number {
  const n = to - from;
  if (n === 0 || Number.isNaN(phi)) return Number.NaN;
  if (phi < 0) return Number.NEGATIVE_INFINITY;
  if (phi > 1) return Number.POSITIVE_INFINITY;
  let nans = 0;
  while (nans < n && Number.isNaN(sorted[to - 1 - nans])) nans++;
  // Rank i of the NaN-first order is NaN below `nans`, else sorted[from + i - nans].
  const at = (i: number): number => (i < nans ? Number.NaN : sorted[from + i - nans]);
  const rank = phi * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return at(lower) * (1 - weight) + at(upper) * weight;
}
