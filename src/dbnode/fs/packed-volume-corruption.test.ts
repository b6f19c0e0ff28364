// Damage to an m3ts-format volume file is caught and never served: a flipped
// byte in any section, at every byte position of a small file, a file cut
// short at every length, and a file under another volume's name.
import assert from "node:assert/strict";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { test } from "node:test";
import { nodeFileSystem } from "../../x/index.js";
import {
  openPackedVolume,
  type PackedVolumeId,
  packedVolumePath,
  VolumeCorruptError,
  writePackedVolume,
} from "./index.js";
import {
  bytesOf,
  compareIds,
  hexOf,
  kindOf,
  makePackedEntries,
  PV_BLOCK_SIZE_MS,
  packedId,
} from "./packed-volume-testing.js";
import type { PackedVolumeEntry } from "./packed-volume-writer.js";
import { withTempDir } from "./testing.js";

const fs = nodeFileSystem;

/**
 * Opens the volume and reads everything every way; returns the first error.
 * Any data served before it must be the data written: a wrong answer fails
 * the test at once.
 */
async function exercise(
  root: string,
  id: PackedVolumeId,
  entries: readonly PackedVolumeEntry[],
): Promise<unknown> {
  try {
    const reader = await openPackedVolume(root, id, fs);
    try {
      for (const e of entries) {
        const got = await reader.read(e.id);
        assert.ok(got !== null, `series ${hexOf(e.id)} vanished without an error`);
        assert.equal(kindOf(got), kindOf(e.data));
        assert.equal(hexOf(bytesOf(got)), hexOf(bytesOf(e.data)), "wrong data served");
      }
      const sorted = [...entries].sort(compareIds);
      let i = 0;
      for await (const e of reader.entries()) {
        assert.equal(hexOf(e.id), hexOf(sorted[i].id), "wrong ID served");
        assert.equal(hexOf(e.encodedTags), hexOf(sorted[i].encodedTags), "wrong tags served");
        assert.equal(hexOf(bytesOf(e.data)), hexOf(bytesOf(sorted[i].data)), "wrong data served");
        i++;
      }
      assert.equal(i, sorted.length);
      for await (const _ of reader.series()) {
        // series() checks each chunk as it goes.
      }
    } finally {
      await reader.close();
    }
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    return err;
  }
  return null;
}

function shapes(n: number, size: number) {
  return Array.from({ length: n }, (_, i) => ({
    size: size + (i % 5),
    packed: i % 2 === 1,
    foreignId: i % 4 === 3,
  }));
}

test("a flipped byte in each section is detected, at open or, in a frame, when it is read", async () => {
  await withTempDir(async (root) => {
    const id = packedId();
    const entries = makePackedEntries(shapes(300, 400), 21);
    await writePackedVolume(root, id, PV_BLOCK_SIZE_MS, entries, { fs });
    const reader = await openPackedVolume(root, id, fs);
    const sections = reader.sections();
    await reader.close();
    const path = packedVolumePath(root, id);
    const intact = await readFile(path);
    let start = 0;
    for (const [section, length] of Object.entries(sections)) {
      assert.ok(length > 0, `${section} is empty`);
      for (const at of [start, start + Math.floor(length / 2), start + length - 1]) {
        const bytes = Buffer.from(intact);
        bytes[at] ^= 0x20;
        await writeFile(path, bytes);
        const err = await exercise(root, id, entries);
        assert.ok(err instanceof VolumeCorruptError, `${section} byte ${at}: ${String(err)}`);
        assert.equal(err.file, section, err.message);
        assert.equal(err.code, "M3TS_ERR_VOLUME_CORRUPT");
        assert.match(err.message, /fileset-3-\d+-\d+-0\.m3ts/);
        if (section === "frames") assert.match(err.reason, /crc32/);
        if (section !== "frames") {
          await assert.rejects(openPackedVolume(root, id, fs), VolumeCorruptError);
        }
      }
      start += length;
    }
    assert.equal(start, intact.length);
  });
});

test("a flipped byte at every position of a small volume is always caught, never served", async () => {
  await withTempDir(async (root) => {
    const id = packedId();
    const entries = makePackedEntries(shapes(4, 30), 22);
    await writePackedVolume(root, id, PV_BLOCK_SIZE_MS, entries, { fs });
    const path = packedVolumePath(root, id);
    const intact = await readFile(path);
    assert.equal(await exercise(root, id, entries), null);
    for (let at = 0; at < intact.length; at++) {
      for (const mask of [0x01, 0x80]) {
        const bytes = Buffer.from(intact);
        bytes[at] ^= mask;
        await writeFile(path, bytes);
        const err = await exercise(root, id, entries);
        assert.ok(err instanceof VolumeCorruptError, `byte ${at} ^ ${mask}: ${String(err)}`);
      }
    }
  });
});

test("a volume cut short at any length is refused at open", async () => {
  await withTempDir(async (root) => {
    const id = packedId();
    const entries = makePackedEntries(shapes(6, 40), 23);
    await writePackedVolume(root, id, PV_BLOCK_SIZE_MS, entries, { fs });
    const path = packedVolumePath(root, id);
    const intact = await readFile(path);
    for (let length = 0; length < intact.length; length++) {
      await writeFile(path, intact.subarray(0, length));
      await assert.rejects(
        openPackedVolume(root, id, fs),
        (err: unknown) => err instanceof VolumeCorruptError,
        `cut to ${length} of ${intact.length} bytes`,
      );
    }
    // Bytes appended after the footer are refused too.
    await writeFile(path, Buffer.concat([intact, Buffer.from([0])]));
    await assert.rejects(openPackedVolume(root, id, fs), VolumeCorruptError);
  });
});

test("a volume file under another volume's name is refused: the header names its own", async () => {
  await withTempDir(async (root) => {
    const id = packedId();
    const entries = makePackedEntries(shapes(5, 20), 24);
    await writePackedVolume(root, id, PV_BLOCK_SIZE_MS, entries, { fs });
    await writePackedVolume(root, packedId({ namespace: "other" }), PV_BLOCK_SIZE_MS, [], { fs });
    const others: PackedVolumeId[] = [
      { ...id, shard: 4 },
      { ...id, volume: 1 },
      { ...id, startMs: id.startMs - PV_BLOCK_SIZE_MS },
      { ...id, endMs: id.endMs + PV_BLOCK_SIZE_MS },
      { ...id, namespace: "other" },
    ];
    for (const other of others) {
      await copyFile(packedVolumePath(root, id), packedVolumePath(root, other));
      await assert.rejects(
        openPackedVolume(root, other, fs),
        (err: unknown) =>
          err instanceof VolumeCorruptError &&
          err.file === "header" &&
          /does not match the file name/.test(err.reason),
        JSON.stringify(other),
      );
    }
  });
});

test("series() reads the metadata alone: a damaged frame does not stop it, entries() catches it", async () => {
  await withTempDir(async (root) => {
    const id = packedId();
    const entries = makePackedEntries(shapes(50, 100), 25);
    await writePackedVolume(root, id, PV_BLOCK_SIZE_MS, entries, { fs });
    const path = packedVolumePath(root, id);
    const bytes = await readFile(path);
    bytes[64 + 3] ^= 0x10; // inside the first frame
    await writeFile(path, bytes);
    const reader = await openPackedVolume(root, id, fs);
    let n = 0;
    for await (const _ of reader.series()) n++;
    assert.equal(n, 50);
    await assert.rejects(
      (async () => {
        for await (const _ of reader.entries()) {
          // the first frame fails its crc32
        }
      })(),
      (err: unknown) => err instanceof VolumeCorruptError && err.file === "frames",
    );
    await reader.close();
  });
});
