// Damage to any of a volume's seven files is caught: at open by the
// checkpoint and the digests, and on read by the per-entry and per-stream
// checksums when the digests were forged to match.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { test } from "node:test";
import { crc32 } from "node:zlib";
import { nodeFileSystem } from "../../x/index.js";
import {
  FILE_TYPES,
  openVolume,
  VolumeCorruptError,
  VolumeMissingError,
  verifyDataDir,
  volumeFilePath,
  writeVolume,
} from "./index.js";
import { BLOCK_SIZE_MS, makeEntries, volumeId, withTempDir } from "./testing.js";

async function flipByte(path: string, at: (length: number) => number): Promise<void> {
  const bytes = await readFile(path);
  bytes[at(bytes.length)] ^= 0x5a;
  await writeFile(path, bytes);
}

/** Rewrites digest and checkpoint so they match the files as they are now. */
async function forgeDigests(root: string): Promise<void> {
  const id = volumeId();
  const digest = Buffer.alloc(20);
  const order = ["info", "index", "summaries", "bloomfilter", "data"] as const;
  for (let i = 0; i < order.length; i++) {
    const bytes = await readFile(volumeFilePath(root, "data", id, order[i]));
    digest.writeUInt32LE(crc32(bytes), 4 * i);
  }
  await writeFile(volumeFilePath(root, "data", id, "digest"), digest);
  const checkpoint = Buffer.alloc(4);
  checkpoint.writeUInt32LE(crc32(digest));
  await writeFile(volumeFilePath(root, "data", id, "checkpoint"), checkpoint);
}

for (const type of FILE_TYPES) {
  test(`a flipped byte in the ${type} file is detected at open`, async () => {
    await withTempDir(async (root) => {
      await writeVolume(root, "data", volumeId(), BLOCK_SIZE_MS, makeEntries(300, 11), {
        fs: nodeFileSystem,
      });
      await flipByte(volumeFilePath(root, "data", volumeId(), type), (n) => Math.floor(n / 2));
      await assert.rejects(openVolume(root, "data", volumeId(), nodeFileSystem), (err: unknown) => {
        assert.ok(err instanceof VolumeCorruptError, String(err));
        assert.equal(err.code, "M3TS_ERR_VOLUME_CORRUPT");
        // A damaged digest or checkpoint shows as their mismatch, named as the checkpoint's.
        const expected = type === "digest" ? "checkpoint" : type;
        assert.equal(err.file, expected);
        assert.equal(err.volume.blockStartMs, volumeId().blockStartMs);
        assert.match(err.message, new RegExp(`${expected} file`));
        return true;
      });
      const [result] = await verifyDataDir(root, nodeFileSystem);
      // A damaged checkpoint makes the volume incomplete, so verify skips it.
      if (type !== "checkpoint" && type !== "digest") assert.equal(result.ok, false);
    });
  });
}

test("a damaged stream behind forged digests is caught by the stream checksum on read", async () => {
  await withTempDir(async (root) => {
    const entries = makeEntries(200, 12);
    await writeVolume(root, "data", volumeId(), BLOCK_SIZE_MS, entries, { fs: nodeFileSystem });
    await flipByte(volumeFilePath(root, "data", volumeId(), "data"), () => 0);
    await forgeDigests(root);
    const reader = await openVolume(root, "data", volumeId(), nodeFileSystem);
    // The first byte of the data file is the first entry written's stream.
    await assert.rejects(
      reader.read(entries[0].id),
      (err: unknown) =>
        err instanceof VolumeCorruptError && err.file === "data" && /stream at 0/.test(err.reason),
    );
    assert.ok((await reader.read(entries[1].id)) !== null);
    await reader.close();
    const [result] = await verifyDataDir(root, nodeFileSystem);
    assert.equal(result.ok, false);
    assert.match(result.error ?? "", /data file/);
  });
});

test("a damaged index entry behind forged digests is caught by the entry checksum on read", async () => {
  await withTempDir(async (root) => {
    const entries = makeEntries(200, 13);
    await writeVolume(root, "data", volumeId(), BLOCK_SIZE_MS, entries, { fs: nodeFileSystem });
    await flipByte(volumeFilePath(root, "data", volumeId(), "index"), () => 20);
    await forgeDigests(root);
    const reader = await openVolume(root, "data", volumeId(), nodeFileSystem);
    const sorted = [...entries].sort((a, b) => Buffer.compare(a.id, b.id));
    await assert.rejects(
      reader.read(sorted[0].id),
      (err: unknown) =>
        err instanceof VolumeCorruptError && err.file === "index" && /entry crc32/.test(err.reason),
    );
    await reader.close();
  });
});

test("opening a volume without a checkpoint raises VolumeMissingError", async () => {
  await withTempDir(async (root) => {
    await assert.rejects(
      openVolume(root, "data", volumeId(), nodeFileSystem),
      (err: unknown) => err instanceof VolumeMissingError && err.code === "M3TS_ERR_VOLUME_MISSING",
    );
  });
});
