// The engine: parse, fetch every selector's samples once, evaluate the tree
// block by block (a block is a run of consecutive steps), yielding to the
// event loop between blocks so that ingest goes on while a query runs, and
// assemble the result Prometheus's API returns.

import type { PartialAggregate } from "../aggregate/index.js";
import { Annotations } from "../annotations.js";
import type { Aggregate, Expr } from "../ast.js";
import type { SeriesMeta, Steps, Value } from "../block.js";
import type {
  Querier,
  QueryEngine,
  QueryOptions,
  QueryResult,
  QueryValue,
  ResultSeries,
  SelectLimits,
} from "../engine-types.js";
import { emptyStats } from "../engine-types.js";
import { EvaluationError, QueryError, QueryLimitExceededError } from "../errors.js";
import { compareLabels, dropMetricName, type Labels, labelsKey } from "../labels.js";
import { parsePromQL, typeOf, walkExpr } from "../parser/index.js";
import { DEFAULT_SUBQUERY_STEP_MS, durationMs, type QueryTimes } from "./durations.js";
import { type EvalEnv, evaluate } from "./evaluator.js";
import { deadlineSignal, fetchAll, tooManySamples } from "./fetch-all.js";
import { planFetches } from "./plan.js";
import { type PushdownTarget, pushAggregate, pushableAggregates } from "./pushdown.js";
import { DEFAULT_MAX_SERIES } from "./querier.js";

export const DEFAULT_LOOKBACK_MS = 5 * 60_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_SAMPLES = 50_000_000;
export const DEFAULT_MAX_POINTS_PER_SERIES = 11_000;
export { DEFAULT_SUBQUERY_STEP_MS };

/** How long a block's evaluation aims to take: the engine yields between blocks. */
const BLOCK_TARGET_MS = 5;
/**
 * At least this many points (series × steps) in a block: part of a block's
 * work is per series (matching, grouping, joining rows), and a block shrunk
 * to a few steps would spend its time there.
 */
const MIN_BLOCK_POINTS = 100_000;
/**
 * A block spans at least this many times the widest subquery window: each
 * block evaluates its subqueries' inner expression over the window before
 * it as well, work that is repeated from one block to the next.
 */
const SUBQUERY_WINDOWS_PER_BLOCK = 4;
/** At most this many points in a block, whatever the timing says. */
const MAX_BLOCK_POINTS = 1_000_000;
/** A block is at most this many times larger or smaller than the one before. */
const BLOCK_RESIZE_FACTOR = 4;

export interface EngineOptions {
  querier: Querier;
  lookbackMs?: number;
  timeoutMs?: number;
  maxSamples?: number;
  /** Most series one selector may fetch, for a query whose options leave it out (else the querier's default). */
  maxSeries?: number;
  /** Past maxSeries fail (true) or answer partially with a warning (false), for a query whose options leave it out. */
  requireExhaustive?: boolean;
  maxPointsPerSeries?: number;
  subqueryStepMs?: number;
  /** Steps per block; by default each block is sized from the time the one before took, to about BLOCK_TARGET_MS. */
  blockSteps?: number;
  /** Called after each block is evaluated (tests observe the yielding with it). */
  onBlock?: (index: number) => void;
  nowMs?: () => number;
  /**
   * Where aggregations can be pushed down to (a cluster client's
   * aggregatePartials); absent, every aggregation is evaluated here.
   */
  pushdown?: PushdownTarget;
}

/** Creates the engine over a querier. */
export function createEngine(options: EngineOptions): QueryEngine {
  return {
    instantQuery: (query, timeMs, o) =>
      run(options, query, { startMs: timeMs, endMs: timeMs, stepMs: 0 }, o ?? {}),
    rangeQuery: async (query, startMs, endMs, stepMs, o) => {
      if (!(stepMs > 0)) {
        throw new QueryError(
          "bad_data",
          400,
          "zero or negative query resolution step widths are not accepted. Try a positive integer",
        );
      }
      if (endMs < startMs)
        throw new QueryError("bad_data", 400, "end timestamp must not be before start time");
      const maxPoints = options.maxPointsPerSeries ?? DEFAULT_MAX_POINTS_PER_SERIES;
      if ((endMs - startMs) / stepMs > maxPoints) {
        throw new QueryLimitExceededError(
          "maxPointsPerSeries",
          maxPoints,
          "bad_data",
          400,
          `exceeded maximum resolution of ${maxPoints.toLocaleString("en-US")} points per timeseries. Try decreasing the query resolution (?step=XX)`,
        );
      }
      return run(options, query, { startMs, endMs, stepMs }, o ?? {});
    },
  };
}

async function run(
  options: EngineOptions,
  query: string,
  times: QueryTimes,
  o: QueryOptions,
): Promise<QueryResult> {
  const now = options.nowMs ?? Date.now;
  const startedMs = now();
  const timeoutMs = o.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = deadlineSignal(timeoutMs, now);
  const expr = parsePromQL(query);
  const type = typeOf(expr);
  const instant = times.stepMs === 0;
  if (!instant && type !== "scalar" && type !== "vector") {
    throw new QueryError(
      "bad_data",
      400,
      `invalid expression type "${type === "matrix" ? "range vector" : type}" for range query, must be Scalar or instant Vector`,
    );
  }
  const lookbackMs = o.lookbackMs ?? options.lookbackMs ?? DEFAULT_LOOKBACK_MS;
  const subqueryStepMs = options.subqueryStepMs ?? DEFAULT_SUBQUERY_STEP_MS;
  const maxSamples = o.maxSamples ?? options.maxSamples ?? DEFAULT_MAX_SAMPLES;
  // The series limits travel with each select, so one engine serves every
  // request's M3-Limit-Max-Series and M3-Limit-Require-Exhaustive.
  const selectLimits: SelectLimits = {
    maxSeries: o.maxSeries ?? options.maxSeries,
    requireExhaustive: o.requireExhaustive ?? options.requireExhaustive,
  };
  // The replicas' reading too, per query (M3-Read-Consistency-Level,
  // M3-Iterate-Equal-Timestamp-Strategy); left out, the client's default.
  if (o.readConsistency !== undefined) selectLimits.readConsistency = o.readConsistency;
  if (o.equalTimestampStrategy !== undefined) {
    selectLimits.equalTimestampStrategy = o.equalTimestampStrategy;
  }
  const annotations = new Annotations();
  const stats = emptyStats();
  let held = 0;
  let blockHeld = 0;
  const accountSamples = (n: number) => {
    blockHeld += n;
    if (held + blockHeld > maxSamples) {
      throw tooManySamples(maxSamples);
    }
    stats.peakSamples = Math.max(stats.peakSamples, held + blockHeld);
  };

  // Aggregations the nodes evaluate: their selectors are not fetched here.
  const prepStartMs = now();
  const pushedAggs = pushdownPlan(options, o, expr, selectLimits, subqueryStepMs);
  const pushing = Promise.all(
    pushedAggs.map((agg) =>
      pushAggregate(
        options.pushdown as PushdownTarget,
        agg,
        query,
        {
          startMs: times.startMs,
          endMs: times.endMs,
          stepMs: times.stepMs,
          lookbackMs,
          maxSeries: selectLimits.maxSeries ?? DEFAULT_MAX_SERIES,
          maxSamples,
        },
        Date.now() + signal.remainingMs(),
      ),
    ),
  );
  // Awaited after the fetches; a failure is never left unhandled meanwhile.
  pushing.catch(() => undefined);

  // Every other selector's samples, fetched once for the whole query.
  let fetched: Awaited<ReturnType<typeof fetchAll>>;
  try {
    fetched = await fetchAll(
      options.querier,
      planFetches(expr, times, lookbackMs, subqueryStepMs, new Set(pushedAggs)),
      signal,
      selectLimits,
      annotations,
      (raw) => {
        held += raw;
        accountSamples(0);
      },
    );
  } catch (e) {
    await pushing.catch(() => undefined);
    throw e;
  }
  const { data, limited, namespaces } = fetched;
  let seriesFetched = fetched.seriesFetched;
  const pushed = new Map<Aggregate, PartialAggregate | null>();
  const answers = await pushing;
  signal.check("aggregating at the nodes");
  answers.forEach((a, i) => {
    pushed.set(pushedAggs[i], a.partial);
    for (const w of a.warnings) annotations.warn(w);
    for (const info of a.infos) annotations.info(info);
    namespaces.add((options.pushdown as PushdownTarget).namespace);
    seriesFetched += a.seriesFetched;
    stats.totalQueryableSamples += a.queryableSamples;
    // The samples the nodes held count as if fetched here, so the limit
    // applies to the query across the cluster.
    held += a.samplesFetched;
    accountSamples(0);
  });
  stats.timings.queryPreparationTimeMs = now() - prepStartMs;

  const steps: Steps = instant
    ? { startMs: times.startMs, stepMs: 0, count: 1 }
    : {
        startMs: times.startMs,
        stepMs: times.stepMs,
        count: Math.floor((times.endMs - times.startMs) / times.stepMs) + 1,
      };
  const perStep = o.perStepStats === true && !instant ? new Float64Array(steps.count) : null;
  let blockFirstStep = 0;
  const env: EvalEnv = {
    annotations,
    query,
    accountSamples,
    times,
    lookbackMs,
    subqueryStepMs,
    signal,
    data,
    pushed,
    countQueryable(n) {
      stats.totalQueryableSamples += n;
      if (perStep !== null) perStep[blockFirstStep] += n;
    },
  };

  const evalStartMs = now();
  const result = new ResultBuilder();
  // Blocks are sized by time, not by points: the cost of a point differs by
  // orders of magnitude between a selector and a subquery, and a block is
  // the longest the engine holds the event loop.
  const pointsPerStep = Math.max(1, seriesFetched);
  const windowSteps = instant ? 0 : Math.ceil(widestSubqueryMs(expr, times) / times.stepMs);
  const minBlockSteps = Math.max(
    1,
    Math.ceil(MIN_BLOCK_POINTS / pointsPerStep),
    SUBQUERY_WINDOWS_PER_BLOCK * windowSteps,
  );
  const maxBlockSteps = Math.max(minBlockSteps, Math.floor(MAX_BLOCK_POINTS / pointsPerStep));
  let blockSteps = options.blockSteps ?? minBlockSteps;
  let top: Value | null = null;
  let blockIndex = 0;
  for (let first = 0; first < steps.count; ) {
    if (blockIndex > 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      signal.check("evaluation");
    }
    blockFirstStep = first;
    const count = Math.min(blockSteps, steps.count - first);
    const blockSteps_: Steps = {
      startMs: steps.startMs + first * steps.stepMs,
      stepMs: steps.stepMs,
      count,
    };
    const blockStartMs = performance.now();
    blockHeld = 0;
    top = evaluate(expr, blockSteps_, env);
    if (instant) break;
    held += result.add(top);
    if (options.blockSteps === undefined) {
      blockSteps = nextBlockSteps(
        count,
        performance.now() - blockStartMs,
        minBlockSteps,
        maxBlockSteps,
      );
    }
    options.onBlock?.(blockIndex);
    blockIndex++;
    first += count;
  }
  stats.timings.innerEvalTimeMs = now() - evalStartMs;
  if (instant) options.onBlock?.(0);

  const sortStartMs = now();
  const value = instant ? instantValue(top as Value, times.startMs) : result.finish();
  stats.timings.resultSortTimeMs = now() - sortStartMs;
  stats.timings.evalTotalTimeMs = now() - evalStartMs;
  stats.timings.execTotalTimeMs = now() - startedMs;
  if (perStep !== null) {
    stats.totalQueryableSamplesPerStep = Array.from(perStep, (samples, j) => ({
      timeMs: steps.startMs + j * steps.stepMs,
      samples,
    }));
  }
  return {
    value,
    warnings: annotations.warnings,
    infos: annotations.infos,
    stats,
    seriesFetched,
    limited: [...limited],
    namespaces: [...namespaces],
  };
}

/**
 * The aggregations of `expr` to push to the nodes: none without a target, or
 * when the query's mode says not to ("auto" pushes at read consistency `one`
 * only: one replica per shard is complete only if no replica missed writes),
 * or when the series limit would truncate rather than fail (a node's partial
 * cannot be cut to the first maxSeries series of the whole answer).
 */
function pushdownPlan(
  options: EngineOptions,
  o: QueryOptions,
  expr: Expr,
  limits: SelectLimits,
  subqueryStepMs: number,
): Aggregate[] {
  const target = options.pushdown;
  if (target === undefined) return [];
  const mode = o.pushdown ?? "auto";
  if (mode === "off") return [];
  const level = o.readConsistency ?? target.defaultReadConsistency;
  if (mode === "auto" && level !== "one") return [];
  if (limits.requireExhaustive === false) return [];
  // A node resolves a subquery without a step at the default resolution.
  return pushableAggregates(expr).filter(
    (agg) => subqueryStepMs === DEFAULT_SUBQUERY_STEP_MS || !hasSteplessSubquery(agg),
  );
}

/** The steps of the next block: the last one's, scaled so it takes about BLOCK_TARGET_MS. */
export function nextBlockSteps(
  lastSteps: number,
  lastMs: number,
  minSteps: number,
  maxSteps: number,
): number {
  // A block too fast to time reads as a twentieth of a millisecond.
  const scale = Math.min(
    BLOCK_RESIZE_FACTOR,
    Math.max(1 / BLOCK_RESIZE_FACTOR, BLOCK_TARGET_MS / Math.max(lastMs, 0.05)),
  );
  return Math.min(maxSteps, Math.max(minSteps, 1, Math.floor(lastSteps * scale)));
}

/** The longest span before a step that subqueries (nested ones added up) evaluate their inner expression over. */
export function widestSubqueryMs(expr: Expr, times: QueryTimes): number {
  switch (expr.kind) {
    case "number":
    case "string":
    case "vectorSelector":
    case "matrixSelector":
      return 0;
    case "subquery":
      return (
        durationMs(expr.range, times) +
        durationMs(expr.step, times) +
        widestSubqueryMs(expr.expr, times)
      );
    case "call":
      return Math.max(0, ...expr.args.map((a) => widestSubqueryMs(a, times)));
    case "aggregate":
      return Math.max(
        widestSubqueryMs(expr.expr, times),
        expr.param === null ? 0 : widestSubqueryMs(expr.param, times),
      );
    case "binary":
      return Math.max(widestSubqueryMs(expr.lhs, times), widestSubqueryMs(expr.rhs, times));
    case "unary":
    case "paren":
      return widestSubqueryMs(expr.expr, times);
  }
}

function hasSteplessSubquery(e: Expr): boolean {
  let found = false;
  walkExpr(e, (n) => {
    if (n.kind === "subquery" && n.step === 0) found = true;
    return !found;
  });
  return found;
}

function finalLabels(meta: SeriesMeta): Labels {
  return meta.dropName ? dropMetricName(meta.labels) : meta.labels;
}

const DUPLICATE_LABELSET = "vector cannot contain metrics with the same labelset";

/** The value of an instant query at time t. */
function instantValue(v: Value, timeMs: number): QueryValue {
  switch (v.type) {
    case "scalar":
      return { resultType: "scalar", timeMs, value: v.values[0] };
    case "string":
      return { resultType: "string", timeMs, value: v.value };
    case "vector": {
      const series: ResultSeries[] = [];
      const seen = new Set<string>();
      for (let r = 0; r < v.series.length; r++) {
        if (v.present[r] === 0) continue;
        const labels = finalLabels(v.series[r]);
        const key = labelsKey(labels);
        if (seen.has(key)) throw new EvaluationError(DUPLICATE_LABELSET);
        seen.add(key);
        series.push({
          labels,
          timesMs: Float64Array.of(timeMs),
          values: Float64Array.of(v.values[r]),
        });
      }
      return { resultType: "vector", series };
    }
    case "matrix": {
      const series: ResultSeries[] = [];
      const end = v.windowEndMs[0];
      for (let r = 0; r < v.series.length; r++) {
        const run = v.samples[r];
        const ts: number[] = [];
        const vs: number[] = [];
        for (let i = 0; i < run.count; i++) {
          const t = run.timesMs[i];
          if (t > end - v.rangeMs && t <= end) {
            ts.push(t);
            vs.push(run.values[i]);
          }
        }
        if (ts.length === 0) continue;
        series.push({
          labels: finalLabels(v.series[r]),
          timesMs: Float64Array.from(ts),
          values: Float64Array.from(vs),
        });
      }
      series.sort((a, b) => compareLabels(a.labels, b.labels));
      return { resultType: "matrix", series };
    }
  }
}

/** Joins the blocks of a range query into one row per series. */
class ResultBuilder {
  private readonly rows = new Map<
    string,
    { meta: SeriesMeta; times: number[]; values: number[]; sorted: boolean }
  >();

  /** Adds a block's points; returns how many. */
  add(v: Value): number {
    if (v.type === "scalar") {
      const row = this.row({ labels: [], dropName: false });
      for (let j = 0; j < v.steps.count; j++)
        this.push(row, v.steps.startMs + j * v.steps.stepMs, v.values[j]);
      return v.steps.count;
    }
    if (v.type !== "vector") throw new EvaluationError(`range query of a ${v.type}`);
    const n = v.steps.count;
    let added = 0;
    for (let r = 0; r < v.series.length; r++) {
      let row: ReturnType<ResultBuilder["row"]> | null = null;
      for (let j = 0; j < n; j++) {
        if (v.present[r * n + j] === 0) continue;
        row ??= this.row(v.series[r]);
        this.push(row, v.steps.startMs + j * v.steps.stepMs, v.values[r * n + j]);
        added++;
      }
    }
    return added;
  }

  private row(meta: SeriesMeta) {
    const key = `${labelsKey(meta.labels)}${meta.dropName ? "1" : "0"}`;
    let row = this.rows.get(key);
    if (row === undefined) {
      row = { meta, times: [], values: [], sorted: true };
      this.rows.set(key, row);
    }
    return row;
  }

  private push(
    row: { times: number[]; values: number[]; sorted: boolean },
    t: number,
    value: number,
  ): void {
    const last = row.times.length - 1;
    if (last >= 0 && row.times[last] >= t) row.sorted = false;
    row.times.push(t);
    row.values.push(value);
  }

  finish(): QueryValue {
    // Series that coincide once their names are dropped become one, unless
    // both have a point at one time, which Prometheus refuses.
    const merged = new Map<
      string,
      { labels: Labels; times: number[]; values: number[]; sorted: boolean }
    >();
    for (const r of this.rows.values()) {
      const labels = finalLabels(r.meta);
      const key = labelsKey(labels);
      const into = merged.get(key);
      if (into === undefined) {
        merged.set(key, { labels, times: r.times, values: r.values, sorted: r.sorted });
        continue;
      }
      into.times = into.times.concat(r.times);
      into.values = into.values.concat(r.values);
      into.sorted = false;
    }
    const series: ResultSeries[] = [];
    for (const m of merged.values()) {
      let timesMs: Float64Array = Float64Array.from(m.times);
      let values: Float64Array = Float64Array.from(m.values);
      if (!m.sorted) ({ timesMs, values } = sortPoints(timesMs, values));
      series.push({ labels: m.labels, timesMs, values });
    }
    series.sort((a, b) => compareLabels(a.labels, b.labels));
    return { resultType: "matrix", series };
  }
}

/** Orders a row's points by time; two points at one time mean two series had one label set. */
function sortPoints(
  timesMs: Float64Array,
  values: Float64Array,
): { timesMs: Float64Array; values: Float64Array } {
  const order = Array.from(timesMs.keys()).sort((a, b) => timesMs[a] - timesMs[b]);
  const t = Float64Array.from(order, (i) => timesMs[i]);
  const v = Float64Array.from(order, (i) => values[i]);
  for (let i = 1; i < t.length; i++)
    if (t[i] === t[i - 1]) throw new EvaluationError(DUPLICATE_LABELSET);
  return { timesMs: t, values: v };
}
