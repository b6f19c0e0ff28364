// `npm run bench:compare-disk`: bytes on disk per datapoint of the real
// Prometheus (promtool-built blocks) and VictoriaMetrics for the realistic
// mix of bench/mix-samples.ts (bench/datasets.ts stretched to whole days). Prints `name value unit`
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
import { ensureDebianPackages } from "../test/support/debian-packages.js";
import { BLOCK_START_MS } from "./datasets.js";
import { printDiskFigures } from "./disk-figures.js";
import { BLOCK_MS, mixSamples } from "./mix-samples.js";
import { prometheusDiskBytes } from "./prometheus-disk.js";
import { samplesStream } from "./samples.js";
import { victoriaMetricsDiskBytes } from "./victoria-metrics-disk.js";

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

  const samples = samplesStream(mixSamples(seriesCount, hours), BLOCK_START_MS, BLOCK_MS);

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "m3ts-compare-disk-"));
  try {
    const prom = await prometheusDiskBytes(samples, path.join(workDir, "prometheus"), {
      compact: values.compact,
    });
    printDiskFigures("prometheus", prom);
    const vm = await victoriaMetricsDiskBytes(samples, path.join(workDir, "victoriametrics"));
    printDiskFigures("victoriametrics", vm);
  } finally {
    if (values.keep) console.error(`kept work directory ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
