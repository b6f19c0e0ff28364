// Test support: a querier over series held in arrays, matching as the index does.

import type { Querier, SelectLimits, SelectResult, StoredSeries } from "../engine-types.js";
import { type Labels, makeLabels } from "../labels.js";

/** Stands for Prometheus's stale marker in `seriesOf` (a NaN payload would not survive a plain array). */
export const STALE_POINT = "stale";

/** A series from its labels and [ms, value] points. */
export function seriesOf(
  labels: Record<string, string>,
  points: [number, number | typeof STALE_POINT][],
): StoredSeries {
  const values = new Float64Array(points.length);
  const words = new Uint32Array(values.buffer);
  points.forEach(([, v], i) => {
    if (v === STALE_POINT) {
      // 0x7ff0000000000002, little-endian words.
      words[2 * i] = 0x00000002;
      words[2 * i + 1] = 0x7ff00000;
    } else values[i] = v;
  });
  return {
    labels: makeLabels(Object.entries(labels)),
    timesMs: Float64Array.from(points, (p) => p[0]),
    values,
    count: points.length,
  };
}

function labelValue(labels: Labels, name: string): string {
  return labels.find((l) => l.name === name)?.value ?? "";
}

/** A querier answering from `series`; `selects` records every call's range, `limits` its series limits. */
export function arrayQuerier(series: StoredSeries[]): Querier & {
  selects: { startMs: number; endMs: number }[];
  limits: SelectLimits[];
} {
  const selects: { startMs: number; endMs: number }[] = [];
  const limits: SelectLimits[] = [];
  return {
    selects,
    limits,
    async select(matchers, startMs, endMs, _signal, l) {
      selects.push({ startMs, endMs });
      limits.push({ ...l });
      const out: StoredSeries[] = [];
      for (const s of series) {
        if (!matchers.every((m) => m.matches(labelValue(s.labels, m.name)))) continue;
        let from = 0;
        while (from < s.count && s.timesMs[from] < startMs) from++;
        let to = from;
        while (to < s.count && s.timesMs[to] <= endMs) to++;
        if (to === from) continue;
        out.push({
          labels: s.labels,
          timesMs: s.timesMs.subarray(from, to),
          values: s.values.subarray(from, to),
          count: to - from,
        });
      }
      const result: SelectResult = { series: out, warnings: [], limited: [], namespaces: ["test"] };
      return result;
    },
  };
}
