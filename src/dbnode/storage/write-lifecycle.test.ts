// What a write must survive while it waits for its commit: the tick removing
// empty series, flushes, namespace drops and changes, close, a failed commit
// log. Every acknowledged datapoint reads back; every other one is an error.
import assert from "node:assert/strict";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { type FileSystem, type M3tsError, nodeFileSystem } from "../../x/index.js";
import { batchOf, HOUR, NOW, openDb, read, tempDir } from "./testing.js";

test("a brand-new series survives a tick that runs while its first write awaits the commit", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  await db.createNamespace("m");
  const pending = db.writeBatch("m", batchOf([["fresh", NOW - 1000, 7]]));
  const tick = await db.tick();
  const result = await pending;
  assert.equal(result.written, 1);
  assert.deepEqual(result.errors, []);
  assert.equal(tick.seriesRemoved, 0, "the tick removed a series a write was about to fill");
  assert.deepEqual(await read(db, "m", "fresh"), [[NOW - 1000, 7]]);
  await db.close();
  const { db: again } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  assert.deepEqual(await read(again, "m", "fresh"), [[NOW - 1000, 7]]);
  await again.close();
});

test("a cold write to a series whose buffer a flush emptied is kept through the next tick and snapshot", async () => {
  const dir = await tempDir();
  const { db, clock } = await openDb({ dataDir: dir, tickIntervalMs: 0, snapshotIntervalMs: 0 });
  await db.createNamespace("m", { coldWritesEnabled: true, retentionPeriodMs: 48 * HOUR });
  const old = NOW - 5 * HOUR;
  await db.writeBatch("m", batchOf([["backfill", old, 1]]));
  // The first tick flushes the block: the buffer is empty but the series stays until the next.
  const first = await db.tick();
  assert.equal(first.warmFlushes + first.coldFlushes, 1);
  clock.advance(1000);
  const pending = db.writeBatch("m", batchOf([["backfill", old + 10_000, 2]]));
  const second = await db.tick();
  const result = await pending;
  assert.equal(result.written, 1);
  assert.equal(second.seriesRemoved, 0);
  // A third tick flushes the cold write and snapshots, deleting the commit log that held it.
  await db.tick();
  const expected = [
    [old, 1],
    [old + 10_000, 2],
  ];
  assert.deepEqual(await read(db, "m", "backfill"), expected);
  await db.close();
  const { db: again } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  assert.deepEqual(await read(again, "m", "backfill"), expected);
  await again.close();
});

test("a write after close is refused with a retryable error, not acknowledged", async () => {
  const { db } = await openDb({ dataDir: await tempDir(), tickIntervalMs: 0 });
  await db.createNamespace("m");
  await db.close();
  await assert.rejects(
    db.writeBatch("m", batchOf([["a", NOW, 1]])),
    (e: M3tsError) => e.code === "M3TS_ERR_NODE_STOPPING",
  );
});

test("writes awaiting their commit when close is called are applied before close resolves", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  await db.createNamespace("m");
  const pending = db.writeBatch("m", batchOf([["a", NOW - 500, 3]]));
  await db.close();
  assert.equal((await pending).written, 1);
  const { db: again } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  assert.deepEqual(await read(again, "m", "a"), [[NOW - 500, 3]]);
  await again.close();
});

test("a write whose namespace is dropped while it awaits the commit gets an error for every datapoint", async () => {
  // A wide group-commit window holds the commit while the drop completes.
  const { db } = await openDb({
    dataDir: await tempDir(),
    tickIntervalMs: 0,
    commitLog: { strategy: "wait", flushIntervalMs: 500 },
  });
  await db.createNamespace("m");
  const pending = db.writeBatch(
    "m",
    batchOf([
      ["a", NOW - 2000, 1],
      ["b", NOW - 1000, 2],
    ]),
  );
  const dropped = db.dropNamespace("m");
  const result = await pending;
  await dropped;
  assert.equal(result.written, 0);
  assert.deepEqual(
    result.errors.map((e) => [e.index, e.error.code]),
    [
      [0, "M3TS_ERR_NAMESPACE_CHANGING"],
      [1, "M3TS_ERR_NAMESPACE_CHANGING"],
    ],
  );
  await db.close();
});

test("a namespace whose registry save fails is not created, takes no writes, and is not in the registry", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  await db.createNamespace("kept");
  // A directory where the registry file goes makes the rename over it fail.
  await rm(join(dir, "namespaces.json"));
  await mkdir(join(dir, "namespaces.json"));
  await assert.rejects(db.createNamespace("lost"));
  assert.deepEqual(
    db.listNamespaces().map((n) => n.name),
    ["kept"],
  );
  await assert.rejects(
    db.writeBatch("lost", batchOf([["a", NOW, 1]])),
    (e: M3tsError) => e.code === "M3TS_ERR_UNKNOWN_NAMESPACE",
  );
  await assert.rejects(db.updateNamespace("kept", { retentionPeriodMs: 2 * HOUR }));
  assert.equal(db.listNamespaces()[0].options.retentionPeriodMs, 48 * HOUR);
  await rm(join(dir, "namespaces.json"), { recursive: true });
  await db.createNamespace("later");
  const saved = JSON.parse(await readFile(join(dir, "namespaces.json"), "utf8")) as {
    namespaces: { name: string }[];
  };
  assert.deepEqual(
    saved.namespaces.map((n) => n.name),
    ["kept", "later"],
  );
  await db.close();
});

test("concurrent namespace changes all reach the registry, in order", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  await Promise.all(["a", "b", "c", "d"].map((n) => db.createNamespace(n)));
  await Promise.all([
    db.dropNamespace("b"),
    db.updateNamespace("c", { retentionPeriodMs: 3 * HOUR }),
  ]);
  await db.close();
  const { db: again } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  assert.deepEqual(
    again.listNamespaces().map((n) => [n.name, n.options.retentionPeriodMs]),
    [
      ["a", 48 * HOUR],
      ["c", 3 * HOUR],
      ["d", 48 * HOUR],
    ],
  );
  await again.close();
});

test("a namespace dropped and created again under its name never gets the old one's data back", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  const indexed = { index: { enabled: true } };
  await db.createNamespace("m", indexed);
  await db.writeBatch("m", batchOf([["old", NOW - 3000, 1]]));
  await db.dropNamespace("m");
  await db.createNamespace("m", indexed);
  await db.writeBatch("m", batchOf([["new", NOW - 2000, 2]]));
  assert.deepEqual(await read(db, "m", "old"), []);
  await db.close();
  const { db: again } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  assert.deepEqual(await read(again, "m", "old"), []);
  assert.deepEqual(await read(again, "m", "new"), [[NOW - 2000, 2]]);
  assert.deepEqual(
    again.queryIndex("m", [], NOW - HOUR, NOW + HOUR).ids.length,
    1,
    "only the new namespace's series is indexed",
  );
  await again.close();
});

test("after the commit log fails, the node takes no writes until it is reopened", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  await db.createNamespace("m");
  await db.writeBatch("m", batchOf([["a", NOW - 3000, 1]]));
  // Closing the log's file under it makes the next write fail in the OS (EBADF).
  const internals = db as unknown as { log: { file: { fh: { close(): Promise<void> } } } };
  await internals.log.file.fh.close();
  await assert.rejects(
    db.writeBatch("m", batchOf([["a", NOW - 2000, 2]])),
    (e: M3tsError) => e.code === "M3TS_ERR_COMMITLOG_WRITE",
  );
  assert.match(db.failureReason ?? "", /commit log failed/);
  await assert.rejects(
    db.writeBatch("m", batchOf([["a", NOW - 1000, 3]])),
    (e: M3tsError) => e.code === "M3TS_ERR_NODE_FAILED",
  );
  await db.close().catch(() => {});
  const { db: again } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  assert.equal(again.failureReason, null);
  assert.equal((await again.writeBatch("m", batchOf([["a", NOW - 1000, 3]]))).written, 1);
  await again.close();
});

test("a registry whose directory sync fails stops the node taking writes; a restart reads the registry the rename left", async () => {
  const dir = await tempDir();
  let failSync = false;
  const fs: FileSystem = {
    ...nodeFileSystem,
    syncDir: async (path) => {
      if (failSync && path === dir)
        throw Object.assign(new Error("EIO: sync (injected)"), { code: "EIO" });
      return nodeFileSystem.syncDir(path);
    },
  };
  const { db } = await openDb({ dataDir: dir, tickIntervalMs: 0, fs });
  await db.createNamespace("kept");
  failSync = true;
  await assert.rejects(db.createNamespace("maybe"), /registry/);
  // Memory and disk may disagree now: nothing is taken until a restart.
  assert.match(db.failureReason ?? "", /namespace registry/);
  await assert.rejects(
    db.writeBatch("kept", batchOf([["a", NOW, 1]])),
    (e: M3tsError) => e.code === "M3TS_ERR_NODE_FAILED",
  );
  await assert.rejects(
    db.createNamespace("other"),
    (e: M3tsError) => e.code === "M3TS_ERR_NODE_FAILED",
  );
  await db.close().catch(() => {});
  failSync = false;
  const { db: again } = await openDb({ dataDir: dir, tickIntervalMs: 0 });
  assert.deepEqual(
    again.listNamespaces().map((n) => n.name),
    ["kept", "maybe"],
  );
  assert.equal(again.failureReason, null);
  assert.equal((await again.writeBatch("maybe", batchOf([["a", NOW, 1]]))).written, 1);
  await again.close();
});
