// topk and bottomk as mergeable states: for every group and step, the best
// k samples of that step, best first. "Best" is the larger value for topk and
// the smaller for bottomk; NaN is worse than any number in both (as
// Prometheus's heaps rank it); equal values are ordered by the rows' labels,
// so the choice among ties does not depend on how the rows were split.

import type { VectorBlock } from "../block.js";
import { compareLabels } from "../labels.js";
import type { GroupAssignment, Grouping } from "./grouping.js";
import {
  newPartial,
  type PartialAggregate,
  type PartialCandidate,
  unionGroups,
} from "./partial-state.js";

/** Whether (va, ra) ranks before (vb, rb); ra and rb are label ranks. */
function before(top: boolean, va: number, ra: number, vb: number, rb: number): boolean {
  const nanA = Number.isNaN(va);
  const nanB = Number.isNaN(vb);
  if (nanA !== nanB) return nanB;
  if (!nanA && va !== vb) return top ? va > vb : va < vb;
  return ra < rb;
}

/** Label rank of every row: its position when the rows are sorted by labels (ties by row order). */
function labelRanks(labels: readonly { labels: PartialCandidate["labels"] }[]): Int32Array {
  const order = Array.from(labels.keys()).sort(
    (x, y) => compareLabels(labels[x].labels, labels[y].labels) || x - y,
  );
  const rank = new Int32Array(labels.length);
  order.forEach((row, i) => {
    rank[row] = i;
  });
  return rank;
}

/**
 * A bounded heap of row indexes whose root is the worst kept row, then sorted
 * best first in place. Scratch arrays are the caller's, reused for every cell.
 */
class BestK {
  readonly heap: Int32Array;
  size = 0;
  k = 0;
  top = true;
  values: Float64Array = new Float64Array(0);
  rank: Int32Array = new Int32Array(0);
  base = 0;
  stride = 1;

  constructor(capacity: number) {
    this.heap = new Int32Array(capacity);
  }

  private worse(x: number, y: number): boolean {
    const { values, rank, base, stride } = this;
    return before(this.top, values[y * stride + base], rank[y], values[x * stride + base], rank[x]);
  }

  private siftDown(i: number, size: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) return;
      let w = l;
      if (l + 1 < size && this.worse(h[l + 1], h[l])) w = l + 1;
      if (!this.worse(h[w], h[i])) return;
      const t = h[i];
      h[i] = h[w];
      h[w] = t;
      i = w;
    }
  }

  offer(row: number): void {
    const h = this.heap;
    if (this.size < this.k) {
      let i = this.size++;
      h[i] = row;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(h[i], h[parent])) break;
        const t = h[i];
        h[i] = h[parent];
        h[parent] = t;
        i = parent;
      }
    } else if (this.worse(h[0], row)) {
      h[0] = row;
      this.siftDown(0, this.size);
    }
  }

  /** Sorts the kept rows best first (heap sort: the worst goes to the end each round). */
  sortBestFirst(): void {
    const h = this.heap;
    for (let end = this.size - 1; end > 0; end--) {
      const t = h[0];
      h[0] = h[end];
      h[end] = t;
      this.siftDown(0, end);
    }
  }
}

/** The topk/bottomk state of every row of `input`; k[j] already truncated. */
export function accumulateSelectK(
  op: "topk" | "bottomk",
  grouping: Grouping,
  assignment: GroupAssignment,
  input: VectorBlock,
  k: Float64Array,
): PartialAggregate {
  const n = input.steps.count;
  const rows = input.series.length;
  const groups = assignment.groupLabels.map((labels) => ({ labels }));
  const p = newPartial(op, grouping.names, grouping.without, input.steps, groups, k);
  const G = groups.length;
  // The rows of each group, contiguous.
  const groupStart = new Uint32Array(G + 1);
  for (let r = 0; r < rows; r++) groupStart[assignment.groupOf[r] + 1]++;
  for (let g = 0; g < G; g++) groupStart[g + 1] += groupStart[g];
  const groupRows = new Int32Array(rows);
  const fill = groupStart.slice(0, G);
  for (let r = 0; r < rows; r++) groupRows[fill[assignment.groupOf[r]]++] = r;
  let largest = 0;
  for (let g = 0; g < G; g++) largest = Math.max(largest, groupStart[g + 1] - groupStart[g]);

  const best = new BestK(largest);
  best.top = op === "topk";
  best.values = input.values;
  best.rank = labelRanks(input.series);
  best.stride = n;
  // Each cell's list, concatenated in cell order as the cells are visited (g, then j).
  const listRows: number[] = [];
  const listValues: number[] = [];
  for (let g = 0; g < G; g++) {
    for (let j = 0; j < n; j++) {
      const c = g * n + j;
      p.listStart[c] = listRows.length;
      best.k = Math.min(k[j], largest);
      if (best.k < 1) continue;
      best.size = 0;
      best.base = j;
      for (let i = groupStart[g]; i < groupStart[g + 1]; i++) {
        const r = groupRows[i];
        if (input.present[r * n + j] === 1) best.offer(r);
      }
      best.sortBestFirst();
      p.count[c] = best.size;
      for (let i = 0; i < best.size; i++) {
        listRows.push(best.heap[i]);
        listValues.push(input.values[best.heap[i] * n + j]);
      }
    }
  }
  p.listStart[G * n] = listRows.length;
  // Keep only the rows that are a candidate somewhere, renumbered.
  const candidateOf = new Int32Array(rows).fill(-1);
  const out = new Int32Array(listRows.length);
  for (let i = 0; i < listRows.length; i++) {
    const r = listRows[i];
    if (candidateOf[r] < 0) {
      candidateOf[r] = p.candidates.length;
      p.candidates.push({ labels: input.series[r].labels, dropName: input.series[r].dropName });
    }
    out[i] = candidateOf[r];
  }
  p.listRows = out;
  p.listValues = Float64Array.from(listValues);
  return p;
}

/** Merges two topk/bottomk states: each cell keeps the best k of both lists. */
export function mergeSelectK(a: PartialAggregate, b: PartialAggregate): PartialAggregate {
  const { groups, mapB } = unionGroups(a, b);
  const n = a.steps.count;
  const out = newPartial(a.op, a.grouping, a.without, a.steps, groups, a.param);
  const all = [...a.candidates, ...b.candidates];
  const rank = labelRanks(all);
  const offsetB = a.candidates.length;
  const cells = groups.length * n;
  const cellsA = a.groups.length * n;
  const fromB = new Int32Array(cells).fill(-1);
  for (let g = 0; g < b.groups.length; g++) {
    for (let j = 0; j < n; j++) fromB[mapB[g] * n + j] = g * n + j;
  }
  const top = a.op === "topk";
  const rowsOut: number[] = [];
  const valuesOut: number[] = [];
  for (let c = 0; c < cells; c++) {
    out.listStart[c] = rowsOut.length;
    let ia = c < cellsA ? a.listStart[c] : 0;
    const ea = c < cellsA ? a.listStart[c + 1] : 0;
    const cb = fromB[c];
    let ib = cb >= 0 ? b.listStart[cb] : 0;
    const eb = cb >= 0 ? b.listStart[cb + 1] : 0;
    const k = a.param[c % n];
    let taken = 0;
    while (taken < k && (ia < ea || ib < eb)) {
      const takeA =
        ib >= eb ||
        (ia < ea &&
          before(
            top,
            a.listValues[ia],
            rank[a.listRows[ia]],
            b.listValues[ib],
            rank[offsetB + b.listRows[ib]],
          ));
      if (takeA) {
        rowsOut.push(a.listRows[ia]);
        valuesOut.push(a.listValues[ia++]);
      } else {
        rowsOut.push(offsetB + b.listRows[ib]);
        valuesOut.push(b.listValues[ib++]);
      }
      taken++;
    }
    out.count[c] = taken;
  }
  out.listStart[cells] = rowsOut.length;
  const candidateOf = new Int32Array(all.length).fill(-1);
  const listRows = new Int32Array(rowsOut.length);
  for (let i = 0; i < rowsOut.length; i++) {
    const r = rowsOut[i];
    if (candidateOf[r] < 0) {
      candidateOf[r] = out.candidates.length;
      out.candidates.push(all[r]);
    }
    listRows[i] = candidateOf[r];
  }
  out.listRows = listRows;
  out.listValues = Float64Array.from(valuesOut);
  return out;
}

/** topk/bottomk's block: one row per candidate that is in the best k at some step. */
export function finalizeSelectK(p: PartialAggregate): VectorBlock {
  const n = p.steps.count;
  const G = p.groups.length;
  const rowOf = new Int32Array(p.candidates.length).fill(-1);
  const order: number[] = [];
  // Rows in order of first selection: step by step, group by group, best first.
  for (let j = 0; j < n; j++) {
    for (let g = 0; g < G; g++) {
      const c = g * n + j;
      for (let i = p.listStart[c]; i < p.listStart[c + 1]; i++) {
        const cand = p.listRows[i];
        if (rowOf[cand] < 0) {
          rowOf[cand] = order.length;
          order.push(cand);
        }
      }
    }
  }
  const values = new Float64Array(order.length * n);
  const present = new Uint8Array(order.length * n);
  for (let c = 0; c < G * n; c++) {
    const j = c % n;
    for (let i = p.listStart[c]; i < p.listStart[c + 1]; i++) {
      const at = rowOf[p.listRows[i]] * n + j;
      values[at] = p.listValues[i];
      present[at] = 1;
    }
  }
  const series = order.map((cand) => ({
    labels: p.candidates[cand].labels,
    dropName: p.candidates[cand].dropName,
  }));
  return { type: "vector", steps: p.steps, series, values, present };
}
