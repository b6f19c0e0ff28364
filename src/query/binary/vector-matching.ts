// Arithmetic and comparison between two vectors, step by step: each row of
// the "many" side (the left, or the right under group_right) meets the row
// of the "one" side with the same match signature at that step, or a fill
// value when the experimental fill modifiers give one. Errors and their
// order follow Prometheus: duplicates on the "one" side, then a second match
// in one-to-one matching, then a repeated result inside one match group.

import type { ArithmeticOp, Binary, ComparisonOp, VectorMatching } from "../ast.js";
import type { VectorBlock } from "../block.js";
import { EvaluationError } from "../errors.js";
import type { Labels } from "../labels.js";
import { labelsText } from "./label-text.js";
import { matchLabels, resultLabels, Signatures } from "./matching.js";
import { arithmeticOf, comparisonOf, isArithmetic } from "./operators.js";
import { OutputRows } from "./output-rows.js";

function duplicateError(
  block: VectorBlock,
  r1: number,
  r2: number,
  matching: VectorMatching,
  side: string,
): EvaluationError {
  const group = labelsText(matchLabels(block.series[r1].labels, matching));
  let d1 = labelsText(block.series[r1].labels);
  let d2 = labelsText(block.series[r2].labels);
  if (d1 > d2) [d1, d2] = [d2, d1];
  return new EvaluationError(
    `found duplicate series for the match group ${group} on the ${side} hand-side of the operation: [${d1}, ${d2}];many-to-many matching not allowed: matching labels must be unique on one side`,
  );
}

export function vectorMatch(
  node: Binary,
  matching: VectorMatching,
  lhs: VectorBlock,
  rhs: VectorBlock,
): VectorBlock {
  const n = lhs.steps.count;
  const swapped = matching.card === "one-to-many";
  // A is the "many" side (or the left in one-to-one), B the "one" side.
  const A = swapped ? rhs : lhs;
  const B = swapped ? lhs : rhs;
  const oneToOne = matching.card === "one-to-one";
  const arithmetic = isArithmetic(node.op);
  const compute = arithmetic ? arithmeticOf(node.op as ArithmeticOp) : null;
  const compare = arithmetic ? null : comparisonOf(node.op as ComparisonOp);
  const returnBool = node.returnBool;
  // Prometheus applies fill_right where B is missing and fill_left where A is, with no swap.
  const fillB = matching.fillRight;
  const fillA = matching.fillLeft;

  const sigs = new Signatures();
  const sigA = Int32Array.from(A.series, (s) => sigs.of(s.labels, matching));
  const sigB = Int32Array.from(B.series, (s) => sigs.of(s.labels, matching));
  const bAt = new Int32Array(sigs.size).fill(-1);
  const bRow = new Int32Array(sigs.size);
  const matchedAt = new Int32Array(sigs.size).fill(-1);
  const out = new OutputRows(lhs.steps);
  // Result row of each (A row, B row) pair met so far; -1 stands for a fill sample.
  const pairRow = new Map<number, number>();
  const stride = B.series.length + 1;

  const rowOfPair = (ra: number, rb: number): number => {
    const key = (ra + 1) * stride + (rb + 1);
    let row = pairRow.get(key);
    if (row === undefined) {
      const aLabels: Labels =
        ra >= 0 ? A.series[ra].labels : matchLabels(B.series[rb].labels, matching);
      const bLabels: Labels =
        rb >= 0 ? B.series[rb].labels : matchLabels(A.series[ra].labels, matching);
      const labels = resultLabels(aLabels, bLabels, matching, arithmetic);
      const dropName = returnBool || (!arithmetic && ra >= 0 && A.series[ra].dropName);
      row = out.rowFor(labels, dropName);
      pairRow.set(key, row);
    }
    return row;
  };

  const apply = (ra: number, rb: number, va: number, vb: number, sig: number, j: number) => {
    const fl = swapped ? vb : va;
    const fr = swapped ? va : vb;
    let value: number;
    let keep = true;
    if (compute !== null) value = compute(fl, fr);
    else {
      keep = (compare as (a: number, b: number) => boolean)(fl, fr);
      value = returnBool ? (keep ? 1 : 0) : fl;
    }
    if (oneToOne && matchedAt[sig] === j) {
      throw new EvaluationError(
        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
      );
    }
    matchedAt[sig] = j;
    const row = rowOfPair(ra, rb);
    if (!oneToOne) {
      if (out.insertedAt[row] === j && out.insertedSig[row] === sig) {
        throw new EvaluationError(
          "multiple matches for labels: grouping labels must ensure unique matches",
        );
      }
      out.insertedAt[row] = j;
      out.insertedSig[row] = sig;
    }
    if (keep || returnBool) out.set(row, j, value);
  };

  for (let j = 0; j < n; j++) {
    let presentA = 0;
    let presentB = 0;
    for (let r = 0; r < A.series.length; r++) presentA += A.present[r * n + j];
    for (let r = 0; r < B.series.length; r++) presentB += B.present[r * n + j];
    if (presentA === 0 && presentB === 0) continue;
    if ((presentA === 0 || presentB === 0) && fillA === null && fillB === null) continue;
    for (let rb = 0; rb < B.series.length; rb++) {
      if (B.present[rb * n + j] === 0) continue;
      const sig = sigB[rb];
      if (bAt[sig] === j)
        throw duplicateError(B, rb, bRow[sig], matching, swapped ? "left" : "right");
      bAt[sig] = j;
      bRow[sig] = rb;
    }
    for (let ra = 0; ra < A.series.length; ra++) {
      if (A.present[ra * n + j] === 0) continue;
      const sig = sigA[ra];
      const va = A.values[ra * n + j];
      if (bAt[sig] === j) apply(ra, bRow[sig], va, B.values[bRow[sig] * n + j], sig, j);
      else if (fillB !== null) apply(ra, -1, va, fillB, sig, j);
    }
    if (fillA === null) continue;
    for (let rb = 0; rb < B.series.length; rb++) {
      if (B.present[rb * n + j] === 0) continue;
      const sig = sigB[rb];
      if (matchedAt[sig] === j) continue;
      apply(-1, rb, fillA, B.values[rb * n + j], sig, j);
    }
  }
  return out.toBlock();
}
