// The aggregation operators on a block: sum, avg, count, min, max, group,
// stddev, stdvar, quantile, topk and bottomk through their mergeable state
// (so that one code path serves one pass and merged halves), count_values,
// limitk and limit_ratio directly.

import type { Aggregate } from "../ast.js";
import { countPresent, type Value, type VectorBlock } from "../block.js";
import { EvaluationError } from "../errors.js";
import type { OperatorContext } from "../operator-context.js";
import { accumulate } from "./accumulate.js";
import { countValues } from "./count-values.js";
import { finalizeAggregate } from "./finalize.js";
import { assignGroups, makeGrouping } from "./grouping.js";
import { limitK, limitRatio } from "./limit.js";
import { checkK, checkQuantile, checkRatio, paramValues, truncK } from "./params.js";
import { newPartial, PARTIAL_OPS, type PartialAggregate, type PartialOp } from "./partial-state.js";
import { accumulateSelectK } from "./select-k.js";

function isPartialOp(op: string): op is PartialOp {
  return PARTIAL_OPS.has(op);
}

/**
 * The partial state of `node` over the rows of `input` (any subset of the
 * aggregation's input rows). `param` is k for topk/bottomk and φ for
 * quantile, as a scalar block over the input's steps.
 */
export function partialAggregate(
  node: Aggregate,
  input: VectorBlock,
  param: Value | null,
  ctx: OperatorContext,
): PartialAggregate {
  const { op } = node;
  if (!isPartialOp(op)) {
    throw new EvaluationError(`${op} has no partial aggregation; it is evaluated in one pass`);
  }
  const grouping = makeGrouping(node.grouping, node.without);
  const steps = input.steps;
  if (op === "topk" || op === "bottomk") {
    const k = paramValues(node, param, steps);
    if (!checkK(k)) return newPartial(op, grouping.names, grouping.without, steps, [], k);
    const truncated = k.map(truncK);
    return accumulateSelectK(op, grouping, assignGroups(input.series, grouping), input, truncated);
  }
  let phi: Float64Array = new Float64Array(0);
  if (op === "quantile") {
    phi = paramValues(node, param, steps);
    checkQuantile(node, phi, ctx);
  }
  return accumulate(op, grouping, assignGroups(input.series, grouping), input, phi);
}

/** Evaluates an aggregation over its evaluated input (and parameter). */
export function evalAggregate(
  node: Aggregate,
  input: VectorBlock,
  param: Value | null,
  ctx: OperatorContext,
): VectorBlock {
  let out: VectorBlock;
  switch (node.op) {
    case "count_values":
      out = countValues(node, input, param);
      break;
    case "limitk": {
      const k = paramValues(node, param, input.steps);
      const grouping = makeGrouping(node.grouping, node.without);
      out = checkK(k)
        ? limitK(input, assignGroups(input.series, grouping), k)
        : { ...input, series: [], values: new Float64Array(0), present: new Uint8Array(0) };
      break;
    }
    case "limit_ratio": {
      const r = paramValues(node, param, input.steps);
      out = checkRatio(node, r, ctx)
        ? limitRatio(input, r)
        : { ...input, series: [], values: new Float64Array(0), present: new Uint8Array(0) };
      break;
    }
    default:
      out = finalizeAggregate(partialAggregate(node, input, param, ctx));
  }
  ctx.accountSamples(countPresent(out.present));
  return out;
}
