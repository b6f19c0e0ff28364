// Test helpers the rooms share: label sets and vector blocks written as
// literal rows of cells.

import type { Steps, VectorBlock } from "./block.js";
import { emptyStats, type QueryResult, type QueryValue } from "./engine-types.js";
import { type Labels, makeLabels } from "./labels.js";

/** One sample of a literal row: a value, or null where the row has none. */
export type Cell = number | null;

/** A literal row: its labels and its cells, one per step. */
export type LiteralRow = [Record<string, string>, Cell[]];

export function lbls(spec: Record<string, string>): Labels {
  return makeLabels(Object.entries(spec));
}

/** A vector block at `steps` from literal rows (a row's cell j is step j). */
export function vectorOf(steps: Steps, rows: LiteralRow[], dropName = false): VectorBlock {
  const n = steps.count;
  const values = new Float64Array(rows.length * n);
  const present = new Uint8Array(rows.length * n);
  rows.forEach(([, cells], r) => {
    cells.forEach((v, j) => {
      if (v === null) return;
      values[r * n + j] = v;
      present[r * n + j] = 1;
    });
  });
  const series = rows.map(([labels]) => ({ labels: lbls(labels), dropName }));
  return { type: "vector", steps, series, values, present };
}

/** The result an engine gives for a value, with zero stats. */
export function resultOf(value: QueryValue, extra: Partial<QueryResult> = {}): QueryResult {
  return {
    value,
    warnings: [],
    infos: [],
    stats: emptyStats(),
    seriesFetched: 0,
    limited: [],
    namespaces: [],
    ...extra,
  };
}
