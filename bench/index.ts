// `npm run bench:index`: the reverse index on node_exporter-like series: insert
// rate, memory per indexed series, lookup latencies and the write slowdown
// that indexing new series costs. Prints `name value unit` lines.
//
// The generator: series s (0 ≤ s < --series, default 1 000 000) lives on
// instance i = floor(s / 1000), written `host-0042:9100`, so each of the 1000
// instances has 1000 series. With k = s mod 1000 inside its instance:
//   job      = `job-${i mod 10}`                (10 jobs of 100 instances:
//                                                exactly 100 000 series each)
//   __name__ = NAMES[k mod 200]                  (200 metric names, each with
//                                                5 series per instance)
//   cpu      = k mod 16                          ("0".."15")
//   mode     = MODES[floor(k / 16) mod 8]        (idle, user, system, ...)
//   device   = DEVICES[floor(k / 128) mod 8]     (sda, nvme0n1, dm-0, ...)
// 16 × 8 × 8 = 1024 ≥ 1000, so (cpu, mode, device) differ between the series
// of one instance and every series is a distinct combination of six labels.
// Series reach the index as the namespace passes them: the ID string (from
// seriesIdString) and the tags in M3's tag encoding, which the index reads.
//
// Figures:
// - index.insert_series_per_s: TimeIndex.insertEncoded of every series into
//   one block, median of --passes fresh indexes (IDs and encoded tags built
//   beforehand).
// - index.bytes_per_series: heapUsed + external (roaring reports its native
//   allocations to V8 as external memory) after gc, from before the series'
//   IDs were built to after they were indexed and the
//   caller's references dropped, divided by the series: everything a
//   standalone index keeps alive. index.own_bytes_per_series is what the
//   inserts themselves allocated (postings, maps, arrays, tag arena);
//   index.retained_input_bytes_per_series the caller's objects the index
//   keeps (the ID strings: in a namespace they are shared with the series
//   table); index.input_bytes_per_series what the IDs cost the caller (the
//   encoded tags, held by the series table in a namespace, are built before
//   the baseline); RSS growth is printed beside them.
// - lookups, median of --reps runs each (after 3 untimed), on the last
//   pass's index, over its one block:
//     exact    {__name__="X", instance="Y"}   (5 series; X and Y vary per run)
//     100k     {job="job-3"}                  (100 000 series)
//     regex    {__name__="X", instance=~"host-01.*"}  (100 instances: 500
//              series; index.lookup_regex_only_ms is the regex alone, 100k)
//     negated  {__name__="X", mode!="idle"}   (X varies per run)
//     label values of instance, no matchers (1000 values)
// - seal: the block sealed as a flush seals it: index.seal_ms (encoding, and
//   indexing the bytes with the IDs at hand), index.sealed_load_ms (decoding
//   the bytes as bootstrap does, IDs included),
//   index.segment_bytes_per_series (the index volume's segment file) and
//   index.sealed_bytes_per_series (memory, as index.bytes_per_series, once
//   the sealed segment replaced the mutable one); then the same lookups on
//   the sealed block, named index.sealed_lookup_* and
//   index.sealed_label_values_ms.
// - index.write_slowdown_ratio: new-series write rate (each series written
//   once, one datapoint, batches of --batch, default 10 000) into an
//   in-memory Database whose namespace indexes, divided by the same into one
//   that does not; medians of --passes runs each, the two kinds alternating.
//
// Targets on the 2-core machine: ≥ 300 000 series/s inserted, exact lookups
// < 1 ms, the 100k lookup < 20 ms, ≤ 400 bytes of index memory per series.
//
// Options: --series N, --reps N (lookup runs, default 21), --passes N (insert
// and write runs, default 3), --batch N, --phases insert,lookup,seal,write
// (which run; lookup and seal need insert).
import { parseArgs } from "node:util";
import { Database } from "../src/dbnode/storage/index.js";
import type { WriteBatch } from "../src/dbnode/ts/index.js";
import {
  type Matcher,
  newMatcher,
  SealedSegment,
  type SealJob,
  TimeIndex,
} from "../src/index/index.js";
import { decodeTags, encodeTags, ManualClock, seriesIdString, type Tag } from "../src/x/index.js";

const START_MS = 1_700_000_000_000;
const BLOCK_MS = 2 * 3600_000;
const SERIES_PER_INSTANCE = 1000;
const JOBS = 10;
const MODES = ["idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"];
const DEVICES = ["sda", "sdb", "sdc", "sdd", "nvme0n1", "nvme1n1", "dm-0", "dm-1"];
const FAMILIES = [
  "cpu_seconds",
  "disk_io_time_seconds",
  "disk_read_bytes",
  "disk_written_bytes",
  "filesystem_avail_bytes",
  "memory_active_bytes",
  "network_receive_bytes",
  "network_transmit_bytes",
  "netstat_tcp_segments",
  "vmstat_pgfault",
];
/** 200 metric names: node_<family>_<n>_total. */
const NAMES = Array.from(
  { length: 200 },
  (_, i) => `node_${FAMILIES[i % FAMILIES.length]}_${Math.floor(i / FAMILIES.length)}_total`,
);

function instanceName(i: number): string {
  return `host-${String(i).padStart(4, "0")}:9100`;
}

/** The tags of series `s`, sorted by name (`__name__` first), fresh strings. */
function seriesTags(s: number): Tag[] {
  const i = Math.floor(s / SERIES_PER_INSTANCE);
  const k = s % SERIES_PER_INSTANCE;
  return [
    ["__name__", NAMES[k % NAMES.length]],
    ["cpu", String(k % 16)],
    ["device", DEVICES[Math.floor(k / 128) % 8]],
    ["instance", instanceName(i)],
    ["job", `job-${i % JOBS}`],
    ["mode", MODES[Math.floor(k / 16) % 8]],
  ];
}

/** M3-encoded tags of every series, as a write carries them. */
function encodeAll(n: number): Uint8Array[] {
  const out: Uint8Array[] = new Array(n);
  for (let s = 0; s < n; s++) out[s] = encodeTags(seriesTags(s));
  return out;
}

/** Series IDs and encoded tags, as a namespace hands them to its index. */
interface Work {
  ids: string[];
  encoded: readonly Uint8Array[];
}

function idsOf(encoded: readonly Uint8Array[]): Work {
  const ids: string[] = new Array(encoded.length);
  for (let s = 0; s < encoded.length; s++) ids[s] = seriesIdString(decodeTags(encoded[s]));
  return { ids, encoded };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) {
    g();
    g();
  }
}

/** heapUsed + external (which includes arrayBuffers and roaring's native memory), and RSS. */
function memory(): { total: number; rss: number } {
  gc();
  const m = process.memoryUsage();
  return { total: m.heapUsed + m.external, rss: m.rss };
}

function insertAll({ ids, encoded }: Work): TimeIndex {
  const idx = new TimeIndex(BLOCK_MS);
  for (let s = 0; s < ids.length; s++) idx.insertEncoded(ids[s], encoded[s], START_MS);
  return idx;
}

/** Median ms of `reps` calls of `run(rep)`, after 3 untimed; checks each result with `check`. */
function timeMs<T>(
  reps: number,
  run: (rep: number) => T,
  check: (r: T, rep: number) => void,
): number {
  for (let r = 0; r < 3; r++) check(run(reps + r), reps + r);
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    const res = run(r);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    check(res, r);
  }
  return median(ms);
}

function expectCount(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: ${got} series, expected ${want}`);
}

function fmt(x: number, digits: number): string {
  return x.toFixed(digits);
}

/**
 * Lookup latencies, printed under `index.<kind>` names: `lookup_*` and
 * `label_values_ms` for the mutable index, `sealed_lookup_*` and
 * `sealed_label_values_ms` once its block is sealed.
 */
function lookups(idx: TimeIndex, n: number, reps: number, sealed: boolean): void {
  const name = (figure: string) => `index.${sealed ? "sealed_" : ""}${figure}`;
  const end = START_MS + BLOCK_MS;
  const instances = Math.ceil(n / SERIES_PER_INSTANCE);
  const q = (ms: Matcher[]) => idx.query(ms, START_MS, end).ids.length;
  // Expected counts straight from the generator.
  const countWhere = (pred: (t: Tag[]) => boolean) => {
    let c = 0;
    for (let s = 0; s < n; s++) if (pred(seriesTags(s))) c++;
    return c;
  };
  const value = (t: Tag[], name: string) => (t.find(([k]) => k === name) as Tag)[1];
  const nameOf = (rep: number) => NAMES[(rep * 37) % NAMES.length];
  const instOf = (rep: number) => instanceName((rep * 101) % instances);

  const exactWant = new Map<string, number>();
  const exact = timeMs(
    reps,
    (rep) =>
      q([newMatcher("=", "__name__", nameOf(rep)), newMatcher("=", "instance", instOf(rep))]),
    (got, rep) => {
      const key = `${nameOf(rep)} ${instOf(rep)}`;
      let want = exactWant.get(key);
      if (want === undefined) {
        // Only the instance's own series can match.
        const i = (rep * 101) % instances;
        want = 0;
        for (let s = i * SERIES_PER_INSTANCE; s < Math.min(n, (i + 1) * SERIES_PER_INSTANCE); s++) {
          if (value(seriesTags(s), "__name__") === nameOf(rep)) want++;
        }
        exactWant.set(key, want);
      }
      expectCount("exact lookup", got, want);
    },
  );
  console.log(`${name("lookup_exact_ms")} ${fmt(exact, 3)} ms`);

  const jobWant = countWhere((t) => value(t, "job") === "job-3");
  const job = timeMs(
    reps,
    () => q([newMatcher("=", "job", "job-3")]),
    (got) => expectCount("job lookup", got, jobWant),
  );
  console.log(`${name("lookup_100k_ms")} ${fmt(job, 3)} ms`);
  console.log(`${name("lookup_100k_series")} ${jobWant} series`);

  const regexName = NAMES[17];
  const regexWant = countWhere(
    (t) => value(t, "__name__") === regexName && value(t, "instance").startsWith("host-01"),
  );
  const regex = timeMs(
    reps,
    () => q([newMatcher("=", "__name__", regexName), newMatcher("=~", "instance", "host-01.*")]),
    (got) => expectCount("regex lookup", got, regexWant),
  );
  console.log(`${name("lookup_regex_ms")} ${fmt(regex, 3)} ms`);
  console.log(`${name("lookup_regex_series")} ${regexWant} series`);
  const regexOnlyWant = countWhere((t) => value(t, "instance").startsWith("host-01"));
  const regexOnly = timeMs(
    reps,
    () => q([newMatcher("=~", "instance", "host-01.*")]),
    (got) => expectCount("regex-only lookup", got, regexOnlyWant),
  );
  console.log(`${name("lookup_regex_only_ms")} ${fmt(regexOnly, 3)} ms`);
  console.log(`${name("lookup_regex_only_series")} ${regexOnlyWant} series`);

  const negWant = new Map<string, number>();
  let negSeries = 0;
  const negated = timeMs(
    reps,
    (rep) => q([newMatcher("=", "__name__", nameOf(rep)), newMatcher("!=", "mode", "idle")]),
    (got, rep) => {
      const name = nameOf(rep);
      let want = negWant.get(name);
      if (want === undefined) {
        want = countWhere((t) => value(t, "__name__") === name && value(t, "mode") !== "idle");
        negWant.set(name, want);
      }
      expectCount("negated lookup", got, want);
      negSeries = got;
    },
  );
  console.log(`${name("lookup_negated_ms")} ${fmt(negated, 3)} ms`);
  console.log(`${name("lookup_negated_series")} ${negSeries} series`);

  const values = timeMs(
    reps,
    () => idx.labelValues("instance", [], START_MS, end).length,
    (got) => expectCount("label values of instance", got, instances),
  );
  console.log(`${name("label_values_ms")} ${fmt(values, 3)} ms`);
}

/**
 * Seals the index's one block as a flush does: encoding time, segment bytes
 * per series, the time to load those bytes as bootstrap does, and the memory
 * the sealed block keeps (heap and external, after gc) against the mutable
 * one it replaces.
 */
async function seal(idx: TimeIndex, n: number, mutableBytesPerSeries: number): Promise<void> {
  const before = memory();
  let job: SealJob | null = idx.beginSeal(idx.blockStart(START_MS));
  const t0 = process.hrtime.bigint();
  const sealed = await SealedSegment.seal(job.segments);
  const t1 = process.hrtime.bigint();
  const loadedSize = SealedSegment.decode(sealed.bytes).size;
  const t2 = process.hrtime.bigint();
  for (const size of [sealed.size, loadedSize]) {
    if (size !== n) throw new Error(`sealed segment holds ${size} of ${n} series`);
  }
  const segmentBytes = sealed.bytes.length;
  idx.finishSeal(job, sealed);
  job = null;
  const after = memory();
  console.log(`index.seal_ms ${fmt(Number(t1 - t0) / 1e6, 1)} ms`);
  console.log(`index.sealed_load_ms ${fmt(Number(t2 - t1) / 1e6, 1)} ms`);
  console.log(`index.segment_bytes_per_series ${fmt(segmentBytes / n, 1)} bytes`);
  // The mutable block's figure plus what replacing it with the sealed one changed.
  const sealedBytes = mutableBytesPerSeries + (after.total - before.total) / n;
  console.log(`index.sealed_bytes_per_series ${Math.round(sealedBytes)} bytes`);
}

/** Seconds to write every series once, one datapoint each, into a fresh in-memory database. */
async function writeNew(
  ids: readonly string[],
  encoded: readonly Uint8Array[],
  indexed: boolean,
  batchSize: number,
): Promise<number> {
  const clock = new ManualClock(START_MS + 500);
  const db = await Database.open({ dataDir: null, clock, tickIntervalMs: 0 });
  await db.bootstrapped;
  await db.createNamespace("ns", { index: { enabled: indexed, blockSizeMs: BLOCK_MS } });
  const n = ids.length;
  const batch = {
    count: 0,
    series: new Int32Array(batchSize),
    timesMs: new Float64Array(batchSize).fill(START_MS),
    values: new Float64Array(batchSize).fill(1),
    seriesIds: [] as string[],
    seriesTags: [] as Uint8Array[],
    seriesRefs: new Float64Array(batchSize).fill(-1),
  } satisfies WriteBatch;
  for (let k = 0; k < batchSize; k++) batch.series[k] = k;
  const t0 = process.hrtime.bigint();
  for (let from = 0; from < n; from += batchSize) {
    const count = Math.min(batchSize, n - from);
    batch.count = count;
    batch.seriesIds.length = count;
    batch.seriesTags.length = count;
    for (let k = 0; k < count; k++) {
      batch.seriesIds[k] = ids[from + k];
      batch.seriesTags[k] = encoded[from + k];
    }
    const res = await db.writeBatch("ns", batch);
    if (res.errors.length > 0) throw res.errors[0].error;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (db.seriesCount("ns") !== n)
    throw new Error(`write run kept ${db.seriesCount("ns")} of ${n} series`);
  if (indexed) {
    const all = db.queryIndex("ns", [newMatcher("=~", "job", ".+")], START_MS, START_MS + BLOCK_MS);
    expectCount("indexed series after writes", all.ids.length, n);
  }
  await db.close();
  return seconds;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      series: { type: "string", default: "1000000" },
      reps: { type: "string", default: "21" },
      passes: { type: "string", default: "3" },
      batch: { type: "string", default: "10000" },
      phases: { type: "string", default: "insert,lookup,seal,write" },
    },
  });
  const n = Number(values.series);
  const reps = Number(values.reps);
  const passes = Number(values.passes);
  const batchSize = Number(values.batch);
  for (const [name, v] of Object.entries({ series: n, reps, passes, batch: batchSize })) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`--${name} must be a positive integer, got ${v}`);
  }
  const phases = new Set(values.phases.split(",").filter((p) => p !== ""));
  for (const p of phases) {
    if (p !== "insert" && p !== "lookup" && p !== "seal" && p !== "write")
      throw new Error(`--phases: unknown phase "${p}"; known: insert, lookup, seal, write`);
  }
  if ((phases.has("lookup") || phases.has("seal")) && !phases.has("insert"))
    throw new Error(
      "--phases: lookup and seal run on the index the insert phase builds; add insert",
    );

  process.stderr.write(`encoding ${n} series' tags\n`);
  const encoded = encodeAll(n);

  if (phases.has("insert")) {
    insertAll(idsOf(encoded.slice(0, Math.min(n, 50_000))));
    const rates: number[] = [];
    const timedInsert = (work: Work): TimeIndex => {
      const t0 = process.hrtime.bigint();
      const built = insertAll(work);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      rates.push(n / seconds);
      process.stderr.write(
        `insert pass ${rates.length}/${passes}: ${Math.round(n / seconds)} series/s\n`,
      );
      return built;
    };
    // Pass 1 also measures memory: what the index keeps alive once the
    // caller has dropped its IDs and tags, against a baseline taken before
    // they were built; and the index's own growth during the insert.
    let bytesPerSeries = 0;
    const m0 = memory();
    let work: Work | null = idsOf(encoded);
    const m1 = memory();
    let idx: TimeIndex | null = timedInsert(work);
    const m2 = memory();
    work = null;
    const m3 = memory();
    const own = (m2.total - m1.total) / n;
    const total = (m3.total - m0.total) / n;
    bytesPerSeries = total;
    console.log(`index.bytes_per_series ${Math.round(total)} bytes`);
    console.log(`index.own_bytes_per_series ${Math.round(own)} bytes`);
    console.log(`index.retained_input_bytes_per_series ${Math.round(total - own)} bytes`);
    console.log(`index.input_bytes_per_series ${Math.round((m1.total - m0.total) / n)} bytes`);
    console.log(`index.rss_bytes_per_series ${Math.round((m3.rss - m0.rss) / n)} bytes`);
    if (passes > 1) {
      idx = null;
      work = idsOf(encoded);
      for (let p = 1; p < passes; p++) {
        idx = null;
        gc();
        idx = timedInsert(work);
      }
      work = null;
    }
    console.log(`index.insert_series_per_s ${Math.round(median(rates))} series/s`);
    if (phases.has("lookup") && idx !== null) lookups(idx, n, reps, false);
    if (phases.has("seal") && idx !== null) {
      await seal(idx, n, bytesPerSeries);
      if (phases.has("lookup")) lookups(idx, n, reps, true);
    }
    idx = null;
    gc();
  }

  if (phases.has("write")) {
    const ids: string[] = new Array(n);
    for (let s = 0; s < n; s++) ids[s] = seriesIdString(seriesTags(s));
    // Warm-up of both paths on a slice.
    const warmN = Math.min(n, 50_000);
    await writeNew(ids.slice(0, warmN), encoded.slice(0, warmN), false, batchSize);
    await writeNew(ids.slice(0, warmN), encoded.slice(0, warmN), true, batchSize);
    const on: number[] = [];
    const off: number[] = [];
    for (let p = 0; p < passes; p++) {
      // Alternate which kind goes first, so neither always meets a fresher heap.
      for (const indexed of p % 2 === 0 ? [false, true] : [true, false]) {
        gc();
        const rate = n / (await writeNew(ids, encoded, indexed, batchSize));
        (indexed ? on : off).push(rate);
        process.stderr.write(
          `write pass ${p + 1}/${passes}, index ${indexed ? "on" : "off"}: ${Math.round(rate)} series/s\n`,
        );
      }
    }
    const onRate = median(on);
    const offRate = median(off);
    console.log(`index.write.off.new_series_per_s ${Math.round(offRate)} series/s`);
    console.log(`index.write.on.new_series_per_s ${Math.round(onRate)} series/s`);
    console.log(`index.write_slowdown_ratio ${fmt(onRate / offRate, 3)} ratio`);
  }
}

await main();
