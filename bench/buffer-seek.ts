// `node --expose-gc dist/bench/buffer-seek.js`: an instant read at "now" over
// series whose current block sits in the buffers. Writes --series series
// (default 10000) × 2 h of 15 s samples into one buffer block (in memory, no
// tick), then times client.fetchTagged over the last 5 minutes of every
// series (--runs times, median and min printed), the heap the buffers hold
// per series, and one flush of that block to disk. Prints `name value unit`.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { InProcessClient } from "../src/client/index.js";
import { Database } from "../src/dbnode/storage/index.js";
import { newMatcher } from "../src/index/index.js";
import { encodeTags, ManualClock, seriesIdString } from "../src/x/index.js";

const STEP_MS = 15_000;
const BLOCK_MS = 2 * 3600_000;
const START_MS = Math.ceil(1_700_000_000_000 / BLOCK_MS) * BLOCK_MS;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  g?.();
  g?.();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      series: { type: "string", default: "10000" },
      runs: { type: "string", default: "9" },
    },
  });
  const n = Number(values.series);
  const runs = Number(values.runs);
  const points = BLOCK_MS / STEP_MS;
  const dir = await mkdtemp(join(tmpdir(), "m3ts-bench-seek-"));
  const clock = new ManualClock(START_MS);
  gc();
  const mem0 = process.memoryUsage();
  const db = await Database.open({
    dataDir: dir,
    clock,
    commitLog: { strategy: "behind" },
    tickIntervalMs: 0,
  });
  await db.bootstrapped;
  await db.createNamespace("seek", {
    blockSizeMs: BLOCK_MS,
    bufferPastMs: 10 * 60_000,
    bufferFutureMs: 2 * 60_000,
    retentionPeriodMs: 48 * 3600_000,
    coldWritesEnabled: false,
    index: { enabled: true, blockSizeMs: BLOCK_MS },
  });
  const ids: string[] = [];
  const tags: Uint8Array[] = [];
  for (let s = 0; s < n; s++) {
    const pairs: [string, string][] = [
      ["__name__", "seek_metric"],
      ["instance", `host-${s}`],
    ];
    ids.push(seriesIdString(pairs));
    tags.push(encodeTags(pairs));
  }
  const refs = new Float64Array(n).fill(-1);
  const series = new Int32Array(n);
  const times = new Float64Array(n);
  const vals = new Float64Array(n);
  const state = new Float64Array(n);
  for (let s = 0; s < n; s++) series[s] = s;
  const t0 = performance.now();
  for (let r = 0; r < points; r++) {
    const t = START_MS + r * STEP_MS;
    clock.set(t + 500);
    for (let s = 0; s < n; s++) {
      times[s] = t;
      state[s] += s % 3 === 0 ? 1 : Math.round(Math.random() * 100) / 10;
      vals[s] = state[s];
    }
    const res = await db.writeBatch("seek", {
      count: n,
      series,
      timesMs: times,
      values: vals,
      seriesIds: ids,
      seriesTags: tags,
      seriesRefs: refs,
    });
    if (res.errors.length > 0) throw res.errors[0].error;
    refs.set(res.refs);
  }
  const writeS = (performance.now() - t0) / 1000;
  gc();
  const mem1 = process.memoryUsage();
  console.log(`seek.write_dps ${Math.round((n * points) / writeS)} dp/s`);
  // The JS heap and the array buffers' stores outside it (streams over 64 bytes).
  const heap = mem1.heapUsed - mem0.heapUsed;
  const buffers = mem1.arrayBuffers - mem0.arrayBuffers;
  console.log(`seek.heap_per_series ${Math.round(heap / n)} bytes`);
  console.log(`seek.array_buffers_per_series ${Math.round(buffers / n)} bytes`);
  console.log(`seek.memory_per_series ${Math.round((heap + buffers) / n)} bytes`);

  const client = new InProcessClient(db);
  const now = START_MS + (points - 1) * STEP_MS + 500;
  const limits = { maxSeries: 0, maxDocsScanned: 0, maxSamples: 0 };
  const m = [newMatcher("=", "__name__", "seek_metric")];
  const ms: number[] = [];
  let got = 0;
  for (let i = 0; i < runs + 2; i++) {
    const a = performance.now();
    const out = await client.fetchTagged("seek", m, now - 5 * 60_000, now, limits);
    const took = performance.now() - a;
    if (i >= 2) ms.push(took);
    got = 0;
    for (const f of out) got += f.timesMs.length;
  }
  if (got !== n * 20) throw new Error(`read ${got} samples, expected ${n * 20}`);
  console.log(`seek.fetch_5m_median_ms ${median(ms).toFixed(1)} ms`);
  console.log(`seek.fetch_5m_min_ms ${Math.min(...ms).toFixed(1)} ms`);

  // Flush: move past the block's flush time and tick once.
  clock.set(START_MS + BLOCK_MS + 11 * 60_000);
  const f0 = performance.now();
  const tick = await db.tick();
  const flushS = (performance.now() - f0) / 1000;
  if (tick.warmFlushes === 0) throw new Error("the tick flushed nothing");
  console.log(`seek.flush_tick_s ${flushS.toFixed(2)} s`);
  console.log(`seek.flush_dps ${Math.round((n * points) / flushS)} dp/s`);
  await db.close();
  await rm(dir, { recursive: true, force: true });
}

await main();
