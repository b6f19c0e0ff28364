// `npm run bench:storage`: the storage engine on disk. Prints `name value unit`
// lines to stdout, progress to stderr.
//
// Disk, per dataset (--datasets, default all four): the same samples loaded
// into m3ts (bench/m3ts-disk.ts: written block by block on an injected
// clock, flushed, snapshotted, commit logs cleaned up, then compacted two
// days later), the Debian Prometheus (bench/prometheus-disk.ts: promtool
// blocks, compacted by a running server with its default retention of 15
// days) and the Debian VictoriaMetrics (bench/victoria-metrics-disk.ts:
// imported, force-merged), and each one's whole data directory measured as
// `du -sb` (storage.<dataset>.<store>.disk_bytes_per_dp) and `du -sB1`
// (allocated_bytes_per_dp) count it, with m3ts's parts and the ratios.
// Datasets: synthetic24h is --compare-series series (default 1000) of the
// mix of bench/mix-samples.ts, --hours long (default 24); real1h30, real24h
// and real7d are bench/real-samples.ts's exporter-shaped series over 1.5 h,
// 24 h and 7 days, streamed 2 hours at a time. synthetic24h also prints the
// lines this benchmark printed before it had datasets (storage.disk_bytes_per_dp
// is m3ts's files under data/ against Prometheus's blocks, now after its
// compactor ran, and VictoriaMetrics' data/ and indexdb/).
// storage.compaction_dps is the datapoints m3ts's compaction ticks report
// compacted over those ticks' wall time, over every dataset run (0, with a
// note on stderr, while the tick reports no compaction counts);
// storage.peak_rss_bytes is this process's peak resident memory (each
// server's is its server_peak_rss_bytes).
// storage.<dataset>.m3ts.split.* divides m3ts's directory by kind (samples,
// series metadata, volume framing, index volumes, the rest;
// bench/m3ts-split.ts). storage.<dataset>.v2.decode_dps reads every series
// of the m3ts-format volumes in random order, each read paying its frame's
// crc32, zstd and packed decode (bench/v2-decode.ts; decode_sequential_dps in
// ID order); storage.v2.decode_dps is the slowest dataset's. For every
// dataset but real7d, the same samples are also loaded with the namespace's
// fileFormat m3 (M3's seven files, what m3ts wrote before its own format):
// storage.<dataset>.m3format.disk_bytes_per_dp and .decode_dps, read the same way.
//
// Engine, on --series series (default 10000) of the same mix: every block is
// written while the clock makes it warm and kept in memory (no tick), then
// one tick flushes them all; storage.flush_dps is datapoints over that tick's
// wall time. Restart is the median of three `Database.open` + bootstrap of
// that data directory with the kernel's page cache dropped before each (as
// after a reboot; storage.restart.page_cache_warm_s is the same with it
// warm). Reads fetch --reads different series (default 30) over the whole
// range from a freshly opened database with the default lru cache, after
// dropping the page cache again: the first read of each is cold (fileset
// volumes from the disk), the second is served from the block cache; both
// are medians in ms, and every point read is checked. Dropping the page
// cache needs root; storage.page_cache_dropped says whether it happened.
//
// Options: --datasets a,b,c, --quick (skip the engine part), --series N,
// --compare-series N, --hours N (whole multiple of 2), --reads N, --keep
// (keep the work directories). Needs root once, to install
// the Debian packages of Prometheus and VictoriaMetrics.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { Database, type TickResult } from "../src/dbnode/storage/index.js";
import { encodeTags, ManualClock, seriesIdString } from "../src/x/index.js";
import { ensureDebianPackages } from "../test/support/debian-packages.js";
import { BLOCK_START_MS } from "./datasets.js";
import { type DiskFigures, printDiskFigures, printWholeDir, unitOfCount } from "./disk-figures.js";
import { treeBytes } from "./external-tools.js";
import { type M3tsDiskResult, m3tsDiskBytes } from "./m3ts-disk.js";
import { m3tsDataSplit } from "./m3ts-split.js";
import { BLOCK_MS, BLOCK_POINTS, mixSamples } from "./mix-samples.js";
import { prometheusDiskBytes } from "./prometheus-disk.js";
import { REAL_DATASETS, type RealDatasetName, realDataset } from "./real-samples.js";
import { type SampleStream, type Samples, samplesStream } from "./samples.js";
import { v2DecodeRates } from "./v2-decode.js";
import { victoriaMetricsDiskBytes } from "./victoria-metrics-disk.js";

const NAMESPACE = "bench";
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** bufferPast and bufferFuture: a block is warm from 40 min before its start to 40 min after its end when the clock sits 60 min into it. */
const BUFFER_MS = 100 * MINUTE_MS;
const CLOCK_INTO_BLOCK_MS = 60 * MINUTE_MS;
/** Datapoints per write batch (all series × as many scrape rounds as fit). */
const BATCH_POINTS = 65_536;
/** Opens timed for the restart figure; the median is reported. */
const RESTARTS = 3;
/** Series of each disk dataset read back from m3ts and checked point by point. */
const VERIFY_SERIES = 8;
const DATASETS = ["synthetic24h", ...Object.keys(REAL_DATASETS)] as const;

/** Series IDs and encoded tags of the samples, in the samples' order. */
interface SeriesKeys {
  ids: string[];
  tags: Uint8Array[];
}

function seriesKeys(samples: Samples): SeriesKeys {
  const ids: string[] = [];
  const tags: Uint8Array[] = [];
  for (const s of samples.series) {
    // The mix's labels are already sorted by name with __name__ first.
    ids.push(seriesIdString(s.labels));
    tags.push(encodeTags(s.labels));
  }
  return { ids, tags };
}

function datapointsOf(samples: Samples): number {
  let n = 0;
  for (const s of samples.series) n += s.timesMs.length;
  return n;
}

function elapsedS(t0: number): number {
  return (performance.now() - t0) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function progress(message: string): void {
  console.error(`[storage ${(performance.now() / 1000).toFixed(0)} s] ${message}`);
}

/** Opens the database over `dataDir`, creating the bench namespace on first use. */
async function openDb(dataDir: string, clock: ManualClock, hours: number): Promise<Database> {
  const db = await Database.open({
    dataDir,
    clock,
    commitLog: { strategy: "behind" },
    tickIntervalMs: 0,
  });
  await db.bootstrapped;
  if (!db.listNamespaces().some((ns) => ns.name === NAMESPACE)) {
    await db.createNamespace(NAMESPACE, {
      blockSizeMs: BLOCK_MS,
      bufferPastMs: BUFFER_MS,
      bufferFutureMs: BUFFER_MS,
      // Covers the data from where the clock stands after the flush, with a day to spare.
      retentionPeriodMs: (hours + 24) * HOUR_MS,
      coldWritesEnabled: false,
    });
  }
  return db;
}

/**
 * Writes every sample, block by block, with the clock 60 min into the block
 * so that all of its points are warm writes. Nothing is ticked, so every
 * block stays in memory. Returns the wall time in seconds.
 */
async function writeBlocks(
  db: Database,
  clock: ManualClock,
  samples: Samples,
  keys: SeriesKeys,
  blocks: number,
): Promise<number> {
  const n = samples.series.length;
  const rounds = Math.max(1, Math.min(BLOCK_POINTS, Math.floor(BATCH_POINTS / n)));
  const capacity = rounds * n;
  const series = new Int32Array(capacity);
  const timesMs = new Float64Array(capacity);
  const values = new Float64Array(capacity);
  let refs: Float64Array<ArrayBufferLike> = new Float64Array(n).fill(-1);
  const t0 = performance.now();
  for (let b = 0; b < blocks; b++) {
    clock.set(BLOCK_START_MS + b * BLOCK_MS + CLOCK_INTO_BLOCK_MS);
    for (let from = 0; from < BLOCK_POINTS; from += rounds) {
      const to = Math.min(BLOCK_POINTS, from + rounds);
      let count = 0;
      for (let s = 0; s < n; s++) {
        const { timesMs: ts, values: vs } = samples.series[s];
        for (let i = b * BLOCK_POINTS + from; i < b * BLOCK_POINTS + to; i++) {
          series[count] = s;
          timesMs[count] = ts[i];
          values[count] = vs[i];
          count++;
        }
      }
      const res = await db.writeBatch(NAMESPACE, {
        count,
        series,
        timesMs,
        values,
        seriesIds: keys.ids,
        seriesTags: keys.tags,
        seriesRefs: refs,
      });
      if (res.errors.length > 0) {
        const first = res.errors[0];
        throw new Error(
          `write of block ${b} rejected ${res.errors.length} datapoints; first, #${first.index}: ${first.error.message}`,
        );
      }
      refs = res.refs;
    }
  }
  return elapsedS(t0);
}

/**
 * Moves the clock past the flush time of the last block and ticks: that tick
 * flushes every block. A second tick must find nothing left to flush.
 * Returns the first tick's wall time in seconds and its result.
 */
async function flushAll(
  db: Database,
  clock: ManualClock,
  blocks: number,
): Promise<{ seconds: number; result: TickResult }> {
  clock.set(BLOCK_START_MS + blocks * BLOCK_MS + BUFFER_MS + MINUTE_MS);
  const t0 = performance.now();
  const result = await db.tick();
  const seconds = elapsedS(t0);
  if (result.flushFailures > 0 || result.warmFlushes === 0) {
    throw new Error(
      `flush tick: ${result.warmFlushes} warm flushes, ${result.flushFailures} failures`,
    );
  }
  const again = await db.tick();
  if (again.warmFlushes + again.coldFlushes + again.flushFailures > 0) {
    throw new Error(
      `second tick still flushed: ${again.warmFlushes} warm, ${again.coldFlushes} cold, ${again.flushFailures} failed`,
    );
  }
  return { seconds, result };
}

function printParts(prefix: string, dataDir: string): void {
  for (const name of fs.readdirSync(dataDir).sort()) {
    console.log(`${prefix}.part.${name}_bytes ${treeBytes(path.join(dataDir, name))} bytes`);
  }
}

/** Scratch columns a read copies its points into, so they are checked after the clock stops. */
class ReadScratch {
  timesMs: Float64Array;
  values: Float64Array;
  constructor(points: number) {
    this.timesMs = new Float64Array(points);
    this.values = new Float64Array(points);
  }
}

/**
 * Fetches series `s` over the whole range and times it (fetch plus
 * iteration); then checks every point against the samples. Returns ms.
 */
async function timedRead(
  db: Database,
  samples: Samples,
  keys: SeriesKeys,
  s: number,
  blocks: number,
  scratch: ReadScratch,
): Promise<number> {
  const want = samples.series[s];
  const t0 = performance.now();
  const it = await db.fetch(
    NAMESPACE,
    keys.ids[s],
    BLOCK_START_MS,
    BLOCK_START_MS + blocks * BLOCK_MS,
  );
  let n = 0;
  while (it.next()) {
    if (n < scratch.timesMs.length) {
      scratch.timesMs[n] = it.timeMs;
      scratch.values[n] = it.value;
    }
    n++;
  }
  const ms = performance.now() - t0;
  if (it.error !== null) throw new Error(`read of ${keys.ids[s]}: ${it.error.message}`);
  if (n !== want.timesMs.length) {
    throw new Error(`read of ${keys.ids[s]}: ${n} datapoints, wrote ${want.timesMs.length}`);
  }
  for (let i = 0; i < n; i++) {
    const v = scratch.values[i];
    const w = want.values[i];
    if (
      scratch.timesMs[i] !== want.timesMs[i] ||
      (v !== w && !(Number.isNaN(v) && Number.isNaN(w)))
    ) {
      throw new Error(
        `read of ${keys.ids[s]}: point ${i} is (${scratch.timesMs[i]}, ${v}), wrote (${want.timesMs[i]}, ${w})`,
      );
    }
  }
  return ms;
}

/** `count` series indices spread evenly over the mix, so every kind is read. */
function spread(total: number, count: number): number[] {
  const out: number[] = [];
  const k = Math.min(total, count);
  for (let i = 0; i < k; i++) out.push(Math.floor((i * total) / k));
  return out;
}

/** Each dataset's decode rate of one series read alone out of its m3ts-format volumes. */
const decodeRates: number[] = [];

/** One dataset's three stores, measured on the same samples. */
interface DatasetRun {
  m3ts: M3tsDiskResult;
  prometheus: DiskFigures;
  victoriametrics: DiskFigures;
}

function datasetStream(name: string, compareSeries: number, hours: number): SampleStream {
  if (name === "synthetic24h") {
    return samplesStream(mixSamples(compareSeries, hours), BLOCK_START_MS, BLOCK_MS);
  }
  return realDataset(name as RealDatasetName, BLOCK_START_MS);
}

/** Loads one dataset into each store in turn (deleting each store's directory after measuring) and prints its lines. */
async function runDataset(
  name: string,
  stream: SampleStream,
  workDir: string,
  keep: boolean,
): Promise<DatasetRun> {
  const prefix = `storage.${name}`;
  const dir = path.join(workDir, name);
  const runS: Record<string, number> = {};
  const done = (store: string) => {
    if (!keep) fs.rmSync(path.join(dir, store), { recursive: true, force: true });
  };
  progress(`${name}: ${stream.labels.length} series, ${stream.datapoints} datapoints`);
  progress(`${name}: m3ts: write, flush, compact, check`);
  let t0 = performance.now();
  const m3ts = await m3tsDiskBytes(stream, path.join(dir, "m3ts"), {
    startMs: BLOCK_START_MS,
    verifySeries: VERIFY_SERIES,
    progress,
  });
  // Inside the data directory, before it goes: where the bytes are, and how fast reads decode.
  const split = await m3tsDataSplit(path.join(dir, "m3ts"));
  progress(`${name}: m3ts: decode rate of the flushed volumes`);
  const decode = await v2DecodeRates(path.join(dir, "m3ts"), NAMESPACE);
  // The same samples in M3's format, as m3ts wrote them before its own: the baseline of both.
  let m3format: { bytesPerDp: number; decodeDps: number } | null = null;
  if (name !== "real7d") {
    progress(`${name}: m3ts with M3's fileset format, for comparison`);
    const m3Dir = path.join(dir, "m3ts-m3format");
    const r = await m3tsDiskBytes(stream, m3Dir, {
      startMs: BLOCK_START_MS,
      verifySeries: VERIFY_SERIES,
      fileFormat: "m3",
    });
    const d = await v2DecodeRates(m3Dir, NAMESPACE, 3, "m3");
    m3format = { bytesPerDp: r.whole.apparentBytes / r.datapoints, decodeDps: d.randomDps };
    done("m3ts-m3format");
  }
  runS.m3ts = elapsedS(t0);
  done("m3ts");
  gc();
  progress(`${name}: prometheus: promtool per 2 h, then compaction by a server`);
  t0 = performance.now();
  const prometheus = await prometheusDiskBytes(stream, path.join(dir, "prometheus"), {
    compact: true,
  });
  runS.prometheus = elapsedS(t0);
  done("prometheus");
  gc();
  progress(`${name}: victoriametrics: import, flush, merge`);
  t0 = performance.now();
  const victoriametrics = await victoriaMetricsDiskBytes(stream, path.join(dir, "victoriametrics"));
  runS.victoriametrics = elapsedS(t0);
  done("victoriametrics");
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });

  const dp = stream.datapoints;
  for (const [store, n] of [
    ["m3ts", m3ts.datapoints],
    ["prometheus", prometheus.datapoints],
    ["victoriametrics", victoriametrics.datapoints],
  ] as const) {
    if (n !== dp) throw new Error(`${name}: ${store} took ${n} datapoints, the dataset has ${dp}`);
  }
  console.log(`${prefix}.series ${stream.labels.length} count`);
  console.log(`${prefix}.datapoints ${dp} dp`);
  printWholeDir(`${prefix}.m3ts`, m3ts.whole, dp);
  for (const [part, du] of Object.entries(m3ts.parts)) {
    console.log(`${prefix}.m3ts.part.${part}_bytes ${du.apparentBytes} bytes`);
    console.log(`${prefix}.m3ts.part.${part}_allocated_bytes ${du.allocatedBytes} bytes`);
  }
  // The whole directory's bytes by kind; `other` is what is left: directories, small files, logs.
  const kinds = {
    streams: split.streams,
    series_metadata: split.series_metadata,
    volume_framing: split.volume_framing,
    index: split.index,
  };
  let counted = 0;
  for (const [kind, bytes] of Object.entries(kinds)) {
    counted += bytes;
    console.log(`${prefix}.m3ts.split.${kind}_bytes_per_dp ${(bytes / dp).toFixed(4)} bytes`);
  }
  console.log(
    `${prefix}.m3ts.split.other_bytes_per_dp ${((m3ts.whole.apparentBytes - counted) / dp).toFixed(4)} bytes`,
  );
  console.log(`${prefix}.m3ts.volumes ${split.m3ts_volumes + split.m3_volumes} count`);
  console.log(`${prefix}.v2.decode_dps ${Math.round(decode.randomDps)} dp/s`);
  if (m3format !== null) {
    console.log(`${prefix}.m3format.disk_bytes_per_dp ${m3format.bytesPerDp.toFixed(3)} bytes`);
    console.log(`${prefix}.m3format.decode_dps ${Math.round(m3format.decodeDps)} dp/s`);
  }
  console.log(`${prefix}.v2.decode_sequential_dps ${Math.round(decode.sequentialDps)} dp/s`);
  decodeRates.push(decode.randomDps);
  console.log(`${prefix}.m3ts.write_s ${m3ts.writeS.toFixed(1)} s`);
  console.log(`${prefix}.m3ts.write_dps ${Math.round(dp / m3ts.writeS)} dp/s`);
  console.log(`${prefix}.m3ts.flush_s ${m3ts.flushS.toFixed(2)} s`);
  console.log(`${prefix}.m3ts.flush_dps ${Math.round(dp / m3ts.flushS)} dp/s`);
  console.log(`${prefix}.m3ts.warm_flushes ${m3ts.flushTick.warmFlushes} count`);
  console.log(`${prefix}.m3ts.snapshot_taken ${m3ts.snapshotTaken ? 1 : 0} count`);
  console.log(`${prefix}.m3ts.commit_logs_removed ${m3ts.commitLogsRemoved} count`);
  console.log(`${prefix}.m3ts.compactions ${m3ts.compactions} count`);
  console.log(`${prefix}.m3ts.compaction_ticks ${m3ts.compactionTicks} count`);
  console.log(`${prefix}.m3ts.compacted_datapoints ${m3ts.compactedDatapoints} dp`);
  console.log(`${prefix}.m3ts.compaction_s ${m3ts.compactionS.toFixed(2)} s`);
  console.log(`${prefix}.m3ts.compaction_dps ${compactionDps(m3ts)} dp/s`);
  console.log(`${prefix}.m3ts.verified_series ${m3ts.verifiedSeries} count`);
  for (const [store, f] of [
    ["prometheus", prometheus],
    ["victoriametrics", victoriametrics],
  ] as const) {
    if (f.whole === undefined) throw new Error(`${store} measured no whole data directory`);
    printWholeDir(`${prefix}.${store}`, f.whole, dp);
    for (const [part, du] of Object.entries(f.wholeParts ?? {})) {
      console.log(`${prefix}.${store}.part.${part}_bytes ${du.apparentBytes} bytes`);
      console.log(`${prefix}.${store}.part.${part}_allocated_bytes ${du.allocatedBytes} bytes`);
    }
    for (const [count, n] of Object.entries(f.counts)) {
      console.log(`${prefix}.${store}.${count} ${n} ${unitOfCount(count)}`);
    }
    for (const [step, seconds] of Object.entries(f.stepSeconds)) {
      console.log(`${prefix}.${store}.step.${step}_s ${seconds.toFixed(1)} s`);
    }
  }
  for (const [store, seconds] of Object.entries(runS)) {
    console.log(`${prefix}.${store}.run_s ${seconds.toFixed(1)} s`);
  }
  const vmWhole = victoriametrics.whole ?? {
    apparentBytes: Number.NaN,
    allocatedBytes: Number.NaN,
  };
  const promWhole = prometheus.whole ?? { apparentBytes: Number.NaN, allocatedBytes: Number.NaN };
  const ratio = (a: number, b: number) => (a / b).toFixed(3);
  console.log(
    `${prefix}.ratio_vs_victoriametrics ${ratio(m3ts.whole.apparentBytes, vmWhole.apparentBytes)} ratio`,
  );
  console.log(
    `${prefix}.ratio_vs_prometheus ${ratio(m3ts.whole.apparentBytes, promWhole.apparentBytes)} ratio`,
  );
  console.log(
    `${prefix}.allocated_ratio_vs_victoriametrics ${ratio(m3ts.whole.allocatedBytes, vmWhole.allocatedBytes)} ratio`,
  );
  console.log(
    `${prefix}.allocated_ratio_vs_prometheus ${ratio(m3ts.whole.allocatedBytes, promWhole.allocatedBytes)} ratio`,
  );
  return { m3ts, prometheus, victoriametrics };
}

/** Compacted datapoints per second of the compaction ticks; 0 when nothing was compacted. */
function compactionDps(r: M3tsDiskResult): number {
  return r.compactionS > 0 ? Math.round(r.compactedDatapoints / r.compactionS) : 0;
}

/** The lines bench:storage printed before it had datasets, from the synthetic24h run. */
function printLegacyLines(run: DatasetRun): void {
  const { m3ts, prometheus, victoriametrics } = run;
  const m3tsBpd = m3ts.dataFileBytes / m3ts.datapoints;
  console.log(`storage.disk_bytes_per_dp ${m3tsBpd.toFixed(3)} bytes`);
  console.log(`storage.m3ts.datapoints ${m3ts.datapoints} dp`);
  console.log(`storage.m3ts.write_s ${m3ts.writeS.toFixed(1)} s`);
  console.log(`storage.m3ts.flush_s ${m3ts.flushS.toFixed(1)} s`);
  for (const [part, du] of Object.entries(m3ts.parts)) {
    console.log(`storage.m3ts.part.${part}_bytes ${du.apparentBytes} bytes`);
  }
  // Each starts with storage.<store>.disk_bytes_per_dp, then its details.
  printDiskFigures("prometheus", prometheus);
  printDiskFigures("victoriametrics", victoriametrics);
  const promBpd = prometheus.bytes / prometheus.datapoints;
  const vmBpd = victoriametrics.bytes / victoriametrics.datapoints;
  console.log(`storage.ratio_vs_prometheus ${(m3tsBpd / promBpd).toFixed(3)} ratio`);
  console.log(`storage.ratio_vs_victoriametrics ${(m3tsBpd / vmBpd).toFixed(3)} ratio`);
}

async function main(): Promise<void> {
  const { values: opts } = parseArgs({
    options: {
      series: { type: "string", default: "10000" },
      "compare-series": { type: "string", default: "1000" },
      hours: { type: "string", default: "24" },
      reads: { type: "string", default: "30" },
      keep: { type: "boolean", default: false },
      datasets: { type: "string", default: DATASETS.join(",") },
      quick: { type: "boolean", default: false },
    },
  });
  const datasets = opts.datasets.split(",").filter((d) => d !== "");
  for (const d of datasets) {
    if (!(DATASETS as readonly string[]).includes(d)) {
      throw new Error(`--datasets: unknown dataset "${d}"; known: ${DATASETS.join(", ")}`);
    }
  }
  const seriesCount = Number(opts.series);
  const compareSeries = Number(opts["compare-series"]);
  const hours = Number(opts.hours);
  const reads = Number(opts.reads);
  for (const [name, v] of Object.entries({
    series: seriesCount,
    "compare-series": compareSeries,
    reads,
  })) {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`--${name} must be a positive integer, got ${v}`);
    }
  }
  if (!Number.isInteger(hours) || hours < 2 || hours % 2 !== 0) {
    throw new Error(`--hours must be a positive multiple of 2, got ${opts.hours}`);
  }
  const blocks = hours / 2;
  ensureDebianPackages(["prometheus", "victoria-metrics"]);

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "m3ts-bench-storage-"));
  try {
    // ---- disk, side by side, per dataset ----
    let compacted = 0;
    let compactionS = 0;
    let compactionReported = false;
    for (const name of datasets) {
      const t0 = performance.now();
      const stream = datasetStream(name, compareSeries, hours);
      const run = await runDataset(name, stream, workDir, opts.keep);
      console.log(`storage.${name}.run_s ${elapsedS(t0).toFixed(1)} s`);
      if (name === "synthetic24h") printLegacyLines(run);
      compacted += run.m3ts.compactedDatapoints;
      compactionS += run.m3ts.compactionS;
      compactionReported ||= run.m3ts.compactionReported;
      gc();
    }
    if (datasets.length > 0) {
      // The slowest dataset's: a read of one series alone, frame cache cold.
      console.log(`storage.v2.decode_dps ${Math.round(Math.min(...decodeRates))} dp/s`);
      if (!compactionReported) {
        console.error(
          "storage.compaction_dps: the tick reports no compaction counts (TickResult.compactions); printing 0",
        );
      }
      console.log(
        `storage.compaction_dps ${compactionS > 0 ? Math.round(compacted / compactionS) : 0} dp/s`,
      );
    }
    if (opts.quick) {
      printPeakMemory();
      return;
    }

    // ---- flush, restart and reads at scale ----
    progress(`building ${seriesCount} series × ${hours} h of the mix`);
    const samples = mixSamples(seriesCount, hours);
    const keys = seriesKeys(samples);
    const datapoints = datapointsOf(samples);
    const dataDir = path.join(workDir, "m3ts");
    const clock = new ManualClock(BLOCK_START_MS);
    let db = await openDb(dataDir, clock, hours);
    progress(`writing ${datapoints} datapoints into ${blocks} blocks in memory`);
    const writeS = await writeBlocks(db, clock, samples, keys, blocks);
    gc();
    progress("flushing every block in one tick");
    const flush = await flushAll(db, clock, blocks);
    await db.close();
    console.log(`storage.flush_dps ${Math.round(datapoints / flush.seconds)} dp/s`);
    console.log(`storage.flush.datapoints ${datapoints} dp`);
    console.log(`storage.flush.series ${samples.series.length} count`);
    console.log(`storage.flush.tick_s ${flush.seconds.toFixed(2)} s`);
    console.log(`storage.flush.warm_flushes ${flush.result.warmFlushes} count`);
    console.log(`storage.flush.write_dps ${Math.round(datapoints / writeS)} dp/s`);
    console.log(
      `storage.flush.disk_bytes_per_dp ${(treeBytes(path.join(dataDir, "data")) / datapoints).toFixed(3)} bytes`,
    );
    printParts("storage.flush", dataDir);

    progress(`restarting ${RESTARTS} times with the page cache warm`);
    const warmRestartS: number[] = [];
    for (let r = 0; r < RESTARTS; r++) {
      gc();
      const t0 = performance.now();
      db = await openDb(dataDir, clock, hours);
      warmRestartS.push(elapsedS(t0));
      await db.close();
    }
    console.log(`storage.restart.page_cache_warm_s ${median(warmRestartS).toFixed(3)} s`);

    // As after a reboot: every volume is read from the disk, not the page cache.
    progress(`restarting ${RESTARTS} times with the page cache dropped`);
    const restartS: number[] = [];
    let dropped = true;
    for (let r = 0; r < RESTARTS; r++) {
      gc();
      dropped = dropPageCache() && dropped;
      const t0 = performance.now();
      // The namespace is in the registry, so this is Database.open and its bootstrap only.
      db = await openDb(dataDir, clock, hours);
      restartS.push(elapsedS(t0));
      // The last open stays up for the reads: a fresh database, nothing cached.
      if (r < RESTARTS - 1) await db.close();
    }
    console.log(`storage.restart_s ${median(restartS).toFixed(3)} s`);
    console.log(`storage.restart.max_s ${Math.max(...restartS).toFixed(3)} s`);

    progress(`reading ${reads} series cold, then cached`);
    const scratch = new ReadScratch(blocks * BLOCK_POINTS);
    const chosen = spread(samples.series.length, reads);
    const coldMs: number[] = [];
    dropped = dropPageCache() && dropped;
    console.log(`storage.page_cache_dropped ${dropped ? 1 : 0} count`);
    for (const s of chosen) coldMs.push(await timedRead(db, samples, keys, s, blocks, scratch));
    const cachedMs: number[] = [];
    for (const s of chosen) cachedMs.push(await timedRead(db, samples, keys, s, blocks, scratch));
    await db.close();
    console.log(`storage.read_cold_ms ${median(coldMs).toFixed(3)} ms`);
    console.log(`storage.read_cached_ms ${median(cachedMs).toFixed(3)} ms`);
    console.log(`storage.read.points_per_read ${blocks * BLOCK_POINTS} dp`);
    console.log(`storage.read.cold_max_ms ${Math.max(...coldMs).toFixed(3)} ms`);
    console.log(`storage.read.cached_max_ms ${Math.max(...cachedMs).toFixed(3)} ms`);
    printPeakMemory();
  } finally {
    if (opts.keep) console.error(`kept work directory ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** Peak resident memory of this process so far (the stores' servers print theirs as server_peak_rss_bytes). */
function printPeakMemory(): void {
  console.log(`storage.peak_rss_bytes ${process.resourceUsage().maxRSS * 1024} bytes`);
}

/**
 * Empties the kernel's page cache (needs root), so "cold" means read from
 * the disk; false when not permitted (the figures are then page-cache warm).
 */
function dropPageCache(): boolean {
  try {
    execFileSync("sync");
    fs.writeFileSync("/proc/sys/vm/drop_caches", "3");
    return true;
  } catch {
    return false;
  }
}

await main();
