// The write path: what a batch writes and reads back, and what it refuses and why.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeTags, type M3tsError, seriesIdString, type Tag } from "../../x/index.js";
import type { WriteBatch } from "../ts/index.js";
import {
  InvalidSeriesError,
  InvalidWriteError,
  UnknownNamespaceError,
  WriteWindowError,
} from "./index.js";
import { batchOf, HOUR, MIN, NOW, openDb, read, tagsOf, tempDir } from "./testing.js";

test("writes read back in time order, merged across blocks and out-of-order arrivals", async () => {
  const { db } = await openDb();
  await db.createNamespace("m");
  const t = NOW - 5 * MIN;
  const res = await db.writeBatch(
    "m",
    batchOf([
      ["up", t + 30_000, 3],
      ["up", t, 1],
      ["up", t + 10_000, 2],
      ["cpu", t, 0.25],
    ]),
  );
  assert.deepEqual(res.errors, []);
  assert.equal(res.written, 4);
  assert.deepEqual(await read(db, "m", "up"), [
    [t, 1],
    [t + 10_000, 2],
    [t + 30_000, 3],
  ]);
  assert.deepEqual(await read(db, "m", "cpu"), [[t, 0.25]]);
  assert.deepEqual(await read(db, "m", "missing"), []);
  assert.equal(db.seriesCount("m"), 2);
});

test("equal timestamps: the last write wins", async () => {
  const { db } = await openDb();
  await db.createNamespace("m");
  const t = NOW - MIN;
  await db.writeBatch("m", batchOf([["x", t, 1]]));
  await db.writeBatch("m", batchOf([["x", t, 2]]));
  await db.writeBatch(
    "m",
    batchOf([
      ["x", t, 3],
      ["x", t, 4],
    ]),
  );
  assert.deepEqual(await read(db, "m", "x"), [[t, 4]]);
});

test("the stale-marker NaN is accepted and read back bit for bit", async () => {
  const { db } = await openDb();
  await db.createNamespace("m");
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  u[0] = 2;
  u[1] = 0x7ff00000;
  const res = await db.writeBatch("m", batchOf([["x", NOW - MIN, f[0]]]));
  assert.equal(res.written, 1);
  const it = await db.fetch("m", seriesIdString(tagsOf("x")), 0, NOW);
  assert.ok(it.next());
  f[0] = it.value;
  assert.deepEqual([u[0], u[1]], [2, 0x7ff00000]);
});

test("the write window follows bufferPast and bufferFuture, and names itself when it refuses", async () => {
  const { db, clock } = await openDb();
  await db.createNamespace("m"); // bufferPast 10m, bufferFuture 2m, cold writes off
  const res = await db.writeBatch(
    "m",
    batchOf([
      ["a", NOW - 9 * MIN, 1], // warm
      ["a", NOW - 11 * MIN, 2], // too old
      ["a", NOW + MIN, 3], // warm
      ["a", NOW + 3 * MIN, 4], // too far ahead
    ]),
  );
  assert.equal(res.written, 2);
  assert.deepEqual(
    res.errors.map((e) => e.index),
    [1, 3],
  );
  for (const { error } of res.errors) {
    assert.ok(error instanceof WriteWindowError);
    assert.equal(error.windowStartMs, NOW - 10 * MIN);
    assert.equal(error.windowEndMs, NOW + 2 * MIN);
    assert.match(error.message, /\[1699999400000, 1700000120000\)/);
  }
  // Move the clock: what was too far ahead becomes warm.
  clock.advance(2 * MIN);
  const later = await db.writeBatch("m", batchOf([["a", NOW + 3 * MIN, 4]]));
  assert.equal(later.written, 1);
});

test("cold writes go through within retention when enabled, and not beyond it", async () => {
  const { db } = await openDb();
  await db.createNamespace("m", { coldWritesEnabled: true, retentionPeriodMs: 24 * HOUR });
  const res = await db.writeBatch(
    "m",
    batchOf([
      ["a", NOW - 20 * HOUR, 1], // cold, in retention
      ["a", NOW - 25 * HOUR, 2], // past retention
      ["a", NOW - MIN, 3], // warm
    ]),
  );
  assert.equal(res.written, 2);
  assert.equal(res.errors.length, 1);
  assert.equal(res.errors[0].index, 1);
  assert.match(res.errors[0].error.message, /retention/);
  assert.deepEqual(await read(db, "m", "a"), [
    [NOW - 20 * HOUR, 1],
    [NOW - MIN, 3],
  ]);
});

test("one bad datapoint never fails the others", async () => {
  const { db } = await openDb();
  await db.createNamespace("m");
  const good = seriesIdString(tagsOf("good"));
  const batch: WriteBatch = {
    count: 6,
    series: [0, 1, 2, 0, 0, 3],
    timesMs: [NOW, NOW, NOW, 1.5, NOW - 1, NOW - 2],
    values: [1, 2, 3, 4, 5, 6],
    units: [2, 2, 2, 2, 9, 2],
    seriesIds: [good, "", seriesIdString(tagsOf("notags")), "x".repeat(20_000)],
    seriesTags: [
      encodeTags(tagsOf("good")),
      encodeTags(tagsOf("e")),
      null,
      encodeTags(tagsOf("long")),
    ],
  };
  const res = await db.writeBatch("m", batch);
  assert.equal(res.written, 1);
  const byIndex = new Map(res.errors.map((e) => [e.index, e.error]));
  assert.ok(
    byIndex.get(1) instanceof InvalidSeriesError && /empty/.test(byIndex.get(1)?.message ?? ""),
  );
  assert.ok(
    byIndex.get(2) instanceof InvalidSeriesError &&
      /without its tags/.test(byIndex.get(2)?.message ?? ""),
  );
  assert.ok(
    byIndex.get(3) instanceof InvalidWriteError && /1\.5/.test(byIndex.get(3)?.message ?? ""),
  );
  assert.ok(
    byIndex.get(4) instanceof InvalidWriteError && /unit 9/.test(byIndex.get(4)?.message ?? ""),
  );
  assert.ok(
    byIndex.get(5) instanceof InvalidSeriesError &&
      /longer than the limit/.test(byIndex.get(5)?.message ?? ""),
  );
  assert.equal(res.refs[1], -1);
  assert.deepEqual(await read(db, "m", "good"), [[NOW, 1]]);
});

test("malformed tags are refused with the reason, and the series is not created", async () => {
  const { db } = await openDb();
  await db.createNamespace("m");
  const res = await db.writeBatch("m", {
    count: 1,
    series: [0],
    timesMs: [NOW],
    values: [1],
    seriesIds: ["{broken}"],
    seriesTags: [new Uint8Array([1, 2, 3])],
  });
  assert.equal(res.written, 0);
  assert.equal(res.errors[0].error.code, "M3TS_ERR_INVALID_TAGS");
  assert.equal(db.seriesCount("m"), 0);
});

test("unknown namespaces and inconsistent batches fail the whole call", async () => {
  const { db } = await openDb();
  await db.createNamespace("m");
  await assert.rejects(db.writeBatch("nope", batchOf([["a", NOW, 1]])), UnknownNamespaceError);
  await assert.rejects(db.fetch("nope", "x", 0, 1), UnknownNamespaceError);
  const bad = batchOf([["a", NOW, 1]]);
  await assert.rejects(db.writeBatch("m", { ...bad, count: 2 }), InvalidWriteError);
  await assert.rejects(db.writeBatch("m", { ...bad, series: [5] }), /refers to series 5/);
});

test("refs from one batch let the next skip the lookup; a stale ref falls back to the ID", async () => {
  const { db } = await openDb();
  await db.createNamespace("m");
  const first = await db.writeBatch(
    "m",
    batchOf([
      ["a", NOW - 2000, 1],
      ["b", NOW - 2000, 1],
    ]),
  );
  const refs = Array.from(first.refs);
  assert.ok(refs.every((r) => r >= 0));
  const next = batchOf([
    ["a", NOW - 1000, 2],
    ["b", NOW - 1000, 2],
  ]);
  const res = await db.writeBatch("m", { ...next, seriesRefs: refs, seriesTags: [null, null] });
  assert.deepEqual(res.errors, []);
  // Swapped refs: each points at the other series' slot, so the ID check catches it.
  const swapped = await db.writeBatch("m", {
    ...batchOf([
      ["a", NOW, 3],
      ["b", NOW, 3],
    ]),
    seriesRefs: [refs[1], refs[0]],
  });
  assert.deepEqual(swapped.errors, []);
  assert.deepEqual(await read(db, "m", "a"), [
    [NOW - 2000, 1],
    [NOW - 1000, 2],
    [NOW, 3],
  ]);
});

test("a series with more tags than the limit is refused, naming the count", async () => {
  const { db } = await openDb({ maxTags: 3 });
  await db.createNamespace("m");
  const many: Tag[] = [
    ["__name__", "x"],
    ["a", "1"],
    ["b", "2"],
    ["c", "3"],
  ];
  const res = await db.writeBatch("m", {
    count: 1,
    series: [0],
    timesMs: [NOW],
    values: [1],
    seriesIds: [seriesIdString(many)],
    seriesTags: [encodeTags(many)],
  });
  assert.equal(res.written, 0);
  assert.ok(res.errors[0].error instanceof InvalidSeriesError);
  assert.match(res.errors[0].error.message, /4 tags, more than the limit of 3/);
});

test("a new series' ID must be the canonical ID of its tags, and its tags sorted", async () => {
  const { db } = await openDb();
  await db.createNamespace("m");
  const sorted: Tag[] = [
    ["__name__", "up"],
    ["job", "node"],
  ];
  const unsorted: Tag[] = [
    ["job", "node"],
    ["__name__", "up"],
  ];
  const res = await db.writeBatch("m", {
    count: 2,
    series: [0, 1],
    timesMs: [NOW, NOW],
    values: [1, 1],
    seriesIds: ['{__name__="up",job="other"}', seriesIdString(unsorted)],
    seriesTags: [encodeTags(sorted), encodeTags(unsorted)],
  });
  assert.equal(res.written, 0);
  assert.match(
    res.errors[0].error.message,
    /not the canonical ID of its tags, "\{__name__=\\"up\\",job=\\"node\\"\}"/,
  );
  assert.match(res.errors[1].error.message, /sorted by name/);
  assert.equal(db.seriesCount("m"), 0);
});

test("a commit log that cannot write fails the batch clearly and damages nothing accepted before", async () => {
  const dir = await tempDir();
  const { db } = await openDb({ dataDir: dir });
  await db.createNamespace("m");
  await db.writeBatch("m", batchOf([["a", NOW - 3000, 1]]));
  // Tests run as root, where permissions do not stop writes, and there is
  // no full disk to point at: closing the log's file under it makes the
  // next write fail in the operating system (EBADF), as a failing disk would.
  const internals = db as unknown as { log: { file: { fh: { close(): Promise<void> } } } };
  await internals.log.file.fh.close();
  await assert.rejects(
    db.writeBatch("m", batchOf([["a", NOW - 2000, 2]])),
    (e: M3tsError) => e.code === "M3TS_ERR_COMMITLOG_WRITE",
  );
  // The batch that failed is not in memory; the one before it is.
  assert.deepEqual(await read(db, "m", "a"), [[NOW - 3000, 1]]);
  await db.close().catch(() => {});
  const { db: again } = await openDb({ dataDir: dir });
  assert.deepEqual(await read(again, "m", "a"), [[NOW - 3000, 1]]);
  await again.close();
});

test("a removed series' ref is reused by a new series; a client's old ref for it falls back to the ID", async () => {
  const { db, clock } = await openDb();
  await db.createNamespace("m", { retentionPeriodMs: 4 * HOUR, blockSizeMs: 2 * HOUR });
  const old = await db.writeBatch("m", batchOf([["gone", clock.nowMs() - MIN, 1]]));
  const oldRef = old.refs[0];
  clock.advance(7 * HOUR);
  assert.equal((await db.tick()).seriesRemoved, 1);
  const fresh = await db.writeBatch("m", batchOf([["new", clock.nowMs(), 2]]));
  assert.equal(fresh.refs[0], oldRef, "the freed ref is handed to the next new series");
  // "gone" comes back with the ref its client learnt before: it must not land in "new".
  const back = await db.writeBatch("m", {
    ...batchOf([["gone", clock.nowMs(), 3]]),
    seriesRefs: [oldRef],
  });
  assert.deepEqual(back.errors, []);
  assert.notEqual(back.refs[0], oldRef);
  assert.deepEqual(await read(db, "m", "new"), [[clock.nowMs(), 2]]);
  assert.deepEqual(await read(db, "m", "gone"), [[clock.nowMs(), 3]]);
});
