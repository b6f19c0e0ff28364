// Opening a database on a data directory: what bootstrap restores, skips, reports and counts.
import assert from "node:assert/strict";
import { stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { Registry } from "prom-client";
import { ManualClock, MemoryLogger, nodeFileSystem, seriesIdString } from "../../x/index.js";
import { listCommitLogFiles } from "../commitlog/index.js";
import { BootstrappingError, Database } from "./index.js";
import { batchOf, HOUR, NOW, openDb, read, tagsOf, tempDir } from "./testing.js";

/** Cuts `bytes` off the end of the newest commit log file, as a crash mid-write would. */
async function tearNewestLog(dir: string, bytes: number): Promise<void> {
  const files = await listCommitLogFiles(join(dir, "commitlogs"), nodeFileSystem);
  const newest = files[files.length - 1].path;
  await truncate(newest, (await stat(newest)).size - bytes);
}

test("a restart replays the commit log: data, namespaces and NaN payloads come back", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir });
  await db.createNamespace("m");
  await db.writeBatch(
    "m",
    batchOf([
      ["a", NOW - 3000, 1],
      ["a", NOW - 2000, 2],
      ["b", NOW - 1000, 3],
    ]),
  );
  await db.close();

  const { db: again } = await openDb({ dataDir: dir });
  assert.deepEqual(
    again.listNamespaces().map((n) => n.name),
    ["m"],
  );
  assert.deepEqual(await read(again, "m", "a"), [
    [NOW - 3000, 1],
    [NOW - 2000, 2],
  ]);
  assert.deepEqual(await read(again, "m", "b"), [[NOW - 1000, 3]]);
  assert.equal(again.bootstrapProgress.datapointsReplayed, 3);
  // New writes after the restart go on, and survive the next restart too.
  await again.writeBatch("m", batchOf([["a", NOW - 500, 4]]));
  await again.close();
  const { db: third } = await openDb({ dataDir: dir });
  assert.deepEqual(
    (await read(third, "m", "a")).map((p) => p[1]),
    [1, 2, 4],
  );
  await third.close();
});

test("reads and writes during bootstrap fail with a clear error instead of partial answers", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir });
  await db.createNamespace("m");
  await db.writeBatch("m", batchOf([["a", NOW - 1000, 1]]));
  await db.close();
  const again = await Database.open({ dataDir: dir, clock: new ManualClock(NOW) });
  assert.equal(again.bootstrapProgress.state, "bootstrapping");
  await assert.rejects(again.fetch("m", seriesIdString(tagsOf("a")), 0, NOW), BootstrappingError);
  await assert.rejects(again.writeBatch("m", batchOf([["a", NOW, 2]])), /bootstrapping/);
  await again.bootstrapped;
  assert.equal(again.bootstrapProgress.state, "bootstrapped");
  assert.deepEqual(await read(again, "m", "a"), [[NOW - 1000, 1]]);
  await again.close();
});

test("a torn commit log tail is skipped and reported; everything before it survives", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir });
  await db.createNamespace("m");
  await db.writeBatch("m", batchOf([["a", NOW - 3000, 1]]));
  await db.writeBatch("m", batchOf([["a", NOW - 2000, 2]]));
  await db.close();
  await tearNewestLog(dir, 3);
  const { db: again } = await openDb({ dataDir: dir });
  assert.deepEqual(await read(again, "m", "a"), [[NOW - 3000, 1]]);
  const progress = again.bootstrapProgress;
  assert.ok(progress.skippedBytes > 0, JSON.stringify(progress));
  await again.close();
});

test("a namespace without the commit log keeps its data in memory only", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir });
  await db.createNamespace("mem", {
    writesToCommitLog: false,
    flushEnabled: false,
    snapshotEnabled: false,
  });
  await db.createNamespace("durable");
  await db.writeBatch("mem", batchOf([["a", NOW - 1000, 1]]));
  await db.writeBatch("durable", batchOf([["a", NOW - 1000, 1]]));
  assert.deepEqual(await read(db, "mem", "a"), [[NOW - 1000, 1]]);
  await db.close();
  const { db: again } = await openDb({ dataDir: dir });
  assert.deepEqual(await read(again, "mem", "a"), []);
  assert.deepEqual(await read(again, "durable", "a"), [[NOW - 1000, 1]]);
  await again.close();
});

test("an unusable data directory fails clearly and nothing is half-created", async () => {
  const dir = await tempDir();
  const file = join(dir, "not-a-dir");
  await writeFile(file, "x");
  await assert.rejects(
    (async () => {
      const db = await Database.open({ dataDir: join(file, "data"), clock: new ManualClock(NOW) });
      await db.bootstrapped;
    })(),
    /not-a-dir/,
  );
});

test("bootstrap logs what it skipped", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir });
  await db.createNamespace("m");
  await db.writeBatch("m", batchOf([["a", NOW - 3000, 1]]));
  await db.writeBatch("m", batchOf([["a", NOW - 2000, 2]]));
  await db.close();
  await tearNewestLog(dir, 2);
  await writeFile(join(dir, "commitlogs", "commitlog-0-999.db"), "not a commit log");
  const logger = new MemoryLogger();
  const { db: again } = await openDb({ dataDir: dir, logger });
  const warnings = logger.entries.filter((e) => e.level === "warn");
  assert.ok(
    warnings.some((w) => /stopped early/.test(w.message)),
    JSON.stringify(logger.entries),
  );
  assert.ok(
    warnings.some((w) => /unreadable header/.test(w.message)),
    JSON.stringify(logger.entries),
  );
  assert.ok(logger.entries.some((e) => e.level === "info" && /bootstrapped/.test(e.message)));
  assert.deepEqual(await read(again, "m", "a"), [[NOW - 3000, 1]]);
  await again.close();
});

test("self-metrics count writes, rejections by code, series and what bootstrap skipped", async () => {
  const dir = await tempDir();
  const registry = new Registry();
  const { db } = await openDb({ dataDir: dir, metrics: registry });
  await db.createNamespace("m");
  await db.writeBatch(
    "m",
    batchOf([
      ["a", NOW - 3000, 1],
      ["a", NOW - HOUR, 2],
    ]),
  );
  await db.writeBatch("m", batchOf([["a", NOW - 2000, 3]]));
  let text = await registry.metrics();
  assert.match(text, /m3ts_db_datapoints_written_total\{namespace="m"\} 2/);
  assert.match(
    text,
    /m3ts_db_datapoints_rejected_total\{namespace="m",code="M3TS_ERR_WRITE_WINDOW"\} 1/,
  );
  assert.match(text, /m3ts_db_series\{namespace="m"\} 1/);
  assert.match(text, /m3ts_db_bootstrap_state 1/);
  await db.close();

  await tearNewestLog(dir, 2);
  const again = new Registry();
  const { db: db2 } = await openDb({ dataDir: dir, metrics: again });
  text = await again.metrics();
  assert.match(text, /m3ts_db_bootstrap_datapoints_replayed_total 1/);
  const skipped = Number(/m3ts_db_bootstrap_skipped_bytes_total (\d+)/.exec(text)?.[1]);
  assert.ok(skipped > 0, text);
  assert.match(text, /m3ts_db_bootstrap_corrupt_files_total 1/);
  await db2.close();
});
