// Aggregation pushed down to the nodes. An aggregation whose partial state
// merges, over an input in which every row comes from exactly one stored
// series, gives the same answer when each node aggregates the series of its
// shards and the coordinator merges the partials: the node side
// (evaluatePartial) and the coordinator side (which aggregations qualify,
// asking for them, merging and checking the query's limits across the nodes).

import type { Client, ClusterAggregateRequest, ReadConsistencyLevel } from "../../client/index.js";
import { M3tsError } from "../../x/index.js";
import {
  concatPartials,
  decodePartialAnswer,
  encodePartialAnswer,
  mergePartials,
  PARTIAL_OPS,
  type PartialAggregate,
  type PartialAnswer,
  partialAggregate,
} from "../aggregate/index.js";
import { Annotations } from "../annotations.js";
import type { Aggregate, Expr } from "../ast.js";
import type { Steps } from "../block.js";
import type { Querier, QuerySignal } from "../engine-types.js";
import { EvaluationError, QueryError, type QueryErrorType, QueryTimeoutError } from "../errors.js";
import { formatExpr, parsePromQL, typeOf, unwrapParens } from "../parser/index.js";
import { DEFAULT_SUBQUERY_STEP_MS } from "./durations.js";
import { type EvalEnv, evaluate } from "./evaluator.js";
import { fetchAll, tooManySamples } from "./fetch-all.js";
import { planFetches } from "./plan.js";
import { tooManySeries } from "./querier.js";

/** Instant functions that map each row of their vector argument to at most one row. */
const SERIES_LOCAL_INSTANT = new Set([
  "abs",
  "acos",
  "acosh",
  "asin",
  "asinh",
  "atan",
  "atanh",
  "ceil",
  "clamp",
  "clamp_max",
  "clamp_min",
  "cos",
  "cosh",
  "deg",
  "exp",
  "floor",
  "ln",
  "log10",
  "log2",
  "rad",
  "round",
  "sgn",
  "sin",
  "sinh",
  "sqrt",
  "tan",
  "tanh",
  "timestamp",
]);

/** Date functions: series-local with their argument (without one they read vector(time())). */
const DATE_FUNCTIONS = new Set([
  "day_of_month",
  "day_of_week",
  "day_of_year",
  "days_in_month",
  "hour",
  "minute",
  "month",
  "year",
]);

/** Range functions: one row per series of their range argument. */
const SERIES_LOCAL_RANGE = new Set([
  "avg_over_time",
  "changes",
  "count_over_time",
  "delta",
  "deriv",
  "double_exponential_smoothing",
  "first_over_time",
  "holt_winters",
  "idelta",
  "increase",
  "irate",
  "last_over_time",
  "mad_over_time",
  "max_over_time",
  "min_over_time",
  "predict_linear",
  "present_over_time",
  "quantile_over_time",
  "rate",
  "resets",
  "stddev_over_time",
  "stdvar_over_time",
  "sum_over_time",
  "ts_of_first_over_time",
  "ts_of_last_over_time",
  "ts_of_max_over_time",
  "ts_of_min_over_time",
]);

/** A scalar that is the same on every node: number literals and arithmetic on them. */
function isConstant(e: Expr): boolean {
  switch (e.kind) {
    case "number":
      return true;
    case "paren":
    case "unary":
      return isConstant(e.expr);
    case "binary":
      return isConstant(e.lhs) && isConstant(e.rhs);
    default:
      return false;
  }
}

/** Whether every row `e` gives comes from exactly one stored series (so shards never meet). */
export function isSeriesLocal(e: Expr): boolean {
  switch (e.kind) {
    case "vectorSelector":
    case "matrixSelector":
      return true;
    case "paren":
    case "unary":
      return isSeriesLocal(e.expr);
    case "subquery":
      return isSeriesLocal(e.expr);
    case "binary": {
      if (e.op === "and" || e.op === "or" || e.op === "unless") return false;
      const l = typeOf(e.lhs);
      const r = typeOf(e.rhs);
      if (l === "scalar" && r !== "scalar") return isConstant(e.lhs) && isSeriesLocal(e.rhs);
      if (r === "scalar" && l !== "scalar") return isConstant(e.rhs) && isSeriesLocal(e.lhs);
      return false;
    }
    case "call": {
      const f = e.func;
      if (!SERIES_LOCAL_INSTANT.has(f) && !SERIES_LOCAL_RANGE.has(f) && !DATE_FUNCTIONS.has(f)) {
        return false;
      }
      if (e.args.length === 0) return false;
      return e.args.every((a) => (typeOf(a) === "scalar" ? isConstant(a) : isSeriesLocal(a)));
    }
    default:
      return false;
  }
}

/** Whether `agg` can be evaluated at the nodes and merged. */
export function isPushable(agg: Aggregate): boolean {
  if (!PARTIAL_OPS.has(agg.op)) return false;
  if (agg.param !== null && unwrapParens(agg.param).kind !== "number") return false;
  return typeOf(agg.expr) === "vector" && isSeriesLocal(agg.expr);
}

/**
 * The outermost pushable aggregations of `expr` evaluated at the query's own
 * steps (those under a subquery are evaluated at its steps, so they stay).
 */
export function pushableAggregates(expr: Expr): Aggregate[] {
  const out: Aggregate[] = [];
  const visit = (e: Expr): void => {
    switch (e.kind) {
      case "subquery":
      case "number":
      case "string":
      case "vectorSelector":
      case "matrixSelector":
        return;
      case "aggregate":
        if (isPushable(e)) {
          out.push(e);
          return;
        }
        if (e.param !== null) visit(e.param);
        visit(e.expr);
        return;
      case "paren":
      case "unary":
        visit(e.expr);
        return;
      case "binary":
        visit(e.lhs);
        visit(e.rhs);
        return;
      case "call":
        for (const a of e.args) visit(a);
        return;
    }
  };
  visit(expr);
  return out;
}

/** A pushed-down aggregation as a node is asked it. */
export interface PartialRequest {
  /** An aggregation whose partial state merges, over a series-local input (isPushable). */
  query: string;
  startMs: number;
  endMs: number;
  /** 0 for an instant query. */
  stepMs: number;
  lookbackMs: number;
  /** Most series the node's select may match (0: no bound). */
  maxSeries: number;
  /** Most samples the node may hold. */
  maxSamples: number;
  /** Wall-clock time (Date.now() milliseconds) past which the evaluation stops with a timeout. */
  deadlineMs: number;
  /** Resolution of a subquery without a step (default the engine's). */
  subqueryStepMs?: number;
  /** Steps per block (default: as many as keep a block within NODE_BLOCK_POINTS). */
  blockSteps?: number;
}

/** At most this many points (series × steps) in one block of a node's evaluation. */
export const NODE_BLOCK_POINTS = 1_000_000;

function deadlineAt(deadlineMs: number, startedMs: number): QuerySignal {
  return {
    check(during: string) {
      if (Date.now() > deadlineMs) throw new QueryTimeoutError(deadlineMs - startedMs, during);
    },
    remainingMs: () => deadlineMs - Date.now(),
  };
}

/**
 * A node's side: evaluates the aggregation `req.query` over what `querier`
 * reads (the node restricts it to the shards it was asked for) at every
 * step of the query, block by block, and answers its encoded partial state
 * with the counts the coordinator checks the query's limits by.
 */
export async function evaluatePartial(querier: Querier, req: PartialRequest): Promise<Uint8Array> {
  const startedMs = Date.now();
  const signal = deadlineAt(req.deadlineMs, startedMs);
  const parsed = unwrapParens(parsePromQL(req.query));
  if (parsed.kind !== "aggregate" || !isPushable(parsed)) {
    throw new EvaluationError(
      `cannot evaluate ${JSON.stringify(req.query)} at a node: not an aggregation with a mergeable state over series-local input`,
    );
  }
  const times = { startMs: req.startMs, endMs: req.endMs, stepMs: req.stepMs };
  const subqueryStepMs = req.subqueryStepMs ?? DEFAULT_SUBQUERY_STEP_MS;
  const annotations = new Annotations();
  let held = 0;
  let blockHeld = 0;
  let queryable = 0;
  const account = (n: number) => {
    held += n;
    if (held > req.maxSamples) throw tooManySamples(req.maxSamples);
  };
  const fetched = await fetchAll(
    querier,
    planFetches(parsed, times, req.lookbackMs, subqueryStepMs),
    signal,
    { maxSeries: req.maxSeries, requireExhaustive: true },
    annotations,
    account,
  );
  const steps: Steps =
    req.stepMs === 0
      ? { startMs: req.startMs, stepMs: 0, count: 1 }
      : {
          startMs: req.startMs,
          stepMs: req.stepMs,
          count: Math.floor((req.endMs - req.startMs) / req.stepMs) + 1,
        };
  const env: EvalEnv = {
    annotations,
    query: req.query,
    accountSamples: (n) => {
      blockHeld += n;
      if (held + blockHeld > req.maxSamples) throw tooManySamples(req.maxSamples);
    },
    times,
    lookbackMs: req.lookbackMs,
    subqueryStepMs,
    signal,
    data: fetched.data,
    countQueryable(n) {
      queryable += n;
    },
  };
  // Blocks of steps as the engine's, yielding between them so the node's
  // writes go on; their states laid end to end are the state of all steps.
  const blockSteps =
    req.blockSteps ??
    Math.max(1, Math.floor(NODE_BLOCK_POINTS / Math.max(1, fetched.seriesFetched)));
  const parts: PartialAggregate[] = [];
  for (let first = 0; first < steps.count; first += blockSteps) {
    if (first > 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      signal.check("evaluation");
    }
    blockHeld = 0;
    const block: Steps = {
      startMs: steps.startMs + first * steps.stepMs,
      stepMs: steps.stepMs,
      count: Math.min(blockSteps, steps.count - first),
    };
    const input = evaluate(parsed.expr, block, env);
    if (input.type !== "vector") throw new EvaluationError(`aggregation over a ${input.type}`);
    const param = parsed.param === null ? null : evaluate(parsed.param, block, env);
    parts.push(partialAggregate(parsed, input, param, env));
  }
  const partial = concatPartials(parts);
  signal.check("evaluation");
  return encodePartialAnswer({
    partial,
    seriesMatched: fetched.seriesMatched,
    seriesFetched: fetched.seriesFetched,
    samplesFetched: fetched.samples,
    queryableSamples: queryable,
    warnings: annotations.warnings,
    infos: annotations.infos,
  });
}

/** Where the engine sends pushed-down aggregations: the cluster client's. */
export interface PushdownTarget {
  /** The namespace the querier reads. */
  namespace: string;
  /** The client's read consistency, for a query that sets none (pushdown "auto" pushes at `one` only). */
  defaultReadConsistency?: ReadConsistencyLevel;
  /** Client.aggregatePartials: each node's encoded answer (evaluatePartial's). */
  aggregatePartials(req: ClusterAggregateRequest, deadlineMs: number): Promise<Uint8Array[]>;
}

/** The pushdown target of a client that has aggregatePartials (a cluster's), else undefined. */
export function pushdownTarget(
  client: Client,
  namespace: string,
  defaultReadConsistency?: ReadConsistencyLevel,
): PushdownTarget | undefined {
  const aggregatePartials = client.aggregatePartials?.bind(client);
  if (aggregatePartials === undefined) return undefined;
  return {
    namespace,
    aggregatePartials,
    ...(defaultReadConsistency === undefined ? {} : { defaultReadConsistency }),
  };
}

/** One pushed aggregation's merged answer over the nodes. */
export interface PushedAnswer {
  /** The merged state over all the query's steps, or null when no node answered. */
  partial: PartialAggregate | null;
  seriesMatched: number;
  seriesFetched: number;
  samplesFetched: number;
  queryableSamples: number;
  warnings: string[];
  infos: string[];
}

/**
 * The text a node is asked: the aggregation as written, at the place it has
 * in the query (whatever precedes it blanked, its line breaks kept), so that
 * the positions the node's warnings name are the query's own. Printed from
 * the tree instead where the written range does not parse back to it.
 */
export function nodeQueryText(agg: Aggregate, query: string): string {
  const printed = formatExpr(agg);
  const { start, end } = agg.pos;
  if (start < 0 || end > query.length || start >= end) return printed;
  const text = query.slice(0, start).replace(/[^\n]/g, " ") + query.slice(start, end);
  try {
    if (formatExpr(parsePromQL(text)) === printed) return text;
  } catch {
    // Not parseable on its own: the printed form is.
  }
  return printed;
}

/** Asks the nodes for `agg` (a node of `query`), and merges their answers. */
/** The errorType and status of each query error's code, for errors a node's evaluation raised. */
const QUERY_ERROR_OF_CODE: Readonly<Record<string, [QueryErrorType, number]>> = {
  M3TS_ERR_PROMQL_EVAL: ["execution", 422],
  M3TS_ERR_PROMQL_PARSE: ["bad_data", 400],
  M3TS_ERR_QUERY_LIMIT: ["execution", 422],
  M3TS_ERR_QUERY_TIMEOUT: ["timeout", 503],
};

/**
 * A node's evaluation error as the query error it was there: it crossed the
 * wire as a code and a message, and the API must answer it as the
 * coordinator's own evaluation would (same errorType, status and text).
 */
function asQueryError(e: unknown): unknown {
  if (!(e instanceof M3tsError) || e instanceof QueryError) return e;
  const kind = QUERY_ERROR_OF_CODE[e.code];
  if (kind === undefined) return e;
  return e.code === "M3TS_ERR_PROMQL_EVAL"
    ? new EvaluationError(e.message)
    : new QueryError(kind[0], kind[1], e.message, e.code);
}

export async function pushAggregate(
  target: PushdownTarget,
  agg: Aggregate,
  query: string,
  req: Omit<ClusterAggregateRequest, "namespace" | "query">,
  deadlineMs: number,
): Promise<PushedAnswer> {
  let answers: Uint8Array[];
  try {
    answers = await target.aggregatePartials(
      { ...req, namespace: target.namespace, query: nodeQueryText(agg, query) },
      deadlineMs,
    );
  } catch (e) {
    throw asQueryError(e);
  }
  const out: PushedAnswer = {
    partial: null,
    seriesMatched: 0,
    seriesFetched: 0,
    samplesFetched: 0,
    queryableSamples: 0,
    warnings: [],
    infos: [],
  };
  for (const bytes of answers) {
    const a: PartialAnswer = decodePartialAnswer(bytes);
    out.partial = out.partial === null ? a.partial : mergePartials(out.partial, a.partial);
    out.seriesMatched += a.seriesMatched;
    out.seriesFetched += a.seriesFetched;
    out.samplesFetched += a.samplesFetched;
    out.queryableSamples += a.queryableSamples;
    out.warnings.push(...a.warnings);
    out.infos.push(...a.infos);
  }
  // Shards are disjoint, so the nodes' matches add up to what one fetch
  // would have matched: the query's series limit holds across the cluster.
  if (req.maxSeries > 0 && out.seriesMatched > req.maxSeries) throw tooManySeries(req.maxSeries);
  return out;
}
