// `npm run bench:compare-disk`: bytes on disk per datapoint of the real
// Prometheus (promtool-built blocks) and VictoriaMetrics for the realistic
// mix of bench/datasets.ts, stretched to whole days. Prints `name value unit`
// lines. Needs root once, to install the Debian packages.
//
// Prometheus bytes are the TSDB blocks only (the OpenMetrics input and the
// server's empty WAL are left out); VictoriaMetrics bytes are its data/ and
// indexdb/ directories after a forced merge, without cache/ (rebuilt on
// start). Each store's other directories are printed as `part` lines.
//
// Options: --series N (default 1000), --hours N (whole multiple of 2, default
// 24), --keep (keep the work directories), --compact (let a prometheus server
// compact the 2-hour blocks promtool writes before measuring).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type DatasetName, HISTOGRAM_BOUNDS, MIX_WEIGHTS, makeDataset } from "./datasets.js";
import {
  type DiskFigures,
  ensureDebianPackages,
  prometheusDiskBytes,
  type Samples,
  victoriaMetricsDiskBytes,
} from "./external-tsdb.js";

const BLOCK_MS = 7_200_000;
const BLOCK_POINTS = 720;
/** Series of one metric name spread over this many `instance` values. */
const INSTANCES_PER_METRIC = 10;

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
function stitched(kind: DatasetName, count: number, blocks: number): Samples["series"] {
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

function print(store: string, f: DiskFigures): void {
  console.log(`storage.${store}.disk_bytes_per_dp ${(f.bytes / f.datapoints).toFixed(3)} bytes`);
  console.log(`storage.${store}.import_s ${f.seconds.toFixed(1)} s`);
  console.log(`storage.${store}.datapoints ${f.datapoints} dp`);
  for (const [part, bytes] of Object.entries(f.parts)) {
    console.log(`storage.${store}.part.${part}_bytes ${bytes} bytes`);
  }
  for (const [name, n] of Object.entries(f.counts)) {
    console.log(`storage.${store}.${name} ${n} count`);
  }
  for (const [step, seconds] of Object.entries(f.stepSeconds)) {
    console.log(`storage.${store}.step.${step}_s ${seconds.toFixed(1)} s`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      series: { type: "string", default: "1000" },
      hours: { type: "string", default: "24" },
      keep: { type: "boolean", default: false },
      compact: { type: "boolean", default: false },
    },
  });
  const seriesCount = Number(values.series);
  const hours = Number(values.hours);
  if (!Number.isInteger(seriesCount) || seriesCount < 1) {
    throw new Error(`--series must be a positive integer, got ${values.series}`);
  }
  if (!Number.isInteger(hours) || hours < 2 || hours % 2 !== 0) {
    throw new Error(`--hours must be a positive multiple of 2, got ${values.hours}`);
  }
  ensureDebianPackages(["prometheus", "victoria-metrics"]);

  const samples: Samples = { series: [] };
  for (const [kind, count] of seriesPerKind(seriesCount)) {
    for (const s of stitched(kind, count, hours / 2)) samples.series.push(s);
  }

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "m3ts-compare-disk-"));
  try {
    const prom = await prometheusDiskBytes(samples, path.join(workDir, "prometheus"), {
      compact: values.compact,
    });
    print("prometheus", prom);
    const vm = await victoriaMetricsDiskBytes(samples, path.join(workDir, "victoriametrics"));
    print("victoriametrics", vm);
  } finally {
    if (values.keep) console.error(`kept work directory ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
