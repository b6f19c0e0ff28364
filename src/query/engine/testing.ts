// Test support: a querier over series held in arrays, matching as the index does.

import type { Querier, SelectResult, StoredSeries } from "../engine-types.js";
import { type Labels, makeLabels } from "../labels.js";

/** A series from its labels and [ms, value] points. */
export function seriesOf(labels: Record<string, string>, points: [number, number][]): StoredSeries {
  return {
    labels: makeLabels(Object.entries(labels)),
    timesMs: Float64Array.from(points, (p) => p[0]),
    values: Float64Array.from(points, (p) => p[1]),
    count: points.length,
  };
}

function labelValue(labels: Labels, name: string): string {
  return labels.find((l) => l.name === name)?.value ?? "";
}

/** A querier answering from `series`; `selects` records every call. */
export function arrayQuerier(
  series: StoredSeries[],
): Querier & { selects: { startMs: number; endMs: number }[] } {
  const selects: { startMs: number; endMs: number }[] = [];
  return {
    selects,
    async select(matchers, startMs, endMs) {
      selects.push({ startMs, endMs });
      const out: StoredSeries[] = [];
      for (const s of series) {
        if (!matchers.every((m) => m.matches(labelValue(s.labels, m.name)))) continue;
        const keep: number[] = [];
        for (let i = 0; i < s.count; i++)
          if (s.timesMs[i] >= startMs && s.timesMs[i] <= endMs) keep.push(i);
        if (keep.length === 0) continue;
        out.push({
          labels: s.labels,
          timesMs: Float64Array.from(keep, (i) => s.timesMs[i]),
          values: Float64Array.from(keep, (i) => s.values[i]),
          count: keep.length,
        });
      }
      const result: SelectResult = { series: out, warnings: [], limited: [], namespaces: ["test"] };
      return result;
    },
  };
}
