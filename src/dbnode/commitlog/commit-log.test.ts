// The commit log writer: round trips, metadata once per file, chunking,
// rotation and file indexes, bad directories, bad entries, a full queue, and
// failing closed after a write error.
import assert from "node:assert/strict";
import { type FileHandle, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../x/index.js";
import { CHUNK_HEADER_SIZE, FILE_HEADER_SIZE, PayloadCursor, readU32 } from "./format.js";
import {
  CommitLog,
  CommitLogClosedError,
  CommitLogQueueFullError,
  CommitLogWriteError,
  InvalidCommitLogEntryError,
  InvalidCommitLogOptionsError,
  listCommitLogFiles,
  type SeriesMetadata,
} from "./index.js";
import {
  chunkEnds,
  fromBits,
  type Row,
  replayRows,
  rowOf,
  series,
  withTempDir,
} from "./testing.js";

const SPECIAL_BITS = [
  "7ff0000000000002", // Prometheus stale marker (a signalling NaN)
  "7ff8000000000000", // the usual quiet NaN
  "fff8000000000001", // negative NaN with a payload
  "7ff0000000000000", // +Inf
  "fff0000000000000", // -Inf
  "8000000000000000", // -0
  "0000000000000001", // smallest subnormal
  "3ff0000000000000", // 1
];

test("datapoints of many series and namespaces round-trip exactly across many chunks", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "behind", flushMaxBytes: 200 });
    const all = [
      series(0, "default"),
      series(1, "metrics_10s"),
      series(2, "metrics_1m", 4_000_000_000),
      series(70_000, "default"), // grows the seen bitmap
      series(2 ** 40, "métriques"), // above the bitmap: the sparse set
      series(Number.MAX_SAFE_INTEGER, "default"),
    ];
    const expected: Row[] = [];
    for (let i = 0; i < 600; i++) {
      const s = all[i % all.length];
      const bits = SPECIAL_BITS[i % SPECIAL_BITS.length];
      const timeMs = 1_700_000_000_000 + i * 10 - (i % 7 === 0 ? 3_400_000_000_000 : 0);
      const nsInMs = (i * 7919) % 1_000_000;
      const unit = i % 9;
      const annotation = i % 5 === 0 ? new Uint8Array([i & 0xff, 1, 2]) : null;
      log.append(s, timeMs, nsInMs, fromBits(bits), unit, annotation);
      expected.push({ ...rowOf(s, timeMs, nsInMs, 0, unit, annotation), valueBits: bits });
    }
    await log.close();
    assert.ok(log.chunksWritten > 20, `only ${log.chunksWritten} chunks`);
    const { rows, stats } = await replayRows(dir);
    assert.deepEqual(rows, expected);
    assert.equal(stats.chunks, log.chunksWritten);
    assert.equal(stats.datapoints, 600);
    assert.deepEqual(stats.skipped, []);
  });
});

test("a series' metadata is written once per file, and again after rotation", async () => {
  await withTempDir(async (dir) => {
    const big: SeriesMetadata = { ...series(5), id: new Uint8Array(1000).fill(7) };
    const log = await CommitLog.open({ dir, strategy: "wait" });
    for (let i = 0; i < 100; i++) log.append(big, 1000 + i, 0, i, 2, null);
    await log.commit();
    const first = await log.rotate();
    for (let i = 0; i < 3; i++) log.append(big, 2000 + i, 0, i, 2, null);
    await log.close();

    // Each datapoint record here is 21 bytes; the 1000-byte id appears once.
    const size = (await stat(first)).size;
    assert.ok(
      size < FILE_HEADER_SIZE + CHUNK_HEADER_SIZE + 1100 + 100 * 21,
      `file is ${size} bytes`,
    );
    assert.ok(size > 1000);
    // The second file carries its own copy, so it replays on its own.
    const second = await readFile(log.currentPath);
    assert.ok(second.length > 1000, "metadata not repeated in the new file");
    const { rows, stats } = await replayRows(dir);
    assert.equal(rows.length, 103);
    assert.equal(stats.series, 2);
    assert.deepEqual(stats.skipped, []);
  });
});

test("records never span chunks; a record larger than flushMaxBytes gets a chunk to itself", async () => {
  await withTempDir(async (dir) => {
    const flushMaxBytes = 100;
    const log = await CommitLog.open({ dir, strategy: "behind", flushMaxBytes });
    const s = series(1);
    for (let i = 0; i < 50; i++) {
      const annotation = i === 20 ? new Uint8Array(300).fill(9) : new Uint8Array(i % 13);
      log.append(s, i, 0, i, 2, annotation);
    }
    await log.close();
    const file = new Uint8Array(await readFile(log.currentPath));
    const cursor = new PayloadCursor();
    let start = FILE_HEADER_SIZE;
    let oversized = 0;
    for (const end of chunkEnds(file)) {
      const length = readU32(file, start);
      // Count the records in the payload by walking them.
      cursor.reset(file, start + CHUNK_HEADER_SIZE, end);
      let records = 0;
      while (cursor.pos < end) {
        const type = cursor.u8();
        if (type === 1) {
          cursor.varint();
          cursor.varint();
          for (let k = 0; k < 3; k++) cursor.skip(cursor.varint());
        } else {
          cursor.varint();
          cursor.f64();
          cursor.varint();
          cursor.f64();
          cursor.u8();
          cursor.skip(cursor.varint());
        }
        assert.equal(cursor.error, "", `record ${records} of the chunk at ${start}`);
        records++;
      }
      if (length > flushMaxBytes) {
        oversized++;
        assert.equal(records, 1, "an oversized chunk holds more than its one record");
      }
      start = end;
    }
    assert.equal(oversized, 1);
    assert.equal((await replayRows(dir)).rows.length, 50);
  });
});

test("a new log takes the index after every existing one, by header; replay follows headers", async () => {
  await withTempDir(async (dir) => {
    for (let i = 0; i < 3; i++) {
      const log = await CommitLog.open({ dir, strategy: "wait" });
      assert.equal(log.currentIndex, i);
      assert.equal(log.currentPath, join(dir, `commitlog-0-${i}.db`));
      log.append(series(1), 100 + i, 0, i, 2, null);
      await log.close();
    }
    // Names are not trusted: swap two files' names; headers still give the order.
    await rename(join(dir, "commitlog-0-0.db"), join(dir, "commitlog-0-9.db"));
    await rename(join(dir, "commitlog-0-2.db"), join(dir, "commitlog-0-0.db"));
    await writeFile(join(dir, "notes.txt"), "not a commit log");
    const files = await listCommitLogFiles(dir, nodeFileSystem);
    assert.deepEqual(
      files.map((f) => [f.index, f.path]),
      [
        [0, join(dir, "commitlog-0-9.db")],
        [1, join(dir, "commitlog-0-1.db")],
        [2, join(dir, "commitlog-0-0.db")],
      ],
    );
    assert.deepEqual(files.corrupt, []);
    const { rows } = await replayRows(dir);
    assert.deepEqual(
      rows.map((r) => r.timeMs),
      [100, 101, 102],
    );
    // The next index passes the highest claimed by a header or a name (9).
    const log = await CommitLog.open({ dir, strategy: "wait" });
    assert.equal(log.currentIndex, 10);
    await log.close();
  });
});

test("rotate closes the file, returns its path and continues at the next index", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "behind", now: () => 42 });
    log.append(series(1), 1, 0, 1, 2, null);
    const rotated = log.rotate();
    // Appends made while the rotation runs belong to the next file.
    log.append(series(1), 2, 0, 2, 2, null);
    assert.equal(await rotated, join(dir, "commitlog-0-0.db"));
    assert.equal(log.currentIndex, 1);
    assert.equal(log.currentPath, join(dir, "commitlog-0-1.db"));
    assert.ok(log.syncs >= 1, "rotation did not sync the closed file");
    log.append(series(1), 3, 0, 3, 2, null);
    await log.rotate();
    await log.close();
    const files = await listCommitLogFiles(dir, nodeFileSystem);
    assert.deepEqual(
      files.map((f) => [f.index, f.createdAtMs]),
      [
        [0, 42],
        [1, 42],
        [2, 42],
      ],
    );
    const { rows, stats } = await replayRows(dir);
    assert.deepEqual(
      rows.map((r) => r.timeMs),
      [1, 2, 3],
    );
    assert.equal(stats.files, 3);
    assert.equal(stats.series, 2);
  });
});

test("open rejects a directory it cannot use, naming the path and the OS error", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "a-file");
    await writeFile(file, "x");
    for (const bad of [file, join(file, "commitlogs")]) {
      await assert.rejects(CommitLog.open({ dir: bad, strategy: "wait" }), (err) => {
        assert.ok(err instanceof CommitLogWriteError);
        assert.equal(err.code, "M3TS_ERR_COMMITLOG_WRITE");
        assert.ok(["EEXIST", "ENOTDIR"].includes(err.osCode), err.osCode);
        assert.ok(err.message.includes(bad), err.message);
        return true;
      });
    }
    await assert.rejects(
      CommitLog.open({ dir, strategy: "sometimes" as never }),
      InvalidCommitLogOptionsError,
    );
    await assert.rejects(
      CommitLog.open({ dir, strategy: "wait", flushMaxBytes: 0 }),
      InvalidCommitLogOptionsError,
    );
    await assert.rejects(
      CommitLog.open({ dir, strategy: "wait", flushIntervalMs: -1 }),
      InvalidCommitLogOptionsError,
    );
  });
});

test("bad entries are refused without writing anything and the log stays usable", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "wait" });
    const bad: Array<[SeriesMetadata, number, number, number, string]> = [
      [series(-1), 0, 0, 2, "seriesIndex"],
      [series(2 ** 53), 0, 0, 2, "seriesIndex"],
      [series(1), 1.5, 0, 2, "timeMs"],
      [series(1), Number.NaN, 0, 2, "timeMs"],
      [series(1), 0, 1_000_000, 2, "nsInMs"],
      [series(1), 0, -1, 2, "nsInMs"],
      [series(1), 0, 0, 256, "unit"],
      [series(7, "default", -1), 0, 0, 2, "shard"],
      [series(7, "default", 2 ** 32), 0, 0, 2, "shard"],
    ];
    for (const [s, t, ns, unit, field] of bad) {
      assert.throws(
        () => log.append(s, t, ns, 1, unit, null),
        (err) => err instanceof InvalidCommitLogEntryError && err.field === field,
      );
    }
    log.append(series(7), 5, 0, 1, 2, null);
    await log.close();
    const { rows, stats } = await replayRows(dir);
    assert.deepEqual(
      rows.map((r) => [r.seriesIndex, r.timeMs]),
      [[7, 5]],
    );
    assert.equal(stats.series, 1);
  });
});

test("appends past maxQueueBytes throw CommitLogQueueFullError until the disk catches up", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({
      dir,
      strategy: "behind",
      flushMaxBytes: 1024,
      maxQueueBytes: 4096,
    });
    let accepted = 0;
    let full: unknown = null;
    for (let i = 0; i < 10_000 && full === null; i++) {
      try {
        log.append(series(1), i, 0, i, 2, null);
        accepted++;
      } catch (err) {
        full = err;
      }
    }
    assert.ok(full instanceof CommitLogQueueFullError, String(full));
    assert.equal(full.maxQueueBytes, 4096);
    assert.ok(accepted > 100 && accepted < 300, `${accepted} appends accepted`);
    await log.commit(); // not failed: only full
    await new Promise((r) => setTimeout(r, 20));
    log.append(series(1), 1e6, 0, 0, 2, null);
    await log.close();
    assert.equal((await replayRows(dir)).rows.length, accepted + 1);
  });
});

test("close flushes and syncs; afterwards the log refuses work with CommitLogClosedError", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "behind", flushIntervalMs: 60_000 });
    log.append(series(1), 1, 0, 1, 2, null);
    const closing = log.close();
    assert.equal(log.close(), closing);
    assert.throws(() => log.append(series(1), 2, 0, 2, 2, null), CommitLogClosedError);
    await assert.rejects(log.commit(), CommitLogClosedError);
    await assert.rejects(log.rotate(), CommitLogClosedError);
    await closing;
    assert.equal(log.syncs, 1);
    assert.equal((await replayRows(dir)).rows.length, 1);
  });
});

// Simulating a failing disk: tests run as root, so permissions block nothing,
// and there is no full or read-only filesystem to point at. Instead the test
// closes the log's own file handle behind its back; the next write then fails
// with a real EBADF from the OS, at a moment the test chooses.
function breakFile(log: CommitLog): Promise<void> {
  return (log as unknown as { file: { fh: FileHandle } }).file.fh.close();
}

test("wait: a failed write rejects the commit, fails the log closed and keeps earlier data", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "wait" });
    for (let i = 0; i < 10; i++) log.append(series(i), i, 0, i, 2, null);
    await log.commit();
    const path = log.currentPath;
    await breakFile(log);

    log.append(series(1), 100, 0, 1, 2, null);
    const first = log.commit();
    let failure: unknown = null;
    await assert.rejects(first, (err) => {
      failure = err;
      return true;
    });
    assert.ok(failure instanceof CommitLogWriteError);
    assert.equal(failure.code, "M3TS_ERR_COMMITLOG_WRITE");
    assert.equal(failure.path, path);
    assert.equal(failure.op, "write");
    assert.equal(failure.osCode, "EBADF");
    assert.ok(failure.message.includes(path) && failure.message.includes("failed closed"));
    // Every later operation refuses with the same error.
    assert.throws(
      () => log.append(series(1), 101, 0, 1, 2, null),
      (err) => err === failure,
    );
    await assert.rejects(log.commit(), (err) => err === failure);
    await assert.rejects(log.rotate(), (err) => err === failure);
    await assert.rejects(log.close(), (err) => err === failure);

    const { rows, stats } = await replayRows(dir);
    assert.deepEqual(
      rows.map((r) => r.timeMs),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.deepEqual(stats.skipped, []);
  });
});

test("behind: a failed background flush makes the next append and commit throw", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "behind", flushIntervalMs: 5 });
    log.append(series(1), 1, 0, 1, 2, null);
    await log.commit();
    await breakFile(log);
    await new Promise((r) => setTimeout(r, 30));
    assert.throws(
      () => log.append(series(1), 2, 0, 1, 2, null),
      (err) => err instanceof CommitLogWriteError && err.osCode === "EBADF",
    );
    await assert.rejects(log.commit(), CommitLogWriteError);
    await assert.rejects(log.close(), CommitLogWriteError);
  });
});
