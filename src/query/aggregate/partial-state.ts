// The mergeable state of an aggregation: what a subset of the input rows
// leaves behind so that two subsets can be combined and then finalized into
// the same result one pass over all rows gives. Plain data only (typed
// arrays, label arrays) so that a state can later cross a network.
//
// Cells are group-major like blocks: cell g * steps.count + j is group g at
// step j. count[c] is the number of samples folded into the cell (0: the
// group had none at that step). The other arrays mean, per operator:
//   sum        value = running sum, aux = Kahan compensation
//   avg        value = running sum (or, once incremental[c] is 1 because the
//              sum would overflow, the running mean), aux = compensation
//   min, max   value = the extreme so far (NaN only while every sample was NaN)
//   count, group  count only
//   stddev, stdvar  value = mean, aux = M2 (sum of squared deviations), Welford
//   quantile   the cell's samples in lists (sorted as Float64Array sorts: NaN last)
//   topk, bottomk  the cell's best k candidates in lists, best first

import type { Steps } from "../block.js";
import { type Labels, labelsKey } from "../labels.js";

/** The aggregation operators that have a mergeable state. */
export type PartialOp =
  | "sum"
  | "avg"
  | "count"
  | "min"
  | "max"
  | "group"
  | "stddev"
  | "stdvar"
  | "topk"
  | "bottomk"
  | "quantile";

export const PARTIAL_OPS: ReadonlySet<string> = new Set<PartialOp>([
  "sum",
  "avg",
  "count",
  "min",
  "max",
  "group",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "quantile",
]);

/** One output group, by its labels. */
export interface PartialGroup {
  labels: Labels;
}

/** A topk/bottomk candidate: an input row, kept whole. */
export interface PartialCandidate {
  labels: Labels;
  dropName: boolean;
}

export interface PartialAggregate {
  readonly op: PartialOp;
  /** Sorted label names of by/without. */
  readonly grouping: readonly string[];
  readonly without: boolean;
  readonly steps: Steps;
  readonly groups: PartialGroup[];
  /** Per step: k (truncated) for topk/bottomk, φ for quantile; empty for the others. */
  readonly param: Float64Array;
  readonly count: Float64Array;
  readonly value: Float64Array;
  readonly aux: Float64Array;
  /**
   * 1 where a row with its metric name to be dropped gave the cell a sample
   * (all but topk/bottomk). A group's output takes the flag of its last step
   * with a sample, as Prometheus sets it step after step.
   */
  readonly dropNameAt: Uint8Array;
  /** avg only: 1 where the cell switched to the incremental mean. */
  readonly incremental: Uint8Array;
  /** quantile, topk, bottomk: the list of cell c is listStart[c] .. listStart[c + 1]. */
  readonly listStart: Uint32Array;
  listValues: Float64Array;
  /** topk, bottomk: index into `candidates` of each list entry. */
  listRows: Int32Array;
  candidates: PartialCandidate[];
}

/** The state arrays an operator uses, all other arrays empty. */
export function newPartial(
  op: PartialOp,
  grouping: readonly string[],
  without: boolean,
  steps: Steps,
  groups: PartialGroup[],
  param: Float64Array,
): PartialAggregate {
  const cells = groups.length * steps.count;
  const usesValue = op !== "count" && op !== "group" && op !== "quantile";
  const usesAux = op === "sum" || op === "avg" || op === "stddev" || op === "stdvar";
  const usesList = op === "quantile" || op === "topk" || op === "bottomk";
  return {
    op,
    grouping,
    without,
    steps,
    groups,
    param,
    count: new Float64Array(cells),
    value: new Float64Array(usesValue && !usesList ? cells : 0),
    aux: new Float64Array(usesAux ? cells : 0),
    dropNameAt: new Uint8Array(op === "topk" || op === "bottomk" ? 0 : cells),
    incremental: new Uint8Array(op === "avg" ? cells : 0),
    listStart: new Uint32Array(usesList ? cells + 1 : 0),
    listValues: new Float64Array(0),
    listRows: new Int32Array(0),
    candidates: [],
  };
}

/** The group index in the merged state of every group of `b`, and the merged group list. */
export function unionGroups(
  a: PartialAggregate,
  b: PartialAggregate,
): { groups: PartialGroup[]; mapB: Int32Array } {
  const groups = a.groups.map((g) => ({ labels: g.labels }));
  const byKey = new Map<string, number>();
  for (let i = 0; i < groups.length; i++) byKey.set(labelsKey(groups[i].labels), i);
  const mapB = new Int32Array(b.groups.length);
  b.groups.forEach((g, i) => {
    const key = labelsKey(g.labels);
    let at = byKey.get(key);
    if (at === undefined) {
      at = groups.length;
      byKey.set(key, at);
      groups.push({ labels: g.labels });
    }
    mapB[i] = at;
  });
  return { groups, mapB };
}

/**
 * The state of steps [first, first + count) of `p`: what the same rows would
 * have left over those steps alone (cells are per step, so nothing mixes).
 */
export function slicePartial(p: PartialAggregate, first: number, count: number): PartialAggregate {
  const n = p.steps.count;
  if (first === 0 && count === n) return p;
  const steps: Steps = {
    startMs: p.steps.startMs + first * p.steps.stepMs,
    stepMs: p.steps.stepMs,
    count,
  };
  const param = p.param.length === 0 ? p.param : p.param.slice(first, first + count);
  const out = newPartial(p.op, p.grouping, p.without, steps, p.groups, param);
  const G = p.groups.length;
  const rows = (from: Float64Array | Uint8Array, to: Float64Array | Uint8Array) => {
    if (to.length === 0) return;
    for (let g = 0; g < G; g++)
      to.set(from.subarray(g * n + first, g * n + first + count), g * count);
  };
  rows(p.count, out.count);
  rows(p.value, out.value);
  rows(p.aux, out.aux);
  rows(p.dropNameAt, out.dropNameAt);
  rows(p.incremental, out.incremental);
  if (out.listStart.length > 0) {
    let total = 0;
    for (let g = 0; g < G; g++) {
      for (let j = 0; j < count; j++) {
        const c = g * n + first + j;
        out.listStart[g * count + j] = total;
        total += p.listStart[c + 1] - p.listStart[c];
      }
    }
    out.listStart[G * count] = total;
    const values = new Float64Array(total);
    const listRows = new Int32Array(p.listRows.length === 0 ? 0 : total);
    for (let g = 0; g < G; g++) {
      for (let j = 0; j < count; j++) {
        const c = g * n + first + j;
        const at = out.listStart[g * count + j];
        values.set(p.listValues.subarray(p.listStart[c], p.listStart[c + 1]), at);
        if (listRows.length > 0)
          listRows.set(p.listRows.subarray(p.listStart[c], p.listStart[c + 1]), at);
      }
    }
    out.listValues = values;
    out.listRows = listRows;
    // Candidates no kept entry names stay: finalizing emits only the named ones.
    out.candidates = p.candidates;
  }
  return out;
}

/**
 * One state over the steps of `parts` laid end to end (each the state of the
 * same rows over the next run of steps), as one pass over all the steps
 * leaves. topk/bottomk candidates are told apart by labels and dropName, so
 * the rows must be too (as rows read each from one series are).
 */
export function concatPartials(parts: readonly PartialAggregate[]): PartialAggregate {
  if (parts.length === 1) return parts[0];
  if (parts.length === 0) throw new Error("concatPartials of no parts");
  const first = parts[0];
  let count = 0;
  for (const p of parts) {
    if (p.steps.startMs !== first.steps.startMs + count * first.steps.stepMs) {
      throw new Error(`part at ${p.steps.startMs} does not follow the steps before it`);
    }
    count += p.steps.count;
  }
  const steps: Steps = { startMs: first.steps.startMs, stepMs: first.steps.stepMs, count };
  const groups: PartialGroup[] = [];
  const groupAt = new Map<string, number>();
  const maps = parts.map((p) =>
    Int32Array.from(p.groups, (g) => {
      const key = labelsKey(g.labels);
      let at = groupAt.get(key);
      if (at === undefined) {
        at = groups.length;
        groupAt.set(key, at);
        groups.push({ labels: g.labels });
      }
      return at;
    }),
  );
  const param = first.param.length === 0 ? first.param : new Float64Array(count);
  if (param.length > 0) {
    let at = 0;
    for (const p of parts) {
      param.set(p.param, at);
      at += p.steps.count;
    }
  }
  const out = newPartial(first.op, first.grouping, first.without, steps, groups, param);
  const n = count;
  const lists = out.listStart.length > 0;
  const listLen = lists ? new Uint32Array(groups.length * n) : null;
  let off = 0;
  parts.forEach((p, i) => {
    const pn = p.steps.count;
    p.groups.forEach((_, g) => {
      const G = maps[i][g];
      for (let j = 0; j < pn; j++) {
        const c = G * n + off + j;
        const cp = g * pn + j;
        out.count[c] = p.count[cp];
        if (out.value.length > 0) out.value[c] = p.value[cp];
        if (out.aux.length > 0) out.aux[c] = p.aux[cp];
        if (out.dropNameAt.length > 0) out.dropNameAt[c] = p.dropNameAt[cp];
        if (out.incremental.length > 0) out.incremental[c] = p.incremental[cp];
        if (listLen !== null) listLen[c] = p.listStart[cp + 1] - p.listStart[cp];
      }
    });
    off += pn;
  });
  if (listLen === null) return out;
  for (let c = 0; c < listLen.length; c++) out.listStart[c + 1] = out.listStart[c] + listLen[c];
  const total = out.listStart[listLen.length];
  const selectK = first.op === "topk" || first.op === "bottomk";
  out.listValues = new Float64Array(total);
  out.listRows = new Int32Array(selectK ? total : 0);
  const candidateAt = new Map<string, number>();
  off = 0;
  parts.forEach((p, i) => {
    const pn = p.steps.count;
    const candidateOf = Int32Array.from(p.candidates, (cand) => {
      const key = `${labelsKey(cand.labels)}${cand.dropName ? "1" : "0"}`;
      let at = candidateAt.get(key);
      if (at === undefined) {
        at = out.candidates.length;
        candidateAt.set(key, at);
        out.candidates.push(cand);
      }
      return at;
    });
    p.groups.forEach((_, g) => {
      const G = maps[i][g];
      for (let j = 0; j < pn; j++) {
        const cp = g * pn + j;
        const from = p.listStart[cp];
        const to = p.listStart[cp + 1];
        const at = out.listStart[G * n + off + j];
        out.listValues.set(p.listValues.subarray(from, to), at);
        if (selectK)
          for (let e = from; e < to; e++) out.listRows[at + e - from] = candidateOf[p.listRows[e]];
      }
    });
    off += pn;
  });
  return out;
}
