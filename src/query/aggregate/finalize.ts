// A partial state turned into the aggregation's output block: one row per
// group that has a sample at some step, in the groups' order.

import type { VectorBlock } from "../block.js";
import { quantileOfSorted } from "../quantile.js";
import type { PartialAggregate } from "./partial-state.js";
import { finalizeSelectK } from "./select-k.js";

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
