// The realistic series mix of bench/datasets.ts stretched to whole days, as
// labelled samples: what the disk benchmarks store in m3ts, Prometheus and
// VictoriaMetrics alike.
import { type DatasetName, HISTOGRAM_BOUNDS, MIX_WEIGHTS, makeDataset } from "./datasets.js";
import type { Samples } from "./samples.js";

/** The generator's block: 720 points at 10 s. */
export const BLOCK_MS = 7_200_000;
export const BLOCK_POINTS = 720;
/** Series of one metric name spread over this many `instance` values. */
const INSTANCES_PER_METRIC = 10;

/**
 * `seriesCount` series of the mix (by MIX_WEIGHTS), each `hours` long (a
 * whole multiple of 2) from the datasets' BLOCK_START_MS, labelled
 * `__name__`, `instance`, `job` and, for histogram buckets, `le`.
 */
export function mixSamples(seriesCount: number, hours: number): Samples {
  if (!Number.isInteger(hours) || hours < 2 || hours % 2 !== 0) {
    throw new RangeError(`hours must be a positive multiple of 2, got ${hours}`);
  }
  const samples: Samples = { series: [] };
  for (const [kind, count] of seriesPerKind(seriesCount)) {
    for (const s of stitched(kind, count, hours / 2)) samples.series.push(s);
  }
  return samples;
}

/**
 * Series counts per kind for `total` series, by MIX_WEIGHTS; histograms are
 * rounded to whole histograms (12 buckets) and the rest goes to counters.
 */
function seriesPerKind(total: number): Map<DatasetName, number> {
  const kinds = Object.keys(MIX_WEIGHTS) as (keyof typeof MIX_WEIGHTS)[];
  const out = new Map<DatasetName, number>();
  let left = total;
  for (const kind of kinds) {
    if (kind === "counter") continue;
    let n = Math.round(total * MIX_WEIGHTS[kind]);
    if (kind === "histogram") n = Math.round(n / HISTOGRAM_BOUNDS.length) * HISTOGRAM_BOUNDS.length;
    n = Math.min(n, left);
    out.set(kind, n);
    left -= n;
  }
  out.set("counter", left);
  return out;
}

/**
 * `count` series of `kind`, each `blocks` consecutive 2-hour series of the
 * generator stitched end to end: times shift by one block each, and values
 * continue from the previous block's last value (counters and histogram
 * buckets keep increasing, gauges keep walking); constants keep one value.
 */
export function stitched(kind: DatasetName, count: number, blocks: number): Samples["series"] {
  const out: Samples["series"] = [];
  if (count === 0) return out;
  const group = kind === "histogram" ? HISTOGRAM_BOUNDS.length : 1;
  // Source series (g * blocks + b) * group + m is member m of group g in block b,
  // so a histogram's buckets stay together across blocks.
  const ds = makeDataset(kind, count * blocks * BLOCK_POINTS);
  for (let g = 0; g < count / group; g++) {
    for (let m = 0; m < group; m++) {
      const timesMs = new Float64Array(blocks * BLOCK_POINTS);
      const values = new Float64Array(blocks * BLOCK_POINTS);
      let carry = 0;
      for (let b = 0; b < blocks; b++) {
        const src = ((g * blocks + b) * group + m) * BLOCK_POINTS;
        const first = ds.values[src];
        for (let i = 0; i < BLOCK_POINTS; i++) {
          const at = b * BLOCK_POINTS + i;
          timesMs[at] = ds.timesMs[src + i] + b * BLOCK_MS;
          const v = ds.values[src + i];
          if (kind === "constant") values[at] = ds.values[g * blocks * BLOCK_POINTS];
          else if (b === 0) values[at] = v;
          else if (kind === "gauge2dp")
            values[at] = Math.round((carry + v - first) * 100) / 100 + 0;
          else values[at] = carry + (v - first);
        }
        carry = values[(b + 1) * BLOCK_POINTS - 1];
      }
      const metric = Math.floor(g / INSTANCES_PER_METRIC);
      const labels: [string, string][] = [
        [
          "__name__",
          kind === "histogram" ? `bench_histogram_${metric}_bucket` : `bench_${kind}_${metric}`,
        ],
        ["instance", `host-${g % INSTANCES_PER_METRIC}`],
        ["job", "bench"],
      ];
      if (kind === "histogram") labels.push(["le", formatLe(HISTOGRAM_BOUNDS[m])]);
      out.push({ labels, timesMs, values });
    }
  }
  return out;
}

function formatLe(bound: number): string {
  return bound === Number.POSITIVE_INFINITY ? "+Inf" : String(bound);
}
