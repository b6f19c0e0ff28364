// Drives the real Prometheus from the Debian archive to measure how many bytes
// on disk it spends per datapoint: promtool builds TSDB blocks from the
// samples, and a prometheus server may compact them. Everything runs on
// loopback, under a work directory the caller passes in, with every wait
// bounded.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ExternalToolError } from "../test/support/debian-packages.js";
import type { DiskFigures } from "./disk-figures.js";
import {
  exitedEarly,
  freeLoopbackPort,
  httpGet,
  readTail,
  runTool,
  sleep,
  stopProcess,
  treeBytes,
} from "./external-tools.js";
import { checkTimeMs, formatSeconds, formatValue, type Samples, seriesPrefix } from "./samples.js";

/** Bounds of every wait below. */
const LIMITS = {
  promtoolMs: 60 * 60_000,
  /** Prometheus compacts on a 1-minute tick; this bounds the whole compaction run. */
  compactMaxMs: 10 * 60_000,
  /** Blocks and compaction count must stay unchanged this long after the first trigger. */
  compactStableMs: 15_000,
  pollMs: 1_000,
  stopMs: 60_000,
  /** Text buffered before one write to the OpenMetrics file. */
  fileChunkChars: 4 << 20,
} as const;

/**
 * Writes the samples as OpenMetrics text, turns them into TSDB blocks with
 * `promtool tsdb create-blocks-from openmetrics`, and sums the sizes of every
 * file of the blocks (chunks, index, meta.json, tombstones; apparent
 * sizes). Debian's promtool 2.42 has no --max-block-duration flag: it cuts
 * one block per 2 hours of data and cannot compact them; pass
 * `compact: true` to open the blocks with a real `prometheus` server, whose
 * compactor merges them into larger blocks, and measure after it is done.
 */
export async function prometheusDiskBytes(
  samples: Samples,
  workDir: string,
  options: { compact?: boolean } = {},
): Promise<DiskFigures> {
  fs.mkdirSync(workDir, { recursive: true });
  const inputPath = path.join(workDir, "samples.om.txt");
  const blocksDir = path.join(workDir, "blocks");
  let t0 = performance.now();
  const datapoints = writeOpenMetrics(samples, inputPath);
  const writeS = (performance.now() - t0) / 1000;
  const inputBytes = fs.statSync(inputPath).size;

  t0 = performance.now();
  await runTool(
    "promtool",
    ["tsdb", "create-blocks-from", "openmetrics", "--quiet", inputPath, blocksDir],
    LIMITS.promtoolMs,
  );
  const importS = (performance.now() - t0) / 1000;
  // The input text is not part of the store; drop it before a compaction run.
  fs.rmSync(inputPath);

  const stepSeconds: Record<string, number> = { write_openmetrics: writeS, promtool: importS };
  const parts: Record<string, number> = { openmetrics_input: inputBytes };
  for (const [block, bytes] of blockSizes(blocksDir)) parts[`uncompacted/${block}`] = bytes;
  let bytes = sumBlocks(blocksDir);
  let blocks = blockSizes(blocksDir).length;
  parts.uncompacted_total = bytes;
  if (options.compact === true) {
    t0 = performance.now();
    await compactWithPrometheus(blocksDir, workDir);
    stepSeconds.prometheus_compaction = (performance.now() - t0) / 1000;
    for (const [block, size] of blockSizes(blocksDir)) parts[`compacted/${block}`] = size;
    bytes = sumBlocks(blocksDir);
    parts.compacted_total = bytes;
    blocks = blockSizes(blocksDir).length;
  }
  return { bytes, datapoints, seconds: importS, parts, stepSeconds, counts: { blocks } };
}

/** Writes the samples as one OpenMetrics text file ending in `# EOF`; returns the datapoint count. */
function writeOpenMetrics(samples: Samples, filePath: string): number {
  const fd = fs.openSync(filePath, "w");
  let points = 0;
  try {
    let chunk = "";
    for (const series of samples.series) {
      const prefix = `${seriesPrefix(series.labels)} `;
      const { timesMs, values } = series;
      if (timesMs.length !== values.length) {
        throw new RangeError(
          `series ${prefix}has ${timesMs.length} times, ${values.length} values`,
        );
      }
      for (let i = 0; i < timesMs.length; i++) {
        checkTimeMs(timesMs[i]);
        chunk += `${prefix}${formatValue(values[i])} ${formatSeconds(timesMs[i])}\n`;
        if (chunk.length >= LIMITS.fileChunkChars) {
          fs.writeSync(fd, chunk);
          chunk = "";
        }
      }
      points += timesMs.length;
    }
    fs.writeSync(fd, `${chunk}# EOF\n`);
  } finally {
    fs.closeSync(fd);
  }
  return points;
}

/**
 * Opens the blocks with a `prometheus` server (loopback, no scrape targets,
 * 100-year retention) and lets its compactor merge them. The TSDB only
 * compacts on its reload tick (once a minute), so this waits for the first
 * trigger, then until the block list and the compaction counter have stayed
 * unchanged for LIMITS.compactStableMs, then stops the server.
 */
async function compactWithPrometheus(blocksDir: string, workDir: string): Promise<void> {
  const configPath = path.join(workDir, "prometheus.yml");
  fs.writeFileSync(configPath, "global:\n  scrape_interval: 1m\n");
  const port = await freeLoopbackPort();
  const base = `http://127.0.0.1:${port}`;
  const logPath = path.join(workDir, "prometheus.log");
  const log = fs.openSync(logPath, "w");
  const prom = spawn(
    "prometheus",
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${blocksDir}`,
      "--storage.tsdb.retention.time=100y",
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", log, log] },
  );
  try {
    const deadline = performance.now() + LIMITS.compactMaxMs;
    let lastState = "";
    let stableSince = performance.now();
    while (performance.now() < deadline) {
      const early = exitedEarly(prom, "prometheus", logPath);
      if (early !== null) throw early;
      let metrics = "";
      try {
        metrics = await httpGet(`${base}/metrics`);
      } catch {
        // Not listening yet: try again below.
      }
      const triggered = metricValue(metrics, "prometheus_tsdb_compactions_triggered_total");
      const done = metricValue(metrics, "prometheus_tsdb_compactions_total");
      const failed = metricValue(metrics, "prometheus_tsdb_compactions_failed_total");
      if (failed > 0) {
        throw new ExternalToolError({
          tool: "prometheus",
          action: "compact",
          detail: `${failed} compactions failed; log:\n${readTail(logPath)}`,
        });
      }
      const state = `${done} ${fs.readdirSync(blocksDir).sort().join(",")}`;
      if (state !== lastState) {
        lastState = state;
        stableSince = performance.now();
      } else if (triggered >= 1 && performance.now() - stableSince >= LIMITS.compactStableMs) {
        return;
      }
      await sleep(LIMITS.pollMs);
    }
    throw new ExternalToolError({
      tool: "prometheus",
      action: "compact",
      detail: `blocks still changing after ${LIMITS.compactMaxMs} ms; log:\n${readTail(logPath)}`,
    });
  } finally {
    await stopProcess(prom, LIMITS.stopMs);
    fs.closeSync(log);
  }
}

/** Sum of the samples of one metric in Prometheus text exposition (0 when absent). */
function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    const v = Number(rest.slice(rest.lastIndexOf(" ") + 1));
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

/** Size of each TSDB block (a directory holding meta.json) under `dir`. */
function blockSizes(dir: string): [string, number][] {
  const out: [string, number][] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && fs.existsSync(path.join(p, "meta.json"))) {
      out.push([entry.name, treeBytes(p)]);
    }
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

function sumBlocks(dir: string): number {
  let total = 0;
  for (const [, bytes] of blockSizes(dir)) total += bytes;
  return total;
}
