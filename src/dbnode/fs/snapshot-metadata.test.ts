// Snapshot metadata files: the record's bytes, completeness through the
// checkpoint, crash leftovers, removal, and coexistence with snapshot filesets.
import assert from "node:assert/strict";
import { readdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { crc32 } from "node:zlib";
import { nodeFileSystem } from "../../x/index.js";
import {
  listSnapshotMetadata,
  listVolumes,
  removeIncompleteVolumes,
  removeSnapshotMetadata,
  SnapshotMetadataInputError,
  snapshotCheckpointPath,
  snapshotMetadataPath,
  verifyDataDir,
  writeSnapshotMetadata,
  writeVolume,
} from "./index.js";
import {
  decodeSnapshotMetadata,
  encodeSnapshotMetadata,
  SNAPSHOT_METADATA_SIZE,
  type SnapshotMetadata,
} from "./snapshot-metadata.js";
import { BLOCK_SIZE_MS, hex, makeEntries, volumeId, withTempDir } from "./testing.js";

const TAKEN_AT_MS = 1_700_000_123_456;

function meta(index: number, commitLogIndex = index + 10): SnapshotMetadata {
  return { index, commitLogIndex, takenAtMs: TAKEN_AT_MS + index };
}

async function flipByte(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[at] ^= 0x01;
  await writeFile(path, bytes);
}

test("a written metadata file lists back as complete with the same fields", async () => {
  await withTempDir(async (root) => {
    await writeSnapshotMetadata(root, meta(7, 42), nodeFileSystem);
    const listed = await listSnapshotMetadata(root, nodeFileSystem);
    assert.deepEqual(listed, {
      complete: [{ index: 7, commitLogIndex: 42, takenAtMs: TAKEN_AT_MS + 7 }],
      invalid: [],
    });
    assert.equal(snapshotMetadataPath(root, 7), join(root, "snapshots", "snapshot-7-metadata.db"));
    assert.equal(
      snapshotCheckpointPath(root, 7),
      join(root, "snapshots", "snapshot-7-metadata-checkpoint.db"),
    );
    const bytes = await readFile(snapshotMetadataPath(root, 7));
    const checkpoint = await readFile(snapshotCheckpointPath(root, 7));
    assert.equal(bytes.length, SNAPSHOT_METADATA_SIZE);
    assert.equal(checkpoint.readUInt32LE(0), crc32(bytes));
    assert.deepEqual((await readdir(join(root, "snapshots"))).sort(), [
      "snapshot-7-metadata-checkpoint.db",
      "snapshot-7-metadata.db",
    ]);
  });
});

test("the record's bytes are pinned: magic, version, three f64 fields, crc32", () => {
  const bytes = encodeSnapshotMetadata({ index: 3, commitLogIndex: 5, takenAtMs: 1000 });
  assert.equal(
    hex(bytes),
    "4d335453534e4150" + // "M3TSSNAP"
      "01000000" + // version 1
      "0000000000000840" + // index 3.0
      "0000000000001440" + // commitLogIndex 5.0
      "0000000000408f40" + // takenAtMs 1000.0
      "bc58dd87", // crc32 of the 36 bytes before it
  );
  assert.equal(new DataView(bytes.buffer).getUint32(36, true), crc32(bytes.subarray(0, 36)));
  assert.deepEqual(decodeSnapshotMetadata(bytes), { index: 3, commitLogIndex: 5, takenAtMs: 1000 });
});

test("listing returns every complete index in ascending order", async () => {
  await withTempDir(async (root) => {
    for (const i of [12, 0, 5, 3, 100]) await writeSnapshotMetadata(root, meta(i), nodeFileSystem);
    const listed = await listSnapshotMetadata(root, nodeFileSystem);
    assert.deepEqual(
      listed.complete.map((m) => [m.index, m.commitLogIndex]),
      [
        [0, 10],
        [3, 13],
        [5, 15],
        [12, 22],
        [100, 110],
      ],
    );
    assert.deepEqual(listed.invalid, []);
  });
});

test("a missing snapshots directory lists nothing", async () => {
  await withTempDir(async (root) => {
    assert.deepEqual(await listSnapshotMetadata(join(root, "absent"), nodeFileSystem), {
      complete: [],
      invalid: [],
    });
  });
});

test("rewriting an index replaces its record", async () => {
  await withTempDir(async (root) => {
    await writeSnapshotMetadata(root, meta(1, 4), nodeFileSystem);
    await writeSnapshotMetadata(root, meta(1, 9), nodeFileSystem);
    const listed = await listSnapshotMetadata(root, nodeFileSystem);
    assert.deepEqual(
      listed.complete.map((m) => [m.index, m.commitLogIndex]),
      [[1, 9]],
    );
    assert.deepEqual(listed.invalid, []);
  });
});

test("a corrupted byte in the metadata file makes that index invalid, naming the crc", async () => {
  await withTempDir(async (root) => {
    await writeSnapshotMetadata(root, meta(1), nodeFileSystem);
    await writeSnapshotMetadata(root, meta(2), nodeFileSystem);
    await flipByte(snapshotMetadataPath(root, 2), 21);
    const listed = await listSnapshotMetadata(root, nodeFileSystem);
    assert.deepEqual(
      listed.complete.map((m) => m.index),
      [1],
    );
    assert.equal(listed.invalid.length, 1);
    assert.equal(listed.invalid[0].index, 2);
    assert.match(listed.invalid[0].reason, /metadata record crc32 0x[0-9a-f]{8} does not match/);
    assert.deepEqual(listed.invalid[0].paths, [
      snapshotCheckpointPath(root, 2),
      snapshotMetadataPath(root, 2),
    ]);
  });
});

test("a corrupted byte in the checkpoint makes that index invalid, naming the checkpoint", async () => {
  await withTempDir(async (root) => {
    await writeSnapshotMetadata(root, meta(1), nodeFileSystem);
    await writeSnapshotMetadata(root, meta(2), nodeFileSystem);
    await flipByte(snapshotCheckpointPath(root, 1), 3);
    const listed = await listSnapshotMetadata(root, nodeFileSystem);
    assert.deepEqual(
      listed.complete.map((m) => m.index),
      [2],
    );
    assert.equal(listed.invalid.length, 1);
    assert.equal(listed.invalid[0].index, 1);
    assert.match(listed.invalid[0].reason, /checkpoint 0x[0-9a-f]{8} does not match/);
  });
});

test("a checkpoint of the wrong length is invalid", async () => {
  await withTempDir(async (root) => {
    await writeSnapshotMetadata(root, meta(4), nodeFileSystem);
    await writeFile(snapshotCheckpointPath(root, 4), new Uint8Array(5));
    const listed = await listSnapshotMetadata(root, nodeFileSystem);
    assert.deepEqual(listed.complete, []);
    assert.match(listed.invalid[0].reason, /checkpoint file is 5 bytes, expected 4/);
  });
});

test("metadata without its checkpoint (a crash after the metadata rename) is invalid", async () => {
  await withTempDir(async (root) => {
    await writeSnapshotMetadata(root, meta(0), nodeFileSystem);
    await writeSnapshotMetadata(root, meta(1), nodeFileSystem);
    await unlink(snapshotCheckpointPath(root, 1));
    const listed = await listSnapshotMetadata(root, nodeFileSystem);
    assert.deepEqual(
      listed.complete.map((m) => m.index),
      [0],
    );
    assert.deepEqual(listed.invalid, [
      {
        index: 1,
        paths: [snapshotMetadataPath(root, 1)],
        reason: "no checkpoint file: the write did not finish",
      },
    ]);
  });
});

test("a valid record copied under another index's name is invalid", async () => {
  await withTempDir(async (root) => {
    await writeSnapshotMetadata(root, meta(1), nodeFileSystem);
    const bytes = await readFile(snapshotMetadataPath(root, 1));
    await writeFile(snapshotMetadataPath(root, 2), bytes);
    await writeFile(
      snapshotCheckpointPath(root, 2),
      await readFile(snapshotCheckpointPath(root, 1)),
    );
    const listed = await listSnapshotMetadata(root, nodeFileSystem);
    assert.deepEqual(
      listed.complete.map((m) => m.index),
      [1],
    );
    assert.match(listed.invalid[0].reason, /records index 1 but its file is named for index 2/);
  });
});

test("leftover temp files are listed as invalid and removed by removeSnapshotMetadata", async () => {
  await withTempDir(async (root) => {
    await writeSnapshotMetadata(root, meta(2), nodeFileSystem);
    const dir = join(root, "snapshots");
    // Index 3: only a temp metadata file (a crash while writing it).
    await writeFile(`${snapshotMetadataPath(root, 3)}.tmp`, new Uint8Array(10));
    // Index 2: complete, plus a stray temp checkpoint.
    await writeFile(`${snapshotCheckpointPath(root, 2)}.tmp`, new Uint8Array(4));
    const listed = await listSnapshotMetadata(root, nodeFileSystem);
    assert.deepEqual(
      listed.complete.map((m) => m.index),
      [2],
    );
    assert.deepEqual(
      listed.invalid.map((v) => [v.index, v.paths]),
      [
        [2, [`${snapshotCheckpointPath(root, 2)}.tmp`]],
        [3, [`${snapshotMetadataPath(root, 3)}.tmp`]],
      ],
    );
    assert.match(listed.invalid[1].reason, /temp files/);

    await removeSnapshotMetadata(root, 3, nodeFileSystem);
    await removeSnapshotMetadata(root, 2, nodeFileSystem);
    assert.deepEqual(await readdir(dir), []);
    assert.deepEqual(await listSnapshotMetadata(root, nodeFileSystem), {
      complete: [],
      invalid: [],
    });
  });
});

test("removeSnapshotMetadata removes one index and tolerates missing files", async () => {
  await withTempDir(async (root) => {
    await writeSnapshotMetadata(root, meta(1), nodeFileSystem);
    await writeSnapshotMetadata(root, meta(2), nodeFileSystem);
    await removeSnapshotMetadata(root, 1, nodeFileSystem);
    await removeSnapshotMetadata(root, 1, nodeFileSystem);
    await removeSnapshotMetadata(root, 99, nodeFileSystem);
    await removeSnapshotMetadata(join(root, "absent"), 0, nodeFileSystem);
    assert.deepEqual(
      (await listSnapshotMetadata(root, nodeFileSystem)).complete.map((m) => m.index),
      [2],
    );
    assert.deepEqual((await readdir(join(root, "snapshots"))).sort(), [
      "snapshot-2-metadata-checkpoint.db",
      "snapshot-2-metadata.db",
    ]);
  });
});

test("out-of-range input is rejected naming the field and the value, and nothing is written", async () => {
  await withTempDir(async (root) => {
    const cases: [SnapshotMetadata, string, string][] = [
      [{ index: -1, commitLogIndex: 0, takenAtMs: 0 }, "index", "-1"],
      [{ index: 1.5, commitLogIndex: 0, takenAtMs: 0 }, "index", "1.5"],
      [{ index: Number.NaN, commitLogIndex: 0, takenAtMs: 0 }, "index", "NaN"],
      [{ index: 0, commitLogIndex: 2 ** 53, takenAtMs: 0 }, "commitLogIndex", String(2 ** 53)],
      [{ index: 0, commitLogIndex: -3, takenAtMs: 0 }, "commitLogIndex", "-3"],
      [
        { index: 0, commitLogIndex: 0, takenAtMs: Number.POSITIVE_INFINITY },
        "takenAtMs",
        "Infinity",
      ],
    ];
    for (const [m, field, value] of cases) {
      await assert.rejects(writeSnapshotMetadata(root, m, nodeFileSystem), (err: unknown) => {
        assert.ok(err instanceof SnapshotMetadataInputError);
        assert.equal(err.code, "M3TS_ERR_SNAPSHOT_METADATA_INPUT");
        assert.equal(err.field, field);
        assert.ok(err.message.includes(`invalid ${field} ${value}:`), err.message);
        return true;
      });
    }
    await assert.rejects(
      removeSnapshotMetadata(root, -2, nodeFileSystem),
      SnapshotMetadataInputError,
    );
    assert.throws(() => snapshotMetadataPath(root, 0.5), SnapshotMetadataInputError);
    assert.deepEqual(await listSnapshotMetadata(root, nodeFileSystem), {
      complete: [],
      invalid: [],
    });
  });
});

test("decoding names what is wrong with a record", () => {
  const good = encodeSnapshotMetadata(meta(3));
  assert.match(String(decodeSnapshotMetadata(good.subarray(0, 39))), /39 bytes, expected 40/);
  const badMagic = good.slice();
  badMagic[0] = 0x58;
  assert.match(String(decodeSnapshotMetadata(badMagic)), /bad magic \(expected M3TSSNAP\)/);
  const v2 = good.slice();
  v2[8] = 2;
  new DataView(v2.buffer).setUint32(36, crc32(v2.subarray(0, 36)), true);
  assert.match(String(decodeSnapshotMetadata(v2)), /format version 2 is unknown/);
  const fractional = good.slice();
  new DataView(fractional.buffer).setFloat64(20, 2.5, true);
  new DataView(fractional.buffer).setUint32(36, crc32(fractional.subarray(0, 36)), true);
  assert.match(String(decodeSnapshotMetadata(fractional)), /commitLogIndex 2.5 is not an integer/);
});

test("snapshot filesets list, clean up and verify as before with metadata files beside them", async () => {
  await withTempDir(async (root) => {
    await writeVolume(root, "snapshot", volumeId(4), BLOCK_SIZE_MS, makeEntries(20, 1), {
      fs: nodeFileSystem,
      snapshotTimeMs: TAKEN_AT_MS,
    });
    await writeSnapshotMetadata(root, meta(3), nodeFileSystem);
    await writeSnapshotMetadata(root, meta(4), nodeFileSystem);
    await writeFile(`${snapshotMetadataPath(root, 5)}.tmp`, new Uint8Array(3));
    const volumes = await listVolumes(root, "snapshot", undefined, undefined, nodeFileSystem);
    assert.deepEqual(
      volumes.map((v) => [v.namespace, v.shard, v.volume, v.complete, v.paths.length]),
      [["default", 3, 4, true, 7]],
    );
    assert.deepEqual(await removeIncompleteVolumes(root, "snapshot", nodeFileSystem), []);
    const verified = await verifyDataDir(root, nodeFileSystem);
    assert.deepEqual(
      verified.map((r) => [r.volume.kind, r.volume.volume, r.ok]),
      [["snapshot", 4, true]],
    );
    const listed = await listSnapshotMetadata(root, nodeFileSystem);
    assert.deepEqual(
      listed.complete.map((m) => m.index),
      [3, 4],
    );
    assert.deepEqual(
      listed.invalid.map((v) => v.index),
      [5],
    );
  });
});
