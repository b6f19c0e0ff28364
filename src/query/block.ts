// The columnar values the engine passes between operators.
//
// A block covers one range of steps (start, start + step, ...) and holds many
// series. Values are stored series-major: the steps of one series are
// contiguous (`values[row * steps.count + j]`), because most operators
// (functions, binary operators between matched rows, the JSON writer) walk
// one series at a time, and aggregation's cross-series walk reads one value
// per row at a fixed stride. A sample is absent at a step when `present` is 0
// there; NaN is a real value, so absence cannot be a NaN.

import type { Labels } from "./labels.js";

/** The evaluation times of a block: `startMs + j * stepMs` for j in [0, count). */
export interface Steps {
  readonly startMs: number;
  /** Milliseconds between steps; 0 for an instant query's single step (count 1). */
  readonly stepMs: number;
  readonly count: number;
}

/** One row of a block. */
export interface SeriesMeta {
  labels: Labels;
  /**
   * The metric name is to be dropped when the result is returned (Prometheus 3's
   * delayed name removal): functions and operators that change a value's meaning
   * set it instead of removing `__name__` at once, so that `label_replace` and
   * friends can still read it.
   */
  dropName: boolean;
}

/** An instant vector at every step of `steps`. */
export interface VectorBlock {
  readonly type: "vector";
  readonly steps: Steps;
  readonly series: SeriesMeta[];
  /** `series.length * steps.count` values, series-major. */
  readonly values: Float64Array;
  /** 1 where the row has a sample at the step. */
  readonly present: Uint8Array;
  /**
   * Set only by a vector selector: the timestamp of the sample each step took
   * (what `timestamp()` returns). Every other operator yields step times.
   */
  readonly sampleTimesMs?: Float64Array;
}

/** A scalar at every step. */
export interface ScalarBlock {
  readonly type: "scalar";
  readonly steps: Steps;
  readonly values: Float64Array;
}

/** A string (only ever a literal or an argument). */
export interface StringValue {
  readonly type: "string";
  readonly value: string;
}

/** The raw samples of one series, oldest first, timestamps in milliseconds. */
export interface SampleRun {
  readonly timesMs: Float64Array;
  readonly values: Float64Array;
  readonly count: number;
}

/**
 * A range vector at every step: for each row its samples, and for each step the
 * window (windowEnd[j] - rangeMs, windowEnd[j]] the step looks at (left-open,
 * right-closed, as Prometheus 3). Window ends already carry offset and `@`.
 */
export interface MatrixBlock {
  readonly type: "matrix";
  readonly steps: Steps;
  readonly series: SeriesMeta[];
  readonly samples: SampleRun[];
  readonly rangeMs: number;
  readonly windowEndMs: Float64Array;
  /** Extended range selectors (experimental): the selector was `anchored` or `smoothed`. */
  readonly anchored: boolean;
  readonly smoothed: boolean;
}

export type Value = VectorBlock | ScalarBlock | StringValue | MatrixBlock;

/** The time of step j. */
export function stepTime(steps: Steps, j: number): number {
  return steps.startMs + j * steps.stepMs;
}

/** A block of `rows` series, every sample absent. */
export function emptyVector(steps: Steps, series: SeriesMeta[]): VectorBlock {
  const n = series.length * steps.count;
  return { type: "vector", steps, series, values: new Float64Array(n), present: new Uint8Array(n) };
}

/** A scalar block of one value at every step. */
export function constantScalar(steps: Steps, value: number): ScalarBlock {
  return { type: "scalar", steps, values: new Float64Array(steps.count).fill(value) };
}

/** How many samples a presence column (or a part of one) marks present. */
export function countPresent(present: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < present.length; i++) n += present[i];
  return n;
}

/** The indexes of the rows that have at least one sample, in order. */
export function rowsWithSamples(block: VectorBlock): number[] {
  const n = block.steps.count;
  const rows: number[] = [];
  for (let r = 0; r < block.series.length; r++) {
    for (let j = 0; j < n; j++) {
      if (block.present[r * n + j] === 1) {
        rows.push(r);
        break;
      }
    }
  }
  return rows;
}

/** Keeps only the rows that have at least one sample. */
export function dropEmptyRows(block: VectorBlock): VectorBlock {
  const n = block.steps.count;
  const keep = rowsWithSamples(block);
  if (keep.length === block.series.length) return block;
  const out = emptyVector(
    block.steps,
    keep.map((r) => block.series[r]),
  );
  keep.forEach((r, i) => {
    out.values.set(block.values.subarray(r * n, (r + 1) * n), i * n);
    out.present.set(block.present.subarray(r * n, (r + 1) * n), i * n);
  });
  return out;
}

/** Prometheus's stale marker: a NaN with this exact bit pattern ends a series. */
export const STALE_NAN_BITS_HI = 0x7ff00000;
export const STALE_NAN_BITS_LO = 0x00000002;

const staleView = new DataView(new ArrayBuffer(8));
/** Whether a float is the stale marker (not any NaN). */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  staleView.setFloat64(0, v);
  return (
    staleView.getUint32(0) === STALE_NAN_BITS_HI && staleView.getUint32(4) === STALE_NAN_BITS_LO
  );
}
