// Reading the evaluated arguments of an instant function, and the result
// shape most of them share: one output row per input row, same steps.

import type { Expr } from "../ast.js";
import {
  countPresent,
  type ScalarBlock,
  type SeriesMeta,
  type StringValue,
  type Value,
  type VectorBlock,
} from "../block.js";
import type { FunctionCallContext } from "./function-impl.js";

function argumentType(args: Value[], i: number, want: string, ctx: FunctionCallContext): never {
  // The parser checks argument types, so a mismatch is a bug in the engine.
  throw new Error(
    `${ctx.call.func}(): argument ${i + 1} is ${args[i]?.type ?? "missing"}, expected ${want}`,
  );
}

export function vectorArg(args: Value[], i: number, ctx: FunctionCallContext): VectorBlock {
  const v = args[i];
  if (v === undefined || v.type !== "vector") return argumentType(args, i, "vector", ctx);
  return v;
}

export function scalarArg(args: Value[], i: number, ctx: FunctionCallContext): ScalarBlock {
  const v = args[i];
  if (v === undefined || v.type !== "scalar") return argumentType(args, i, "scalar", ctx);
  return v;
}

export function stringArg(args: Value[], i: number, ctx: FunctionCallContext): string {
  const v: Value | undefined = args[i];
  if (v === undefined || v.type !== "string") return argumentType(args, i, "string", ctx);
  return (v as StringValue).value;
}

/** The expression without the parentheses around it (Prometheus unwraps call arguments). */
export function unwrapParens(e: Expr): Expr {
  let x = e;
  while (x.kind === "paren") x = x.expr;
  return x;
}

/** The same rows with the metric name marked for dropping (the value changed meaning). */
export function droppingName(series: readonly SeriesMeta[]): SeriesMeta[] {
  return series.map((s) => ({ labels: s.labels, dropName: true }));
}

/** Builds a scalar block and accounts for its values (Prometheus counts a scalar's points too). */
export function newScalar(ctx: FunctionCallContext, values: Float64Array): ScalarBlock {
  ctx.accountSamples(values.length);
  return { type: "scalar", steps: ctx.steps, values };
}

/** Builds a vector block and accounts for its samples. */
export function newVector(
  ctx: FunctionCallContext,
  series: SeriesMeta[],
  values: Float64Array,
  present: Uint8Array,
): VectorBlock {
  ctx.accountSamples(countPresent(present));
  return { type: "vector", steps: ctx.steps, series, values, present };
}
