// `npm run bench:storage`: the storage engine on disk. Prints `name value unit`
// lines to stdout, progress to stderr.
//
// Compression, on one dataset of --compare-series series (default 1000) of
// the realistic mix (bench/mix-samples.ts), --hours long (default 24) at
// 10 s: bytes per datapoint of m3ts's fileset files (everything under
// <dataDir>/data/ once every block is flushed), of Prometheus (promtool
// blocks) and of VictoriaMetrics (data/ and indexdb/ after a forced merge)
// on the same samples (bench/external-tsdb.ts says what each includes), and
// their ratios. A few series are read back and checked point by point.
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
// Options: --series N, --compare-series N, --hours N (whole multiple of 2),
// --reads N, --keep (keep the work directories). Needs root once, to install
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
import {
  printDiskFigures,
  prometheusDiskBytes,
  type Samples,
  victoriaMetricsDiskBytes,
} from "./external-tsdb.js";
import { BLOCK_MS, BLOCK_POINTS, mixSamples } from "./mix-samples.js";

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
/** Series of the compression dataset read back and checked point by point. */
const VERIFY_SERIES = 8;

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

/** Apparent size of every file under `p` (0 when it does not exist). */
function treeBytes(p: string): number {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.size;
  let sum = 0;
  for (const name of fs.readdirSync(p)) sum += treeBytes(path.join(p, name));
  return sum;
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

/** m3ts's bytes per datapoint on the compression dataset, after checking a few series read back. */
async function m3tsDiskBytesPerDp(samples: Samples, dataDir: string, hours: number) {
  const blocks = hours / 2;
  const keys = seriesKeys(samples);
  const datapoints = datapointsOf(samples);
  const clock = new ManualClock(BLOCK_START_MS);
  const db = await openDb(dataDir, clock, hours);
  const writeS = await writeBlocks(db, clock, samples, keys, blocks);
  const flush = await flushAll(db, clock, blocks);
  const scratch = new ReadScratch(blocks * BLOCK_POINTS);
  for (const s of spread(samples.series.length, VERIFY_SERIES)) {
    await timedRead(db, samples, keys, s, blocks, scratch);
  }
  await db.close();
  const bytes = treeBytes(path.join(dataDir, "data"));
  return { bytesPerDp: bytes / datapoints, datapoints, writeS, flushS: flush.seconds };
}

async function main(): Promise<void> {
  const { values: opts } = parseArgs({
    options: {
      series: { type: "string", default: "10000" },
      "compare-series": { type: "string", default: "1000" },
      hours: { type: "string", default: "24" },
      reads: { type: "string", default: "30" },
      keep: { type: "boolean", default: false },
    },
  });
  const seriesCount = Number(opts.series);
  const compareSeries = Number(opts["compare-series"]);
  const hours = Number(opts.hours);
  const reads = Number(opts.reads);
  for (const [name, v] of Object.entries({ seriesCount, compareSeries, reads })) {
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
    // ---- compression, side by side on one dataset ----
    progress(`building ${compareSeries} series × ${hours} h of the mix`);
    let samples = mixSamples(compareSeries, hours);
    const m3tsDir = path.join(workDir, "m3ts-compare");
    progress("m3ts: write, flush, check");
    const m3ts = await m3tsDiskBytesPerDp(samples, m3tsDir, hours);
    progress("prometheus: promtool create-blocks-from openmetrics");
    const prom = await prometheusDiskBytes(samples, path.join(workDir, "prometheus"));
    progress("victoriametrics: import, flush, merge");
    const vm = await victoriaMetricsDiskBytes(samples, path.join(workDir, "victoriametrics"));
    const promBpd = prom.bytes / prom.datapoints;
    const vmBpd = vm.bytes / vm.datapoints;
    console.log(`storage.disk_bytes_per_dp ${m3ts.bytesPerDp.toFixed(3)} bytes`);
    console.log(`storage.m3ts.datapoints ${m3ts.datapoints} dp`);
    console.log(`storage.m3ts.write_s ${m3ts.writeS.toFixed(1)} s`);
    console.log(`storage.m3ts.flush_s ${m3ts.flushS.toFixed(1)} s`);
    printParts("storage.m3ts", m3tsDir);
    // Each starts with storage.<store>.disk_bytes_per_dp, then its details.
    printDiskFigures("prometheus", prom);
    printDiskFigures("victoriametrics", vm);
    console.log(`storage.ratio_vs_prometheus ${(m3ts.bytesPerDp / promBpd).toFixed(3)} ratio`);
    console.log(`storage.ratio_vs_victoriametrics ${(m3ts.bytesPerDp / vmBpd).toFixed(3)} ratio`);
    if (!opts.keep) {
      for (const name of ["m3ts-compare", "prometheus", "victoriametrics"]) {
        fs.rmSync(path.join(workDir, name), { recursive: true, force: true });
      }
    }

    // ---- flush, restart and reads at scale ----
    samples = { series: [] };
    gc();
    progress(`building ${seriesCount} series × ${hours} h of the mix`);
    samples = mixSamples(seriesCount, hours);
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
  } finally {
    if (opts.keep) console.error(`kept work directory ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  }
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
