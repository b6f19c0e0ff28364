// The persistent half of the database: warm and cold flushes to fileset
// volumes, reads that merge disk and buffers, snapshots, bootstrap order,
// retention, the cache policies, and damaged volumes.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Registry } from "prom-client";
import {
  encodeTags,
  ManualClock,
  MemoryLogger,
  nodeFileSystem,
  seriesIdString,
  type Tag,
} from "../../x/index.js";
import { listCommitLogFiles } from "../commitlog/index.js";
import {
  type DataVolumeId,
  listDataVolumes,
  listSnapshotMetadata,
  listVolumes,
  volumeFilePath,
} from "../fs/index.js";
import type { WriteBatch } from "../ts/index.js";
import { Database, type DatabaseOptions } from "./index.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const BLOCK = 2 * HOUR;
// A block boundary, so block starts in the tests are easy to name.
const T0 = Math.floor(1_700_000_000_000 / BLOCK) * BLOCK;
const NS = "m";
const dirs: string[] = [];

after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "m3ts-persist-test-"));
  dirs.push(d);
  return d;
}

async function open(dataDir: string, clock: ManualClock, extra: Partial<DatabaseOptions> = {}) {
  const db = await Database.open({
    dataDir,
    clock,
    numShards: 4,
    tickIntervalMs: 0,
    snapshotIntervalMs: 0,
    ...extra,
  });
  await db.bootstrapped;
  return db;
}

/** A new data directory with a database open on it, the clock at T0. */
async function fresh() {
  const dir = await tempDir();
  const clock = new ManualClock(T0);
  return { dir, clock, db: await open(dir, clock) };
}

function tagsOf(name: string): Tag[] {
  return [["__name__", name]];
}

function idOf(name: string): string {
  return seriesIdString(tagsOf(name));
}

function batchOf(points: [string, number, number][]): WriteBatch {
  const names = [...new Set(points.map((p) => p[0]))];
  return {
    count: points.length,
    series: points.map((p) => names.indexOf(p[0])),
    timesMs: points.map((p) => p[1]),
    values: Float64Array.from(points, (p) => p[2]),
    seriesIds: names.map(idOf),
    seriesTags: names.map((n) => encodeTags(tagsOf(n))),
  };
}

async function write(db: Database, points: [string, number, number][]): Promise<void> {
  const res = await db.writeBatch(NS, batchOf(points));
  assert.deepEqual(
    res.errors.map((e) => e.error.message),
    [],
  );
}

async function read(db: Database, name: string, start = 0, end = T0 + 1000 * HOUR) {
  const it = await db.fetch(NS, idOf(name), start, end);
  const out: [number, number][] = [];
  while (it.next()) if (it.timeMs >= start && it.timeMs < end) out.push([it.timeMs, it.value]);
  assert.equal(it.error, null);
  return out;
}

const SERIES = ["a", "b", "c", "d", "e"];

/** Writes every series each 10 minutes from T0 for `hours`, ticking every 30 minutes; returns what was written. */
async function writeHours(db: Database, clock: ManualClock, hours: number) {
  const expected = new Map<string, [number, number][]>(SERIES.map((s) => [s, []]));
  for (let t = T0; t < T0 + hours * HOUR; t += 10 * MIN) {
    clock.set(t);
    const points: [string, number, number][] = SERIES.map((s, i) => [
      s,
      t,
      i * 1000 + (t - T0) / MIN,
    ]);
    await write(db, points);
    for (const [s, tt, v] of points) expected.get(s)?.push([tt, v]);
    if ((t - T0) % (30 * MIN) === 0) await db.tick();
  }
  return expected;
}

/** The complete data volumes of both formats, with the block each starts at. */
async function dataVolumes(dataDir: string) {
  return (await listDataVolumes(dataDir, nodeFileSystem, () => BLOCK))
    .filter((v) => v.complete)
    .map((v) => ({ ...v, blockStartMs: v.startMs }));
}

async function listVolumesOfBlock(dir: string, blockStartMs: number) {
  return (await dataVolumes(dir)).filter((v) => v.blockStartMs === blockStartMs);
}

/** The file of a volume a test damages: M3's data file, or m3ts's single file. */
function fileOf(dir: string, v: DataVolumeId): string {
  return v.format === "m3"
    ? volumeFilePath(dir, "data", { ...v, blockStartMs: v.startMs }, "data")
    : join(dir, "data", v.namespace, `fileset-${v.shard}-${v.startMs}-${v.endMs}-${v.volume}.m3ts`);
}

// Every test runs with each format the namespace can write.
for (const fileFormat of ["m3ts", "m3"] as const) {
  test(`${fileFormat}: warm flushes write every block to volumes, free the buffers, and read back before and after a restart`, async () => {
    const { dir, clock, db } = await fresh();
    await db.createNamespace(NS, {
      fileFormat,
      blockSizeMs: BLOCK,
      bufferPastMs: 10 * MIN,
    });
    const expected = await writeHours(db, clock, 24);
    clock.advance(3 * HOUR); // every block's end plus bufferPast has passed
    const r = await db.tick();
    assert.ok(r.warmFlushes > 0);
    assert.equal(r.coldFlushes, 0);
    await db.tick(); // the emptied series leave memory
    assert.equal(db.seriesCount(NS), 0);

    const vols = await dataVolumes(dir);
    const blocks = new Set(vols.map((v) => v.blockStartMs));
    assert.deepEqual(
      [...blocks].sort((x, y) => x - y),
      Array.from({ length: 12 }, (_, i) => T0 + i * BLOCK),
    );
    assert.ok(vols.every((v) => v.volume === 0));
    for (const s of SERIES) assert.deepEqual(await read(db, s), expected.get(s));
    // A range inside one block gets exactly that range.
    assert.deepEqual(
      await read(db, "c", T0 + 5 * HOUR, T0 + 5 * HOUR + 30 * MIN),
      expected.get("c")?.filter(([t]) => t >= T0 + 5 * HOUR && t < T0 + 5 * HOUR + 30 * MIN),
    );
    await db.close();

    const again = await open(dir, clock);
    const progress = again.bootstrapProgress;
    // The snapshot after the flush covers the commit logs: nothing is left to replay.
    assert.equal(progress.datapointsReplayed, 0);
    assert.equal(progress.snapshotDatapoints, 0);
    assert.equal(progress.volumesServed, (await dataVolumes(dir)).length);
    for (const s of SERIES) assert.deepEqual(await read(again, s), expected.get(s));
    await again.close();
  });

  test(`${fileFormat}: a cold write into a flushed block is merged into the next volume, and the old volume goes`, async () => {
    const { dir, clock, db } = await fresh();
    await db.createNamespace(NS, {
      fileFormat,
      blockSizeMs: BLOCK,
      bufferPastMs: 10 * MIN,
      coldWritesEnabled: true,
    });
    clock.set(T0 + 5 * MIN);
    await write(db, [
      ["a", T0 + MIN, 1],
      ["a", T0 + 2 * MIN, 2],
      ["b", T0 + MIN, 10],
    ]);
    clock.set(T0 + BLOCK + 11 * MIN);
    assert.equal((await db.tick()).warmFlushes > 0, true);
    const before = await dataVolumes(dir);
    assert.ok(before.every((v) => v.volume === 0 && v.blockStartMs === T0));

    // Overwrite one instant, add one; both are cold (the block is past bufferPast).
    await write(db, [
      ["a", T0 + 2 * MIN, 20],
      ["a", T0 + 3 * MIN, 3],
    ]);
    // Before the cold flush, reads merge the volume and the buffer; the later write wins.
    const want = [
      [T0 + MIN, 1],
      [T0 + 2 * MIN, 20],
      [T0 + 3 * MIN, 3],
    ];
    assert.deepEqual(await read(db, "a"), want);
    const r = await db.tick();
    assert.equal(r.coldFlushes, 1);
    const after = await dataVolumes(dir);
    const shardOfA = after.find((v) => v.volume === 1);
    assert.ok(shardOfA, "a volume 1 exists");
    assert.equal(
      after.filter((v) => v.shard === shardOfA.shard).length,
      1,
      "the replaced volume 0 was removed",
    );
    assert.deepEqual(await read(db, "a"), want);
    assert.deepEqual(await read(db, "b"), [[T0 + MIN, 10]]);
    await db.close();
    const again = await open(dir, clock);
    assert.deepEqual(await read(again, "a"), want);
    await again.close();
  });

  test(`${fileFormat}: reads during a flush run see every datapoint`, async () => {
    const dir = await tempDir();
    const clock = new ManualClock(T0);
    const db = await open(dir, clock, { numShards: 1 });
    await db.createNamespace(NS, {
      fileFormat,
      blockSizeMs: BLOCK,
      bufferPastMs: 110 * MIN,
    });
    const points: [string, number, number][] = [];
    for (let i = 0; i < 400; i++) points.push([`s${i}`, T0 + (i % 100) * MIN, i]);
    clock.set(T0 + 100 * MIN);
    await write(db, points);
    clock.set(T0 + BLOCK + 111 * MIN);
    const tick = db.tick();
    let done = false;
    tick.then(() => {
      done = true;
    });
    let reads = 0;
    while (!done) {
      const i = reads % 400;
      assert.deepEqual(await read(db, `s${i}`), [[T0 + (i % 100) * MIN, i]]);
      reads++;
      // A read served from memory settles in microtasks; let the flush's I/O run.
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal((await tick).warmFlushes, 1);
    assert.ok(reads > 0);
    await db.close();
  });

  test(`${fileFormat}: a snapshot holds unflushed data: older commit logs go, and a restart loads it, then only newer logs`, async () => {
    const dir = await tempDir();
    const clock = new ManualClock(T0 + 30 * MIN);
    const db = await open(dir, clock);
    await db.createNamespace(NS, {
      fileFormat,
      blockSizeMs: BLOCK,
      bufferPastMs: 10 * MIN,
    });
    await write(db, [
      ["a", T0 + 29 * MIN, 1],
      ["b", T0 + 29 * MIN, 2],
    ]);
    const logsBefore = await listCommitLogFiles(join(dir, "commitlogs"), nodeFileSystem);
    const r = await db.tick();
    assert.equal(r.snapshotTaken, true);
    assert.equal(r.warmFlushes, 0);
    const logsAfter = await listCommitLogFiles(join(dir, "commitlogs"), nodeFileSystem);
    assert.ok(logsAfter.every((f) => f.index > logsBefore[logsBefore.length - 1].index));
    const meta = await listSnapshotMetadata(dir, nodeFileSystem);
    assert.equal(meta.complete.length, 1);
    const snaps = (await listVolumes(dir, "snapshot", undefined, undefined, nodeFileSystem)).filter(
      (v) => v.complete,
    );
    assert.ok(snaps.length > 0 && snaps.every((v) => v.volume === meta.complete[0].index));

    await write(db, [["a", T0 + 30 * MIN, 3]]); // after the snapshot: only in the commit log
    await db.close();
    const again = await open(dir, clock);
    assert.equal(again.bootstrapProgress.datapointsReplayed, 1);
    assert.equal(again.bootstrapProgress.snapshotDatapoints, 2);
    assert.deepEqual(await read(again, "a"), [
      [T0 + 29 * MIN, 1],
      [T0 + 30 * MIN, 3],
    ]);
    assert.deepEqual(await read(again, "b"), [[T0 + 29 * MIN, 2]]);
    // A second snapshot replaces the first: one metadata file and one set of volumes remain.
    await again.tick();
    const meta2 = await listSnapshotMetadata(dir, nodeFileSystem);
    assert.deepEqual(
      meta2.complete.map((m) => m.index),
      [meta.complete[0].index + 1],
    );
    const snaps2 = (
      await listVolumes(dir, "snapshot", undefined, undefined, nodeFileSystem)
    ).filter((v) => v.complete);
    assert.ok(snaps2.every((v) => v.volume === meta2.complete[0].index));
    await again.close();
  });

  test(`${fileFormat}: retention deletes exactly the volumes whose block has left it`, async () => {
    const { dir, clock, db } = await fresh();
    await db.createNamespace(NS, {
      fileFormat,
      blockSizeMs: BLOCK,
      bufferPastMs: 10 * MIN,
      retentionPeriodMs: 6 * HOUR,
    });
    const expected = await writeHours(db, clock, 6);
    clock.set(T0 + 6 * HOUR + 11 * MIN);
    await db.tick();
    assert.deepEqual(
      [...new Set((await dataVolumes(dir)).map((v) => v.blockStartMs))],
      [T0, T0 + BLOCK, T0 + 2 * BLOCK],
    );
    // At T0 + 8h + 1ms the first block's end (T0 + 2h) is before now - 6h; the second's is not.
    const firstBlock = (await listVolumesOfBlock(dir, T0)).length;
    assert.ok(firstBlock > 0);
    clock.set(T0 + 8 * HOUR + 1);
    const r = await db.tick();
    assert.equal(r.volumesExpired, firstBlock);
    const left = await dataVolumes(dir);
    assert.deepEqual(
      [...new Set(left.map((v) => v.blockStartMs))].sort((x, y) => x - y),
      [T0 + BLOCK, T0 + 2 * BLOCK],
    );
    for (const s of SERIES) {
      assert.deepEqual(
        await read(db, s),
        expected.get(s)?.filter(([t]) => t >= T0 + BLOCK),
      );
    }
    await db.close();
  });

  test(`${fileFormat}: cache policies: none reads disk every time, lru and recently_read keep what was read, all reads nothing from disk`, async () => {
    const { dir, clock, db } = await fresh();
    await db.createNamespace(NS, {
      fileFormat,
      blockSizeMs: BLOCK,
      bufferPastMs: 10 * MIN,
    });
    const expected = await writeHours(db, clock, 6);
    clock.set(T0 + 6 * HOUR + 11 * MIN);
    await db.tick();
    await db.close();

    const diskReads = async (registry: Registry) => {
      const m = await registry.getSingleMetric("m3ts_db_disk_reads_total")?.get();
      return (m?.values ?? []).reduce((n, v) => n + v.value, 0);
    };
    const twice = async (options: DatabaseOptions["cache"], after?: () => void) => {
      const registry = new Registry();
      const d = await open(dir, clock, { cache: options, metrics: registry });
      const base = await diskReads(registry);
      assert.deepEqual(await read(d, "a"), expected.get("a"));
      const first = (await diskReads(registry)) - base;
      after?.();
      assert.deepEqual(await read(d, "a"), expected.get("a"));
      const second = (await diskReads(registry)) - base - first;
      await d.close();
      return { first, second };
    };
    assert.deepEqual(await twice({ policy: "none" }), { first: 3, second: 3 });
    assert.deepEqual(await twice({ policy: "lru" }), { first: 3, second: 0 });
    // lru bounded to one block keeps only one of the three.
    assert.deepEqual(await twice({ policy: "lru", maxBlocks: 1 }), { first: 3, second: 2 });
    assert.deepEqual(await twice({ policy: "recently_read", recentlyReadExpiryMs: MIN }), {
      first: 3,
      second: 0,
    });
    assert.deepEqual(await twice({ policy: "all" }), { first: 0, second: 0 });

    // recently_read forgets blocks not read within its expiry (dropped by the tick).
    const registry = new Registry();
    const d = await open(dir, clock, {
      cache: { policy: "recently_read", recentlyReadExpiryMs: MIN },
      metrics: registry,
    });
    await read(d, "a");
    const afterFirst = await diskReads(registry);
    clock.advance(2 * MIN);
    await d.tick();
    await read(d, "a");
    assert.equal((await diskReads(registry)) - afterFirst, 3);
    await d.close();
  });

  test(`${fileFormat}: a damaged volume is not served, is logged and counted, and its data comes back from the commit log`, async () => {
    const { dir, clock, db } = await fresh();
    // Without snapshots the commit logs stay, so they still hold the flushed data.
    await db.createNamespace(NS, {
      fileFormat,
      blockSizeMs: BLOCK,
      bufferPastMs: 10 * MIN,
      snapshotEnabled: false,
    });
    clock.set(T0 + 5 * MIN);
    await write(db, [
      ["a", T0 + MIN, 1],
      ["a", T0 + 2 * MIN, 2],
    ]);
    clock.set(T0 + BLOCK + 11 * MIN);
    await db.tick();
    await db.close();
    const [vol] = await dataVolumes(dir);
    // The last bytes of M3's data file are a stream; of m3ts's single file, its trailer.
    const path = fileOf(dir, vol);
    const bytes = await readFile(path);
    bytes[bytes.length - 1] ^= 0x40;
    await writeFile(path, bytes);

    const logger = new MemoryLogger();
    const registry = new Registry();
    const again = await open(dir, clock, { logger, metrics: registry });
    const progress = again.bootstrapProgress;
    assert.equal(progress.volumesCorrupt.length, 1);
    assert.match(
      progress.volumesCorrupt[0],
      fileFormat === "m3"
        ? /^data: fileset volume m\/\d+\/\d+-0 is corrupt: data file/
        : /^data: .*m\/\d+.* is corrupt/,
    );
    const corrupt = await registry.getSingleMetric("m3ts_db_volumes_corrupt_total")?.get();
    assert.equal(corrupt?.values.find((v) => v.labels.kind === "data")?.value, 1);
    assert.ok(
      logger.entries.some(
        (e) =>
          e.level === "error" &&
          JSON.stringify(e.fields).includes(fileFormat === "m3" ? `"file":"data"` : `"file":`),
      ),
    );
    assert.deepEqual(await read(again, "a"), [
      [T0 + MIN, 1],
      [T0 + 2 * MIN, 2],
    ]);
    // The next flush takes a higher volume number; a restart then drops the damaged one.
    await again.tick();
    await again.close();
    const third = await open(dir, clock);
    const vols = await listVolumesOfBlock(dir, T0);
    assert.deepEqual(
      vols.map((v) => v.volume),
      [1],
    );
    assert.deepEqual(await read(third, "a"), [
      [T0 + MIN, 1],
      [T0 + 2 * MIN, 2],
    ]);
    await third.close();
  });

  test(`${fileFormat}: incomplete volumes are removed at start; dropping a namespace removes its filesets`, async () => {
    const { dir, clock, db } = await fresh();
    await db.createNamespace(NS, {
      fileFormat,
      blockSizeMs: BLOCK,
      bufferPastMs: 10 * MIN,
    });
    await write(db, [["a", T0 + MIN, 1]]);
    clock.set(T0 + BLOCK + 11 * MIN);
    await db.tick();
    await db.close();
    const [vol] = await dataVolumes(dir);
    // A crash in the middle of a later flush leaves a volume without checkpoint (M3's
    // format) or a temporary file (m3ts's).
    const partial = { ...vol, volume: 1 };
    const partialPath =
      fileFormat === "m3"
        ? volumeFilePath(dir, "data", partial, "data")
        : `${fileOf(dir, partial)}.tmp`;
    await writeFile(partialPath, new Uint8Array([1, 2, 3]));
    const again = await open(dir, clock);
    const names =
      fileFormat === "m3"
        ? await readdir(join(dir, "data", NS, String(vol.shard)))
        : await readdir(join(dir, "data", NS));
    assert.ok(
      names.every((n) =>
        fileFormat === "m3"
          ? n.startsWith(`fileset-${T0}-0-`)
          : /^fileset-\d+-\d+-\d+-0\.m3ts$/.test(n),
      ),
      names.join(","),
    );
    assert.deepEqual(await read(again, "a"), [[T0 + MIN, 1]]);
    await again.dropNamespace(NS);
    assert.deepEqual(await readdir(join(dir, "data")), []);
    await again.close();
  });

  test(`${fileFormat}: a damaged snapshot volume is reported and skipped; bootstrap still finishes`, async () => {
    const dir = await tempDir();
    const clock = new ManualClock(T0 + 30 * MIN);
    const db = await open(dir, clock, { numShards: 1 });
    await db.createNamespace(NS, {
      fileFormat,
      blockSizeMs: BLOCK,
      bufferPastMs: 10 * MIN,
    });
    await write(db, [["a", T0 + 29 * MIN, 1]]);
    assert.equal((await db.tick()).snapshotTaken, true);
    await write(db, [["a", T0 + 30 * MIN, 2]]);
    await db.close();
    const [snap] = (
      await listVolumes(dir, "snapshot", undefined, undefined, nodeFileSystem)
    ).filter((v) => v.complete);
    const path = volumeFilePath(dir, "snapshot", snap, "index");
    const bytes = await readFile(path);
    bytes[0] ^= 1;
    await writeFile(path, bytes);

    const registry = new Registry();
    const again = await open(dir, clock, { numShards: 1, metrics: registry });
    const progress = again.bootstrapProgress;
    assert.equal(progress.state, "bootstrapped");
    assert.equal(progress.volumesCorrupt.length, 1);
    assert.match(progress.volumesCorrupt[0], /^snapshot: .* index file/);
    const corrupt = await registry.getSingleMetric("m3ts_db_volumes_corrupt_total")?.get();
    assert.equal(corrupt?.values.find((v) => v.labels.kind === "snapshot")?.value, 1);
    // What the commit log after the snapshot holds is still there.
    assert.deepEqual(await read(again, "a"), [[T0 + 30 * MIN, 2]]);
    await again.close();
  });
}
