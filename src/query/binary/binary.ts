// Binary operators on evaluated operands: scalar with scalar, vector with
// scalar (either side), and vector with vector through matching or the set
// operators.

import type { ArithmeticOp, Binary, ComparisonOp, SetOp } from "../ast.js";
import {
  countPresent,
  dropEmptyRows,
  type ScalarBlock,
  type Value,
  type VectorBlock,
} from "../block.js";
import { EvaluationError } from "../errors.js";
import type { OperatorContext } from "../operator-context.js";
import { arithmeticOf, comparisonOf, isArithmetic, isComparison } from "./operators.js";
import { setOperation } from "./set-operators.js";
import { vectorMatch } from "./vector-matching.js";

function scalarScalar(node: Binary, lhs: ScalarBlock, rhs: ScalarBlock): ScalarBlock {
  const values = new Float64Array(lhs.values.length);
  if (isArithmetic(node.op)) {
    const f = arithmeticOf(node.op);
    for (let j = 0; j < values.length; j++) values[j] = f(lhs.values[j], rhs.values[j]);
  } else if (isComparison(node.op)) {
    const f = comparisonOf(node.op);
    for (let j = 0; j < values.length; j++) values[j] = f(lhs.values[j], rhs.values[j]) ? 1 : 0;
  } else {
    throw new EvaluationError(`set operator "${node.op}" not allowed in binary scalar expression`);
  }
  return { type: "scalar", steps: lhs.steps, values };
}

/**
 * A vector with a scalar. Arithmetic and `bool` comparisons mark the metric
 * name to be dropped; a comparison without `bool` keeps the samples for
 * which it holds, with the vector's value even when the scalar is on the left.
 */
function vectorScalar(
  node: Binary,
  vector: VectorBlock,
  scalar: ScalarBlock,
  scalarLeft: boolean,
): VectorBlock {
  const n = vector.steps.count;
  const values = new Float64Array(vector.values.length);
  const present = new Uint8Array(vector.present.length);
  const arithmetic = isArithmetic(node.op);
  const compute = arithmetic ? arithmeticOf(node.op as ArithmeticOp) : null;
  const compare = arithmetic ? null : comparisonOf(node.op as ComparisonOp);
  for (let r = 0; r < vector.series.length; r++) {
    for (let j = 0; j < n; j++) {
      const at = r * n + j;
      if (vector.present[at] === 0) continue;
      const v = vector.values[at];
      const s = scalar.values[j];
      const a = scalarLeft ? s : v;
      const b = scalarLeft ? v : s;
      if (compute !== null) {
        values[at] = compute(a, b);
        present[at] = 1;
        continue;
      }
      const holds = (compare as (x: number, y: number) => boolean)(a, b);
      if (node.returnBool) {
        values[at] = holds ? 1 : 0;
        present[at] = 1;
      } else if (holds) {
        values[at] = v;
        present[at] = 1;
      }
    }
  }
  const dropName = arithmetic || node.returnBool;
  const series = vector.series.map((s) => ({
    labels: s.labels,
    dropName: dropName || s.dropName,
  }));
  return dropEmptyRows({ type: "vector", steps: vector.steps, series, values, present });
}

function isSetOp(op: Binary["op"]): op is SetOp {
  return op === "and" || op === "or" || op === "unless";
}

function checkSteps(lhs: ScalarBlock | VectorBlock, rhs: ScalarBlock | VectorBlock): void {
  const a = lhs.steps;
  const b = rhs.steps;
  if (a.startMs !== b.startMs || a.stepMs !== b.stepMs || a.count !== b.count) {
    throw new EvaluationError(
      `binary operands over different steps: ${a.startMs}+${a.stepMs}x${a.count} and ${b.startMs}+${b.stepMs}x${b.count}`,
    );
  }
}

/** Evaluates a binary operation over its evaluated operands. */
export function evalBinary(node: Binary, lhs: Value, rhs: Value, ctx: OperatorContext): Value {
  if (
    (lhs.type !== "scalar" && lhs.type !== "vector") ||
    (rhs.type !== "scalar" && rhs.type !== "vector")
  ) {
    throw new EvaluationError(
      `binary operator "${node.op}" not defined between ${lhs.type} and ${rhs.type}`,
    );
  }
  checkSteps(lhs, rhs);
  if (lhs.type === "scalar" && rhs.type === "scalar") return scalarScalar(node, lhs, rhs);
  let out: VectorBlock;
  if (lhs.type === "vector" && rhs.type === "vector") {
    if (node.matching === null) {
      throw new EvaluationError(`binary operator "${node.op}" between two vectors has no matching`);
    }
    if (isSetOp(node.op) !== (node.matching.card === "many-to-many")) {
      throw new EvaluationError(
        `binary operator "${node.op}" cannot use ${node.matching.card} matching: many-to-many is for the set operators only`,
      );
    }
    out = isSetOp(node.op)
      ? setOperation(node.op, node.matching, lhs, rhs)
      : vectorMatch(node, node.matching, lhs, rhs);
  } else {
    if (isSetOp(node.op)) {
      throw new EvaluationError(`set operator "${node.op}" not allowed with a scalar operand`);
    }
    out =
      lhs.type === "vector"
        ? vectorScalar(node, lhs, rhs as ScalarBlock, false)
        : vectorScalar(node, rhs as VectorBlock, lhs, true);
  }
  ctx.accountSamples(countPresent(out.present));
  return out;
}
