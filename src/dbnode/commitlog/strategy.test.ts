// The two acknowledgement strategies: "wait" acknowledges after an fdatasync
// shared by every commit of a group; "behind" acknowledges at once and writes
// in the background every flushIntervalMs or flushMaxBytes.
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { test } from "node:test";
import { FILE_HEADER_SIZE } from "./format.js";
import { CommitLog } from "./index.js";
import { replayRows, series, withTempDir } from "./testing.js";

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

test("wait: 1000 concurrent append+commit calls share a handful of fdatasyncs", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "wait" });
    const commits: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) {
      log.append(series(i % 50), i, 0, i, 2, null);
      commits.push(log.commit());
    }
    await Promise.all(commits);
    assert.ok(log.syncs >= 1 && log.syncs < 50, `${log.syncs} syncs for 1000 commits`);
    // Acknowledged means on disk: every point is in the file before close.
    const { rows } = await replayRows(dir);
    assert.equal(rows.length, 1000);
    await log.close();
  });
});

test("wait: writers spread over many event-loop turns still group their commits", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "wait" });
    let acked = 0;
    const writers = Array.from({ length: 200 }, async (_, w) => {
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setImmediate(r));
        log.append(series(w), i, 0, i, 2, null);
        await log.commit();
        acked++;
      }
    });
    await Promise.all(writers);
    assert.equal(acked, 1000);
    assert.ok(log.syncs < 200, `${log.syncs} syncs for 1000 commits`);
    await log.close();
    assert.equal((await replayRows(dir)).rows.length, 1000);
  });
});

test("wait: a commit resolves only once its datapoint is in the file", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "wait", flushIntervalMs: 20 });
    for (let i = 0; i < 5; i++) {
      const before = log.syncs;
      log.append(series(1), i, 0, i, 2, null);
      const started = Date.now();
      await log.commit();
      assert.ok(Date.now() - started >= 15, "resolved before the group-commit window closed");
      assert.equal(log.syncs, before + 1);
      const { rows } = await replayRows(dir);
      assert.deepEqual(
        rows.map((r) => r.timeMs),
        Array.from({ length: i + 1 }, (_, k) => k),
      );
    }
    // Nothing new appended: nothing to wait for.
    const syncs = log.syncs;
    await log.commit();
    assert.equal(log.syncs, syncs);
    await log.close();
  });
});

test("wait: commits arriving during a write+sync get the next sync at once, not another window", async () => {
  await withTempDir(async (dir) => {
    // A long window, so that "waited for another window" (>= 2 s) and "synced
    // at once" (one fdatasync, milliseconds) stay far apart on a loaded machine.
    const windowMs = 2000;
    const log = await CommitLog.open({ dir, strategy: "wait", flushIntervalMs: windowMs });
    log.append(series(1), 1, 0, 1, 2, null);
    const first = log.commit();
    // Timers of one duration fire in creation order, so this runs right after
    // the log's window timer has started the write of the first group.
    // (Wrapped in an object: resolving with a promise would wait for it.)
    const late = new Promise<{ commit: Promise<void> }>((resolve) => {
      setTimeout(() => {
        log.append(series(1), 2, 0, 2, 2, null);
        resolve({ commit: log.commit() });
      }, windowMs);
    });
    await first;
    const firstDoneAt = Date.now();
    assert.equal(log.syncs, 1);
    await (await late).commit;
    assert.ok(Date.now() - firstDoneAt < windowMs / 2, "second group waited for a new window");
    assert.equal(log.syncs, 2);
    assert.equal(log.chunksWritten, 2);
    await log.close();
  });
});

test("wait: close acknowledges commits still inside the group-commit window", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "wait", flushIntervalMs: 60_000 });
    log.append(series(1), 1, 0, 1, 2, null);
    const pending = log.commit();
    await log.close();
    await pending;
    assert.equal(log.syncs, 1);
    assert.equal((await replayRows(dir)).rows.length, 1);
  });
});

test("behind: commit resolves without a write or sync; the data is written within flushIntervalMs", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "behind", flushIntervalMs: 40 });
    for (let i = 0; i < 10; i++) log.append(series(i), i, 0, i, 2, null);
    await log.commit();
    assert.equal(log.syncs, 0);
    assert.equal(log.chunksWritten, 0);
    assert.equal((await stat(log.currentPath)).size, FILE_HEADER_SIZE);

    await sleep(120);
    assert.equal(log.chunksWritten, 1);
    assert.equal(log.syncs, 0, "behind synced without rotate or close");
    assert.ok((await stat(log.currentPath)).size > FILE_HEADER_SIZE);
    assert.equal((await replayRows(dir)).rows.length, 10);
    await log.close();
    assert.equal(log.syncs, 1);
  });
});

test("behind: reaching flushMaxBytes writes a chunk without waiting for the interval", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({
      dir,
      strategy: "behind",
      flushIntervalMs: 60_000,
      flushMaxBytes: 1024,
    });
    for (let i = 0; i < 200; i++) log.append(series(1), i, 0, i, 2, null);
    await sleep(30);
    assert.ok(log.chunksWritten >= 3, `${log.chunksWritten} chunks written`);
    const { rows, stats } = await replayRows(dir);
    assert.equal(stats.chunks, log.chunksWritten);
    assert.ok(rows.length > 100 && rows.length < 200);
    await log.close();
    assert.equal((await replayRows(dir)).rows.length, 200);
  });
});

test("behind: a producer that never yields to I/O is slowed down instead of overflowing the queue", async () => {
  await withTempDir(async (dir) => {
    // Small chunks and queue: without backpressure the loop below would hit
    // CommitLogQueueFullError, since awaiting an already-resolved commit
    // never lets the file writes run.
    const log = await CommitLog.open({
      dir,
      strategy: "behind",
      flushMaxBytes: 4096,
      maxQueueBytes: 65_536,
    });
    let held = 0;
    for (let i = 0; i < 20_000; i++) {
      log.append(series(i % 10), i, 0, i, 2, null);
      const commit = log.commit();
      let settled = false;
      void commit.then(() => {
        settled = true;
      });
      await Promise.resolve();
      if (!settled) held++;
      await commit;
    }
    assert.ok(held > 0, "no commit ever waited for the queue to drain");
    await log.close();
    const { rows } = await replayRows(dir);
    assert.equal(rows.length, 20_000);
  });
});
