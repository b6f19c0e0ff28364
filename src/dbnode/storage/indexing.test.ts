// The namespace's reverse index as the write path and bootstrap feed it.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { newMatcher } from "../../index/index.js";
import {
  encodeTags,
  ManualClock,
  nodeFileSystem,
  seriesIdString,
  type Tag,
} from "../../x/index.js";
import { listIndexVolumes } from "../fs/index.js";
import type { WriteBatch } from "../ts/index.js";
import { Database, IndexDisabledError } from "./index.js";

const HOUR = 3_600_000;

/** Query results come in no particular order. */
function sorted(ids: readonly string[]): string[] {
  return [...ids].sort();
}
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % (2 * HOUR));
const dirs: string[] = [];

after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function batchOf(points: [Tag[], number, number][]): WriteBatch {
  const tagsById = new Map(points.map((p) => [seriesIdString(p[0]), p[0]]));
  const ids = [...tagsById.keys()];
  return {
    count: points.length,
    series: points.map((p) => ids.indexOf(seriesIdString(p[0]))),
    timesMs: points.map((p) => p[1]),
    values: Float64Array.from(points, (p) => p[2]),
    seriesIds: ids,
    seriesTags: ids.map((id) => encodeTags(tagsById.get(id) as Tag[])),
  };
}

const api: Tag[] = [
  ["__name__", "http_requests_total"],
  ["code", "500"],
  ["job", "api"],
];
const api200: Tag[] = [
  ["__name__", "http_requests_total"],
  ["code", "200"],
  ["job", "api"],
];
const db1: Tag[] = [
  ["__name__", "http_requests_total"],
  ["code", "503"],
  ["job", "db"],
];

/**
 * A data directory and a way to open a database on it that flushes and
 * snapshots at every tick, with a clock that starts an hour into block T0.
 */
async function flushingDatabase() {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-indexing-"));
  dirs.push(dir);
  const clock = new ManualClock(T0 + HOUR);
  const open = async () => {
    const db = await Database.open({
      dataDir: dir,
      clock,
      numShards: 4,
      tickIntervalMs: 0,
      snapshotIntervalMs: 0,
    });
    await db.bootstrapped;
    return db;
  };
  return { dir, clock, open };
}

test("written series are found by their labels, and again after a restart from the commit log", async () => {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-indexing-"));
  dirs.push(dir);
  const clock = new ManualClock(T0 + HOUR);
  const open = async () => {
    const db = await Database.open({ dataDir: dir, clock, numShards: 4, tickIntervalMs: 0 });
    await db.bootstrapped;
    return db;
  };
  const db = await open();
  await db.createNamespace("m", { index: { enabled: true } });
  await db.createNamespace("plain");
  const res = await db.writeBatch(
    "m",
    batchOf([
      [api, T0 + HOUR - 1000, 1],
      [api200, T0 + HOUR - 1000, 2],
      [db1, T0 + HOUR - 1000, 3],
    ]),
  );
  assert.equal(res.written, 3);
  const selector = [
    newMatcher("=", "__name__", "http_requests_total"),
    newMatcher("=~", "code", "5.."),
  ];
  const want = [seriesIdString(api), seriesIdString(db1)].sort();
  assert.deepEqual(sorted(db.queryIndex("m", selector, T0, T0 + 2 * HOUR).ids), want);
  assert.deepEqual(db.labelValues("m", "job", selector, T0, T0 + 2 * HOUR), ["api", "db"]);
  assert.deepEqual(db.labelNames("m", [], T0, T0 + 2 * HOUR), ["__name__", "code", "job"]);
  // Written in one index block only: an earlier range finds nothing.
  assert.deepEqual(sorted(db.queryIndex("m", selector, T0 - 2 * HOUR, T0).ids), []);
  assert.throws(() => db.queryIndex("plain", selector, T0, T0 + 1), IndexDisabledError);
  await db.close();

  const again = await open();
  assert.deepEqual(sorted(again.queryIndex("m", selector, T0, T0 + 2 * HOUR).ids), want);
  await again.close();
});

test("series that live only in flushed data volumes are indexed again at bootstrap when their index volume is corrupt", async () => {
  const { dir, clock, open } = await flushingDatabase();
  const db = await open();
  await db.createNamespace("m", { index: { enabled: true } });
  await db.writeBatch("m", batchOf([[api, T0 + HOUR - 1000, 1]]));
  // Flush the block; the snapshot after it leaves no commit log holding the series.
  clock.set(T0 + 3 * HOUR);
  const tick = await db.tick();
  assert.ok(tick.warmFlushes > 0);
  assert.equal(tick.indexFlushes, 1);
  await db.close();
  const [vol] = await listIndexVolumes(dir, "m", nodeFileSystem);
  // The segment file of M3's layout, or the single file of m3ts's (the default).
  const segment = vol.paths.find((p) => p.endsWith("-segment.db") || p.endsWith(".m3ts")) as string;
  const bytes = await readFile(segment);
  bytes[bytes.length >> 1] ^= 0xff;
  await writeFile(segment, bytes);
  const again = await open();
  assert.equal(again.bootstrapProgress.indexDocsLoaded, 0);
  assert.match(again.bootstrapProgress.volumesCorrupt.join("\n"), /^index: .*segment/m);
  assert.equal(again.bootstrapProgress.datapointsReplayed, 0);
  assert.equal(again.seriesCount("m"), 0);
  const selector = [newMatcher("=", "job", "api")];
  assert.deepEqual(sorted(again.queryIndex("m", selector, T0, T0 + 2 * HOUR).ids), [
    seriesIdString(api),
  ]);
  assert.deepEqual(sorted(again.queryIndex("m", selector, T0 + 2 * HOUR, T0 + 4 * HOUR).ids), []);
  await again.close();
});

test("sealed index blocks are written as index volumes at flush and loaded at bootstrap; a cold write seals the block again", async () => {
  const { dir, clock, open } = await flushingDatabase();
  const db = await open();
  await db.createNamespace("m", { index: { enabled: true }, coldWritesEnabled: true });
  await db.writeBatch(
    "m",
    batchOf([
      [api, T0 + HOUR - 1000, 1],
      [api200, T0 + HOUR - 1000, 2],
    ]),
  );
  // Not yet due: the block's end plus bufferPast has not passed.
  assert.equal((await db.tick()).indexFlushes, 0);
  assert.deepEqual(await listIndexVolumes(dir, "m", nodeFileSystem), []);
  clock.set(T0 + 3 * HOUR);
  assert.equal((await db.tick()).indexFlushes, 1);
  // Nothing new: the sealed block is not written again.
  assert.equal((await db.tick()).indexFlushes, 0);
  const first = await listIndexVolumes(dir, "m", nodeFileSystem);
  assert.deepEqual(
    first.map((v) => [v.blockStartMs, v.volume, v.complete]),
    [[T0, 0, true]],
  );
  // A cold write of a new series into the sealed block.
  assert.equal((await db.writeBatch("m", batchOf([[db1, T0 + HOUR, 3]]))).written, 1);
  const all = [newMatcher("=", "__name__", "http_requests_total")];
  const want = [api, api200, db1].map((t) => seriesIdString(t)).sort();
  assert.deepEqual(sorted(db.queryIndex("m", all, T0, T0 + 2 * HOUR).ids), want);
  assert.equal((await db.tick()).indexFlushes, 1);
  assert.deepEqual(
    (await listIndexVolumes(dir, "m", nodeFileSystem)).map((v) => [v.blockStartMs, v.volume]),
    [[T0, 1]],
  );
  await db.close();

  const again = await open();
  assert.equal(again.bootstrapProgress.indexDocsLoaded, 3);
  assert.deepEqual(again.bootstrapProgress.volumesCorrupt, []);
  assert.deepEqual(sorted(again.queryIndex("m", all, T0, T0 + 2 * HOUR).ids), want);
  assert.deepEqual(again.labelValues("m", "code", [], T0, T0 + 2 * HOUR), ["200", "500", "503"]);
  // Past retention the index volumes go with the data.
  const retention = again.listNamespaces().find((n) => n.name === "m")?.options.retentionPeriodMs;
  assert.ok(retention !== undefined);
  clock.set(T0 + 2 * HOUR + retention);
  await again.tick();
  assert.deepEqual(await listIndexVolumes(dir, "m", nodeFileSystem), []);
  assert.deepEqual(again.queryIndex("m", all, T0, T0 + 2 * HOUR).ids, []);
  await again.close();
});

test("a series removed and written again within one index block is indexed once", async () => {
  const { clock, open } = await flushingDatabase();
  const T4 = T0 - (T0 % (4 * HOUR));
  clock.set(T4 + HOUR);
  const db = await open();
  await db.createNamespace("m", {
    blockSizeMs: 2 * HOUR,
    index: { enabled: true, blockSizeMs: 4 * HOUR },
  });
  await db.writeBatch("m", batchOf([[api, T4 + HOUR, 1]]));
  // The data block is flushed, then its emptied series leaves the table.
  clock.set(T4 + 3 * HOUR);
  assert.ok((await db.tick()).warmFlushes > 0);
  assert.equal((await db.tick()).seriesRemoved, 1);
  assert.equal(db.seriesCount("m"), 0);
  // Written again in the same (unsealed) index block: created anew.
  assert.equal((await db.writeBatch("m", batchOf([[api, T4 + 3 * HOUR, 2]]))).written, 1);
  assert.deepEqual(db.queryIndex("m", [newMatcher("=", "job", "api")], T4, T4 + 4 * HOUR).ids, [
    seriesIdString(api),
  ]);
  // A series new to the namespace takes the path without the lookup.
  await db.writeBatch("m", batchOf([[db1, T4 + 3 * HOUR, 3]]));
  assert.deepEqual(
    sorted(db.queryIndex("m", [newMatcher("=~", "job", ".+")], T4, T4 + 4 * HOUR).ids),
    [seriesIdString(api), seriesIdString(db1)].sort(),
  );
  await db.close();
});
