// Drives the real Prometheus (promtool) and VictoriaMetrics binaries from the
// Debian archive to measure how many bytes on disk they spend per datapoint,
// for comparison benchmarks. Everything runs on loopback, under a work
// directory the caller passes in, with every wait bounded.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { ExternalToolError } from "../test/support/debian-packages.js";

/** Series to store: each one's labels (with `__name__`) and its points, times in epoch ms. */
export interface Samples {
  series: { labels: [string, string][]; timesMs: Float64Array; values: Float64Array }[];
}

/** What one store spent on disk for the samples, and how long the ingest took. */
export interface DiskFigures {
  /** Bytes counted as the store's data (see each function for what is included). */
  bytes: number;
  datapoints: number;
  /** Wall time of the ingest step, in seconds. */
  seconds: number;
  /** Every measured part, in bytes, by name (blocks, directories). */
  parts: Record<string, number>;
  /** Other timings of the run, in seconds, by step. */
  stepSeconds: Record<string, number>;
  /** Counts of the measured layout (blocks, parts), by name. */
  counts: Record<string, number>;
}

/** Bounds of every wait below. */
const LIMITS = {
  promtoolMs: 60 * 60_000,
  vmStartMs: 60_000,
  vmStopMs: 60_000,
  vmMergeMaxMs: 10 * 60_000,
  /** The data directory must keep one size this long to count as merged. */
  vmStableMs: 6_000,
  /** Prometheus compacts on a 1-minute tick; this bounds the whole compaction run. */
  promCompactMaxMs: 10 * 60_000,
  /** Blocks and compaction count must stay unchanged this long after the first trigger. */
  promStableMs: 15_000,
  vmPollMs: 1_000,
  /** Force-merge requests before accepting more than one data part per partition. */
  vmMergeRounds: 5,
  httpRequestMs: 5 * 60_000,
  /** Import request body size; VictoriaMetrics reads bodies in a stream, this only bounds our memory. */
  importBodyBytes: 8 << 20,
  /** Text buffered before one write to the OpenMetrics file. */
  fileChunkChars: 4 << 20,
  /** Last bytes of a tool's output kept for error messages. */
  outputTailChars: 4_000,
} as const;

/** Prints one store's figures as `storage.<store>.*` lines: bytes per datapoint, then the details. */
export function printDiskFigures(store: string, f: DiskFigures): void {
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

/**
 * Starts `victoria-metrics` on a free loopback port with its data under
 * `workDir/vm`, imports the samples through /api/v1/import/prometheus (text
 * exposition lines with ms timestamps), forces a flush and a merge, waits
 * until the data directory stops changing, stops the server and measures.
 * `bytes` counts `data/` (the samples) and `indexdb/` (the label index);
 * `cache/` and the rest are reported in `parts` only, as VictoriaMetrics
 * rebuilds them.
 */
export async function victoriaMetricsDiskBytes(
  samples: Samples,
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
  let importS = 0;
  try {
    let t0 = performance.now();
    await waitForHealth(vm, base, logPath);
    stepSeconds.start = (performance.now() - t0) / 1000;

    t0 = performance.now();
    datapoints = await importPrometheusText(samples, `${base}/api/v1/import/prometheus`);
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
      if (dataParts.parts <= dataParts.partitions || round === LIMITS.vmMergeRounds) break;
    }
    stepSeconds.merge_wait = (performance.now() - t0) / 1000;

    await checkStored(base, samples, datapoints, logPath);
  } finally {
    const t0 = performance.now();
    await stopProcess(vm, LIMITS.vmStopMs);
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
  const counts = { data_parts: dataParts.parts, data_partitions: dataParts.partitions };
  return { bytes, datapoints, seconds: importS, parts, stepSeconds, counts };
}

// ---- Text formats ----

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `name{a="x",b="y"}` of one series, label values escaped as both formats require. */
function seriesPrefix(labels: [string, string][]): string {
  let name = "";
  const pairs: string[] = [];
  for (const [key, value] of labels) {
    if (key === "__name__") {
      name = value;
      continue;
    }
    if (!LABEL_NAME.test(key)) throw new RangeError(`invalid label name "${key}"`);
    pairs.push(`${key}="${escapeLabelValue(value)}"`);
  }
  if (!METRIC_NAME.test(name)) throw new RangeError(`invalid or missing metric name "${name}"`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(",")}}`;
}

/** Escapes a label value for the text formats: backslash, double quote and newline. */
function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A sample value in the spelling both Go parsers accept. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function checkTimeMs(timeMs: number): void {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) {
    throw new RangeError(`timestamp must be a whole non-negative number of ms, got ${timeMs}`);
  }
}

/** OpenMetrics timestamps are seconds; ms precision is kept as a 3-digit fraction. */
function formatSeconds(timeMs: number): string {
  const ms = timeMs % 1000;
  const s = (timeMs - ms) / 1000;
  return ms === 0 ? String(s) : `${s}.${String(ms).padStart(3, "0")}`;
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

/** POSTs the samples as Prometheus text lines with ms timestamps, in bounded bodies. */
async function importPrometheusText(samples: Samples, url: string): Promise<number> {
  let points = 0;
  let body = "";
  const send = async () => {
    await httpRequest(url, "victoria-metrics", body);
    body = "";
  };
  for (const series of samples.series) {
    const prefix = `${seriesPrefix(series.labels)} `;
    const { timesMs, values } = series;
    if (timesMs.length !== values.length) {
      throw new RangeError(`series ${prefix}has ${timesMs.length} times, ${values.length} values`);
    }
    for (let i = 0; i < timesMs.length; i++) {
      checkTimeMs(timesMs[i]);
      body += `${prefix}${formatValue(values[i])} ${timesMs[i]}\n`;
      if (body.length >= LIMITS.importBodyBytes) await send();
    }
    points += timesMs.length;
  }
  if (body.length > 0) await send();
  return points;
}

// ---- Processes and HTTP ----

/** Runs a command to completion; rejects with its output's tail on failure or timeout. */
function runTool(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (data: Buffer) => {
      output = tail(output + data.toString("utf8"));
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const action = `${cmd} ${args.join(" ")}`;
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new ExternalToolError({ tool: cmd, action, detail: err.message }));
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      if (status === 0) resolve(output);
      else {
        const why =
          signal !== null ? `killed by ${signal} (limit ${timeoutMs} ms)` : `exit ${status}`;
        reject(new ExternalToolError({ tool: cmd, action, detail: `${why}\n${output}` }));
      }
    });
  });
}

/** Sends SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    child.kill("SIGKILL");
    await exited;
  }
}

function exitedEarly(child: ChildProcess, tool: string, logPath: string): ExternalToolError | null {
  if (child.exitCode === null && child.signalCode === null) return null;
  return new ExternalToolError({
    tool,
    action: "run",
    detail: `exited (${child.exitCode ?? child.signalCode}); log:\n${readTail(logPath)}`,
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : -1;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

/** One HTTP request with a time limit; a non-2xx answer is an ExternalToolError naming the tool. */
async function httpRequest(
  url: string,
  tool: string,
  body?: string | URLSearchParams,
): Promise<string> {
  const method = body === undefined ? "GET" : "POST";
  const res = await fetch(url, { method, body, signal: AbortSignal.timeout(LIMITS.httpRequestMs) });
  const text = await res.text();
  if (!res.ok) {
    throw new ExternalToolError({
      tool,
      action: `${method} ${url}`,
      detail: `HTTP ${res.status}: ${tail(text)}`,
    });
  }
  return text;
}

function httpGet(url: string): Promise<string> {
  return httpRequest(url, "http");
}

/** POSTs a form (as the Prometheus query API takes it) and returns the body. */
function httpPost(url: string, form: Record<string, string | number>): Promise<string> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) body.set(key, String(value));
  return httpRequest(url, "http", body);
}

async function waitForHealth(vm: ChildProcess, base: string, logPath: string): Promise<void> {
  const deadline = performance.now() + LIMITS.vmStartMs;
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
    detail: `no healthy /health within ${LIMITS.vmStartMs} ms; log:\n${readTail(logPath)}`,
  });
}

/** Waits until the directory's size stays the same for LIMITS.vmStableMs (bounded). */
async function waitForStableSize(vm: ChildProcess, dir: string, logPath: string): Promise<void> {
  const deadline = performance.now() + LIMITS.vmMergeMaxMs;
  let last = -1;
  let stableSince = performance.now();
  while (performance.now() < deadline) {
    const early = exitedEarly(vm, "victoria-metrics", logPath);
    if (early !== null) throw early;
    const size = treeBytes(dir);
    if (size !== last) {
      last = size;
      stableSince = performance.now();
    } else if (performance.now() - stableSince >= LIMITS.vmStableMs) {
      return;
    }
    await sleep(LIMITS.vmPollMs);
  }
  throw new ExternalToolError({
    tool: "victoria-metrics",
    action: "force_merge",
    detail: `data directory still changing after ${LIMITS.vmMergeMaxMs} ms`,
  });
}

/**
 * Checks that VictoriaMetrics holds every series and every datapoint sent:
 * the series through /api/v1/series, the points by a count_over_time query
 * whose window covers all of them.
 */
async function checkStored(
  base: string,
  samples: Samples,
  datapoints: number,
  logPath: string,
): Promise<void> {
  let minMs = Number.POSITIVE_INFINITY;
  let maxMs = Number.NEGATIVE_INFINITY;
  const names = new Set<string>();
  for (const s of samples.series) {
    for (const [k, v] of s.labels) if (k === "__name__") names.add(v);
    for (let i = 0; i < s.timesMs.length; i++) {
      minMs = Math.min(minMs, s.timesMs[i]);
      maxMs = Math.max(maxMs, s.timesMs[i]);
    }
  }
  const startS = Math.floor(minMs / 1000) - 1;
  const endS = Math.ceil(maxMs / 1000) + 1;
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
  if (seriesFound !== samples.series.length || pointsFound !== datapoints) {
    throw new ExternalToolError({
      tool: "victoria-metrics",
      action: "import",
      detail:
        `holds ${seriesFound} series and ${pointsFound} datapoints, ` +
        `sent ${samples.series.length} and ${datapoints}; log:\n${readTail(logPath)}`,
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

// ---- Prometheus compaction ----

/**
 * Opens the blocks with a `prometheus` server (loopback, no scrape targets,
 * 100-year retention) and lets its compactor merge them. The TSDB only
 * compacts on its reload tick (once a minute), so this waits for the first
 * trigger, then until the block list and the compaction counter have stayed
 * unchanged for LIMITS.promStableMs, then stops the server.
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
    const deadline = performance.now() + LIMITS.promCompactMaxMs;
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
      } else if (triggered >= 1 && performance.now() - stableSince >= LIMITS.promStableMs) {
        return;
      }
      await sleep(LIMITS.vmPollMs);
    }
    throw new ExternalToolError({
      tool: "prometheus",
      action: "compact",
      detail: `blocks still changing after ${LIMITS.promCompactMaxMs} ms; log:\n${readTail(logPath)}`,
    });
  } finally {
    await stopProcess(prom, LIMITS.vmStopMs);
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

// ---- Sizes ----

/** Sum of the sizes of the regular files under `dir`, recursively (apparent sizes, not blocks). */
function treeBytes(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    // A part directory may vanish between listing and reading while a store merges.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  for (const entry of entries) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(p);
    else if (entry.isFile()) {
      try {
        total += fs.statSync(p).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
  }
  return total;
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

// ---- Small helpers ----

function tail(text: string): string {
  return text.length <= LIMITS.outputTailChars ? text : text.slice(-LIMITS.outputTailChars);
}

function readTail(filePath: string): string {
  try {
    return tail(fs.readFileSync(filePath, "utf8"));
  } catch {
    return "(no log)";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
