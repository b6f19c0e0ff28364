// Replay of damaged logs: torn tails at every offset, flipped bits, garbage
// and header-less files, and records a checksum cannot catch. Replay must keep
// exactly what precedes the damage, report the rest, and never throw.
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../x/index.js";
import { encodeFileHeader, FILE_HEADER_SIZE, putVarint } from "./format.js";
import { CommitLog, replayCommitLogs } from "./index.js";
import {
  buildChunk,
  chunkEnds,
  type Row,
  replayRows,
  rowOf,
  seededRandom,
  series,
  withTempDir,
} from "./testing.js";

/**
 * Writes a log whose chunk k holds exactly the datapoints of group k ("wait"
 * makes one chunk per awaited commit). Returns the file's bytes, the chunk end
 * offsets and the rows each chunk holds.
 */
async function writeGroups(
  dir: string,
  groups: number,
  perGroup: number,
): Promise<{ bytes: Uint8Array; ends: number[]; rowsByChunk: Row[][] }> {
  const log = await CommitLog.open({ dir, strategy: "wait", flushIntervalMs: 0 });
  const rowsByChunk: Row[][] = [];
  for (let g = 0; g < groups; g++) {
    const rows: Row[] = [];
    for (let i = 0; i < perGroup; i++) {
      const index = (g * perGroup + i) % 4;
      const s = series(index, index % 2 === 0 ? "default" : "other");
      const t = 1_000 * g + i;
      const annotation = i === 0 ? new Uint8Array([g]) : null;
      log.append(s, t, i, t / 3, 2, annotation);
      rows.push(rowOf(s, t, i, t / 3, 2, annotation));
    }
    await log.commit();
    rowsByChunk.push(rows);
  }
  await log.close();
  assert.equal(log.chunksWritten, groups);
  const bytes = new Uint8Array(await readFile(log.currentPath));
  return { bytes, ends: chunkEnds(bytes), rowsByChunk };
}

/** Replays a directory holding only `bytes` as a commit log file. */
async function replayBytes(dir: string, bytes: Uint8Array, name = "commitlog-0-0.db") {
  const sub = join(dir, `case-${caseCounter++}`);
  await mkdir(sub);
  await writeFile(join(sub, name), bytes);
  return replayRows(sub);
}
let caseCounter = 0;

/** The rows of the chunks that end at or before `offset`. */
function rowsBefore(ends: number[], rowsByChunk: Row[][], offset: number): Row[] {
  const out: Row[] = [];
  for (let k = 0; k < ends.length && ends[k] <= offset; k++) out.push(...rowsByChunk[k]);
  return out;
}

test("torn tail: a cut anywhere keeps exactly the whole chunks before it and reports the rest", async () => {
  await withTempDir(async (dir) => {
    const { bytes, ends, rowsByChunk } = await writeGroups(join(dir, "log"), 12, 6);
    const rand = seededRandom(7);
    // Every offset of the last two chunks, and random offsets elsewhere.
    const cuts = new Set<number>();
    for (let off = ends[ends.length - 3]; off <= bytes.length; off++) cuts.add(off);
    for (let i = 0; i < 60; i++) cuts.add(FILE_HEADER_SIZE + Math.floor(rand() * bytes.length));
    for (const cut of [...cuts].filter((c) => c <= bytes.length)) {
      const { rows, stats } = await replayBytes(dir, bytes.subarray(0, cut));
      assert.deepEqual(rows, rowsBefore(ends, rowsByChunk, cut), `cut at ${cut}`);
      const lastWhole = [FILE_HEADER_SIZE, ...ends].filter((e) => e <= cut).pop() as number;
      if (lastWhole === cut) {
        assert.deepEqual(stats.skipped, [], `cut at ${cut}`);
      } else {
        assert.equal(stats.skipped.length, 1, `cut at ${cut}`);
        assert.equal(stats.skipped[0].offset, lastWhole);
        assert.match(stats.skipped[0].reason, /^torn chunk/);
        assert.equal(stats.skippedBytes, cut - lastWhole);
      }
      assert.deepEqual(stats.corruptFiles, []);
    }
  });
});

test("a file cut inside its header is corrupt; other files still replay", async () => {
  await withTempDir(async (dir) => {
    const { bytes, rowsByChunk } = await writeGroups(join(dir, "log"), 2, 3);
    for (const cut of [0, 1, 8, FILE_HEADER_SIZE - 1]) {
      const sub = join(dir, `cut-${cut}`);
      await mkdir(sub);
      await writeFile(join(sub, "commitlog-0-1.db"), bytes.subarray(0, cut));
      await writeFile(join(sub, "commitlog-0-0.db"), bytes);
      const { rows, stats } = await replayRows(sub);
      assert.deepEqual(rows, rowsByChunk.flat());
      assert.deepEqual(stats.corruptFiles, [join(sub, "commitlog-0-1.db")]);
      assert.equal(stats.skippedBytes, cut);
      assert.equal(stats.files, 1);
    }
  });
});

test("a flipped bit anywhere after the header stops replay at that chunk, keeping the ones before", async () => {
  await withTempDir(async (dir) => {
    const { bytes, ends, rowsByChunk } = await writeGroups(join(dir, "log"), 4, 3);
    const starts = [FILE_HEADER_SIZE, ...ends.slice(0, -1)];
    const rand = seededRandom(11);
    for (let pos = FILE_HEADER_SIZE; pos < bytes.length; pos++) {
      const damaged = bytes.slice();
      const bit = Math.floor(rand() * 8);
      damaged[pos] ^= 1 << bit;
      const k = ends.findIndex((e) => pos < e);
      const { rows, stats } = await replayBytes(dir, damaged);
      const where = `bit ${bit} of byte ${pos} (chunk ${k})`;
      assert.deepEqual(rows, rowsBefore(ends, rowsByChunk, starts[k]), where);
      assert.equal(stats.skipped.length, 1, where);
      assert.equal(stats.skipped[0].offset, starts[k], where);
      // The length and its checksum sit in the first 8 bytes of a chunk.
      const expected = pos < starts[k] + 8 ? /length checksum/ : /payload checksum/;
      assert.match(stats.skipped[0].reason, expected, where);
      assert.equal(stats.skippedBytes, bytes.length - starts[k], where);
    }
  });
});

test("a flipped bit in the header makes the file corrupt, never replayed", async () => {
  await withTempDir(async (dir) => {
    const { bytes } = await writeGroups(join(dir, "log"), 2, 2);
    for (let pos = 0; pos < FILE_HEADER_SIZE; pos++) {
      const damaged = bytes.slice();
      damaged[pos] ^= 0x04;
      const { rows, stats } = await replayBytes(dir, damaged);
      assert.deepEqual(rows, [], `byte ${pos}`);
      assert.equal(stats.corruptFiles.length, 1, `byte ${pos}`);
      assert.equal(stats.skippedBytes, bytes.length);
    }
  });
});

test("garbage and empty files are reported corrupt while the good files replay", async () => {
  await withTempDir(async (dir) => {
    const { bytes, rowsByChunk } = await writeGroups(join(dir, "log"), 3, 2);
    const sub = join(dir, "mixed");
    await mkdir(sub);
    const rand = seededRandom(3);
    const garbage = Uint8Array.from({ length: 5000 }, () => Math.floor(rand() * 256));
    await writeFile(join(sub, "commitlog-0-0.db"), garbage);
    await writeFile(join(sub, "commitlog-0-1.db"), new Uint8Array(0));
    await writeFile(join(sub, "commitlog-0-2.db"), bytes);
    await writeFile(join(sub, "README"), "ignored");
    await mkdir(join(sub, "commitlog-0-7.db")); // a directory with a log's name is skipped
    const { rows, stats } = await replayRows(sub);
    assert.deepEqual(rows, rowsByChunk.flat());
    assert.deepEqual(stats.corruptFiles, [
      join(sub, "commitlog-0-0.db"),
      join(sub, "commitlog-0-1.db"),
    ]);
    assert.equal(stats.skippedBytes, 5000);
    assert.match(stats.skipped[0].reason, /bad magic/);
    assert.match(stats.skipped[1].reason, /truncated: 0 of 30/);
    assert.equal(stats.files, 1);
  });
});

test("a missing directory replays as empty", async () => {
  await withTempDir(async (dir) => {
    let called = 0;
    const stats = await replayCommitLogs(join(dir, "nope"), () => called++, { fs: nodeFileSystem });
    assert.equal(called, 0);
    assert.deepEqual(stats, {
      files: 0,
      chunks: 0,
      datapoints: 0,
      series: 0,
      corruptFiles: [],
      skippedBytes: 0,
      skipped: [],
    });
  });
});

/** A hand-made file: header, then one chunk per payload given. */
function handMade(...payloads: number[][]): Uint8Array {
  const parts = [encodeFileHeader(0, 0), ...payloads.map((p) => buildChunk(Uint8Array.from(p)))];
  return Buffer.concat(parts);
}

function metadataRecord(seriesIndex: number): number[] {
  const out = new Uint8Array(32);
  let p = 0;
  out[p++] = 1;
  p = putVarint(out, p, seriesIndex);
  out[p++] = 3; // shard
  out[p++] = 2; // namespace "ns"
  out[p++] = 0x6e;
  out[p++] = 0x73;
  out[p++] = 1; // id "a"
  out[p++] = 0x61;
  out[p++] = 0; // no tags
  return [...out.subarray(0, p)];
}

function datapointRecord(seriesIndex: number, timeMs: number): number[] {
  const out = new Uint8Array(40);
  let p = 0;
  out[p++] = 2;
  p = putVarint(out, p, seriesIndex);
  new DataView(out.buffer).setFloat64(p, timeMs, true);
  p += 8;
  out[p++] = 0; // nsInMs
  new DataView(out.buffer).setFloat64(p, 1.25, true);
  p += 8;
  out[p++] = 2; // unit
  out[p++] = 0; // no annotation
  return [...out.subarray(0, p)];
}

test("records a checksum cannot catch stop the file there, after the records before them", async () => {
  await withTempDir(async (dir) => {
    const m = metadataRecord(9);
    const d = (t: number) => datapointRecord(9, t);
    const cases: Array<{ name: string; file: Uint8Array; times: number[]; reason: RegExp }> = [
      {
        name: "unknown record type",
        file: handMade([...m, ...d(1)], [...d(2), 0x07, ...d(3)], [...d(4)]),
        times: [1, 2],
        reason: /unknown record type 7/,
      },
      {
        name: "datapoint of an undescribed series",
        file: handMade([...m, ...d(1)], [...datapointRecord(10, 2)]),
        times: [1],
        reason: /series 10, which has no metadata/,
      },
      {
        name: "record cut by its chunk's end",
        file: handMade([...m, ...d(1)], d(2).slice(0, 12)),
        times: [1],
        reason: /runs past the end of its chunk/,
      },
      {
        name: "fractional time",
        file: handMade([...m, ...datapointRecord(9, 1.5)]),
        times: [],
        reason: /not a valid instant/,
      },
      {
        name: "namespace not UTF-8",
        file: handMade([1, 9, 3, 1, 0xff, 0, 0]),
        times: [],
        reason: /not valid UTF-8/,
      },
    ];
    for (const c of cases) {
      const { rows, stats } = await replayBytes(dir, c.file);
      assert.deepEqual(
        rows.map((r) => r.timeMs),
        c.times,
        c.name,
      );
      assert.equal(stats.skipped.length, 1, c.name);
      assert.match(stats.skipped[0].reason, c.reason, c.name);
      assert.ok(stats.skipped[0].offset > FILE_HEADER_SIZE, c.name);
      assert.equal(stats.skippedBytes, c.file.length - stats.skipped[0].offset, c.name);
    }
  });
});

test("metadata is per file: a datapoint relying on an earlier file's metadata is refused", async () => {
  await withTempDir(async (dir) => {
    await writeFile(
      join(dir, "commitlog-0-0.db"),
      handMade([...metadataRecord(9), ...datapointRecord(9, 1)]),
    );
    const second = Buffer.concat([
      encodeFileHeader(1, 0),
      buildChunk(Uint8Array.from(datapointRecord(9, 2))),
    ]);
    await writeFile(join(dir, "commitlog-0-1.db"), second);
    const { rows, stats } = await replayRows(dir);
    assert.deepEqual(
      rows.map((r) => r.timeMs),
      [1],
    );
    assert.equal(stats.skipped.length, 1);
    assert.equal(stats.skipped[0].file, join(dir, "commitlog-0-1.db"));
  });
});

test("chunks straddling the read window and chunks larger than it replay whole", async () => {
  await withTempDir(async (dir) => {
    // 1.3 MB of 4 KB chunks slides the 1 MiB read window across chunk
    // boundaries; a 3 MiB annotation makes one chunk larger than the window.
    const log = await CommitLog.open({ dir, strategy: "behind", flushMaxBytes: 4000 });
    for (let i = 0; i < 60_000; i++) log.append(series(i % 3), i, 0, i, 2, null);
    log.append(series(1), 60_000, 0, 60_000, 2, new Uint8Array(3 << 20).fill(5));
    for (let i = 60_001; i < 60_100; i++) log.append(series(2), i, 0, i, 2, null);
    await log.close();
    let count = 0;
    let bigAnnotation = 0;
    const stats = await replayCommitLogs(
      dir,
      (_s, t, _ns, v, _u, a) => {
        assert.equal(v, t);
        assert.equal(t, count);
        if (a !== null) bigAnnotation = a.length;
        count++;
      },
      { fs: nodeFileSystem },
    );
    assert.equal(count, 60_100);
    assert.equal(bigAnnotation, 3 << 20);
    assert.deepEqual(stats.skipped, []);
    assert.equal(stats.chunks, log.chunksWritten);
  });
});
