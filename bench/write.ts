// `npm run bench:write`: in-process batch writes into the storage engine, with
// the commit log off, write-behind and wait, and the memory an active series
// costs. Prints `name value unit` lines.
//
// The workload is what a Prometheus remote-write stream looks like to the
// database: every series gets one sample per 10 s scrape round, in batches of
// --batch samples (default 1000) that carry the series' refs after the first
// round, values shaped like the codec benchmark's mix (counters, two-decimal
// gauges, constants, histogram buckets). The clock is moved 10 s per round.
// The first round creates the series and is timed on its own
// (write.<mode>.new_series_per_s); the datapoint rate covers the rounds after.
//
// Options: --series N (default 100000) for the throughput runs, --rounds N
// (default 20), --batch N, --inflight N (batches in flight at once, default 8:
// the wait strategy shares one fsync among them), --memory-series N (default
// 1000000; 0 skips the memory run), --modes off,writebehind,wait (which runs).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Database } from "../src/dbnode/storage/index.js";
import type { WriteBatch } from "../src/dbnode/ts/index.js";
import { encodeTags, ManualClock, seriesIdString } from "../src/x/index.js";
import { MIX_WEIGHTS } from "./datasets.js";

const SCRAPE_MS = 10_000;
const START_MS = 1_700_000_000_000;

type Mode = "off" | "writebehind" | "wait";

interface Workload {
  ids: string[];
  tags: Uint8Array[];
  /** Per series: 0 counter, 1 gauge, 2 constant, 3 histogram bucket. */
  kinds: Uint8Array;
  state: Float64Array;
}

/** Series named like a real fleet's, with kinds drawn by the codec benchmark's mix weights. */
function makeWorkload(seriesCount: number): Workload {
  const ids: string[] = new Array(seriesCount);
  const tags: Uint8Array[] = new Array(seriesCount);
  const kinds = new Uint8Array(seriesCount);
  const state = new Float64Array(seriesCount);
  const cut1 = MIX_WEIGHTS.counter;
  const cut2 = cut1 + MIX_WEIGHTS.gauge2dp;
  const cut3 = cut2 + MIX_WEIGHTS.constant;
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  for (let s = 0; s < seriesCount; s++) {
    const r = rand();
    kinds[s] = r < cut1 ? 0 : r < cut2 ? 1 : r < cut3 ? 2 : 3;
    const pairs: [string, string][] = [
      ["__name__", `bench_metric_${s % 500}`],
      ["instance", `host-${Math.floor(s / 500)}:9100`],
      ["job", "node"],
    ];
    if (kinds[s] === 3) pairs.push(["le", String(2 ** (s % 12))]);
    ids[s] = seriesIdString(pairs);
    tags[s] = encodeTags(pairs);
    state[s] = Math.floor(rand() * 1000);
  }
  return { ids, tags, kinds, state };
}

function nextValue(w: Workload, s: number): number {
  switch (w.kinds[s]) {
    case 0:
      w.state[s] += Math.floor(Math.random() * 50);
      return w.state[s];
    case 1:
      w.state[s] = Math.round((w.state[s] + (Math.random() - 0.5) * 4) * 100) / 100;
      return w.state[s];
    case 2:
      return w.state[s];
    default:
      if (Math.random() < 0.3) w.state[s] += 1;
      return w.state[s];
  }
}

/** Writes `rounds` scrape rounds of every series in batches; returns datapoints per second. */
async function run(
  db: Database,
  w: Workload,
  rounds: number,
  batchSize: number,
  inflight: number,
  clock: ManualClock,
): Promise<{ dps: number; createSeconds: number }> {
  const n = w.ids.length;
  const refs = new Float64Array(n).fill(-1);
  // One reusable set of columns per in-flight slot.
  const slots = Array.from({ length: inflight }, () => ({
    series: new Int32Array(batchSize),
    timesMs: new Float64Array(batchSize),
    values: new Float64Array(batchSize),
    seriesIds: [] as string[],
    seriesTags: [] as Uint8Array[],
    seriesRefs: new Float64Array(batchSize),
  }));
  let points = 0;
  // Round 0 creates the series; the rate is timed over the later rounds,
  // which write known series by ref, as steady-state ingest does.
  let t0 = process.hrtime.bigint();
  let createSeconds = 0;
  for (let r = 0; r < rounds; r++) {
    if (r === 1) {
      const now = process.hrtime.bigint();
      createSeconds = Number(now - t0) / 1e9;
      t0 = now;
      points = 0;
    }
    const t = START_MS + r * SCRAPE_MS;
    clock.set(t + 500);
    const pending: Promise<void>[] = [];
    for (let from = 0; from < n; from += batchSize) {
      const slot = slots[pending.length];
      const count = Math.min(batchSize, n - from);
      slot.seriesIds.length = count;
      slot.seriesTags.length = count;
      for (let k = 0; k < count; k++) {
        const s = from + k;
        slot.series[k] = k;
        slot.timesMs[k] = t;
        slot.values[k] = nextValue(w, s);
        slot.seriesIds[k] = w.ids[s];
        slot.seriesTags[k] = w.tags[s];
        slot.seriesRefs[k] = refs[s];
      }
      const batch: WriteBatch = { count, ...slot };
      pending.push(
        db.writeBatch("default", batch).then((res) => {
          if (res.errors.length > 0) throw res.errors[0].error;
          for (let k = 0; k < count; k++) refs[from + k] = res.refs[k];
        }),
      );
      points += count;
      if (pending.length === inflight) {
        await Promise.all(pending);
        pending.length = 0;
      }
    }
    await Promise.all(pending);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { dps: points / seconds, createSeconds };
}

async function openDb(mode: Mode, dir: string, clock: ManualClock): Promise<Database> {
  const db = await Database.open({
    dataDir: mode === "off" ? null : dir,
    clock,
    commitLog: { strategy: mode === "wait" ? "wait" : "behind" },
  });
  await db.bootstrapped;
  await db.createNamespace("default", { retentionPeriodMs: 48 * 3600_000 });
  return db;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) {
    g();
    g();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      series: { type: "string", default: "100000" },
      rounds: { type: "string", default: "20" },
      batch: { type: "string", default: "1000" },
      inflight: { type: "string", default: "8" },
      "memory-series": { type: "string", default: "1000000" },
      modes: { type: "string", default: "off,writebehind,wait" },
    },
  });
  const seriesCount = Number(values.series);
  const rounds = Number(values.rounds);
  const batchSize = Number(values.batch);
  const inflight = Number(values.inflight);
  const memorySeries = Number(values["memory-series"]);
  for (const [name, v] of Object.entries({ seriesCount, rounds, batchSize, inflight })) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`--${name} must be a positive integer, got ${v}`);
  }

  const workload = makeWorkload(seriesCount);
  const names: Record<Mode, string> = {
    off: "write.off.dps",
    writebehind: "write.writebehind.dps",
    wait: "write.wait.dps",
  };
  // Warm the JIT on a throwaway in-memory database, so the first mode timed
  // is not also the one that pays for compilation.
  {
    const clock = new ManualClock(START_MS);
    const warm = await openDb("off", "", clock);
    await run(warm, makeWorkload(Math.min(seriesCount, 20_000)), 5, batchSize, inflight, clock);
    await warm.close();
  }
  const modes = values.modes.split(",").filter((m) => m !== "") as Mode[];
  for (const mode of modes) {
    if (!(mode in names))
      throw new Error(`--modes: unknown mode "${mode}"; known: off, writebehind, wait`);
  }
  for (const mode of modes) {
    const dir = await mkdtemp(join(tmpdir(), "m3ts-bench-write-"));
    const clock = new ManualClock(START_MS);
    const db = await openDb(mode, dir, clock);
    const { dps, createSeconds } = await run(db, workload, rounds, batchSize, inflight, clock);
    console.log(`${names[mode]} ${Math.round(dps)} dp/s`);
    console.log(
      `${names[mode].replace(".dps", ".new_series_per_s")} ${Math.round(seriesCount / createSeconds)} series/s`,
    );
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }

  if (memorySeries > 0) {
    // Memory: RSS growth for this many active series, each with a few
    // samples. The workload is built after the first reading and dropped
    // before the second, so the growth is what the database keeps (the ID
    // strings it holds included).
    const clock = new ManualClock(START_MS);
    gc();
    const before = process.memoryUsage().rss;
    const db = await openDb("off", "", clock);
    let mem: Workload | null = makeWorkload(memorySeries);
    await run(db, mem, 3, batchSize, 1, clock);
    mem = null;
    gc();
    const after = process.memoryUsage().rss;
    if (db.seriesCount("default") !== memorySeries) throw new Error("memory run lost series");
    console.log(`write.bytes_per_series ${Math.round((after - before) / memorySeries)} bytes`);
    await db.close();
  }
}

await main();
