// The *_over_time family: each window of a series folded to one value (sum,
// mean, extremes, spread, quantiles, first and last samples and their times),
// and changes/resets, which count steps between neighbouring samples.

import type { MatrixBlock, SampleRun } from "../block.js";
import { emptyVector } from "../block.js";
import { formatGoG } from "../go-format.js";
import { positionOf } from "../operator-context.js";
import { quantileOfSorted } from "../quantile.js";
import { absentLabels } from "./absent.js";
import type { FunctionImpl } from "./function-impl.js";
import {
  checkExtendedRange,
  firstAfter,
  kahanInc,
  lookbackOf,
  matrixArg,
  NameRule,
  scalarArg,
  sweepWindows,
  type WindowKernel,
} from "./over-time-sweep.js";

const kahan = { c: 0 };

/** A function whose value depends only on the window's samples. */
function overTime(fn: string, rule: NameRule, kernel: WindowKernel): FunctionImpl {
  return (args, ctx) => {
    const m = matrixArg(args, fn);
    checkExtendedRange(m, fn);
    return sweepWindows(m, ctx, rule, 1, kernel);
  };
}

const sumKernel: WindowKernel = (run, lo, hi, _j, out, at) => {
  const v = run.values;
  let sum = 0;
  let c = 0;
  for (let i = lo; i < hi; i++) {
    sum = kahanInc(v[i], sum, c, kahan);
    c = kahan.c;
  }
  // An infinite sum stays as it is: its compensation is meaningless.
  out[at] = sum === Number.POSITIVE_INFINITY || sum === Number.NEGATIVE_INFINITY ? sum : sum + c;
  return true;
};

// The direct mean (Kahan sum / count) is the more accurate one, but its sum
// can overflow where the mean itself is finite; from the first overflow on,
// the mean is kept incrementally instead (Prometheus's choice, issue 16714).
const avgKernel: WindowKernel = (run, lo, hi, _j, out, at) => {
  const v = run.values;
  let sum = v[lo];
  let c = 0;
  let mean = 0;
  let incremental = false;
  let count = 1;
  for (let i = lo + 1; i < hi; i++) {
    count = i - lo + 1;
    if (!incremental) {
      const next = kahanInc(v[i], sum, c, kahan);
      if (next !== Number.POSITIVE_INFINITY && next !== Number.NEGATIVE_INFINITY) {
        sum = next;
        c = kahan.c;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    const q = (count - 1) / count;
    mean = kahanInc(v[i] / count, q * mean, q * c, kahan);
    c = kahan.c;
  }
  out[at] = incremental ? mean + c : sum / count + c / count;
  return true;
};

const countKernel: WindowKernel = (_run, lo, hi, _j, out, at) => {
  out[at] = hi - lo;
  return true;
};

const presentKernel: WindowKernel = (_run, _lo, _hi, _j, out, at) => {
  out[at] = 1;
  return true;
};

const firstKernel: WindowKernel = (run, lo, _hi, _j, out, at) => {
  out[at] = run.values[lo];
  return true;
};

const lastKernel: WindowKernel = (run, _lo, hi, _j, out, at) => {
  out[at] = run.values[hi - 1];
  return true;
};

const tsOfFirstKernel: WindowKernel = (run, lo, _hi, _j, out, at) => {
  out[at] = run.timesMs[lo] / 1000;
  return true;
};

const tsOfLastKernel: WindowKernel = (run, _lo, hi, _j, out, at) => {
  out[at] = run.timesMs[hi - 1] / 1000;
  return true;
};

/**
 * The extreme of a window and its time. `better(cur, best)` says whether cur
 * replaces the current best; a NaN best is always replaced, so NaN wins only
 * when no number follows it.
 */
function extremeKernel(
  better: (cur: number, best: number) => boolean,
  returnTime: boolean,
): WindowKernel {
  return (run, lo, hi, _j, out, at) => {
    const v = run.values;
    let best = v[lo];
    let bestAt = lo;
    for (let i = lo; i < hi; i++) {
      if (better(v[i], best) || Number.isNaN(best)) {
        best = v[i];
        bestAt = i;
      }
    }
    out[at] = returnTime ? run.timesMs[bestAt] / 1000 : best;
    return true;
  };
}

/** Welford's running variance with both running terms compensated. */
function varianceKernel(root: boolean): WindowKernel {
  return (run, lo, hi, _j, out, at) => {
    const v = run.values;
    let count = 0;
    let mean = 0;
    let cMean = 0;
    let aux = 0;
    let cAux = 0;
    for (let i = lo; i < hi; i++) {
      count++;
      const x = v[i];
      const delta = x - (mean + cMean);
      mean = kahanInc(delta / count, mean, cMean, kahan);
      cMean = kahan.c;
      aux = kahanInc(delta * (x - (mean + cMean)), aux, cAux, kahan);
      cAux = kahan.c;
    }
    const variance = (aux + cAux) / count;
    out[at] = root ? Math.sqrt(variance) : variance;
    return true;
  };
}

/** Scratch space for sorting a window's values, grown as needed and reused. */
let scratch = new Float64Array(64);

function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/** The q-quantile of values[0, n), which it sorts in place (see quantileOfSorted). */
export function quantileOf(q: number, values: Float64Array, n: number): number {
  const sorted = values.subarray(0, n);
  sorted.sort(); // numeric, NaNs last
  return quantileOfSorted(q, sorted, 0, n);
}

const madKernel: WindowKernel = (run, lo, hi, _j, out, at) => {
  const n = hi - lo;
  const buf = scratchOf(n);
  for (let i = 0; i < n; i++) {
    const x = run.values[lo + i];
    if (Number.isNaN(x)) {
      out[at] = Number.NaN;
      return true;
    }
    buf[i] = x;
  }
  const median = quantileOf(0.5, buf, n);
  for (let i = 0; i < n; i++) buf[i] = Math.abs(buf[i] - median);
  out[at] = quantileOf(0.5, buf, n);
  return true;
};

const quantileOverTime: FunctionImpl = (args, ctx) => {
  const fn = "quantile_over_time";
  const phi = scalarArg(args, 0, fn).values;
  const m = matrixArg(args, fn);
  checkExtendedRange(m, fn);
  const pos = positionOf(ctx.query, ctx.call.args[0].pos);
  return sweepWindows(m, ctx, NameRule.drop, 1, (run, lo, hi, j, out, at) => {
    const q = phi[j];
    if (Number.isNaN(q) || q < 0 || q > 1) {
      ctx.annotations.warn(
        `PromQL warning: quantile value should be between 0 and 1, got ${formatGoG(q)} ${pos}`,
      );
    }
    const n = hi - lo;
    const buf = scratchOf(n);
    buf.set(run.values.subarray(lo, hi));
    out[at] = quantileOf(q, buf, n);
    return true;
  });
};

/**
 * changes() and resets(): counts neighbouring pairs that differ (two NaNs do
 * not) or that go down. An anchored selector adds the last sample at or
 * before the window's start, within the lookback, as the first of the pairs.
 */
function pairCount(fn: string, counts: (prev: number, cur: number) => boolean): FunctionImpl {
  return (args, ctx) => {
    const m = matrixArg(args, fn);
    checkExtendedRange(m, fn);
    if (!m.anchored) {
      return sweepWindows(m, ctx, NameRule.drop, 1, (run, lo, hi, _j, out, at) => {
        out[at] = countPairs(run, lo, hi, counts);
        return true;
      });
    }
    const lookbackMs = lookbackOf(ctx);
    return sweepWindows(
      anchoredView(m, lookbackMs),
      ctx,
      NameRule.drop,
      1,
      (run, lo, hi, j, out, at) => {
        const start = m.windowEndMs[j] - m.rangeMs;
        // Only a sample strictly inside the window gives something to count.
        if (run.timesMs[hi - 1] <= start) return false;
        const anchor = firstAfter(run.timesMs, lo, hi, start) - 1;
        out[at] = countPairs(run, Math.max(lo, anchor), hi, counts);
        return true;
      },
    );
  };
}

function countPairs(
  run: SampleRun,
  lo: number,
  hi: number,
  counts: (prev: number, cur: number) => boolean,
): number {
  const v = run.values;
  let n = 0;
  for (let i = lo + 1; i < hi; i++) if (counts(v[i - 1], v[i])) n++;
  return n;
}

/** The matrix with each window reaching back by the lookback, for anchored selectors. */
function anchoredView(m: MatrixBlock, lookbackMs: number): MatrixBlock {
  return { ...m, rangeMs: m.rangeMs + lookbackMs };
}

/**
 * absent_over_time(): one row, valued 1 at the steps where no input row has a
 * sample in its window, labelled from the selector's equality matchers
 * (Prometheus's createLabelsForAbsentFunction); no row when every step has one.
 */
const absentOverTime: FunctionImpl = (args, ctx) => {
  const fn = "absent_over_time";
  const m = matrixArg(args, fn);
  checkExtendedRange(m, fn);
  const seen = sweepWindows(m, ctx, NameRule.drop, 1, presentKernel, false);
  const n = ctx.steps.count;
  const labels = ctx.call.args.length > 0 ? absentLabels(ctx.call.args[0]) : [];
  const out = emptyVector(ctx.steps, [{ labels, dropName: true }]);
  let missing = 0;
  for (let j = 0; j < n; j++) {
    let found = false;
    for (let r = 0; r < seen.series.length && !found; r++) found = seen.present[r * n + j] === 1;
    if (!found) {
      out.values[j] = 1;
      out.present[j] = 1;
      missing++;
    }
  }
  ctx.accountSamples(missing);
  return missing === 0 ? emptyVector(ctx.steps, []) : out;
};

/** The aggregating functions of range vectors, by name. */
export const OVER_TIME_AGGREGATES: Record<string, FunctionImpl> = {
  sum_over_time: overTime("sum_over_time", NameRule.drop, sumKernel),
  avg_over_time: overTime("avg_over_time", NameRule.drop, avgKernel),
  count_over_time: overTime("count_over_time", NameRule.drop, countKernel),
  present_over_time: overTime("present_over_time", NameRule.drop, presentKernel),
  min_over_time: overTime(
    "min_over_time",
    NameRule.drop,
    extremeKernel((cur, best) => cur < best, false),
  ),
  max_over_time: overTime(
    "max_over_time",
    NameRule.drop,
    extremeKernel((cur, best) => cur > best, false),
  ),
  ts_of_min_over_time: overTime(
    "ts_of_min_over_time",
    NameRule.drop,
    extremeKernel((cur, best) => cur <= best, true),
  ),
  ts_of_max_over_time: overTime(
    "ts_of_max_over_time",
    NameRule.drop,
    extremeKernel((cur, best) => cur >= best, true),
  ),
  stddev_over_time: overTime("stddev_over_time", NameRule.drop, varianceKernel(true)),
  stdvar_over_time: overTime("stdvar_over_time", NameRule.drop, varianceKernel(false)),
  mad_over_time: overTime("mad_over_time", NameRule.drop, madKernel),
  first_over_time: overTime("first_over_time", NameRule.keep, firstKernel),
  last_over_time: overTime("last_over_time", NameRule.keep, lastKernel),
  ts_of_first_over_time: overTime("ts_of_first_over_time", NameRule.drop, tsOfFirstKernel),
  ts_of_last_over_time: overTime("ts_of_last_over_time", NameRule.drop, tsOfLastKernel),
  quantile_over_time: quantileOverTime,
  absent_over_time: absentOverTime,
  changes: pairCount(
    "changes",
    (prev, cur) => cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev)),
  ),
  resets: pairCount("resets", (prev, cur) => cur < prev),
};
