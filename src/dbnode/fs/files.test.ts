// Volumes on disk: completeness, crash leftovers, removal, volume ordering
// and verification of a whole data directory.
import assert from "node:assert/strict";
import { copyFile, readdir, readFile, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../x/index.js";
import {
  FILE_TYPES,
  listVolumes,
  openVolume,
  removeIncompleteVolumes,
  removeVolume,
  type VolumeEntry,
  verifyDataDir,
  volumeFilePath,
  writeVolume,
} from "./index.js";
import { BLOCK_SIZE_MS, makeEntries, volumeId, withTempDir } from "./testing.js";

test("a volume without its checkpoint is incomplete and removeIncompleteVolumes deletes it", async () => {
  await withTempDir(async (root) => {
    await writeVolume(root, "data", volumeId(0), BLOCK_SIZE_MS, makeEntries(100, 1), {
      fs: nodeFileSystem,
    });
    await writeVolume(root, "data", volumeId(1), BLOCK_SIZE_MS, makeEntries(100, 2), {
      fs: nodeFileSystem,
    });
    await unlink(volumeFilePath(root, "data", volumeId(1), "checkpoint"));
    const listed = await listVolumes(root, "data", "default", 3, nodeFileSystem);
    assert.deepEqual(
      listed.map((v) => [v.volume, v.complete, v.paths.length]),
      [
        [0, true, 7],
        [1, false, 6],
      ],
    );
    const removed = await removeIncompleteVolumes(root, "data", nodeFileSystem);
    assert.equal(removed.length, 6);
    assert.ok(
      removed.every((p) => basename(p).startsWith(`fileset-${volumeId().blockStartMs}-1-`)),
    );
    assert.deepEqual(
      (await listVolumes(root, "data", undefined, undefined, nodeFileSystem)).map((v) => v.volume),
      [0],
    );
  });
});

test("crash leftovers never make a complete volume: partial files, temp files, a bad checkpoint", async () => {
  await withTempDir(async (root) => {
    await writeVolume(root, "data", volumeId(0), BLOCK_SIZE_MS, makeEntries(100, 3), {
      fs: nodeFileSystem,
    });
    const dir = dirname(volumeFilePath(root, "data", volumeId(0), "data"));
    // Volume 1: the writer got as far as the data and index files, and had a temp info file.
    for (const type of ["data", "index"] as const) {
      await copyFile(
        volumeFilePath(root, "data", volumeId(0), type),
        volumeFilePath(root, "data", volumeId(1), type),
      );
    }
    await writeFile(`${volumeFilePath(root, "data", volumeId(1), "info")}.tmp`, "partial");
    // Volume 2: every file but the checkpoint still under its temp name.
    for (const type of FILE_TYPES) {
      await copyFile(
        volumeFilePath(root, "data", volumeId(0), type),
        `${volumeFilePath(root, "data", volumeId(2), type)}.tmp`,
      );
    }
    // Volume 3: all seven files, but the checkpoint does not match the digest.
    for (const type of FILE_TYPES) {
      await copyFile(
        volumeFilePath(root, "data", volumeId(0), type),
        volumeFilePath(root, "data", volumeId(3), type),
      );
    }
    await writeFile(volumeFilePath(root, "data", volumeId(3), "checkpoint"), "\0\0\0\0");
    // A temp file beside the complete volume 0.
    await writeFile(`${volumeFilePath(root, "data", volumeId(0), "data")}.tmp`, "x");

    const listed = await listVolumes(root, "data", undefined, undefined, nodeFileSystem);
    assert.deepEqual(
      listed.map((v) => [v.volume, v.complete]),
      [
        [0, true],
        [1, false],
        [2, false],
        [3, false],
      ],
    );
    const removed = await removeIncompleteVolumes(root, "data", nodeFileSystem);
    assert.equal(removed.length, 1 + 3 + 7 + 7);
    const left = (await readdir(dir)).sort();
    assert.deepEqual(
      left,
      FILE_TYPES.map((t) => basename(volumeFilePath(root, "data", volumeId(0), t))).sort(),
    );
  });
});

test("a writer that fails mid-stream leaves no complete volume and no temp files", async () => {
  await withTempDir(async (root) => {
    const entries = makeEntries(50, 4);
    function* failing(): Iterable<VolumeEntry> {
      yield* entries.slice(0, 25);
      throw new Error("source failed");
    }
    await assert.rejects(
      writeVolume(root, "data", volumeId(), BLOCK_SIZE_MS, failing(), { fs: nodeFileSystem }),
      /source failed/,
    );
    const listed = await listVolumes(root, "data", undefined, undefined, nodeFileSystem);
    assert.ok(listed.every((v) => !v.complete && v.paths.every((p) => !p.endsWith(".tmp"))));
  });
});

test("rewriting a volume replaces it; the highest complete volume is the one to read", async () => {
  await withTempDir(async (root) => {
    const v0 = makeEntries(30, 5);
    const v1 = makeEntries(40, 6, "n");
    await writeVolume(root, "data", volumeId(0), BLOCK_SIZE_MS, v0, { fs: nodeFileSystem });
    await writeVolume(root, "data", volumeId(1), BLOCK_SIZE_MS, v1, { fs: nodeFileSystem });
    await writeVolume(root, "data", volumeId(2), BLOCK_SIZE_MS, v1, { fs: nodeFileSystem });
    await unlink(volumeFilePath(root, "data", volumeId(2), "checkpoint"));
    const complete = (await listVolumes(root, "data", undefined, undefined, nodeFileSystem)).filter(
      (v) => v.complete,
    );
    const latest = complete.reduce((a, b) => (b.volume > a.volume ? b : a));
    assert.equal(latest.volume, 1);
    const reader = await openVolume(root, "data", latest, nodeFileSystem);
    assert.equal(reader.info.entries, 40);
    assert.equal(await reader.read(v0[0].id), null);
    await reader.close();

    // Rewriting volume 1 in place with other entries.
    await writeVolume(root, "data", volumeId(1), BLOCK_SIZE_MS, v0, { fs: nodeFileSystem });
    const again = await openVolume(root, "data", volumeId(1), nodeFileSystem);
    assert.equal(again.info.entries, 30);
    await again.close();

    await removeVolume(root, "data", volumeId(1), nodeFileSystem);
    assert.deepEqual(
      (await listVolumes(root, "data", undefined, undefined, nodeFileSystem)).map((v) => [
        v.volume,
        v.complete,
      ]),
      [
        [0, true],
        [2, false],
      ],
    );
  });
});

test("verifyDataDir passes good volumes of both kinds and reports a damaged one", async () => {
  await withTempDir(async (root) => {
    await writeVolume(root, "data", volumeId(0, 1), BLOCK_SIZE_MS, makeEntries(60, 7), {
      fs: nodeFileSystem,
    });
    await writeVolume(root, "data", volumeId(0, 2), BLOCK_SIZE_MS, makeEntries(60, 8), {
      fs: nodeFileSystem,
    });
    await writeVolume(root, "snapshot", volumeId(0, 1), BLOCK_SIZE_MS, makeEntries(60, 9), {
      fs: nodeFileSystem,
    });
    const damaged = volumeFilePath(root, "data", volumeId(0, 2), "summaries");
    const bytes = await readFile(damaged);
    bytes[3] ^= 1;
    await writeFile(damaged, bytes);

    const results = await verifyDataDir(root, nodeFileSystem);
    assert.deepEqual(
      results.map((r) => [r.volume.kind, r.volume.shard, r.ok]),
      [
        ["data", 1, true],
        ["data", 2, false],
        ["snapshot", 1, true],
      ],
    );
    assert.match(results[1].error ?? "", /summaries file: crc32/);
    assert.deepEqual(await verifyDataDir(join(root, "nothing-here"), nodeFileSystem), []);
  });
});
