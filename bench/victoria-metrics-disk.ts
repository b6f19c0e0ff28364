// Drives the real VictoriaMetrics from the Debian archive to measure how many
// bytes on disk it spends per datapoint: the samples are imported over HTTP,
// flushed and merged, and the data directory measured once it stops
// changing. Everything runs on loopback, under a work directory the caller
// passes in, with every wait bounded.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ExternalToolError } from "../test/support/debian-packages.js";
import type { DiskFigures } from "./disk-figures.js";
import {
  duBytes,
  exitedEarly,
  freeLoopbackPort,
  httpGet,
  httpPost,
  httpRequest,
  peakRssBytes,
  readTail,
  sleep,
  stopProcess,
  treeBytes,
} from "./external-tools.js";
import { checkTimeMs, formatValue, type SampleStream, seriesPrefix } from "./samples.js";

/** Bounds of every wait below. */
const LIMITS = {
  startMs: 60_000,
  stopMs: 60_000,
  mergeMaxMs: 10 * 60_000,
  /** The data directory must keep one size this long to count as merged. */
  stableMs: 6_000,
  pollMs: 1_000,
  /** Force-merge requests before accepting more than one data part per partition. */
  mergeRounds: 5,
  /** Import request body size; VictoriaMetrics reads bodies in a stream, this only bounds our memory. */
  importBodyBytes: 8 << 20,
} as const;

/**
 * Starts `victoria-metrics` on a free loopback port with its data under
 * `workDir/vm`, imports the samples through /api/v1/import/prometheus (text
 * exposition lines with ms timestamps), forces a flush and a merge, waits
 * until the data directory stops changing, stops the server and measures.
 * `bytes` counts `data/` (the samples) and `indexdb/` (the label index);
 * `whole` is the whole -storageDataPath as du counts it except `cache/`,
 * which holds caches VictoriaMetrics saves on shutdown and rebuilds from
 * data/ and indexdb/ when it is missing (it is in `wholeParts` all the same).
 * The retention is 100 years because VictoriaMetrics counts it back from the
 * wall clock and the samples may lie years in the past; it does not change
 * how a partition is stored.
 */
export async function victoriaMetricsDiskBytes(
  stream: SampleStream,
  workDir: string,
): Promise<DiskFigures> {
  const dataPath = path.join(workDir, "vm");
  fs.mkdirSync(dataPath, { recursive: true });
  const port = await freeLoopbackPort();
  const base = `http://127.0.0.1:${port}`;
  const logPath = path.join(workDir, "victoria-metrics.log");
  const log = fs.openSync(logPath, "w");
  const vm = spawn(
    "victoria-metrics",
    [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${dataPath}`,
      // The samples may lie years in the past; anything outside retention is dropped.
      "-retentionPeriod=100y",
      "-loggerLevel=WARN",
    ],
    { stdio: ["ignore", log, log] },
  );
  const stepSeconds: Record<string, number> = {};
  let dataParts = { parts: 0, partitions: 0 };
  let datapoints = 0;
  let peak = -1;
  let importS = 0;
  try {
    let t0 = performance.now();
    await waitForHealth(vm, base, logPath);
    stepSeconds.start = (performance.now() - t0) / 1000;

    t0 = performance.now();
    const sent = await importPrometheusText(stream, `${base}/api/v1/import/prometheus`);
    datapoints = sent.points;
    await httpGet(`${base}/internal/force_flush`);
    importS = (performance.now() - t0) / 1000;
    stepSeconds.import = importS;

    t0 = performance.now();
    // /internal/force_merge returns at once and merges in the background, and a
    // part still being flushed can miss it: repeat until each partition holds
    // one part (bounded).
    for (let round = 1; ; round++) {
      await httpGet(`${base}/internal/force_merge`);
      await waitForStableSize(vm, dataPath, logPath);
      dataParts = countDataParts(path.join(dataPath, "data"));
      if (dataParts.parts <= dataParts.partitions || round === LIMITS.mergeRounds) break;
    }
    stepSeconds.merge_wait = (performance.now() - t0) / 1000;

    await checkStored(base, stream, sent, logPath);
    peak = peakRssBytes(vm.pid);
  } finally {
    const t0 = performance.now();
    await stopProcess(vm, LIMITS.stopMs);
    fs.closeSync(log);
    stepSeconds.stop = (performance.now() - t0) / 1000;
  }
  const parts: Record<string, number> = {};
  for (const entry of fs.readdirSync(dataPath, { withFileTypes: true })) {
    const p = path.join(dataPath, entry.name);
    parts[entry.name] = entry.isDirectory() ? treeBytes(p) : fs.statSync(p).size;
  }
  parts.total = treeBytes(dataPath);
  const bytes = (parts.data ?? 0) + (parts.indexdb ?? 0);
  const counts = {
    data_parts: dataParts.parts,
    data_partitions: dataParts.partitions,
    server_peak_rss_bytes: peak,
  };
  const wholeParts: Record<string, { apparentBytes: number; allocatedBytes: number }> = {};
  const whole = duBytes(dataPath);
  for (const name of fs.readdirSync(dataPath).sort()) {
    const du = duBytes(path.join(dataPath, name));
    wholeParts[name] = du;
    if (name === "cache") {
      whole.apparentBytes -= du.apparentBytes;
      whole.allocatedBytes -= du.allocatedBytes;
    }
  }
  return { bytes, datapoints, seconds: importS, parts, stepSeconds, counts, whole, wholeParts };
}

/** What an import sent: datapoints, and the range and metric names they cover. */
interface Sent {
  points: number;
  minMs: number;
  maxMs: number;
}

/** POSTs the stream as Prometheus text lines with ms timestamps, chunk by chunk, in bounded bodies. */
async function importPrometheusText(stream: SampleStream, url: string): Promise<Sent> {
  const prefixes = stream.labels.map((labels) => `${seriesPrefix(labels)} `);
  const sent: Sent = {
    points: 0,
    minMs: Number.POSITIVE_INFINITY,
    maxMs: Number.NEGATIVE_INFINITY,
  };
  let body = "";
  const send = async () => {
    await httpRequest(url, "victoria-metrics", body);
    body = "";
  };
  for (const chunk of stream.chunks()) {
    const { offsets, timesMs, values } = chunk;
    for (let s = 0; s < prefixes.length; s++) {
      const prefix = prefixes[s];
      for (let i = offsets[s]; i < offsets[s + 1]; i++) {
        const t = timesMs[i];
        checkTimeMs(t);
        if (t < sent.minMs) sent.minMs = t;
        if (t > sent.maxMs) sent.maxMs = t;
        body += `${prefix}${formatValue(values[i])} ${t}\n`;
        if (body.length >= LIMITS.importBodyBytes) await send();
      }
    }
    sent.points += offsets[prefixes.length];
  }
  if (body.length > 0) await send();
  return sent;
}

async function waitForHealth(vm: ChildProcess, base: string, logPath: string): Promise<void> {
  const deadline = performance.now() + LIMITS.startMs;
  while (performance.now() < deadline) {
    const early = exitedEarly(vm, "victoria-metrics", logPath);
    if (early !== null) throw early;
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet: try again below.
    }
    await sleep(200);
  }
  throw new ExternalToolError({
    tool: "victoria-metrics",
    action: "start",
    detail: `no healthy /health within ${LIMITS.startMs} ms; log:\n${readTail(logPath)}`,
  });
}

/** Waits until the directory's size stays the same for LIMITS.stableMs (bounded). */
async function waitForStableSize(vm: ChildProcess, dir: string, logPath: string): Promise<void> {
  const deadline = performance.now() + LIMITS.mergeMaxMs;
  let last = -1;
  let stableSince = performance.now();
  while (performance.now() < deadline) {
    const early = exitedEarly(vm, "victoria-metrics", logPath);
    if (early !== null) throw early;
    const size = treeBytes(dir);
    if (size !== last) {
      last = size;
      stableSince = performance.now();
    } else if (performance.now() - stableSince >= LIMITS.stableMs) {
      return;
    }
    await sleep(LIMITS.pollMs);
  }
  throw new ExternalToolError({
    tool: "victoria-metrics",
    action: "force_merge",
    detail: `data directory still changing after ${LIMITS.mergeMaxMs} ms`,
  });
}

/**
 * Checks that VictoriaMetrics holds every series and every datapoint sent:
 * the series through /api/v1/series, the points by a count_over_time query
 * whose window covers all of them.
 */
async function checkStored(
  base: string,
  stream: SampleStream,
  sent: Sent,
  logPath: string,
): Promise<void> {
  const names = new Set<string>();
  for (const labels of stream.labels)
    for (const [k, v] of labels) if (k === "__name__") names.add(v);
  const startS = Math.floor(sent.minMs / 1000) - 1;
  const endS = Math.ceil(sent.maxMs / 1000) + 1;
  const selector = `{__name__=~"${[...names].join("|")}"}`;
  const series = JSON.parse(
    await httpPost(`${base}/api/v1/series`, { "match[]": selector, start: startS, end: endS }),
  ) as { data?: unknown[] };
  const seriesFound = Array.isArray(series.data) ? series.data.length : -1;
  const query = `sum(count_over_time(${selector}[${endS - startS + 1}s]))`;
  const counted = JSON.parse(await httpPost(`${base}/api/v1/query`, { query, time: endS })) as {
    data?: { result?: { value?: [number, string] }[] };
  };
  const pointsFound = Number(counted.data?.result?.[0]?.value?.[1] ?? Number.NaN);
  if (seriesFound !== stream.labels.length || pointsFound !== sent.points) {
    throw new ExternalToolError({
      tool: "victoria-metrics",
      action: "import",
      detail:
        `holds ${seriesFound} series and ${pointsFound} datapoints, ` +
        `sent ${stream.labels.length} and ${sent.points}; log:\n${readTail(logPath)}`,
    });
  }
}

/**
 * Parts and partitions of VictoriaMetrics' `data/` directory (1.79 layout:
 * data/{small,big}/<YYYY_MM partition>/<part>/, besides snapshots/ and tmp/).
 */
function countDataParts(dataDir: string): { parts: number; partitions: number } {
  const skip = new Set(["snapshots", "tmp", "txn"]);
  const partitions = new Set<string>();
  let parts = 0;
  for (const size of ["small", "big"]) {
    const sizeDir = path.join(dataDir, size);
    if (!fs.existsSync(sizeDir)) continue;
    for (const partition of fs.readdirSync(sizeDir, { withFileTypes: true })) {
      if (!partition.isDirectory() || skip.has(partition.name)) continue;
      const partitionDir = path.join(sizeDir, partition.name);
      for (const part of fs.readdirSync(partitionDir, { withFileTypes: true })) {
        if (!part.isDirectory() || skip.has(part.name)) continue;
        parts++;
        partitions.add(partition.name);
      }
    }
  }
  return { parts, partitions: partitions.size };
}
