// A partial state turned into the aggregation's output block: one row per
// group that has a sample at some step, in the groups' order.

import type { VectorBlock } from "../block.js";
import type { PartialAggregate } from "./partial-state.js";
import { finalizeSelectK } from "./select-k.js";

/**
 * Prometheus's quantile over one sorted list (NaN last in `sorted`, but
 * ranked as the smallest value): linear interpolation between the closest
 * ranks; NaN for an empty list or NaN φ, ±Inf for φ outside [0, 1].
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
  // Position i in Prometheus's order (NaNs first) is sorted[i - nans] for i >= nans.
  const at = (i: number) => (i < nans ? Number.NaN : sorted[from + i - nans]);
  const rank = phi * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return at(lower) * (1 - weight) + at(upper) * weight;
}

function cellValue(p: PartialAggregate, c: number, j: number): number {
  const n = p.count[c];
  switch (p.op) {
    case "sum":
      return p.value[c] + p.aux[c];
    case "avg":
      return p.incremental[c] === 1 ? p.value[c] + p.aux[c] : p.value[c] / n + p.aux[c] / n;
    case "count":
      return n;
    case "group":
      return 1;
    case "min":
    case "max":
      return p.value[c];
    case "stdvar":
      return p.aux[c] / n;
    case "stddev":
      return Math.sqrt(p.aux[c] / n);
    case "quantile":
      return quantileOfSorted(p.param[j], p.listValues, p.listStart[c], p.listStart[c + 1]);
    default:
      throw new Error(`no cell value for ${p.op}`);
  }
}

/** The output block of a (possibly merged) partial state. */
export function finalizeAggregate(p: PartialAggregate): VectorBlock {
  if (p.op === "topk" || p.op === "bottomk") return finalizeSelectK(p);
  const n = p.steps.count;
  const keep: number[] = [];
  for (let g = 0; g < p.groups.length; g++) {
    for (let j = 0; j < n; j++) {
      if (p.count[g * n + j] > 0) {
        keep.push(g);
        break;
      }
    }
  }
  const values = new Float64Array(keep.length * n);
  const present = new Uint8Array(keep.length * n);
  keep.forEach((g, row) => {
    for (let j = 0; j < n; j++) {
      const c = g * n + j;
      if (p.count[c] === 0) continue;
      values[row * n + j] = cellValue(p, c, j);
      present[row * n + j] = 1;
    }
  });
  const series = keep.map((g) => {
    let last = n - 1;
    while (p.count[g * n + last] === 0) last--;
    return { labels: p.groups[g].labels, dropName: p.dropNameAt[g * n + last] === 1 };
  });
  return { type: "vector", steps: p.steps, series, values, present };
}
