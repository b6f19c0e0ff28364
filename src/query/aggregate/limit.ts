// limitk and limit_ratio: a subset of the input rows, unchanged, per step.
// limitk takes the first k rows of each group present at the step (in input
// order, as Prometheus does); limit_ratio takes a row when its label hash,
// scaled to [0, 1), falls under the ratio (or, for a negative ratio, at or
// above 1 + ratio), so that limit_ratio(r) and limit_ratio(r - 1) split the
// series in two complementary parts.

import type { SeriesMeta, VectorBlock } from "../block.js";
import type { Labels } from "../labels.js";
import type { GroupAssignment } from "./grouping.js";
import { xxhash64 } from "./xxhash64.js";

const encoder = new TextEncoder();

/** Prometheus's stringlabels encoding of a label set (the bytes labels.Hash() hashes). */
function labelBytes(labels: Labels): Uint8Array {
  const parts: number[] = [];
  const put = (s: string) => {
    const b = encoder.encode(s);
    if (b.length < 255) parts.push(b.length);
    else parts.push(255, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff);
    for (const x of b) parts.push(x);
  };
  for (const l of labels) {
    put(l.name);
    put(l.value);
  }
  return Uint8Array.from(parts);
}

/** A row's sampling offset in [0, 1]: its label hash divided by the largest uint64. */
export function ratioOffset(labels: Labels): number {
  // float64(math.MaxUint64) is 2^64.
  return Number(xxhash64(labelBytes(labels))) / 2 ** 64;
}

/** Whether a row at `offset` is kept by ratio r in [-1, 1]. */
export function keptByRatio(r: number, offset: number): boolean {
  return (r >= 0 && offset < r) || (r < 0 && offset >= 1 + r);
}

/** The rows of `input` with only the samples `take` chose, rows never chosen left out. */
function subset(input: VectorBlock, chosen: Uint8Array): VectorBlock {
  const n = input.steps.count;
  const rows: number[] = [];
  for (let r = 0; r < input.series.length; r++) {
    for (let j = 0; j < n; j++) {
      if (chosen[r * n + j] === 1) {
        rows.push(r);
        break;
      }
    }
  }
  const values = new Float64Array(rows.length * n);
  const present = new Uint8Array(rows.length * n);
  const series: SeriesMeta[] = rows.map((r) => ({
    labels: input.series[r].labels,
    dropName: input.series[r].dropName,
  }));
  rows.forEach((r, i) => {
    for (let j = 0; j < n; j++) {
      if (chosen[r * n + j] === 0) continue;
      values[i * n + j] = input.values[r * n + j];
      present[i * n + j] = 1;
    }
  });
  return { type: "vector", steps: input.steps, series, values, present };
}

/** limitk: per step and group, the first k rows with a sample. */
export function limitK(
  input: VectorBlock,
  assignment: GroupAssignment,
  k: Float64Array,
): VectorBlock {
  const n = input.steps.count;
  const rows = input.series.length;
  const chosen = new Uint8Array(rows * n);
  const taken = new Float64Array(assignment.groupLabels.length);
  for (let j = 0; j < n; j++) {
    const kj = Math.min(Math.trunc(k[j]), rows);
    if (kj < 1) continue;
    taken.fill(0);
    for (let r = 0; r < rows; r++) {
      if (input.present[r * n + j] === 0) continue;
      const g = assignment.groupOf[r];
      if (taken[g] < kj) {
        taken[g]++;
        chosen[r * n + j] = 1;
      }
    }
  }
  return subset(input, chosen);
}

/** limit_ratio: per step, the rows whose label hash falls within the ratio (capped to ±1). */
export function limitRatio(input: VectorBlock, ratio: Float64Array): VectorBlock {
  const n = input.steps.count;
  const rows = input.series.length;
  const chosen = new Uint8Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let offset = -1;
    for (let j = 0; j < n; j++) {
      if (input.present[r * n + j] === 0 || ratio[j] === 0) continue;
      if (offset < 0) offset = ratioOffset(input.series[r].labels);
      const rj = Math.max(-1, Math.min(1, ratio[j]));
      if (keptByRatio(rj, offset)) chosen[r * n + j] = 1;
    }
  }
  return subset(input, chosen);
}
