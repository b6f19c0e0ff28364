// Compaction: which windows are planned, and, on a real database over a
// temporary directory, that compacted volumes replace the old ones on disk
// and keep every datapoint through reads, cold writes into the span, a
// restart, a crash between the write and the removals, and retention.
import assert from "node:assert/strict";
import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Registry } from "prom-client";
import { encodeTags, ManualClock, nodeFileSystem, seriesIdString } from "../../x/index.js";
import { type DataVolumeId, type ListedDataVolume, listDataVolumes } from "../fs/index.js";
import type { WriteBatch } from "../ts/index.js";
import { compactionSpans, planShard } from "./compaction.js";
import type { DiskBlock } from "./disk-blocks.js";
import { Database, type DatabaseOptions } from "./index.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const BLOCK = 2 * HOUR;
const DAY = 24 * HOUR;
// A boundary of 18-hour windows (and so of 6-hour ones and blocks).
const T0 = Math.ceil(1_700_000_000_000 / (18 * HOUR)) * 18 * HOUR;
const NS = "c";
const dirs: string[] = [];

after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

// ---- planning ----------------------------------------------------------------

function block(startMs: number, endMs: number, volume = 0, format: "m3" | "m3ts" = "m3ts") {
  const id: DataVolumeId = { namespace: NS, shard: 0, startMs, endMs, volume, format };
  return { id, key: "", reader: null, reads: 0, retired: false } as unknown as DiskBlock;
}

test("spans are the block size times 3, 9, 27, ... up to a tenth of the retention or the given maximum", () => {
  assert.deepEqual(compactionSpans(BLOCK, 15 * DAY, null), [6 * HOUR, 18 * HOUR]);
  assert.deepEqual(compactionSpans(BLOCK, 48 * HOUR, null), []);
  assert.deepEqual(compactionSpans(BLOCK, 48 * HOUR, 54 * HOUR), [6 * HOUR, 18 * HOUR, 54 * HOUR]);
  assert.deepEqual(compactionSpans(BLOCK, 10_000 * DAY, null).at(-1), 2 * 3 ** 5 * HOUR);
});

test("a shard's volumes go to the longest window that is old enough, two or more of them", () => {
  const spans = [6 * HOUR, 18 * HOUR];
  const blocks = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) =>
    block(T0 + i * BLOCK, T0 + (i + 1) * BLOCK),
  );
  // Ready up to T0 + 20h: the first 18 h window entire, then the 6 h window [18h, 24h) is not.
  const plans = planShard(blocks, spans, T0 + 20 * HOUR, 0);
  assert.deepEqual(
    plans.map((p) => [p.startMs - T0, p.endMs - T0, p.inputs.length]),
    [[0, 18 * HOUR, 9]],
  );
  // Ready only up to 12 h: two 6 h windows.
  assert.deepEqual(
    planShard(blocks, spans, T0 + 12 * HOUR, 0).map((p) => [p.startMs - T0, p.inputs.length]),
    [
      [0, 3],
      [6 * HOUR, 3],
    ],
  );
  // A window partly past retention is left to expire.
  assert.deepEqual(
    planShard(blocks, spans, T0 + 12 * HOUR, T0 + MIN).map((p) => p.startMs - T0),
    [6 * HOUR],
  );
});

test("a window is not planned with one volume, an M3-format volume, or a volume reaching past it", () => {
  const spans = [6 * HOUR, 18 * HOUR];
  const ready = T0 + 100 * HOUR;
  assert.deepEqual(planShard([block(T0, T0 + BLOCK)], spans, ready, 0), []);
  assert.deepEqual(planShard([block(T0, T0 + 6 * HOUR)], spans, ready, 0), []);
  assert.deepEqual(
    planShard([block(T0, T0 + BLOCK), block(T0 + BLOCK, T0 + 2 * BLOCK, 0, "m3")], spans, ready, 0),
    [],
  );
  // A compacted 6 h volume and a later block join in the 18 h window.
  const joined = planShard(
    [block(T0, T0 + 6 * HOUR, 3), block(T0 + 6 * HOUR, T0 + 8 * HOUR)],
    spans,
    ready,
    0,
  );
  assert.deepEqual(
    joined.map((p) => [p.startMs, p.endMs, p.inputs.length]),
    [[T0, T0 + 18 * HOUR, 2]],
  );
});

// ---- on a database -------------------------------------------------------------

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "m3ts-compaction-test-"));
  dirs.push(d);
  return d;
}

const OPTIONS = {
  blockSizeMs: BLOCK,
  bufferPastMs: 10 * MIN,
  retentionPeriodMs: 15 * DAY,
  coldWritesEnabled: true,
  index: { enabled: true, blockSizeMs: BLOCK },
};

async function open(dir: string, clock: ManualClock, extra: Partial<DatabaseOptions> = {}) {
  const db = await Database.open({
    dataDir: dir,
    clock,
    numShards: 2,
    tickIntervalMs: 0,
    snapshotIntervalMs: 0,
    compaction: { afterMs: HOUR },
    ...extra,
  });
  await db.bootstrapped;
  if (!db.listNamespaces().some((n) => n.name === NS)) await db.createNamespace(NS, OPTIONS);
  return db;
}

const SERIES = ["up", "load", "bytes"];
const idOf = (s: string) => seriesIdString([["__name__", s]]);

function batch(points: [string, number, number][]): WriteBatch {
  return {
    count: points.length,
    series: points.map((p) => SERIES.indexOf(p[0])),
    timesMs: points.map((p) => p[1]),
    values: Float64Array.from(points, (p) => p[2]),
    seriesIds: SERIES.map(idOf),
    seriesTags: SERIES.map((s) => encodeTags([["__name__", s]])),
  };
}

/** Every series each minute over [from, to), warm, ticking every 30 minutes; records what was written. */
async function writeSpan(
  db: Database,
  clock: ManualClock,
  from: number,
  to: number,
  expected: Map<string, Map<number, number>>,
) {
  for (let t = from; t < to; t += MIN) {
    clock.set(t);
    const points: [string, number, number][] = SERIES.map((s, i) => [
      s,
      t,
      i === 0 ? 1 : i === 1 ? ((t / MIN) % 97) / 100 : t / MIN,
    ]);
    const r = await db.writeBatch(NS, batch(points));
    assert.deepEqual(r.errors, []);
    for (const [s, tt, v] of points) expected.get(s)?.set(tt, v);
    if ((t - from) % (30 * MIN) === 0) await db.tick();
  }
}

async function readAll(db: Database, s: string): Promise<[number, number][]> {
  const it = await db.fetch(NS, idOf(s), 0, T0 + 100 * DAY);
  const out: [number, number][] = [];
  while (it.next()) out.push([it.timeMs, it.value]);
  assert.equal(it.error, null);
  return out;
}

async function assertReads(db: Database, expected: Map<string, Map<number, number>>) {
  for (const s of SERIES) {
    const want = [...(expected.get(s) ?? [])].sort((a, b) => a[0] - b[0]);
    assert.deepEqual(await readAll(db, s), want, `series ${s}`);
  }
}

async function volumes(dir: string): Promise<ListedDataVolume[]> {
  return (await listDataVolumes(dir, nodeFileSystem, () => BLOCK)).filter((v) => v.complete);
}

const spanOf = (v: ListedDataVolume) => (v.endMs - v.startMs) / HOUR;

test("old blocks' volumes are compacted into 6 h and 18 h spans; reads, a restart and metrics agree", async () => {
  const dir = await tempDir();
  const clock = new ManualClock(T0);
  const metrics = new Registry();
  let db = await open(dir, clock, { metrics });
  const expected = new Map(SERIES.map((s) => [s, new Map<number, number>()]));
  await writeSpan(db, clock, T0, T0 + 20 * HOUR, expected);
  // Past the first 18 h window's end + bufferPast + compaction.after.
  clock.set(T0 + 18 * HOUR + 10 * MIN + HOUR + MIN);
  const r = await db.tick();
  assert.equal(r.compactionFailures, 0);
  // Ticks while writing compacted the 6 h windows as they became due, then the 18 h one.
  const done = await metrics.getSingleMetric("m3ts_db_compactions_total")?.get();
  assert.ok((done?.values[0]?.value ?? 0) >= 2, JSON.stringify(done?.values));
  let vols = await volumes(dir);
  // Per shard: one 18 h volume, then the 2 h blocks after it.
  for (const shard of [0, 1]) {
    const mine = vols.filter((v) => v.shard === shard);
    if (mine.length === 0) continue;
    assert.equal(mine[0].startMs, T0);
    assert.equal(spanOf(mine[0]), 18);
    assert.ok(mine.slice(1).every((v) => spanOf(v) === 2 && v.startMs >= T0 + 18 * HOUR));
  }
  await assertReads(db, expected);
  const points = await metrics.getSingleMetric("m3ts_db_compacted_datapoints_total")?.get();
  assert.ok((points?.values[0]?.value ?? 0) >= SERIES.length * 18 * 60);
  // Nothing more to do on the next tick.
  assert.equal((await db.tick()).compactions, 0);
  await db.close();
  db = await open(dir, clock);
  await assertReads(db, expected);
  vols = await volumes(dir);
  assert.ok(vols.some((v) => spanOf(v) === 18));
  await db.close();
});

test("a cold write into a compacted span rewrites the span and reads back; retention removes the span whole", async () => {
  const dir = await tempDir();
  const clock = new ManualClock(T0);
  let db = await open(dir, clock);
  const expected = new Map(SERIES.map((s) => [s, new Map<number, number>()]));
  await writeSpan(db, clock, T0, T0 + 8 * HOUR, expected);
  clock.set(T0 + 8 * HOUR + 10 * MIN + HOUR + MIN);
  await db.tick();
  const before = (await volumes(dir)).filter((v) => v.startMs === T0);
  assert.ok(before.length > 0 && before.every((v) => spanOf(v) === 6));
  // Cold writes: one replaces a point, one adds a point, inside the span.
  const r = await db.writeBatch(
    NS,
    batch([
      ["up", T0 + 3 * HOUR, 5],
      ["load", T0 + 3 * HOUR + 30_000, -0.5],
    ]),
  );
  assert.deepEqual(r.errors, []);
  expected.get("up")?.set(T0 + 3 * HOUR, 5);
  expected.get("load")?.set(T0 + 3 * HOUR + 30_000, -0.5);
  await assertReads(db, expected);
  const t = await db.tick();
  assert.ok(t.coldFlushes > 0);
  const after = (await volumes(dir)).filter((v) => v.startMs === T0);
  // Still one 6 h volume per shard, with a higher number where a cold write went.
  assert.ok(after.every((v) => spanOf(v) === 6));
  assert.ok(after.some((v) => before.every((b) => b.shard !== v.shard || b.volume < v.volume)));
  await assertReads(db, expected);
  await db.close();
  db = await open(dir, clock);
  await assertReads(db, expected);
  // Retention: the span goes once its last block has left retention, and not before.
  await db.updateNamespace(NS, { retentionPeriodMs: 2 * DAY });
  clock.set(T0 + 6 * HOUR + 2 * DAY - MIN);
  await db.tick();
  assert.ok((await volumes(dir)).some((v) => v.startMs === T0));
  clock.set(T0 + 6 * HOUR + 2 * DAY + MIN);
  const expiry = await db.tick();
  assert.ok(expiry.volumesExpired > 0);
  assert.ok((await volumes(dir)).every((v) => v.startMs >= T0 + 6 * HOUR));
  await db.close();
});

test("after a crash between the compacted write and the removals, bootstrap keeps the compacted volume only", async () => {
  const dir = await tempDir();
  const clock = new ManualClock(T0);
  let db = await open(dir, clock, { compaction: { enabled: false } });
  const expected = new Map(SERIES.map((s) => [s, new Map<number, number>()]));
  await writeSpan(db, clock, T0, T0 + 6 * HOUR, expected);
  clock.set(T0 + 6 * HOUR + 10 * MIN + HOUR + MIN);
  assert.equal((await db.tick()).compactions, 0, "compaction.enabled false turns it off");
  await db.close();
  // Keep copies of the block volumes, compact, then put them back as a crash would leave them.
  const nsDir = join(dir, "data", NS);
  const saved = join(dir, "saved");
  await rm(saved, { recursive: true, force: true });
  const { mkdir } = await import("node:fs/promises");
  await mkdir(saved);
  const blockFiles = (await readdir(nsDir)).filter((f) => !f.endsWith(".tmp"));
  for (const f of blockFiles) await copyFile(join(nsDir, f), join(saved, f));
  db = await open(dir, clock);
  assert.ok((await db.tick()).compactions > 0);
  await db.close();
  for (const f of blockFiles) await copyFile(join(saved, f), join(nsDir, f));
  assert.ok((await volumes(dir)).some((v) => spanOf(v) === 2));
  db = await open(dir, clock);
  const vols = await volumes(dir);
  assert.ok(vols.length > 0 && vols.every((v) => spanOf(v) === 6), JSON.stringify(vols));
  await assertReads(db, expected);
  await db.close();
});
