// The window walk every range-vector function shares: for each row of a
// matrix and each step, the samples in (windowEnd - range, windowEnd] found by
// two pointers that only move forward, handed to a kernel that writes one
// output value. Also the numeric helpers those kernels share.

import type {
  MatrixBlock,
  SampleRun,
  ScalarBlock,
  SeriesMeta,
  Value,
  VectorBlock,
} from "../block.js";
import { countPresent, emptyVector } from "../block.js";
import { EvaluationError } from "../errors.js";
import type { FunctionCallContext } from "./function-impl.js";

/**
 * Computes the value of one window: samples [lo, hi) of `run`, at step j.
 * Writes out[at] and returns true, or returns false when the window has no value.
 */
export type WindowKernel = (
  run: SampleRun,
  lo: number,
  hi: number,
  j: number,
  out: Float64Array,
  at: number,
) => boolean;

/** How a function names its output rows. */
export const NameRule = {
  /** The metric name is dropped (Prometheus 3: delayed, by setting dropName). */
  drop: 0,
  /** The row keeps its name unless its input already dropped it (first/last_over_time). */
  keep: 1,
} as const;
export type NameRule = (typeof NameRule)[keyof typeof NameRule];

/** Prometheus's default lookback, used by anchored/smoothed selectors when the context gives none. */
export const DEFAULT_LOOKBACK_MS = 300_000;

/** The lookback delta of the query (anchored and smoothed selectors reach back by it). */
export function lookbackOf(ctx: FunctionCallContext): number {
  const lb = ctx.lookbackMs;
  return lb !== undefined && lb > 0 ? lb : DEFAULT_LOOKBACK_MS;
}

/** The range-vector argument of a call (the one MatrixBlock among its arguments). */
export function matrixArg(args: Value[], fn: string): MatrixBlock {
  for (const a of args) if (a.type === "matrix") return a;
  throw new EvaluationError(`${fn}: expected a range vector argument, got none`);
}

/** The scalar argument at `index`, checked. */
export function scalarArg(args: Value[], index: number, fn: string): ScalarBlock {
  const a = args[index];
  if (a === undefined || a.type !== "scalar") {
    throw new EvaluationError(
      `${fn}: expected a scalar as argument ${index + 1}, got ${a === undefined ? "nothing" : a.type}`,
    );
  }
  return a;
}

const ANCHORED_SAFE = ["changes", "delta", "increase", "rate", "resets"];
const SMOOTHED_SAFE = ["delta", "increase", "rate"];

/** Throws Prometheus's error when an anchored/smoothed selector feeds a function that cannot take one. */
export function checkExtendedRange(matrix: MatrixBlock, fn: string): void {
  if (matrix.anchored && !ANCHORED_SAFE.includes(fn)) {
    throw new EvaluationError(
      `anchored modifier can only be used with: ${ANCHORED_SAFE.join(", ")} - not with ${fn}`,
    );
  }
  if (matrix.smoothed && !SMOOTHED_SAFE.includes(fn)) {
    throw new EvaluationError(
      `smoothed modifier can only be used with: ${SMOOTHED_SAFE.join(", ")} - not with ${fn}`,
    );
  }
}

/** The output rows: the input's labels, with dropName set as the function's rule says. */
export function outputSeries(matrix: MatrixBlock, rule: NameRule): SeriesMeta[] {
  return matrix.series.map((s) => ({
    labels: s.labels,
    dropName: rule === NameRule.drop ? true : s.dropName,
  }));
}

/** Counts the present points of a block into the sample accounting. */
export function accountPresent(block: VectorBlock, ctx: FunctionCallContext): void {
  ctx.accountSamples(countPresent(block.present));
}

/**
 * Runs `kernel` on every window that holds at least `minCount` samples, and
 * (unless `account` is false) accounts the points it produced.
 * Window ends may repeat (an `@` modifier) or, in principle, go back; the
 * pointers restart from the row's first sample only in the latter case.
 */
export function sweepWindows(
  matrix: MatrixBlock,
  ctx: FunctionCallContext,
  rule: NameRule,
  minCount: number,
  kernel: WindowKernel,
  account = true,
): VectorBlock {
  const steps = ctx.steps;
  const nSteps = steps.count;
  if (matrix.windowEndMs.length !== nSteps) {
    throw new EvaluationError(
      `range vector has ${matrix.windowEndMs.length} windows for ${nSteps} steps; they must match`,
    );
  }
  const out = emptyVector(steps, outputSeries(matrix, rule));
  const { values, present } = out;
  const ends = matrix.windowEndMs;
  const rangeMs = matrix.rangeMs;
  for (let r = 0; r < matrix.samples.length; r++) {
    const run = matrix.samples[r];
    const t = run.timesMs;
    const n = run.count;
    let lo = 0;
    let hi = 0;
    let prevEnd = Number.NEGATIVE_INFINITY;
    const base = r * nSteps;
    for (let j = 0; j < nSteps; j++) {
      const end = ends[j];
      if (end < prevEnd) {
        lo = 0;
        hi = 0;
      }
      prevEnd = end;
      const start = end - rangeMs;
      while (hi < n && t[hi] <= end) hi++;
      while (lo < hi && t[lo] <= start) lo++;
      if (hi - lo < minCount) continue;
      if (kernel(run, lo, hi, j, values, base + j)) present[base + j] = 1;
    }
  }
  if (account) accountPresent(out, ctx);
  return out;
}

/** Index of the first sample in [from, to) whose time is greater than `ms` (`to` if none). */
export function firstAfter(t: Float64Array, from: number, to: number, ms: number): number {
  let a = from;
  let b = to;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (t[m] > ms) b = m;
    else a = m + 1;
  }
  return a;
}

/** Index of the first sample in [from, to) whose time is at or after `ms` (`to` if none). */
export function firstAtOrAfter(t: Float64Array, from: number, to: number, ms: number): number {
  let a = from;
  let b = to;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (t[m] >= ms) b = m;
    else a = m + 1;
  }
  return a;
}

/**
 * One step of compensated (Kahan-Babuška-Neumaier) summation: adds `inc` to
 * `sum` whose lost low-order part is `c`. Returns the new sum and leaves the
 * new compensation in `kahan.c`. Once the sum is infinite the compensation
 * is reset to 0, so that sum + c stays the infinite sum.
 */
export function kahanInc(inc: number, sum: number, c: number, kahan: { c: number }): number {
  const t = sum + inc;
  if (t === Number.POSITIVE_INFINITY || t === Number.NEGATIVE_INFINITY) kahan.c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) kahan.c = c + (sum - t + inc);
  else kahan.c = c + (inc - t + sum);
  return t;
}
