// histogram_quantile, histogram_quantiles and histogram_fraction on classic
// histograms (series of one name and labels but for `le`, one per bucket),
// and the functions that only read native histograms, which our float-only
// samples never are: those answer nothing, as Prometheus does for floats.

import type { Expr } from "../ast.js";
import { emptyVector, type SeriesMeta, stepTime, type VectorBlock } from "../block.js";
import { formatGoG } from "../go-format.js";
import { getLabel, type Labels, labelsKey, METRIC_NAME, withLabel } from "../labels.js";
import { positionOf } from "../operator-context.js";
import { bucketFraction, bucketQuantile, monotonicityFix } from "./bucket-quantile.js";
import type { FunctionCallContext, FunctionImpl } from "./function-impl.js";
import { parseGoFloat } from "./go-numbers.js";
import { scalarArg, stringArg, unwrapParens, vectorArg } from "./instant-args.js";
import { mergeSameLabelsets } from "./label-functions.js";

const BUCKET_LABEL = "le";
const FORCED_MONOTONICITY =
  "PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)";

/** The bucket rows of one histogram, sorted by upper bound. */
interface BucketGroup {
  labels: Labels;
  metricName: string;
  rows: Int32Array;
  bounds: Float64Array;
}

function forMetric(text: string, metricName: string): string {
  return metricName === "" ? text : `${text} for metric name ${JSON.stringify(metricName)}`;
}

/** Where an argument starts, inside its parentheses (Prometheus unwraps them before evaluating). */
function position(ctx: FunctionCallContext, arg: Expr | undefined): string {
  return positionOf(ctx.query, arg === undefined ? ctx.call.pos : unwrapParens(arg).pos);
}

function hasSample(input: VectorBlock, row: number): boolean {
  const n = input.steps.count;
  for (let j = row * n; j < (row + 1) * n; j++) if (input.present[j] === 1) return true;
  return false;
}

/**
 * Groups the rows by their labels without `le`; a row whose `le` does not
 * parse as a float is left out with Prometheus's warning.
 */
function groupBuckets(input: VectorBlock, ctx: FunctionCallContext, arg: Expr | undefined) {
  const byKey = new Map<string, { labels: Labels; rows: number[]; bounds: number[] }>();
  input.series.forEach((s, r) => {
    const le = getLabel(s.labels, BUCKET_LABEL);
    const bound = parseGoFloat(le);
    if (bound === undefined) {
      if (hasSample(input, r)) {
        const text = `PromQL warning: bucket label "le" is missing or has a malformed value of ${JSON.stringify(le)}`;
        const name = getLabel(s.labels, METRIC_NAME);
        ctx.annotations.warn(`${forMetric(text, name)} ${position(ctx, arg)}`);
      }
      return;
    }
    const labels = withLabel(s.labels, BUCKET_LABEL, "");
    const key = labelsKey(labels);
    let g = byKey.get(key);
    if (g === undefined) {
      g = { labels, rows: [], bounds: [] };
      byKey.set(key, g);
    }
    g.rows.push(r);
    g.bounds.push(bound);
  });
  const groups: BucketGroup[] = [];
  let largest = 0;
  for (const g of byKey.values()) {
    const order = g.rows.map((_, i) => i);
    // Go compares with < and >, so a NaN bound compares equal to every bound.
    order.sort((a, b) => (g.bounds[a] < g.bounds[b] ? -1 : g.bounds[a] > g.bounds[b] ? 1 : 0));
    groups.push({
      labels: g.labels,
      metricName: getLabel(g.labels, METRIC_NAME),
      rows: Int32Array.from(order, (i) => g.rows[i]),
      bounds: Float64Array.from(order, (i) => g.bounds[i]),
    });
    largest = Math.max(largest, g.rows.length);
  }
  return { groups, largest };
}

/** Copies a group's buckets present at step j into the scratch arrays; returns how many. */
function gather(
  input: VectorBlock,
  g: BucketGroup,
  j: number,
  bounds: Float64Array,
  counts: Float64Array,
): number {
  const n = input.steps.count;
  let k = 0;
  for (let b = 0; b < g.rows.length; b++) {
    const i = g.rows[b] * n + j;
    if (input.present[i] !== 1) continue;
    bounds[k] = g.bounds[b];
    counts[k] = input.values[i];
    k++;
  }
  return k;
}

/** The forced-monotonicity info of one metric name, merged over steps and series as Prometheus merges it. */
interface MonotonicityReport {
  minTsMs: number;
  maxTsMs: number;
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
  samples: number;
}

function rfc3339Seconds(ms: number): string {
  return `${new Date(Math.trunc(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Output rows found while stepping: one per histogram and quantile label. */
class OutputRows {
  readonly series: SeriesMeta[] = [];
  readonly values: Float64Array[] = [];
  readonly present: Uint8Array[] = [];
  private readonly count: number;

  constructor(count: number) {
    this.count = count;
  }

  add(labels: Labels): number {
    this.series.push({ labels, dropName: true });
    this.values.push(new Float64Array(this.count));
    this.present.push(new Uint8Array(this.count));
    return this.series.length - 1;
  }

  block(ctx: FunctionCallContext, input: VectorBlock): VectorBlock {
    const n = this.count;
    const values = new Float64Array(this.series.length * n);
    const present = new Uint8Array(this.series.length * n);
    this.series.forEach((_, r) => {
      values.set(this.values[r], r * n);
      present.set(this.present[r], r * n);
    });
    // Rows can collide only when histogram_quantiles' label overwrites a grouping label.
    return mergeSameLabelsets(ctx, { ...input, series: this.series, values, present }, this.series);
  }
}

/** OpenMetrics' text of a float, as Prometheus's labels.FormatOpenMetricsFloat (1 is "1.0"). */
export function formatOpenMetricsFloat(v: number): string {
  const s = formatGoG(v);
  if (Number.isNaN(v) || !Number.isFinite(v) || /[e.]/.test(s)) return s;
  return `${s}.0`;
}

/**
 * histogram_quantile(q, v) when `label` is null, or histogram_quantiles(v,
 * label, q...) (experimental) with one output row per quantile, labelled by it.
 */
function quantiles(
  ctx: FunctionCallContext,
  input: VectorBlock,
  vectorExpr: Expr | undefined,
  qs: { values: Float64Array; expr: Expr | undefined }[],
  label: string | null,
): VectorBlock {
  const count = ctx.steps.count;
  for (const q of qs) {
    for (let j = 0; j < count; j++) {
      const v = q.values[j];
      if (Number.isNaN(v) || v < 0 || v > 1) {
        ctx.annotations.warn(
          `PromQL warning: quantile value should be between 0 and 1, got ${formatGoG(v)} ${position(ctx, q.expr)}`,
        );
      }
    }
  }
  const { groups, largest } = groupBuckets(input, ctx, vectorExpr);
  const bounds = new Float64Array(largest);
  const counts = new Float64Array(largest);
  const out = new OutputRows(count);
  // Per quantile argument: output row of each group, by the label text it has.
  const rowsByLabel = qs.map(() => new Map<string, Int32Array>());
  const reports = new Map<string, MonotonicityReport>();
  for (let j = 0; j < count; j++) {
    for (let k = 0; k < qs.length; k++) {
      const q = qs[k].values[j];
      const qText = label === null ? "" : formatOpenMetricsFloat(q);
      let rowOf = rowsByLabel[k].get(qText);
      if (rowOf === undefined) {
        rowOf = new Int32Array(groups.length).fill(-1);
        rowsByLabel[k].set(qText, rowOf);
      }
      for (let gi = 0; gi < groups.length; gi++) {
        const g = groups[gi];
        const size = gather(input, g, j, bounds, counts);
        if (size === 0) continue;
        const result = bucketQuantile(q, bounds, counts, size);
        if (monotonicityFix.forced) noteForced(reports, g.metricName, stepTime(ctx.steps, j));
        if (rowOf[gi] < 0) {
          rowOf[gi] = out.add(label === null ? g.labels : withLabel(g.labels, label, qText));
        }
        out.values[rowOf[gi]][j] = result;
        out.present[rowOf[gi]][j] = 1;
      }
    }
  }
  for (const [name, r] of reports) {
    ctx.annotations.info(
      `${forMetric(FORCED_MONOTONICITY, name)}, from buckets ${formatGoG(r.minBucket)} to ${formatGoG(r.maxBucket)}, with a max diff of ${formatGoG(r.maxDiff, 2)}, over ${r.samples} samples from ${rfc3339Seconds(r.minTsMs)} to ${rfc3339Seconds(r.maxTsMs)} ${position(ctx, vectorExpr)}`,
    );
  }
  return out.block(ctx, input);
}

function noteForced(reports: Map<string, MonotonicityReport>, name: string, tsMs: number): void {
  const f = monotonicityFix;
  const r = reports.get(name);
  if (r === undefined) {
    reports.set(name, {
      minTsMs: tsMs,
      maxTsMs: tsMs,
      minBucket: f.minBucket,
      maxBucket: f.maxBucket,
      maxDiff: f.maxDiff,
      samples: 1,
    });
    return;
  }
  r.minTsMs = Math.min(r.minTsMs, tsMs);
  r.maxTsMs = Math.max(r.maxTsMs, tsMs);
  r.minBucket = Math.min(r.minBucket, f.minBucket);
  r.maxBucket = Math.max(r.maxBucket, f.maxBucket);
  r.maxDiff = Math.max(r.maxDiff, f.maxDiff);
  r.samples++;
}

const histogramQuantile: FunctionImpl = (args, ctx) => {
  const q = scalarArg(args, 0, ctx);
  const input = vectorArg(args, 1, ctx);
  return quantiles(
    ctx,
    input,
    ctx.call.args[1],
    [{ values: q.values, expr: ctx.call.args[0] }],
    null,
  );
};

const histogramQuantilesFn: FunctionImpl = (args, ctx) => {
  const input = vectorArg(args, 0, ctx);
  const label = stringArg(args, 1, ctx);
  const qs = [];
  for (let i = 2; i < args.length; i++) {
    qs.push({ values: scalarArg(args, i, ctx).values, expr: ctx.call.args[i] });
  }
  return quantiles(ctx, input, ctx.call.args[0], qs, label);
};

/** histogram_fraction(lower, upper, v): the share of observations between the two values. */
const histogramFraction: FunctionImpl = (args, ctx) => {
  const lower = scalarArg(args, 0, ctx).values;
  const upper = scalarArg(args, 1, ctx).values;
  const input = vectorArg(args, 2, ctx);
  const count = ctx.steps.count;
  const { groups, largest } = groupBuckets(input, ctx, ctx.call.args[2]);
  const bounds = new Float64Array(largest);
  const counts = new Float64Array(largest);
  const out = new OutputRows(count);
  const rowOf = new Int32Array(groups.length).fill(-1);
  for (let j = 0; j < count; j++) {
    for (let gi = 0; gi < groups.length; gi++) {
      const size = gather(input, groups[gi], j, bounds, counts);
      if (size === 0) continue;
      if (rowOf[gi] < 0) rowOf[gi] = out.add(groups[gi].labels);
      out.values[rowOf[gi]][j] = bucketFraction(lower[j], upper[j], bounds, counts, size);
      out.present[rowOf[gi]][j] = 1;
    }
  }
  return out.block(ctx, input);
};

/** A function of native histograms only: float samples are skipped, without annotation. */
const nativeOnly: FunctionImpl = (args, ctx) => {
  vectorArg(args, 0, ctx);
  return emptyVector(ctx.steps, []);
};

export const HISTOGRAM_FUNCTIONS: Record<string, FunctionImpl> = {
  histogram_quantile: histogramQuantile,
  histogram_quantiles: histogramQuantilesFn,
  histogram_fraction: histogramFraction,
  histogram_count: nativeOnly,
  histogram_sum: nativeOnly,
  histogram_avg: nativeOnly,
  histogram_stddev: nativeOnly,
  histogram_stdvar: nativeOnly,
};
