// Loads a SampleStream into m3ts as a Prometheus server would have written
// it over time, and measures the whole data directory once the engine has
// done what it does to old data: flush, snapshot, commit log cleanup, then,
// two days later, compaction of old blocks.
//
// The clock is a ManualClock. Each 2-hour chunk is written while the clock
// sits 60 min into its block, so every point is a warm write; nothing is
// ticked until the end, so every block stays in memory (as bench/storage.ts
// always did). Then the clock moves past the last block's flush time and
// ticks run the flush, the snapshot and the cleanup; then it moves two days
// on and ticks until a tick reports no compaction work. A few series are
// read back point by point before the database closes. The namespace has a
// 2-hour block, Prometheus's default retention of 15 days and a label index
// (as the coordinator's database create gives a Prometheus namespace).
import * as fs from "node:fs";
import * as path from "node:path";
import { Database, type TickResult } from "../src/dbnode/storage/index.js";
import { encodeTags, ManualClock, seriesIdString } from "../src/x/index.js";
import { type DuBytes, duBytes, treeBytes } from "./external-tools.js";
import type { SampleStream } from "./samples.js";

const NAMESPACE = "bench";
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const M3TS_BLOCK_MS = 2 * HOUR_MS;
/** Prometheus's default retention, so both keep what a default install keeps. */
const RETENTION_MS = 15 * DAY_MS;
/** bufferPast and bufferFuture: a block is warm from 40 min before its start to 40 min after its end when the clock sits 60 min into it. */
const BUFFER_MS = 100 * MINUTE_MS;
const CLOCK_INTO_BLOCK_MS = 60 * MINUTE_MS;
/** How far the clock moves after the flush before the compaction ticks. */
const COMPACT_AFTER_MS = 2 * DAY_MS;
/** Datapoints per write batch (all series × as many scrape rounds as fit). */
const BATCH_POINTS = 65_536;
/** Ticks after the flush that may still find flush, snapshot or cleanup work. */
const SETTLE_TICKS = 3;
/** Bound of the compaction ticks: a tick that still compacts after this many is an error. */
const MAX_COMPACTION_TICKS = 200;

/** What loading a stream into m3ts cost, and what the data directory holds afterwards. */
export interface M3tsDiskResult {
  datapoints: number;
  /** The whole data directory after close. */
  whole: DuBytes;
  /** The data directory's parts (m3tsDataDirParts), after close. */
  parts: Record<string, DuBytes>;
  /** Sum of the file sizes under data/ alone (what bench:storage measured before the whole directory). */
  dataFileBytes: number;
  writeS: number;
  /** Wall time of the tick that flushed every block. */
  flushS: number;
  flushTick: TickResult;
  snapshotTaken: boolean;
  commitLogsRemoved: number;
  /** Wall time of the compaction ticks that did work. */
  compactionS: number;
  compactionTicks: number;
  compactions: number;
  compactedDatapoints: number;
  /** Whether TickResult carries the compaction counts at all. */
  compactionReported: boolean;
  verifiedSeries: number;
}

/**
 * The named parts of an m3ts data directory, each as du counts it: every
 * top-level entry (data, index, snapshots, commitlogs, small files).
 * This is where a finer split of data/ (streams, series metadata) goes.
 */
export function m3tsDataDirParts(dataDir: string): Record<string, DuBytes> {
  const out: Record<string, DuBytes> = {};
  for (const name of fs.readdirSync(dataDir).sort()) out[name] = duBytes(path.join(dataDir, name));
  return out;
}

/** Loads `stream` into a fresh m3ts under `dataDir` and measures it (see the file's header). */
export async function m3tsDiskBytes(
  stream: SampleStream,
  dataDir: string,
  options: {
    startMs: number;
    verifySeries?: number;
    progress?: (m: string) => void;
    /** The namespace's fileFormat (default m3ts's own; "m3" measures M3's seven-file volumes on the same data). */
    fileFormat?: "m3ts" | "m3";
  },
): Promise<M3tsDiskResult> {
  const { startMs } = options;
  const say = options.progress ?? (() => {});
  const n = stream.labels.length;
  const ids: string[] = [];
  const tags: Uint8Array[] = [];
  for (const labels of stream.labels) {
    ids.push(seriesIdString(labels));
    tags.push(encodeTags(labels));
  }
  const verify = spread(n, options.verifySeries ?? 8);
  const kept = verify.map(() => ({ timesMs: [] as number[], values: [] as number[] }));

  const clock = new ManualClock(startMs);
  const db = await Database.open({
    dataDir,
    clock,
    commitLog: { strategy: "behind" },
    tickIntervalMs: 0,
  });
  let closed = false;
  try {
    await db.bootstrapped;
    await db.createNamespace(NAMESPACE, {
      blockSizeMs: M3TS_BLOCK_MS,
      bufferPastMs: BUFFER_MS,
      bufferFutureMs: BUFFER_MS,
      retentionPeriodMs: RETENTION_MS,
      coldWritesEnabled: false,
      fileFormat: options.fileFormat ?? "m3ts",
      // Queried by labels as Prometheus and VictoriaMetrics are, so it keeps a label index as they do.
      index: { enabled: true, blockSizeMs: M3TS_BLOCK_MS },
    });

    // ---- writes, block by block ----
    const series = new Int32Array(BATCH_POINTS);
    const timesMs = new Float64Array(BATCH_POINTS);
    const values = new Float64Array(BATCH_POINTS);
    let refs: Float64Array<ArrayBufferLike> = new Float64Array(n).fill(-1);
    let lastBlockStartMs = startMs;
    let written = 0;
    const t0 = performance.now();
    for (const chunk of stream.chunks()) {
      const blockStartMs = Math.floor(chunk.startMs / M3TS_BLOCK_MS) * M3TS_BLOCK_MS;
      if (chunk.endMs > blockStartMs + M3TS_BLOCK_MS) {
        throw new RangeError(`chunk [${chunk.startMs}, ${chunk.endMs}) spans more than one block`);
      }
      lastBlockStartMs = blockStartMs;
      clock.set(blockStartMs + CLOCK_INTO_BLOCK_MS);
      for (let k = 0; k < verify.length; k++) {
        const s = verify[k];
        for (let i = chunk.offsets[s]; i < chunk.offsets[s + 1]; i++) {
          kept[k].timesMs.push(chunk.timesMs[i]);
          kept[k].values.push(chunk.values[i]);
        }
      }
      let longest = 0;
      for (let s = 0; s < n; s++)
        longest = Math.max(longest, chunk.offsets[s + 1] - chunk.offsets[s]);
      // Scrape rounds in time order, as they arrive from a Prometheus.
      const rounds = Math.max(1, Math.floor(BATCH_POINTS / n));
      for (let from = 0; from < longest; from += rounds) {
        const to = Math.min(longest, from + rounds);
        let count = 0;
        for (let j = from; j < to; j++) {
          for (let s = 0; s < n; s++) {
            const i = chunk.offsets[s] + j;
            if (i >= chunk.offsets[s + 1]) continue;
            series[count] = s;
            timesMs[count] = chunk.timesMs[i];
            values[count] = chunk.values[i];
            count++;
          }
        }
        const res = await db.writeBatch(NAMESPACE, {
          count,
          series,
          timesMs,
          values,
          seriesIds: ids,
          seriesTags: tags,
          seriesRefs: refs,
        });
        if (res.errors.length > 0) {
          const first = res.errors[0];
          throw new Error(
            `write of the block at ${blockStartMs} rejected ${res.errors.length} datapoints; first, #${first.index}: ${first.error.message}`,
          );
        }
        refs = res.refs;
        written += count;
      }
    }
    const writeS = (performance.now() - t0) / 1000;
    if (written !== stream.datapoints) {
      throw new Error(`wrote ${written} datapoints, the stream says it holds ${stream.datapoints}`);
    }

    // ---- flush, snapshot, commit log cleanup ----
    say("m3ts: flush tick");
    clock.set(lastBlockStartMs + M3TS_BLOCK_MS + BUFFER_MS + MINUTE_MS);
    let t1 = performance.now();
    const flushTick = await db.tick();
    const flushS = (performance.now() - t1) / 1000;
    if (flushTick.flushFailures > 0 || flushTick.warmFlushes === 0) {
      throw new Error(
        `flush tick: ${flushTick.warmFlushes} warm flushes, ${flushTick.flushFailures} failures`,
      );
    }
    let snapshotTaken = flushTick.snapshotTaken;
    let commitLogsRemoved = flushTick.commitLogsRemoved;
    for (let k = 0; k < SETTLE_TICKS; k++) {
      // The snapshot interval runs on the injected clock: a minute on, one is due.
      clock.set(clock.nowMs() + MINUTE_MS);
      const r = await db.tick();
      if (r.flushFailures > 0 || r.warmFlushes + r.coldFlushes > 0) {
        throw new Error(
          `tick after the flush flushed again: ${r.warmFlushes} warm, ${r.coldFlushes} cold, ${r.flushFailures} failed`,
        );
      }
      snapshotTaken ||= r.snapshotTaken;
      commitLogsRemoved += r.commitLogsRemoved;
    }

    // ---- compaction of old blocks ----
    say("m3ts: compaction ticks");
    clock.set(clock.nowMs() + COMPACT_AFTER_MS);
    let compactionS = 0;
    let compactionTicks = 0;
    let compactions = 0;
    let compactedDatapoints = 0;
    let compactionReported = false;
    for (;;) {
      t1 = performance.now();
      const r = await db.tick();
      const s = (performance.now() - t1) / 1000;
      const c = r as { compactions?: number; compactedDatapoints?: number };
      compactionReported ||= c.compactions !== undefined;
      const did = c.compactions ?? 0;
      snapshotTaken ||= r.snapshotTaken;
      commitLogsRemoved += r.commitLogsRemoved;
      if (did === 0) break;
      compactionS += s;
      compactionTicks++;
      compactions += did;
      compactedDatapoints += c.compactedDatapoints ?? 0;
      if (compactionTicks >= MAX_COMPACTION_TICKS) {
        throw new Error(
          `still compacting after ${MAX_COMPACTION_TICKS} ticks (${compactions} compactions)`,
        );
      }
      clock.set(clock.nowMs() + MINUTE_MS);
    }

    // ---- read back ----
    const endMs = lastBlockStartMs + M3TS_BLOCK_MS;
    for (let k = 0; k < verify.length; k++) {
      await checkSeries(db, ids[verify[k]], kept[k], startMs, endMs);
    }
    await db.close();
    closed = true;
    return {
      datapoints: written,
      whole: duBytes(dataDir),
      parts: m3tsDataDirParts(dataDir),
      dataFileBytes: treeBytes(path.join(dataDir, "data")),
      writeS,
      flushS,
      flushTick,
      snapshotTaken,
      commitLogsRemoved,
      compactionS,
      compactionTicks,
      compactions,
      compactedDatapoints,
      compactionReported,
      verifiedSeries: verify.length,
    };
  } finally {
    if (!closed) await db.close();
  }
}

/** Reads one series over [fromMs, toMs) and checks every point against what was written. */
async function checkSeries(
  db: Database,
  id: string,
  want: { timesMs: number[]; values: number[] },
  fromMs: number,
  toMs: number,
): Promise<void> {
  const it = await db.fetch(NAMESPACE, id, fromMs, toMs);
  let n = 0;
  while (it.next()) {
    if (n < want.timesMs.length) {
      const v = it.value;
      const w = want.values[n];
      if (it.timeMs !== want.timesMs[n] || (v !== w && !(Number.isNaN(v) && Number.isNaN(w)))) {
        throw new Error(
          `read of ${id}: point ${n} is (${it.timeMs}, ${v}), wrote (${want.timesMs[n]}, ${w})`,
        );
      }
    }
    n++;
  }
  if (it.error !== null) throw new Error(`read of ${id}: ${it.error.message}`);
  if (n !== want.timesMs.length) {
    throw new Error(`read of ${id}: ${n} datapoints, wrote ${want.timesMs.length}`);
  }
}

/** `count` series indices spread evenly over `total`, so every kind is read. */
function spread(total: number, count: number): number[] {
  const out: number[] = [];
  const k = Math.min(total, count);
  for (let i = 0; i < k; i++) out.push(Math.floor((i * total) / k));
  return out;
}
