// Test helpers for the range-vector functions: evaluate one call over a few
// series written as (seconds, value) points, at one time or over a range.

import { Annotations } from "../annotations.js";
import type { Steps, VectorBlock } from "../block.js";
import { makeLabels } from "../labels.js";
import type { FunctionCallContext } from "./function-impl.js";
import { OVER_TIME_FUNCTIONS } from "./over-time-functions.js";
import { type EvalCase, evaluateArgs, type LoadedSeries, parseCall } from "./over-time-script.js";

export interface TestSeries {
  labels: Record<string, string>;
  /** [seconds, value] pairs, oldest first. */
  points: [number, number][];
}

export interface Evaluated {
  block: VectorBlock;
  warnings: string[];
  infos: string[];
  /** What the function passed to accountSamples, summed. */
  accounted: number;
}

/** Steps of an instant query at `s` seconds, or a range query from..to by step (seconds). */
export function at(s: number): Steps {
  return { startMs: s * 1000, stepMs: 0, count: 1 };
}

export function range(fromS: number, toS: number, stepS: number): Steps {
  return {
    startMs: fromS * 1000,
    stepMs: stepS * 1000,
    count: Math.floor((toS - fromS) / stepS) + 1,
  };
}

export function series(labels: Record<string, string>, points: [number, number][]): TestSeries {
  return { labels, points };
}

/** Evaluates `query` (one call of a range-vector function) over `input` at `steps`. */
export function evaluate(
  query: string,
  input: TestSeries[],
  steps: Steps,
  options: { lookbackMs?: number } = {},
): Evaluated {
  const call = parseCall(query);
  const loaded: LoadedSeries[] = input.map((s) => ({
    labels: makeLabels(Object.entries(s.labels)),
    timesMs: s.points.map(([t]) => t * 1000),
    values: s.points.map(([, v]) => v),
  }));
  const c: EvalCase = {
    line: 0,
    query,
    steps,
    series: loaded,
    touchesHistograms: false,
    expected: [],
    expectFail: null,
    expectWarn: null,
    expectInfo: null,
  };
  const annotations = new Annotations();
  let accounted = 0;
  const ctx: FunctionCallContext & { lookbackMs?: number } = {
    annotations,
    query,
    accountSamples: (n) => {
      accounted += n;
    },
    call,
    steps,
    lookbackMs: options.lookbackMs,
  };
  const impl = OVER_TIME_FUNCTIONS[call.func];
  if (impl === undefined) throw new Error(`no function ${call.func}`);
  const block = impl(evaluateArgs(c, call), ctx) as VectorBlock;
  return { block, warnings: annotations.warnings, infos: annotations.infos, accounted };
}

/** Row r's values over the steps, null where absent. */
export function rowValues(block: VectorBlock, r: number): (number | null)[] {
  const n = block.steps.count;
  const out: (number | null)[] = [];
  for (let j = 0; j < n; j++)
    out.push(block.present[r * n + j] === 1 ? block.values[r * n + j] : null);
  return out;
}

/** The single value of an instant evaluation's row r (null if absent). */
export function only(e: Evaluated, r = 0): number | null {
  if (r >= e.block.series.length) return null;
  return rowValues(e.block, r)[0];
}

/** Asserts |a - b| within a relative 1e-12 (or both NaN, or equal). */
export function close(actual: number | null, expected: number, message?: string): void {
  if (actual === null) throw new Error(`${message ?? "value"}: absent, expected ${expected}`);
  if (Number.isNaN(expected) && Number.isNaN(actual)) return;
  if (actual === expected) return;
  const tol = 1e-12 * Math.max(Math.abs(actual), Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${message ?? "value"}: got ${actual}, expected ${expected}`);
  }
}
