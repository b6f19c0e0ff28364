// Arithmetic and comparison between two vectors: at every step, each row of
// the "many" side (the left, or the right under group_right) meets the row
// of the "one" side with the same match signature at that step, or a fill
// value when the experimental fill modifiers give one. The errors are
// Prometheus's: two "one" side rows of a signature at a step, a second
// match at a step in one-to-one matching, a repeated result inside one match
// group. The walk is row by row (blocks are series-major); the per-step
// bookkeeping lives in signature x step tables.

import type { ArithmeticOp, Binary, ComparisonOp, VectorMatching } from "../ast.js";
import type { VectorBlock } from "../block.js";
import { EvaluationError } from "../errors.js";
import { type Labels, labelsText } from "../labels.js";
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

  // Steps where nothing can match are skipped before any check, as Prometheus does.
  const countA = new Int32Array(n);
  const countB = new Int32Array(n);
  for (let i = 0; i < A.present.length; i++) countA[i % n] += A.present[i];
  for (let i = 0; i < B.present.length; i++) countB[i % n] += B.present[i];
  const active = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const none = countA[j] === 0 && countB[j] === 0;
    const oneEmpty = countA[j] === 0 || countB[j] === 0;
    active[j] = none || (oneEmpty && fillA === null && fillB === null) ? 0 : 1;
  }

  const sigs = new Signatures();
  const sigA = Int32Array.from(A.series, (s) => sigs.of(s.labels, matching));
  const sigB = Int32Array.from(B.series, (s) => sigs.of(s.labels, matching));
  // The B row of each signature at each step (-1: none), and whether a match used the cell.
  const bRowAt = new Int32Array(sigs.size * n).fill(-1);
  const matched = new Uint8Array(sigs.size * n);
  for (let rb = 0; rb < B.series.length; rb++) {
    const base = sigB[rb] * n;
    for (let j = 0; j < n; j++) {
      if (active[j] === 0 || B.present[rb * n + j] === 0) continue;
      const other = bRowAt[base + j];
      if (other >= 0) throw duplicateError(B, rb, other, matching, swapped ? "left" : "right");
      bRowAt[base + j] = rb;
    }
  }

  const out = new OutputRows(lhs.steps);
  // Many-to-one: per result row and step, 1 + the signature it was inserted under.
  const insertedSig: Int32Array[] = [];
  // Result row of each (A row, B row) pair met so far; -1 stands for a fill sample.
  const pairRow = new Map<number, number>();
  const stride = B.series.length + 1;
  let lastKey = -1;
  let lastRow = -1;

  const rowOfPair = (ra: number, rb: number): number => {
    const key = (ra + 1) * stride + (rb + 1);
    if (key === lastKey) return lastRow;
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
      if (!oneToOne && row === insertedSig.length) insertedSig.push(new Int32Array(n));
    }
    lastKey = key;
    lastRow = row;
    return row;
  };

  const apply = (ra: number, rb: number, va: number, vb: number, cell: number, j: number) => {
    const fl = swapped ? vb : va;
    const fr = swapped ? va : vb;
    let value: number;
    let keep = true;
    if (compute !== null) value = compute(fl, fr);
    else {
      keep = (compare as (a: number, b: number) => boolean)(fl, fr);
      value = returnBool ? (keep ? 1 : 0) : fl;
    }
    if (oneToOne && matched[cell] === 1) {
      throw new EvaluationError(
        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
      );
    }
    matched[cell] = 1;
    const row = rowOfPair(ra, rb);
    if (!oneToOne) {
      const sig = (cell - j) / n + 1;
      if (insertedSig[row][j] === sig) {
        throw new EvaluationError(
          "multiple matches for labels: grouping labels must ensure unique matches",
        );
      }
      insertedSig[row][j] = sig;
    }
    if (keep || returnBool) out.set(row, j, value);
  };

  for (let ra = 0; ra < A.series.length; ra++) {
    const base = sigA[ra] * n;
    for (let j = 0; j < n; j++) {
      const at = ra * n + j;
      if (active[j] === 0 || A.present[at] === 0) continue;
      const rb = bRowAt[base + j];
      if (rb >= 0) apply(ra, rb, A.values[at], B.values[rb * n + j], base + j, j);
      else if (fillB !== null) apply(ra, -1, A.values[at], fillB, base + j, j);
    }
  }
  if (fillA !== null) {
    for (let rb = 0; rb < B.series.length; rb++) {
      const base = sigB[rb] * n;
      for (let j = 0; j < n; j++) {
        const at = rb * n + j;
        if (active[j] === 0 || B.present[at] === 0 || matched[base + j] === 1) continue;
        apply(-1, rb, fillA, B.values[at], base + j, j);
      }
    }
  }
  return out.toBlock();
}
