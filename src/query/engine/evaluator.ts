// Evaluation of a typed PromQL tree over one block of steps. Every node
// yields a whole block (all its series at all the block's steps), so the
// engine can evaluate independent step ranges apart and yield between them.

import {
  evalAggregate,
  finalizeAggregate,
  type PartialAggregate,
  slicePartial,
} from "../aggregate/index.js";
import type {
  Aggregate,
  Call,
  Expr,
  MatrixSelector,
  SubqueryExpr,
  VectorSelector,
} from "../ast.js";
import { evalBinary } from "../binary/index.js";
import {
  constantScalar,
  countPresent,
  dropEmptyRows,
  emptyVector,
  type MatrixBlock,
  type ScalarBlock,
  type SeriesMeta,
  type Steps,
  type Value,
  type VectorBlock,
} from "../block.js";
import type { QuerySignal, StoredSeries } from "../engine-types.js";
import { EvaluationError } from "../errors.js";
import { FUNCTIONS } from "../functions/index.js";
import type { OperatorContext } from "../operator-context.js";
import { FUNCTION_SIGNATURES } from "../parser/index.js";
import { durationMs, type QueryTimes } from "./durations.js";
import { evalInfo, firstSelector } from "./info.js";
import { atTimeMs } from "./plan.js";
import { blockToRuns, refTimes, selectInstant, selectRange } from "./selectors.js";

/** What one query's evaluation shares across its blocks. */
export interface EvalEnv extends OperatorContext {
  readonly times: QueryTimes;
  readonly lookbackMs: number;
  /** Resolution of a subquery written without a step. */
  readonly subqueryStepMs: number;
  readonly signal: QuerySignal;
  /** The fetched series of each selector, and their row metadata (made once, shared by every block). */
  readonly data: Map<object, { series: StoredSeries[]; metas: SeriesMeta[] }>;
  /**
   * Aggregations the nodes evaluated: each one's merged state over all the
   * query's steps (null: no node answered), used in place of evaluating it.
   */
  readonly pushed?: ReadonlyMap<Aggregate, PartialAggregate | null>;
  /** Adds samples read from storage at a step (stats). */
  countQueryable(samples: number): void;
}

/** Evaluates `expr` at every step of `steps`. */
export function evaluate(expr: Expr, steps: Steps, env: EvalEnv): Value {
  env.signal.check("evaluation");
  switch (expr.kind) {
    case "number":
      return constantScalar(steps, expr.value);
    case "string":
      return { type: "string", value: expr.value };
    case "paren":
      return evaluate(expr.expr, steps, env);
    case "unary":
      return expr.op === "+"
        ? evaluate(expr.expr, steps, env)
        : negate(evaluate(expr.expr, steps, env));
    case "vectorSelector":
      return evalVectorSelector(expr, steps, env);
    case "matrixSelector":
      return evalMatrixSelector(expr, steps, env);
    case "subquery":
      return evalSubquery(expr, steps, env);
    case "call":
      return evalCall(expr, steps, env);
    case "aggregate": {
      if (env.pushed?.has(expr)) return pushedBlock(expr, steps, env);
      const input = evaluate(expr.expr, steps, env);
      if (input.type !== "vector") throw new EvaluationError(`aggregation over a ${input.type}`);
      const param = expr.param === null ? null : evaluate(expr.param, steps, env);
      return evalAggregate(expr, input, param, env);
    }
    case "binary":
      return evalBinary(expr, evaluate(expr.lhs, steps, env), evaluate(expr.rhs, steps, env), env);
  }
}

/** A pushed aggregation's output over the block's steps, as evaluating it here gives. */
function pushedBlock(agg: Aggregate, steps: Steps, env: EvalEnv): VectorBlock {
  const p = env.pushed?.get(agg) ?? null;
  if (p === null) return emptyVector(steps, []);
  const first =
    p.steps.stepMs === 0 ? 0 : Math.round((steps.startMs - p.steps.startMs) / p.steps.stepMs);
  if (first < 0 || first + steps.count > p.steps.count) {
    throw new EvaluationError("internal: a block outside the steps of a pushed aggregation");
  }
  const out = finalizeAggregate(slicePartial(p, first, steps.count));
  env.accountSamples(countPresent(out.present));
  return out;
}

function negate(v: Value): Value {
  if (v.type === "scalar") {
    const values = new Float64Array(v.values.length);
    for (let i = 0; i < values.length; i++) values[i] = -v.values[i];
    return { type: "scalar", steps: v.steps, values };
  }
  if (v.type !== "vector") throw new EvaluationError(`unary minus on a ${v.type}`);
  const values = new Float64Array(v.values.length);
  for (let i = 0; i < values.length; i++) values[i] = -v.values[i];
  return {
    type: "vector",
    steps: v.steps,
    series: v.series.map((s) => ({ labels: s.labels, dropName: true })),
    values,
    present: v.present,
  };
}

function selectorData(node: object, env: EvalEnv) {
  const d = env.data.get(node);
  if (d === undefined)
    throw new EvaluationError("internal: a selector was not fetched before evaluation");
  return d;
}

function evalVectorSelector(sel: VectorSelector, steps: Steps, env: EvalEnv): VectorBlock {
  const { series, metas } = selectorData(sel, env);
  const refs = refTimes(steps, atTimeMs(sel.at, env.times), durationMs(sel.offset, env.times));
  const out = selectInstant(series, metas, steps, refs, env.lookbackMs);
  env.countQueryable(out.samples);
  env.accountSamples(out.samples);
  return out.block;
}

function evalMatrixSelector(m: MatrixSelector, steps: Steps, env: EvalEnv): MatrixBlock {
  const { series, metas } = selectorData(m.vector, env);
  const refs = refTimes(
    steps,
    atTimeMs(m.vector.at, env.times),
    durationMs(m.vector.offset, env.times),
  );
  const out = selectRange(
    series,
    metas,
    steps,
    refs,
    durationMs(m.range, env.times),
    m.vector,
    env.lookbackMs,
  );
  env.countQueryable(out.samples);
  env.accountSamples(out.samples);
  return out.block;
}

function evalSubquery(sq: SubqueryExpr, steps: Steps, env: EvalEnv): MatrixBlock {
  const offset = durationMs(sq.offset, env.times);
  const rangeMs = durationMs(sq.range, env.times);
  const stepMs = durationMs(sq.step, env.times) || env.subqueryStepMs;
  if (stepMs <= 0) throw new EvaluationError(`subquery step must be positive, got ${stepMs} ms`);
  const refs = refTimes(steps, atTimeMs(sq.at, env.times), offset);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < refs.length; j++) {
    lo = Math.min(lo, refs[j]);
    hi = Math.max(hi, refs[j]);
  }
  // Inner steps are multiples of the subquery step: the first at or after the
  // earliest window's start, the last at or before the latest window's end.
  const first = Math.ceil((lo - rangeMs) / stepMs) * stepMs;
  const count = hi < first ? 0 : Math.floor((hi - first) / stepMs) + 1;
  const innerSteps: Steps = { startMs: first, stepMs, count };
  const inner = count === 0 ? null : evaluate(sq.expr, innerSteps, env);
  let series: SeriesMeta[] = [];
  let runs: MatrixBlock["samples"] = [];
  if (inner !== null) {
    const v = inner.type === "scalar" ? scalarAsVector(inner) : inner;
    if (v.type !== "vector") throw new EvaluationError(`subquery of a ${v.type}`);
    ({ series, runs } = blockToRuns(v));
  }
  return {
    type: "matrix",
    steps,
    series,
    samples: runs,
    rangeMs,
    windowEndMs: refs,
    anchored: false,
    smoothed: false,
  };
}

function scalarAsVector(s: ScalarBlock): VectorBlock {
  return {
    type: "vector",
    steps: s.steps,
    series: [{ labels: [], dropName: false }],
    values: s.values,
    present: new Uint8Array(s.values.length).fill(1),
  };
}

/** The experimental functions of the query's own times, in seconds. */
const QUERY_TIME_FUNCTIONS: Record<string, (t: QueryTimes) => number> = {
  step: (t) => t.stepMs / 1000,
  range: (t) => (t.endMs - t.startMs) / 1000,
  start: (t) => t.startMs / 1000,
  end: (t) => t.endMs / 1000,
};

function evalCall(call: Call, steps: Steps, env: EvalEnv): Value {
  const ofQuery = QUERY_TIME_FUNCTIONS[call.func];
  if (ofQuery !== undefined && call.args.length === 0)
    return constantScalar(steps, ofQuery(env.times));
  if (call.func === "info") {
    const base = evaluate(call.args[0], steps, env);
    if (base.type !== "vector") throw new EvaluationError(`info() of a ${base.type}`);
    const sel = firstSelector(call.args[0]);
    const refs = refTimes(
      steps,
      sel === null ? null : atTimeMs(sel.at, env.times),
      sel === null ? 0 : durationMs(sel.offset, env.times),
    );
    return evalInfo(call, base, selectorData(call, env).series, refs, env.lookbackMs, steps);
  }
  const impl = FUNCTIONS.get(call.func);
  if (impl === undefined) {
    const known = FUNCTION_SIGNATURES.has(call.func);
    throw new EvaluationError(
      known
        ? `function "${call.func}" is not supported by m3ts`
        : `unknown function with name "${call.func}"`,
    );
  }
  const args = call.args.map((a) => evaluate(a, steps, env));
  const out = impl(args, {
    annotations: env.annotations,
    query: env.query,
    accountSamples: (n) => env.accountSamples(n),
    call,
    steps,
    lookbackMs: env.lookbackMs,
  });
  return out.type === "vector" ? dropEmptyRows(out) : out;
}
