// One pass over a block's rows into a partial state (all operators with a
// state but topk/bottomk, which select-k.ts handles). Rows are walked in
// order and, within a row, its steps: each cell sees its samples in row
// order, the order Prometheus folds them in at each step, so one pass gives
// Prometheus's exact floats.

import type { VectorBlock } from "../block.js";
import type { GroupAssignment, Grouping } from "./grouping.js";
import { kahanAdd, wouldOverflow } from "./kahan.js";
import { newPartial, type PartialAggregate, type PartialOp } from "./partial-state.js";

/** min keeps -0 over +0 and max +0 over -0, so that the result does not depend on row order. */
export function minBetter(cur: number, f: number): boolean {
  return cur > f || Number.isNaN(cur) || (f === 0 && cur === 0 && Object.is(f, -0));
}

export function maxBetter(cur: number, f: number): boolean {
  return cur < f || Number.isNaN(cur) || (f === 0 && cur === 0 && Object.is(cur, -0));
}

/** Folds sample f into avg's cell c (Prometheus's direct mean, incremental once the sum overflows). */
export function avgAdd(p: PartialAggregate, c: number, f: number): void {
  const n = ++p.count[c];
  if (p.incremental[c] === 0) {
    if (!wouldOverflow(p.value[c], f)) {
      kahanAdd(p.value, p.aux, c, f);
      return;
    }
    p.incremental[c] = 1;
    p.value[c] /= n - 1;
    p.aux[c] /= n - 1;
  }
  const q = (n - 1) / n;
  p.value[c] *= q;
  p.aux[c] *= q;
  kahanAdd(p.value, p.aux, c, f / n);
}

/** The partial state of `op` over every row of `input`. */
export function accumulate(
  op: Exclude<PartialOp, "topk" | "bottomk">,
  grouping: Grouping,
  assignment: GroupAssignment,
  input: VectorBlock,
  param: Float64Array,
): PartialAggregate {
  const n = input.steps.count;
  const groups = assignment.groupLabels.map((labels) => ({ labels }));
  const p = newPartial(op, grouping.names, grouping.without, input.steps, groups, param);
  const { values, present } = input;
  const { count, value, aux, dropNameAt } = p;
  for (let r = 0; r < input.series.length; r++) {
    const base = assignment.groupOf[r] * n;
    const rowBase = r * n;
    const dropName = input.series[r].dropName ? 1 : 0;
    for (let j = 0; j < n; j++) {
      if (present[rowBase + j] === 0) continue;
      const f = values[rowBase + j];
      const c = base + j;
      dropNameAt[c] |= dropName;
      if (count[c] === 0) {
        count[c] = 1;
        switch (op) {
          case "sum":
          case "avg":
          case "min":
          case "max":
            value[c] = f;
            break;
          case "stddev":
          case "stdvar":
            value[c] = f;
            aux[c] = Number.isFinite(f) ? 0 : Number.NaN;
            break;
        }
        continue;
      }
      switch (op) {
        case "sum":
          count[c]++;
          kahanAdd(value, aux, c, f);
          break;
        case "avg":
          avgAdd(p, c, f);
          break;
        case "min":
          count[c]++;
          if (minBetter(value[c], f)) value[c] = f;
          break;
        case "max":
          count[c]++;
          if (maxBetter(value[c], f)) value[c] = f;
          break;
        case "stddev":
        case "stdvar": {
          const k = ++count[c];
          const delta = f - value[c];
          value[c] += delta / k;
          aux[c] += delta * (f - value[c]);
          break;
        }
        default:
          count[c]++;
      }
    }
  }
  if (op === "quantile") fillQuantileLists(p, assignment, input);
  return p;
}

/** Lays out every cell's samples (count already known) and sorts each cell's list. */
function fillQuantileLists(
  p: PartialAggregate,
  assignment: GroupAssignment,
  input: VectorBlock,
): void {
  const n = input.steps.count;
  const cells = p.count.length;
  for (let c = 0; c < cells; c++) p.listStart[c + 1] = p.listStart[c] + p.count[c];
  const list = new Float64Array(p.listStart[cells]);
  const cursor = p.listStart.slice(0, cells);
  for (let r = 0; r < input.series.length; r++) {
    const base = assignment.groupOf[r] * n;
    for (let j = 0; j < n; j++) {
      if (input.present[r * n + j] === 0) continue;
      list[cursor[base + j]++] = input.values[r * n + j];
    }
  }
  for (let c = 0; c < cells; c++) {
    if (p.count[c] > 1) list.subarray(p.listStart[c], p.listStart[c + 1]).sort();
  }
  p.listValues = list;
}
