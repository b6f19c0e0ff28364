// Drives the real Prometheus from the Debian archive to measure how many bytes
// on disk it spends per datapoint: promtool builds TSDB blocks from the
// samples, and a prometheus server may compact them. Everything runs on
// loopback, under a work directory the caller passes in, with every wait
// bounded.
//
// The OpenMetrics text of a week of real-shaped samples (90 M lines with
// full label sets) is about 20 GB, so it is never written whole: each
// 2-hour chunk of the stream goes to its own file and its own promtool run
// into the same TSDB directory, and the file is deleted as soon as its run
// ends. promtool cuts blocks on the 2-hour grid and the chunks are cut on
// the same grid, so the runs' blocks never overlap. The next chunk's file
// is written while promtool reads the current one, so at most two input
// files (about 230 MB each for 1 500 series) exist at once.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ExternalToolError } from "../test/support/debian-packages.js";
import type { DiskFigures } from "./disk-figures.js";
import {
  duBytes,
  duTopLevel,
  exitedEarly,
  freeLoopbackPort,
  httpGet,
  peakRssBytes,
  readTail,
  runTool,
  sleep,
  stopProcess,
  treeBytes,
} from "./external-tools.js";
import {
  checkTimeMs,
  formatSeconds,
  formatValue,
  type SampleChunk,
  type SampleStream,
  seriesPrefix,
} from "./samples.js";

/** Bounds of every wait below. */
const LIMITS = {
  /** One promtool run over one chunk's file. */
  promtoolMs: 30 * 60_000,
  /** Prometheus compacts on a 1-minute tick; this bounds the whole compaction run. */
  compactMaxMs: 30 * 60_000,
  /** Blocks and compaction count must stay unchanged this long after the first trigger. */
  compactStableMs: 15_000,
  pollMs: 1_000,
  stopMs: 60_000,
  /** Text buffered before one write to an OpenMetrics file. */
  fileChunkChars: 4 << 20,
} as const;

/**
 * Writes each chunk of the stream as OpenMetrics text, turns it into TSDB
 * blocks with `promtool tsdb create-blocks-from openmetrics`, and measures.
 * `bytes` is the sum of the blocks' files (chunks, index, meta.json,
 * tombstones; apparent sizes); `whole` is the whole TSDB directory as du
 * counts it (blocks, wal, chunks_head, lock and the rest). Debian's
 * promtool 2.42 has no --max-block-duration flag: it cuts one block per 2
 * hours and cannot compact them; pass `compact: true` to open the blocks
 * with a real `prometheus` server with its default retention (15 days,
 * counted back from the newest block, not from the wall clock), whose
 * compactor merges them as it would its own, and measure after it is done.
 */
export async function prometheusDiskBytes(
  stream: SampleStream,
  workDir: string,
  options: { compact?: boolean } = {},
): Promise<DiskFigures> {
  fs.mkdirSync(workDir, { recursive: true });
  const blocksDir = path.join(workDir, "tsdb");
  fs.mkdirSync(blocksDir, { recursive: true });
  const prefixes = stream.labels.map((labels) => `${seriesPrefix(labels)} `);
  let writeS = 0;
  let promtoolS = 0;
  let inputBytes = 0;
  let datapoints = 0;
  let running: Promise<void> | null = null;
  let t0 = performance.now();
  let index = 0;
  for (const chunk of stream.chunks()) {
    const inputPath = path.join(workDir, `chunk-${index++}.om.txt`);
    const w0 = performance.now();
    datapoints += writeOpenMetrics(chunk, prefixes, inputPath);
    writeS += (performance.now() - w0) / 1000;
    inputBytes += fs.statSync(inputPath).size;
    if (running !== null) await running;
    running = promtool(inputPath, blocksDir);
    // Awaited before the next run starts; until then a failure must not count as unhandled.
    running.catch(() => {});
  }
  if (running !== null) await running;
  promtoolS = (performance.now() - t0) / 1000 - writeS;
  const importS = (performance.now() - t0) / 1000;

  const stepSeconds: Record<string, number> = {
    write_openmetrics: writeS,
    promtool_beyond_writes: promtoolS,
  };
  const parts: Record<string, number> = { openmetrics_input: inputBytes };
  let bytes = sumBlocks(blocksDir);
  parts.uncompacted_total = bytes;
  const counts: Record<string, number> = {
    uncompacted_blocks: blockSizes(blocksDir).length,
    input_files: index,
  };
  if (options.compact === true) {
    t0 = performance.now();
    counts.server_peak_rss_bytes = await compactWithPrometheus(blocksDir, workDir);
    stepSeconds.prometheus_compaction = (performance.now() - t0) / 1000;
    bytes = sumBlocks(blocksDir);
    parts.compacted_total = bytes;
  }
  const sizes = blockSizes(blocksDir);
  counts.blocks = sizes.length;
  if (sizes.length > 0) {
    parts.largest_block = Math.max(...sizes.map(([, b]) => b));
  }
  return {
    bytes,
    datapoints,
    seconds: importS,
    parts,
    stepSeconds,
    counts,
    whole: duBytes(blocksDir),
    wholeParts: groupBlocks(duTopLevel(blocksDir)),
  };
}

/** du of the top-level entries with every block directory summed under `blocks`. */
function groupBlocks(
  top: Record<string, { apparentBytes: number; allocatedBytes: number }>,
): Record<string, { apparentBytes: number; allocatedBytes: number }> {
  const out: Record<string, { apparentBytes: number; allocatedBytes: number }> = {};
  const blocks = { apparentBytes: 0, allocatedBytes: 0 };
  for (const [name, du] of Object.entries(top)) {
    // Block directories are ULIDs: 26 characters of Crockford base32.
    if (/^[0-9A-HJKMNP-TV-Z]{26}$/.test(name)) {
      blocks.apparentBytes += du.apparentBytes;
      blocks.allocatedBytes += du.allocatedBytes;
    } else out[name] = du;
  }
  out.blocks = blocks;
  return out;
}

/** One promtool run over `inputPath` into `blocksDir`; the input is deleted when it ends. */
async function promtool(inputPath: string, blocksDir: string): Promise<void> {
  try {
    await runTool(
      "promtool",
      ["tsdb", "create-blocks-from", "openmetrics", "--quiet", inputPath, blocksDir],
      LIMITS.promtoolMs,
    );
  } finally {
    fs.rmSync(inputPath, { force: true });
  }
}

/** Writes one chunk as an OpenMetrics text file ending in `# EOF`; returns its datapoint count. */
function writeOpenMetrics(chunk: SampleChunk, prefixes: string[], filePath: string): number {
  const fd = fs.openSync(filePath, "w");
  try {
    let text = "";
    const { offsets, timesMs, values } = chunk;
    for (let s = 0; s < prefixes.length; s++) {
      const prefix = prefixes[s];
      for (let i = offsets[s]; i < offsets[s + 1]; i++) {
        checkTimeMs(timesMs[i]);
        text += `${prefix}${formatValue(values[i])} ${formatSeconds(timesMs[i])}\n`;
        if (text.length >= LIMITS.fileChunkChars) {
          fs.writeSync(fd, text);
          text = "";
        }
      }
    }
    fs.writeSync(fd, `${text}# EOF\n`);
  } finally {
    fs.closeSync(fd);
  }
  return chunk.offsets[prefixes.length];
}

/**
 * Opens the blocks with a `prometheus` server (loopback, no scrape targets,
 * default retention) and lets its compactor merge them. The TSDB only
 * compacts on its reload tick (once a minute), so this waits for the first
 * trigger, then until the block list and the compaction counter have stayed
 * unchanged for LIMITS.compactStableMs, then stops the server. Returns the
 * server's peak resident memory in bytes (-1 if unknown).
 */
async function compactWithPrometheus(blocksDir: string, workDir: string): Promise<number> {
  const configPath = path.join(workDir, "prometheus.yml");
  fs.writeFileSync(configPath, "global:\n  scrape_interval: 1m\n");
  const port = await freeLoopbackPort();
  const base = `http://127.0.0.1:${port}`;
  const logPath = path.join(workDir, "prometheus.log");
  const log = fs.openSync(logPath, "w");
  const prom: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${blocksDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", log, log] },
  );
  let peak = -1;
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
        peak = peakRssBytes(prom.pid);
        return peak;
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
