// Merging two partial states of one aggregation (same operator, grouping,
// steps and parameter) computed from disjoint sets of input rows. Groups of
// `b` not in `a` are appended, so groups keep their order of first appearance.

import { EvaluationError } from "../errors.js";
import { avgAdd, maxBetter, minBetter } from "./accumulate.js";
import { kahanAdd, wouldOverflow } from "./kahan.js";
import { newPartial, type PartialAggregate, unionGroups } from "./partial-state.js";
import { mergeSelectK } from "./select-k.js";

function sameArray(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function checkCompatible(a: PartialAggregate, b: PartialAggregate): void {
  const problems: string[] = [];
  if (a.op !== b.op) problems.push(`operators ${a.op} and ${b.op}`);
  if (a.without !== b.without || a.grouping.join("\xff") !== b.grouping.join("\xff")) {
    problems.push(`groupings (${a.grouping.join(",")}) and (${b.grouping.join(",")})`);
  }
  const sa = a.steps;
  const sb = b.steps;
  if (sa.startMs !== sb.startMs || sa.stepMs !== sb.stepMs || sa.count !== sb.count) {
    problems.push(
      `steps ${sa.startMs}+${sa.stepMs}x${sa.count} and ${sb.startMs}+${sb.stepMs}x${sb.count}`,
    );
  }
  if (!sameArray(a.param, b.param)) problems.push("parameters");
  if (problems.length > 0) {
    throw new EvaluationError(
      `cannot merge partial aggregations: different ${problems.join(", ")}`,
    );
  }
}

/** Converts avg's cell c to the incremental mean (mean and compensation divided by the count). */
function toMean(p: PartialAggregate, c: number): void {
  if (p.incremental[c] === 1) return;
  p.incremental[c] = 1;
  p.value[c] /= p.count[c];
  p.aux[c] /= p.count[c];
}

/** Folds cell cb of `b` into cell c of `out`, which already holds a's cell. */
function mergeCell(out: PartialAggregate, c: number, b: PartialAggregate, cb: number): void {
  const nb = b.count[cb];
  if (nb === 0) return;
  const na = out.count[c];
  if (na === 0) {
    out.count[c] = nb;
    if (out.value.length > 0) out.value[c] = b.value[cb];
    if (out.aux.length > 0) out.aux[c] = b.aux[cb];
    if (out.incremental.length > 0) out.incremental[c] = b.incremental[cb];
    return;
  }
  const n = na + nb;
  switch (out.op) {
    case "sum":
      kahanAdd(out.value, out.aux, c, b.value[cb]);
      out.aux[c] += b.aux[cb];
      break;
    case "avg": {
      if (nb === 1 && b.incremental[cb] === 0 && b.aux[cb] === 0) {
        avgAdd(out, c, b.value[cb]);
        return;
      }
      if (out.incremental[c] === 0 && b.incremental[cb] === 0) {
        if (!wouldOverflow(out.value[c], b.value[cb])) {
          kahanAdd(out.value, out.aux, c, b.value[cb]);
          out.aux[c] += b.aux[cb];
          break;
        }
      }
      toMean(out, c);
      const wa = na / n;
      const wb = nb / n;
      const meanB = b.incremental[cb] === 1 ? b.value[cb] : b.value[cb] / nb;
      const compB = b.incremental[cb] === 1 ? b.aux[cb] : b.aux[cb] / nb;
      out.value[c] *= wa;
      out.aux[c] *= wa;
      kahanAdd(out.value, out.aux, c, meanB * wb);
      out.aux[c] += compB * wb;
      break;
    }
    case "min":
      if (minBetter(out.value[c], b.value[cb])) out.value[c] = b.value[cb];
      break;
    case "max":
      if (maxBetter(out.value[c], b.value[cb])) out.value[c] = b.value[cb];
      break;
    case "stddev":
    case "stdvar": {
      // Chan et al.'s pairwise combination of two (count, mean, M2) triples.
      const meanA = out.value[c];
      const delta = b.value[cb] - meanA;
      out.value[c] = meanA + delta * (nb / n);
      out.aux[c] = out.aux[c] + b.aux[cb] + delta * delta * ((na * nb) / n);
      break;
    }
  }
  out.count[c] = n;
}

/** The state of the union of the rows `a` and `b` were computed from. */
export function mergePartials(a: PartialAggregate, b: PartialAggregate): PartialAggregate {
  checkCompatible(a, b);
  if (a.op === "topk" || a.op === "bottomk") return mergeSelectK(a, b);
  const { groups, mapB } = unionGroups(a, b);
  const n = a.steps.count;
  const out = newPartial(a.op, a.grouping, a.without, a.steps, groups, a.param);
  const cellsA = a.groups.length * n;
  out.count.set(a.count);
  if (out.value.length > 0) out.value.set(a.value.subarray(0, cellsA));
  if (out.aux.length > 0) out.aux.set(a.aux.subarray(0, cellsA));
  if (out.incremental.length > 0) out.incremental.set(a.incremental.subarray(0, cellsA));
  out.dropNameAt.set(a.dropNameAt);
  for (let g = 0; g < b.groups.length; g++) {
    for (let j = 0; j < n; j++) out.dropNameAt[mapB[g] * n + j] |= b.dropNameAt[g * n + j];
  }
  if (a.op === "quantile") {
    mergeQuantileLists(out, a, b, mapB);
    return out;
  }
  for (let g = 0; g < b.groups.length; g++) {
    for (let j = 0; j < n; j++) mergeCell(out, mapB[g] * n + j, b, g * n + j);
  }
  return out;
}

/** Quantile: each merged cell holds both cells' samples, sorted again. */
function mergeQuantileLists(
  out: PartialAggregate,
  a: PartialAggregate,
  b: PartialAggregate,
  mapB: Int32Array,
): void {
  const n = a.steps.count;
  const cells = out.count.length;
  const fromB = new Int32Array(cells).fill(-1);
  for (let g = 0; g < b.groups.length; g++) {
    for (let j = 0; j < n; j++) {
      const c = mapB[g] * n + j;
      fromB[c] = g * n + j;
      out.count[c] += b.count[g * n + j];
    }
  }
  for (let c = 0; c < cells; c++) out.listStart[c + 1] = out.listStart[c] + out.count[c];
  const list = new Float64Array(out.listStart[cells]);
  const cellsA = a.groups.length * n;
  for (let c = 0; c < cells; c++) {
    let at = out.listStart[c];
    if (c < cellsA) {
      list.set(a.listValues.subarray(a.listStart[c], a.listStart[c + 1]), at);
      at += a.listStart[c + 1] - a.listStart[c];
    }
    const cb = fromB[c];
    if (cb >= 0) list.set(b.listValues.subarray(b.listStart[cb], b.listStart[cb + 1]), at);
    if (out.count[c] > 1) list.subarray(out.listStart[c], out.listStart[c + 1]).sort();
  }
  out.listValues = list;
}
