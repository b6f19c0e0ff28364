// Test helpers for the instant functions: blocks written as tables, a call
// context that records annotations and accounted samples, results read back
// as plain rows.

import assert from "node:assert/strict";
import { Annotations } from "../annotations.js";
import type { Call, Expr, MatchOp, PosRange, VectorSelector } from "../ast.js";
import type { ScalarBlock, Steps, StringValue, Value, VectorBlock } from "../block.js";
import { formatLabels } from "../labels.js";
import { vectorOf } from "../testing.js";
import type { FunctionCallContext } from "./function-impl.js";
import { INSTANT_FUNCTIONS } from "./instant-functions.js";

/** One step at 50 minutes, as Prometheus's `eval instant at 50m`. */
export const AT_50M: Steps = { startMs: 3_000_000, stepMs: 0, count: 1 };

export function rangeSteps(startMs: number, stepMs: number, count: number): Steps {
  return { startMs, stepMs, count };
}

/** A row: its labels and one value per step, null where absent. */
export type Row = [Record<string, string>, (number | null)[]];

export function vec(steps: Steps, rows: Row[], sampleTimesMs?: number[]): VectorBlock {
  for (const [, vs] of rows) {
    assert.equal(vs.length, steps.count, "a fixture row needs one value per step");
  }
  const block = vectorOf(steps, rows);
  return sampleTimesMs === undefined
    ? block
    : { ...block, sampleTimesMs: Float64Array.from(sampleTimesMs) };
}

export function sca(steps: Steps, values: number | number[]): ScalarBlock {
  const v = typeof values === "number" ? new Array(steps.count).fill(values) : (values as number[]);
  return { type: "scalar", steps, values: Float64Array.from(v) };
}

export function str(value: string): StringValue {
  return { type: "string", value };
}

const NO_POS: PosRange = { start: 0, end: 0 };

/** A selector node, for absent() and annotation positions. */
export function selector(
  name: string | null,
  matchers: [string, MatchOp, string][],
  pos: PosRange = NO_POS,
): VectorSelector {
  const all = matchers.map(([n, op, value]) => ({ name: n, op, value }));
  if (name !== null) all.unshift({ name: "__name__", op: "=", value: name });
  return {
    kind: "vectorSelector",
    name,
    matchers: all,
    offset: 0,
    at: null,
    anchored: false,
    smoothed: false,
    pos,
  };
}

/** A number literal node at a position. */
export function numberAt(value: number, start: number): Expr {
  return { kind: "number", value, pos: { start, end: start + 1 } };
}

export interface TestContext extends FunctionCallContext {
  accounted: number;
  readonly annotations: Annotations;
}

export function context(
  steps: Steps,
  func: string,
  args: Expr[] = [],
  query = "",
  callPos: PosRange = NO_POS,
): TestContext {
  const call: Call = { kind: "call", func, args, pos: callPos };
  const ctx: TestContext = {
    annotations: new Annotations(),
    query,
    call,
    steps,
    accounted: 0,
    accountSamples(count: number) {
      ctx.accounted += count;
    },
  };
  return ctx;
}

/** Calls a function of the table by name. */
export function callFn(name: string, args: Value[], ctx: FunctionCallContext): Value {
  const f = INSTANT_FUNCTIONS[name];
  assert.ok(f !== undefined, `no function ${name}`);
  return f(args, ctx);
}

export interface ReadRow {
  labels: string;
  dropName: boolean;
  values: (number | null)[];
}

/** A vector result as rows: labels in Prometheus's text form, null where absent. */
export function readRows(v: Value): ReadRow[] {
  assert.equal(v.type, "vector");
  const b = v as VectorBlock;
  const n = b.steps.count;
  return b.series.map((s, r) => ({
    labels: formatLabels(s.labels),
    dropName: s.dropName,
    values: Array.from({ length: n }, (_, j) =>
      b.present[r * n + j] === 1 ? b.values[r * n + j] : null,
    ),
  }));
}

/** A vector result as `labels → values`, for results whose row order does not matter. */
export function byLabels(v: Value): Map<string, (number | null)[]> {
  return new Map(readRows(v).map((r) => [r.labels, r.values]));
}

/** Asserts a float to within a relative 1e-12 (what Prometheus's tests allow is looser). */
export function assertClose(actual: number | null, expected: number, message?: string): void {
  assert.ok(actual !== null, message ?? "value absent");
  if (Number.isNaN(expected) || !Number.isFinite(expected)) {
    assert.ok(Object.is(actual, expected), `${message ?? ""} ${actual} != ${expected}`);
    return;
  }
  const tolerance = Math.max(Math.abs(expected), 1e-300) * 1e-12;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${message ?? ""} ${actual} != ${expected}`);
}
