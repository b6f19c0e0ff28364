// The tick: merging, retention, yielding, commit log rotation and expiry, the background loop.
import assert from "node:assert/strict";
import { readdir, utimes } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { batchOf, HOUR, MIN, NOW, openDb, read, tempDir } from "./testing.js";

test("the tick merges encoders and drops data past retention as the clock moves", async () => {
  const { db, clock } = await openDb();
  await db.createNamespace("m", { retentionPeriodMs: 4 * HOUR, blockSizeMs: 2 * HOUR });
  const t = NOW - 5 * MIN;
  await db.writeBatch(
    "m",
    batchOf([
      ["a", t + 2000, 2],
      ["a", t, 0],
      ["a", t + 1000, 1],
    ]),
  );
  const first = await db.tick();
  assert.equal(first.bucketsMerged, 1);
  assert.deepEqual(await read(db, "m", "a"), [
    [t, 0],
    [t + 1000, 1],
    [t + 2000, 2],
  ]);
  clock.advance(5 * HOUR);
  await db.writeBatch("m", batchOf([["b", clock.nowMs(), 7]]));
  assert.equal((await db.tick()).blocksExpired, 0); // the block still ends after now - retention
  clock.advance(2 * HOUR);
  const expired = await db.tick();
  assert.ok(expired.blocksExpired >= 1);
  assert.equal(expired.seriesRemoved, 1);
  assert.deepEqual(await read(db, "m", "a"), []);
  assert.equal(db.seriesCount("m"), 1);
});

test("a tick over many series yields to the event loop between batches", async () => {
  const { db } = await openDb({ tickSeriesBatchSize: 10 });
  await db.createNamespace("m");
  const points: [string, number, number][] = [];
  for (let i = 0; i < 100; i++) points.push([`s${i}`, NOW - MIN, i]);
  await db.writeBatch("m", batchOf(points));
  let ranDuringTick = 0;
  const ticking = db.tick();
  const probe = setInterval(() => ranDuringTick++, 0);
  await ticking;
  clearInterval(probe);
  assert.ok(ranDuringTick > 0, "the tick never let a timer run");
});

test("the commit log rotates when the clock crosses a block boundary, and replay reads every file in order", async () => {
  const dir = await tempDir();
  const { db, clock } = await openDb({ dataDir: dir });
  // Snapshots rotate the log too (persistence.test.ts); here only block boundaries do.
  await db.createNamespace("m", {
    blockSizeMs: HOUR,
    retentionPeriodMs: 12 * HOUR,
    snapshotEnabled: false,
  });
  const countFiles = async () =>
    (await readdir(join(dir, "commitlogs"))).filter((f) => f.endsWith(".db")).length;
  const before = await countFiles();
  await db.writeBatch("m", batchOf([["a", clock.nowMs() - 1000, 1]]));
  await db.tick(); // same period: no rotation
  assert.equal(await countFiles(), before);
  clock.advance(HOUR);
  await db.tick();
  assert.equal(await countFiles(), before + 1);
  await db.writeBatch("m", batchOf([["a", clock.nowMs() - 1000, 2]]));
  await db.close();
  const { db: again } = await openDb({ dataDir: dir }, clock);
  assert.deepEqual(
    (await read(again, "m", "a")).map((p) => p[1]),
    [1, 2],
  );
  await again.close();
});

test("commit logs whose data has all left retention are removed by the tick", async () => {
  const dir = await tempDir();
  const { db, clock } = await openDb({ dataDir: dir });
  // Without snapshots, age is what lets a commit log go.
  await db.createNamespace("m", {
    blockSizeMs: HOUR,
    retentionPeriodMs: 2 * HOUR,
    snapshotEnabled: false,
  });
  await db.writeBatch("m", batchOf([["a", clock.nowMs() - 1000, 1]]));
  const logDir = join(dir, "commitlogs");
  // Age the existing files as if written long ago, then cross into a new block.
  const old = new Date(NOW - 10 * HOUR);
  clock.advance(HOUR);
  await db.tick(); // rotates: the file holding the write is now closed
  for (const f of await readdir(logDir)) await utimes(join(logDir, f), old, old);
  const result = await db.tick();
  assert.ok(result.commitLogsRemoved >= 1, JSON.stringify(result));
  await db.close();
});

test("the background tick runs on its own and concurrent ticks share one pass", async () => {
  const { db, clock } = await openDb({ tickIntervalMs: 10 });
  await db.createNamespace("m", { retentionPeriodMs: 2 * HOUR });
  await db.writeBatch("m", batchOf([["a", NOW - MIN, 1]]));
  const [r1, r2] = await Promise.all([db.tick(), db.tick()]);
  assert.equal(r1, r2);
  clock.advance(6 * HOUR);
  const deadline = Date.now() + 5000;
  while (db.seriesCount("m") > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(db.seriesCount("m"), 0, "the background tick did not expire the series");
  await db.close();
});
