// Functions applied to each sample of an instant vector on its own: abs, the
// roundings, exponentials and logarithms, the trigonometric family, clamp.
// Every one keeps the labels and marks the metric name for dropping, as
// Prometheus 3 does; absent samples stay absent.

import { dropEmptyRows, type ScalarBlock } from "../block.js";
import type { FunctionCallContext, FunctionImpl } from "./function-impl.js";
import { goMax, goMin } from "./go-numbers.js";
import { droppingName, newScalar, newVector, scalarArg, vectorArg } from "./instant-args.js";

// Go's math.Log10 is ln(v) times log10(e) (Math.LOG10E, one ulp above
// 1 / Math.LN10); Math.log10 can differ from it in the last digit
// (log10(20): Go 1.301029995663981, V8 1.3010299956639813).

/** One float function applied to every present sample. */
export function elementwise(f: (v: number) => number): FunctionImpl {
  return (args, ctx) => {
    const input = vectorArg(args, 0, ctx);
    const n = input.values.length;
    const values = new Float64Array(n);
    const present = input.present.slice();
    const src = input.values;
    for (let i = 0; i < n; i++) if (present[i] === 1) values[i] = f(src[i]);
    return newVector(ctx, droppingName(input.series), values, present);
  };
}

function sgn(v: number): number {
  if (v < 0) return -1;
  if (v > 0) return 1;
  return v; // NaN, +0 and -0 are their own sign
}

/** round(v, to_nearest=1): ties go up (towards +Inf), as Prometheus's floor(v/to + 0.5) * to. */
const round: FunctionImpl = (args, ctx) => {
  const input = vectorArg(args, 0, ctx);
  const nearest: ScalarBlock | null = args.length > 1 ? scalarArg(args, 1, ctx) : null;
  const count = input.steps.count;
  const values = new Float64Array(input.values.length);
  const present = input.present.slice();
  for (let j = 0; j < count; j++) {
    // Prometheus divides by the inverse: it loses less precision for 0.1 and friends.
    const inverse = 1 / (nearest === null ? 1 : nearest.values[j]);
    for (let i = j; i < values.length; i += count) {
      if (present[i] === 1) values[i] = Math.floor(input.values[i] * inverse + 0.5) / inverse;
    }
  }
  return newVector(ctx, droppingName(input.series), values, present);
};

/** clamp(v, min, max) and its one-sided forms; a step whose min exceeds its max yields nothing. */
function clampWith(
  args: Parameters<FunctionImpl>[0],
  ctx: FunctionCallContext,
  minArg: number,
  maxArg: number,
) {
  const input = vectorArg(args, 0, ctx);
  const mins = minArg < 0 ? null : scalarArg(args, minArg, ctx).values;
  const maxs = maxArg < 0 ? null : scalarArg(args, maxArg, ctx).values;
  const count = input.steps.count;
  const values = new Float64Array(input.values.length);
  const present = input.present.slice();
  for (let j = 0; j < count; j++) {
    const lo = mins === null ? Number.NEGATIVE_INFINITY : mins[j];
    const hi = maxs === null ? Number.POSITIVE_INFINITY : maxs[j];
    const empty = hi < lo;
    for (let i = j; i < values.length; i += count) {
      if (present[i] !== 1) continue;
      if (empty) present[i] = 0;
      else values[i] = goMax(lo, goMin(hi, input.values[i]));
    }
  }
  return dropEmptyRows(newVector(ctx, droppingName(input.series), values, present));
}

/** min_of and max_of (experimental): of two scalars, with Go's special cases. */
function scalarPair(f: (a: number, b: number) => number): FunctionImpl {
  return (args, ctx) => {
    const a = scalarArg(args, 0, ctx).values;
    const b = scalarArg(args, 1, ctx).values;
    const values = new Float64Array(ctx.steps.count);
    for (let j = 0; j < values.length; j++) values[j] = f(a[j], b[j]);
    return newScalar(ctx, values);
  };
}

export const MATH_FUNCTIONS: Record<string, FunctionImpl> = {
  abs: elementwise(Math.abs),
  ceil: elementwise(Math.ceil),
  floor: elementwise(Math.floor),
  exp: elementwise(Math.exp),
  sqrt: elementwise(Math.sqrt),
  ln: elementwise(Math.log),
  log2: elementwise(Math.log2),
  log10: elementwise((v) => Math.log(v) * Math.LOG10E),
  sgn: elementwise(sgn),
  sin: elementwise(Math.sin),
  cos: elementwise(Math.cos),
  tan: elementwise(Math.tan),
  asin: elementwise(Math.asin),
  acos: elementwise(Math.acos),
  atan: elementwise(Math.atan),
  sinh: elementwise(Math.sinh),
  cosh: elementwise(Math.cosh),
  tanh: elementwise(Math.tanh),
  asinh: elementwise(Math.asinh),
  acosh: elementwise(Math.acosh),
  atanh: elementwise(Math.atanh),
  deg: elementwise((v) => (v * 180) / Math.PI),
  rad: elementwise((v) => (v * Math.PI) / 180),
  round,
  clamp: (args, ctx) => clampWith(args, ctx, 1, 2),
  clamp_min: (args, ctx) => clampWith(args, ctx, 1, -1),
  clamp_max: (args, ctx) => clampWith(args, ctx, -1, 1),
  min_of: scalarPair(goMin),
  max_of: scalarPair(goMax),
  pi: (_args, ctx) => newScalar(ctx, new Float64Array(ctx.steps.count).fill(Math.PI)),
};
