// The numeric parameter of topk, bottomk, limitk, limit_ratio and quantile:
// one value per step, checked over all steps at once as Prometheus checks
// it (errors for NaN and out-of-int64 k, warnings for φ and ratios out of range).

import type { Aggregate } from "../ast.js";
import type { Steps, Value } from "../block.js";
import { EvaluationError } from "../errors.js";
import { formatGoG } from "../go-format.js";
import { type OperatorContext, positionOf } from "../operator-context.js";

/** Prometheus's bounds for a k that converts to int64 (the largest float64 below 2^63, and -2^63). */
const MAX_INT64_FLOAT = 2 ** 63 - 1024;
const MIN_INT64_FLOAT = -(2 ** 63);

/** The parameter at every step, or an error that the node has none of the scalar type. */
export function paramValues(node: Aggregate, param: Value | null, steps: Steps): Float64Array {
  if (param === null || param.type !== "scalar") {
    throw new EvaluationError(
      `expected a scalar parameter for ${node.op}, got ${param === null ? "none" : param.type}`,
    );
  }
  if (param.values.length !== steps.count) {
    throw new EvaluationError(
      `the parameter of ${node.op} has ${param.values.length} steps, the input ${steps.count}`,
    );
  }
  return param.values;
}

/** Math.max/min over the steps; NaN when any value is NaN, as Go's math.Max and math.Min. */
function maxOf(values: Float64Array): number {
  let m = -Number.MAX_VALUE;
  for (const v of values) m = Math.max(m, v);
  return m;
}

function minOf(values: Float64Array): number {
  let m = Number.MAX_VALUE;
  for (const v of values) m = Math.min(m, v);
  return m;
}

function hasNaN(values: Float64Array): boolean {
  for (const v of values) if (Number.isNaN(v)) return true;
  return false;
}

/**
 * Checks k of topk, bottomk and limitk. Returns false when every k is below 1
 * (the result is empty); throws for NaN and for values outside int64.
 */
export function checkK(k: Float64Array): boolean {
  if (maxOf(k) < 1) return false;
  if (hasNaN(k)) throw new EvaluationError("Parameter value is NaN");
  const min = minOf(k);
  if (min <= MIN_INT64_FLOAT)
    throw new EvaluationError(`Scalar value ${formatGoG(min)} underflows int64`);
  const max = maxOf(k);
  if (max >= MAX_INT64_FLOAT)
    throw new EvaluationError(`Scalar value ${formatGoG(max)} overflows int64`);
  return true;
}

/** k at one step as Go's int64(k) makes it: truncated toward zero. */
export function truncK(k: number): number {
  return Math.trunc(k);
}

/**
 * Checks the ratio of limit_ratio. Returns false when every ratio is 0 (the
 * result is empty); throws for NaN; warns for ratios past ±1 (they are capped).
 */
export function checkRatio(node: Aggregate, r: Float64Array, ctx: OperatorContext): boolean {
  const max = maxOf(r);
  const min = minOf(r);
  if (max === 0 && min === 0) return false;
  if (hasNaN(r)) throw new EvaluationError("Ratio value is NaN");
  const at = node.param === null ? "" : ` ${positionOf(ctx.query, node.param.pos)}`;
  if (max > 1) {
    ctx.annotations.warn(
      `PromQL warning: ratio value should be between -1 and 1, got ${formatGoG(max)}, capping to 1${at}`,
    );
  }
  if (min < -1) {
    ctx.annotations.warn(
      `PromQL warning: ratio value should be between -1 and 1, got ${formatGoG(min)}, capping to -1${at}`,
    );
  }
  return true;
}

/** Warns for quantile φ values that are NaN or outside [0, 1]. */
export function checkQuantile(node: Aggregate, phi: Float64Array, ctx: OperatorContext): void {
  const at = node.param === null ? "" : ` ${positionOf(ctx.query, node.param.pos)}`;
  const warn = (q: number) =>
    ctx.annotations.warn(
      `PromQL warning: quantile value should be between 0 and 1, got ${formatGoG(q)}${at}`,
    );
  if (hasNaN(phi)) warn(Number.NaN);
  const max = maxOf(phi);
  const min = minOf(phi);
  if (max > 1) warn(max);
  if (min < 0) warn(min);
}
