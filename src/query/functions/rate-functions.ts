// Functions of how a series moves over a window: rate, increase and delta
// (extrapolated to the window's edges, or exact for anchored and smoothed
// selectors), irate and idelta from the last two samples, deriv and
// predict_linear by least squares, and double exponential smoothing.

import type { MatrixBlock, VectorBlock } from "../block.js";
import { stepTime } from "../block.js";
import { EvaluationError } from "../errors.js";
import { formatGoF } from "../go-format.js";
import { getLabel, METRIC_NAME } from "../labels.js";
import { positionOf } from "../operator-context.js";
import type { FunctionCallContext, FunctionImpl } from "./function-impl.js";
import {
  checkExtendedRange,
  firstAfter,
  firstAtOrAfter,
  kahanInc,
  lookbackOf,
  matrixArg,
  NameRule,
  scalarArg,
  sweepWindows,
  type WindowKernel,
} from "./over-time-sweep.js";

const kahan = { c: 0 };

/**
 * Prometheus's extrapolatedRate for one window of at least two samples.
 * The change between the first and last sample (plus, for a counter, the
 * value before every drop) is stretched towards the window's edges: all the
 * way to an edge that lies within 1.1 average sample intervals of the
 * nearest sample, else by half an interval (the series likely starts or
 * ends inside the window). A counter is not stretched back past the time
 * its extrapolated value would have been zero.
 */
function extrapolatedKernel(m: MatrixBlock, isCounter: boolean, isRate: boolean): WindowKernel {
  const rangeSec = m.rangeMs / 1000;
  return (run, lo, hi, j, out, at) => {
    const t = run.timesMs;
    const v = run.values;
    const last = hi - 1;
    let result = v[last] - v[lo];
    if (isCounter) {
      for (let i = lo + 1; i < hi; i++) if (v[i] < v[i - 1]) result += v[i - 1];
    }
    const rangeEnd = m.windowEndMs[j];
    const rangeStart = rangeEnd - m.rangeMs;
    let toStart = (t[lo] - rangeStart) / 1000;
    let toEnd = (rangeEnd - t[last]) / 1000;
    const sampled = (t[last] - t[lo]) / 1000;
    const avgInterval = sampled / (hi - lo - 1);
    const threshold = avgInterval * 1.1;
    if (toStart >= threshold) toStart = avgInterval / 2;
    if (isCounter) {
      let toZero = toStart;
      if (result > 0 && v[lo] >= 0) toZero = sampled * (v[lo] / result);
      if (toZero < toStart) toStart = toZero;
    }
    if (toEnd >= threshold) toEnd = avgInterval / 2;
    let factor = sampled !== 0 ? (sampled + toStart + toEnd) / sampled : 1;
    if (isRate) factor /= rangeSec;
    out[at] = result * factor;
    return true;
  };
}

/** The value at time `ms` on the line between samples a and b; a counter drop restarts from 0. */
function interpolate(
  t: Float64Array,
  v: Float64Array,
  a: number,
  b: number,
  ms: number,
  isCounter: boolean,
): number {
  const y2 = v[b];
  const y1 = isCounter && y2 < v[a] ? 0 : v[a];
  return y1 + ((y2 - y1) * (ms - t[a])) / (t[b] - t[a]);
}

/**
 * rate/increase/delta over an anchored or smoothed selector: the samples the
 * kernel sees reach back by the lookback (and, smoothed, forward by it). An
 * anchored window starts at the last sample at or before its start; a
 * smoothed one interpolates both edges. No extrapolation.
 */
function extendedRate(
  m: MatrixBlock,
  ctx: FunctionCallContext,
  isCounter: boolean,
  isRate: boolean,
): VectorBlock {
  const lookbackMs = lookbackOf(ctx);
  const smoothed = m.smoothed;
  const ahead = smoothed ? lookbackMs : 0;
  const ends = new Float64Array(m.windowEndMs.length);
  for (let j = 0; j < ends.length; j++) ends[j] = m.windowEndMs[j] + ahead;
  const view: MatrixBlock = { ...m, windowEndMs: ends, rangeMs: m.rangeMs + lookbackMs + ahead };
  const rangeSec = m.rangeMs / 1000;
  return sweepWindows(view, ctx, NameRule.drop, 1, (run, lo, hi, j, out, at) => {
    const t = run.timesMs;
    const v = run.values;
    const rangeEnd = m.windowEndMs[j];
    const rangeStart = rangeEnd - m.rangeMs;
    // first: the last sample at or before the start, never the last sample itself.
    let last = hi - 1;
    const first = Math.max(lo, firstAfter(t, lo, last, rangeStart) - 1);
    if (smoothed) last = firstAtOrAfter(t, lo, last, rangeEnd);
    if (t[last] <= rangeStart) return false;
    if (smoothed && t[first] > rangeEnd) return false;
    const left =
      smoothed && t[first] < rangeStart
        ? interpolate(t, v, first, first + 1, rangeStart, isCounter)
        : v[first];
    const right =
      smoothed && last > lo && t[last] > rangeEnd
        ? interpolate(t, v, last - 1, last, rangeEnd, isCounter)
        : v[last];
    let result = right - left;
    if (isCounter) {
      // Drops at the edges are already in left and right; count those inside.
      const from = t[first] <= rangeStart ? first + 1 : first;
      const to = t[last] >= rangeEnd ? last - 1 : last;
      let prev = left;
      for (let i = from; i <= to; i++) {
        if (v[i] < prev) result += prev;
        prev = v[i];
      }
      if (right < prev) result += prev;
    }
    out[at] = isRate ? result / rangeSec : result;
    return true;
  });
}

/** Adds Prometheus's info for rate/increase of a series whose name does not read as a counter's. */
function noteNonCounters(block: VectorBlock, ctx: FunctionCallContext): void {
  const n = block.steps.count;
  let pos: string | null = null;
  for (let r = 0; r < block.series.length; r++) {
    const name = getLabel(block.series[r].labels, METRIC_NAME);
    if (
      name === "" ||
      name.endsWith("_total") ||
      name.endsWith("_sum") ||
      name.endsWith("_count") ||
      name.endsWith("_bucket")
    ) {
      continue;
    }
    let any = false;
    for (let j = 0; j < n && !any; j++) any = block.present[r * n + j] === 1;
    if (!any) continue;
    pos ??= positionOf(ctx.query, ctx.call.args[0].pos);
    ctx.annotations.info(
      `PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(name)} ${pos}`,
    );
  }
}

function rateLike(fn: string, isCounter: boolean, isRate: boolean): FunctionImpl {
  return (args, ctx) => {
    const m = matrixArg(args, fn);
    checkExtendedRange(m, fn);
    const out =
      m.anchored || m.smoothed
        ? extendedRate(m, ctx, isCounter, isRate)
        : sweepWindows(m, ctx, NameRule.drop, 2, extrapolatedKernel(m, isCounter, isRate));
    if (isCounter) noteNonCounters(out, ctx);
    return out;
  };
}

/** irate/idelta: the last two samples of the window; irate reads a drop as a restart from 0. */
function instantKernel(isRate: boolean): WindowKernel {
  return (run, _lo, hi, _j, out, at) => {
    const t = run.timesMs;
    const v = run.values;
    const a = hi - 2;
    const b = hi - 1;
    const interval = t[b] - t[a];
    if (interval === 0) return false;
    const result = isRate && v[b] < v[a] ? v[b] : v[b] - v[a];
    out[at] = isRate ? result / (interval / 1000) : result;
    return true;
  };
}

function instantFn(fn: string, isRate: boolean): FunctionImpl {
  return (args, ctx) => {
    const m = matrixArg(args, fn);
    checkExtendedRange(m, fn);
    return sweepWindows(m, ctx, NameRule.drop, 2, instantKernel(isRate));
  };
}

/** Result of the least-squares fit: slope per second and the value at the intercept time. */
const fit = { slope: 0, intercept: 0 };

/**
 * Least squares of samples [lo, hi) against time in seconds relative to
 * `interceptMs`, with compensated sums. A constant series has slope 0 (or
 * NaN if the constant is infinite, where the fit is undefined).
 */
function linearRegression(
  t: Float64Array,
  v: Float64Array,
  lo: number,
  hi: number,
  interceptMs: number,
): void {
  const initY = v[lo];
  let constY = true;
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  for (let i = lo; i < hi; i++) {
    const y = v[i];
    if (constY && i > lo && y !== initY) constY = false;
    n++;
    const x = (t[i] - interceptMs) / 1000;
    sumX = kahanInc(x, sumX, cX, kahan);
    cX = kahan.c;
    sumY = kahanInc(y, sumY, cY, kahan);
    cY = kahan.c;
    sumXY = kahanInc(x * y, sumXY, cXY, kahan);
    cXY = kahan.c;
    sumX2 = kahanInc(x * x, sumX2, cX2, kahan);
    cX2 = kahan.c;
  }
  if (constY) {
    const infinite = initY === Number.POSITIVE_INFINITY || initY === Number.NEGATIVE_INFINITY;
    fit.slope = infinite ? Number.NaN : 0;
    fit.intercept = infinite ? Number.NaN : initY;
    return;
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  fit.slope = covXY / varX;
  fit.intercept = sumY / n - (fit.slope * sumX) / n;
}

const deriv: FunctionImpl = (args, ctx) => {
  const m = matrixArg(args, "deriv");
  checkExtendedRange(m, "deriv");
  // Times relative to the first sample keep the sums small (Prometheus issue 2674).
  return sweepWindows(m, ctx, NameRule.drop, 2, (run, lo, hi, _j, out, at) => {
    linearRegression(run.timesMs, run.values, lo, hi, run.timesMs[lo]);
    out[at] = fit.slope;
    return true;
  });
};

const predictLinear: FunctionImpl = (args, ctx) => {
  const fn = "predict_linear";
  const m = matrixArg(args, fn);
  checkExtendedRange(m, fn);
  const seconds = scalarArg(args, 1, fn).values;
  // The fit's intercept is at the evaluation time, not the window's end (they differ under offset and @).
  return sweepWindows(m, ctx, NameRule.drop, 2, (run, lo, hi, j, out, at) => {
    linearRegression(run.timesMs, run.values, lo, hi, stepTime(ctx.steps, j));
    out[at] = fit.slope * seconds[j] + fit.intercept;
    return true;
  });
};

/**
 * Holt's linear (double exponential) smoothing of the window with smoothing
 * factor sf and trend factor tf, both strictly between 0 and 1; the last
 * smoothed value is the result.
 */
const doubleExponentialSmoothing: FunctionImpl = (args, ctx) => {
  const fn = "double_exponential_smoothing";
  const m = matrixArg(args, fn);
  checkExtendedRange(m, fn);
  const sfs = scalarArg(args, 1, fn).values;
  const tfs = scalarArg(args, 2, fn).values;
  // The factors are checked only for windows holding samples, as Prometheus does
  // (a NaN factor passes the check and makes the result NaN).
  return sweepWindows(m, ctx, NameRule.drop, 1, (run, lo, hi, j, out, at) => {
    const sf = sfs[j];
    const tf = tfs[j];
    if (sf <= 0 || sf >= 1) {
      throw new EvaluationError(
        `invalid smoothing factor. Expected: 0 < sf < 1, got: ${formatGoF(sf)}`,
      );
    }
    if (tf <= 0 || tf >= 1) {
      throw new EvaluationError(
        `invalid trend factor. Expected: 0 < tf < 1, got: ${formatGoF(tf)}`,
      );
    }
    if (hi - lo < 2) return false;
    const v = run.values;
    let prevSmoothed = 0;
    let smoothed = v[lo];
    let trend = v[lo + 1] - v[lo];
    for (let i = lo + 1; i < hi; i++) {
      // The first step keeps the initial trend; later ones blend it with the last change.
      if (i > lo + 1) trend = tf * (smoothed - prevSmoothed) + (1 - tf) * trend;
      const next = sf * v[i] + (1 - sf) * (smoothed + trend);
      prevSmoothed = smoothed;
      smoothed = next;
    }
    out[at] = smoothed;
    return true;
  });
};

/** The rate family, by name. */
export const RATE_FUNCTIONS: Record<string, FunctionImpl> = {
  rate: rateLike("rate", true, true),
  increase: rateLike("increase", true, false),
  delta: rateLike("delta", false, false),
  irate: instantFn("irate", true),
  idelta: instantFn("idelta", false),
  deriv,
  predict_linear: predictLinear,
  double_exponential_smoothing: doubleExponentialSmoothing,
};
