// Selectors on blocks: an instant vector selector takes, at each step, the
// newest sample within the lookback delta (left-open, as Prometheus 3) unless
// it is a stale marker; a range selector hands each step its window.

import {
  isStaleNaN,
  type MatrixBlock,
  type SampleRun,
  type SeriesMeta,
  type Steps,
  stepTime,
  type VectorBlock,
} from "../block.js";
import type { StoredSeries } from "../engine-types.js";

/** The reference time of step j: the step's time (or the `@` time) minus the offset. */
export function refTimes(steps: Steps, atMs: number | null, offsetMs: number): Float64Array {
  const out = new Float64Array(steps.count);
  for (let j = 0; j < steps.count; j++) out[j] = (atMs ?? stepTime(steps, j)) - offsetMs;
  return out;
}

/** First index whose time is > t (times ascending). */
export function upperBound(times: Float64Array, count: number, t: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface SelectorOutput {
  block: VectorBlock;
  /** Samples taken (one per present point): the "queryable samples" of the stats. */
  samples: number;
}

/** An instant vector selector at every step; rows with no sample in the block are left out. */
export function selectInstant(
  data: readonly StoredSeries[],
  metas: readonly SeriesMeta[],
  steps: Steps,
  refs: Float64Array,
  lookbackMs: number,
): SelectorOutput {
  const n = steps.count;
  const keep: number[] = [];
  // A row per series up front; the rows that stay empty are overwritten by the next series.
  const values = new Float64Array(n * data.length);
  const present = new Uint8Array(values.length);
  const times = new Float64Array(values.length);
  let samples = 0;
  for (let s = 0; s < data.length; s++) {
    const ser = data[s];
    const base = keep.length * n;
    let hi = upperBound(ser.timesMs, ser.count, refs[0]);
    let any = false;
    for (let j = 0; j < n; j++) {
      const ref = refs[j];
      if (j > 0 && ref !== refs[j - 1]) {
        if (ref > refs[j - 1]) {
          while (hi < ser.count && ser.timesMs[hi] <= ref) hi++;
        } else hi = upperBound(ser.timesMs, ser.count, ref);
      }
      const last = hi - 1;
      if (last >= 0 && ser.timesMs[last] > ref - lookbackMs && !isStaleNaN(ser.values[last])) {
        values[base + j] = ser.values[last];
        times[base + j] = ser.timesMs[last];
        present[base + j] = 1;
        any = true;
        samples++;
      } else {
        present[base + j] = 0;
      }
    }
    if (any) keep.push(s);
  }
  const used = keep.length * n;
  return {
    block: {
      type: "vector",
      steps,
      series: keep.map((s) => metas[s]),
      values: values.subarray(0, used),
      present: present.subarray(0, used),
      sampleTimesMs: times.subarray(0, used),
    },
    samples,
  };
}

/** A range selector at every step: each row's samples over the span of all windows, stale markers removed. */
export function selectRange(
  data: readonly StoredSeries[],
  metas: readonly SeriesMeta[],
  steps: Steps,
  windowEndMs: Float64Array,
  rangeMs: number,
  flags: { anchored: boolean; smoothed: boolean },
  lookbackMs: number,
): { block: MatrixBlock; samples: number } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < windowEndMs.length; j++) {
    lo = Math.min(lo, windowEndMs[j] - rangeMs);
    hi = Math.max(hi, windowEndMs[j]);
  }
  // Anchored and smoothed windows take the sample before their start (within
  // the lookback); smoothed ones also the sample after their end.
  if (flags.anchored || flags.smoothed) lo -= lookbackMs;
  if (flags.smoothed) hi += lookbackMs;
  const series: SeriesMeta[] = [];
  const runs: SampleRun[] = [];
  let samples = 0;
  for (let s = 0; s < data.length; s++) {
    const ser = data[s];
    const from = upperBound(ser.timesMs, ser.count, lo);
    const to = upperBound(ser.timesMs, ser.count, hi);
    if (to <= from) continue;
    const run = withoutStale(ser, from, to);
    if (run.count === 0) continue;
    series.push(metas[s]);
    runs.push(run);
    samples += windowSampleCount(run, windowEndMs, rangeMs);
  }
  return {
    block: {
      type: "matrix",
      steps,
      series,
      samples: runs,
      rangeMs,
      windowEndMs,
      anchored: flags.anchored,
      smoothed: flags.smoothed,
    },
    samples,
  };
}

function withoutStale(ser: StoredSeries, from: number, to: number): SampleRun {
  let stale = 0;
  for (let i = from; i < to; i++) if (isStaleNaN(ser.values[i])) stale++;
  if (stale === 0) {
    return {
      timesMs: ser.timesMs.subarray(from, to),
      values: ser.values.subarray(from, to),
      count: to - from,
    };
  }
  const timesMs = new Float64Array(to - from - stale);
  const values = new Float64Array(timesMs.length);
  let k = 0;
  for (let i = from; i < to; i++) {
    if (isStaleNaN(ser.values[i])) continue;
    timesMs[k] = ser.timesMs[i];
    values[k] = ser.values[i];
    k++;
  }
  return { timesMs, values, count: k };
}

/** Samples in every step's window, summed over the steps (the cost Prometheus's stats count). */
export function windowSampleCount(
  run: SampleRun,
  windowEndMs: Float64Array,
  rangeMs: number,
): number {
  let total = 0;
  let a = 0;
  let b = 0;
  for (let j = 0; j < windowEndMs.length; j++) {
    const end = windowEndMs[j];
    if (j > 0 && end < windowEndMs[j - 1]) {
      a = 0;
      b = 0;
    }
    while (b < run.count && run.timesMs[b] <= end) b++;
    while (a < b && run.timesMs[a] <= end - rangeMs) a++;
    total += b - a;
  }
  return total;
}

/** A vector block's points as sample runs (a subquery's inner result becomes a range vector). */
export function blockToRuns(block: VectorBlock): { series: SeriesMeta[]; runs: SampleRun[] } {
  const n = block.steps.count;
  const series: SeriesMeta[] = [];
  const runs: SampleRun[] = [];
  for (let r = 0; r < block.series.length; r++) {
    let count = 0;
    for (let j = 0; j < n; j++) count += block.present[r * n + j];
    if (count === 0) continue;
    const timesMs = new Float64Array(count);
    const values = new Float64Array(count);
    let k = 0;
    for (let j = 0; j < n; j++) {
      if (block.present[r * n + j] === 0) continue;
      timesMs[k] = stepTime(block.steps, j);
      values[k] = block.values[r * n + j];
      k++;
    }
    series.push(block.series[r]);
    runs.push({ timesMs, values, count });
  }
  return { series, runs };
}
