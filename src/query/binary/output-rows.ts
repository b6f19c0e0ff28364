// The rows of a binary operation's result, one per result label set: samples
// that different steps produce under the same labels land in one row (so a
// range query has one series per label set), and two samples under the same
// labels at the same step are Prometheus's "same labelset" error.

import type { SeriesMeta, Steps, VectorBlock } from "../block.js";
import { EvaluationError } from "../errors.js";
import { type Labels, labelsKey } from "../labels.js";

export class OutputRows {
  readonly steps: Steps;
  readonly series: SeriesMeta[] = [];
  private readonly values: Float64Array[] = [];
  private readonly present: Uint8Array[] = [];
  private readonly byKey = new Map<string, number>();

  constructor(steps: Steps) {
    this.steps = steps;
  }

  /** The row of `labels`, made (with `dropName`) when new. */
  rowFor(labels: Labels, dropName: boolean): number {
    const key = labelsKey(labels);
    let row = this.byKey.get(key);
    if (row === undefined) {
      row = this.series.length;
      this.byKey.set(key, row);
      this.series.push({ labels, dropName });
      this.values.push(new Float64Array(this.steps.count));
      this.present.push(new Uint8Array(this.steps.count));
    }
    return row;
  }

  set(row: number, j: number, value: number): void {
    if (this.present[row][j] === 1) {
      throw new EvaluationError("vector cannot contain metrics with the same labelset");
    }
    this.present[row][j] = 1;
    this.values[row][j] = value;
  }

  /** The rows that got a sample, in the order they were made. */
  toBlock(): VectorBlock {
    const n = this.steps.count;
    const keep: number[] = [];
    for (let r = 0; r < this.series.length; r++) {
      if (this.present[r].includes(1)) keep.push(r);
    }
    const values = new Float64Array(keep.length * n);
    const present = new Uint8Array(keep.length * n);
    keep.forEach((r, i) => {
      values.set(this.values[r], i * n);
      present.set(this.present[r], i * n);
    });
    return {
      type: "vector",
      steps: this.steps,
      series: keep.map((r) => this.series[r]),
      values,
      present,
    };
  }
}
