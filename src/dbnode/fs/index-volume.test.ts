// Index volumes: the round trip, completeness through the checkpoint, every
// file's corruption named, crash leftovers, removal and input checks.
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { test } from "node:test";
import { crc32 } from "node:zlib";
import { nodeFileSystem } from "../../x/index.js";
import {
  type IndexVolumeCorruptError,
  type IndexVolumeInfo,
  IndexVolumeMissingError,
  InvalidVolumeInputError,
  indexVolumeDir,
  indexVolumePath,
  listIndexVolumes,
  readIndexVolume,
  removeIncompleteIndexVolumes,
  removeIndexVolume,
  VolumeWriteError,
  writeIndexVolume,
} from "./index.js";
import { withTempDir } from "./testing.js";

const START = 1_700_000_000_000 - (1_700_000_000_000 % 7_200_000);
const SEGMENT = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);

function info(volume = 0, blockStartMs = START, segment = SEGMENT): IndexVolumeInfo {
  return {
    namespace: "metrics",
    blockStartMs,
    blockSizeMs: 7_200_000,
    volume,
    docs: 42,
    segmentBytes: segment.length,
  };
}

test("a written index volume lists as complete and reads back its info and segment", async () => {
  await withTempDir(async (root) => {
    await writeIndexVolume(root, info(0), SEGMENT, nodeFileSystem);
    const short = SEGMENT.subarray(0, 10);
    await writeIndexVolume(root, info(1, START + 7_200_000, short), short, nodeFileSystem);
    const listed = await listIndexVolumes(root, undefined, nodeFileSystem);
    assert.deepEqual(
      listed.map((v) => [v.namespace, v.blockStartMs, v.volume, v.complete, v.paths.length]),
      [
        ["metrics", START, 0, true, 4],
        ["metrics", START + 7_200_000, 1, true, 4],
      ],
    );
    assert.deepEqual(await listIndexVolumes(root, "other", nodeFileSystem), []);
    const back = await readIndexVolume(root, info(0), nodeFileSystem);
    assert.deepEqual(back.info, { ...info(0), endMs: START + 7_200_000 });
    assert.equal(back.format, "m3");
    assert.deepEqual(new Uint8Array(back.segment), SEGMENT);
    assert.deepEqual(
      (await readdir(indexVolumeDir(root, "metrics")))
        .filter((f) => f.includes(`${START}-0-`))
        .sort(),
      ["checkpoint", "digest", "info", "segment"].map((t) => `fileset-${START}-0-${t}.db`),
    );
  });
});

test("a volume without its checkpoint, or with one that does not match, is incomplete", async () => {
  await withTempDir(async (root) => {
    await writeIndexVolume(root, info(0), SEGMENT, nodeFileSystem);
    await writeIndexVolume(root, info(1), SEGMENT, nodeFileSystem);
    await unlink(indexVolumePath(root, info(0), "checkpoint"));
    const digest = indexVolumePath(root, info(1), "digest");
    const bytes = await readFile(digest);
    bytes[0] ^= 1;
    await writeFile(digest, bytes);
    assert.deepEqual(
      (await listIndexVolumes(root, undefined, nodeFileSystem)).map((v) => [v.volume, v.complete]),
      [
        [0, false],
        [1, false],
      ],
    );
    await assert.rejects(readIndexVolume(root, info(0), nodeFileSystem), IndexVolumeMissingError);
    await assert.rejects(
      readIndexVolume(root, info(1), nodeFileSystem),
      /digest file: matches neither/,
    );
  });
});

test("corruption in any file is named with the file and the reason", async () => {
  const cases: [string, (root: string) => Promise<void>, string, RegExp][] = [
    ["info byte", (r) => flip(indexVolumePath(r, info(), "info"), 20), "info", /crc32/],
    ["segment byte", (r) => flip(indexVolumePath(r, info(), "segment"), 100), "segment", /crc32/],
    [
      "segment cut",
      async (r) => {
        const p = indexVolumePath(r, info(), "segment");
        await writeFile(p, (await readFile(p)).subarray(0, 299));
      },
      "segment",
      /299 bytes, the info file records 300/,
    ],
    ["segment gone", (r) => unlink(indexVolumePath(r, info(), "segment")), "segment", /missing/],
    [
      "checkpoint byte",
      (r) => flip(indexVolumePath(r, info(), "checkpoint"), 1),
      "checkpoint",
      /checkpoint file: does not match the digest file/,
    ],
    [
      "checkpoint cut",
      (r) => writeFile(indexVolumePath(r, info(), "checkpoint"), new Uint8Array(3)),
      "checkpoint",
      /3 bytes, expected 4/,
    ],
    [
      "digest byte",
      (r) => flip(indexVolumePath(r, info(), "digest"), 5),
      "digest",
      /digest file: matches neither the checkpoint nor the info and segment files/,
    ],
    ["digest gone", (r) => unlink(indexVolumePath(r, info(), "digest")), "digest", /missing/],
    ["info gone", (r) => unlink(indexVolumePath(r, info(), "info")), "info", /missing/],
  ];
  for (const [what, damage, file, reason] of cases) {
    await withTempDir(async (root) => {
      await writeIndexVolume(root, info(), SEGMENT, nodeFileSystem);
      await damage(root);
      await assert.rejects(readIndexVolume(root, info(), nodeFileSystem), (e: unknown) => {
        const err = e as IndexVolumeCorruptError;
        assert.equal(err.code, "M3TS_ERR_INDEX_VOLUME_CORRUPT", what);
        assert.equal(err.file, file, what);
        assert.match(err.message, reason, what);
        assert.match(err.message, new RegExp(`metrics block ${START} volume 0`), what);
        return true;
      });
    });
  }
});

test("an info record naming another volume than its file is corrupt", async () => {
  await withTempDir(async (root) => {
    await writeIndexVolume(root, info(3), SEGMENT, nodeFileSystem);
    // Move volume 3's files to volume 4's names.
    for (const t of ["info", "segment", "digest", "checkpoint"] as const) {
      await writeFile(
        indexVolumePath(root, info(4), t),
        await readFile(indexVolumePath(root, info(3), t)),
      );
    }
    await assert.rejects(
      readIndexVolume(root, info(4), nodeFileSystem),
      /info file: records block .* volume 3 but its file is named for block .* volume 4/,
    );
  });
});

test("a volume moved into another namespace's directory is corrupt", async () => {
  await withTempDir(async (root) => {
    await writeIndexVolume(root, info(0), SEGMENT, nodeFileSystem);
    await mkdir(indexVolumeDir(root, "other"), { recursive: true });
    const moved = { ...info(0), namespace: "other" };
    for (const t of ["info", "segment", "digest", "checkpoint"] as const) {
      await rename(indexVolumePath(root, info(0), t), indexVolumePath(root, moved, t));
    }
    // The checksums still hold; only the info record knows where it belongs.
    assert.deepEqual(
      (await listIndexVolumes(root, undefined, nodeFileSystem)).map((v) => [
        v.namespace,
        v.complete,
      ]),
      [["other", true]],
    );
    await assert.rejects(
      readIndexVolume(root, moved, nodeFileSystem),
      /index volume other block \d+ volume 0 is corrupt: info file: records another namespace than "other"/,
    );
  });
});

test("the info file's bytes are pinned", async () => {
  await withTempDir(async (root) => {
    const segment = new Uint8Array([1, 2, 3, 4, 5]);
    const id = { namespace: "m", blockStartMs: 7_200_000, volume: 2 };
    await writeIndexVolume(
      root,
      { ...id, blockSizeMs: 7_200_000, docs: 3, segmentBytes: 5 },
      segment,
      nodeFileSystem,
    );
    const golden = [
      "4d33545349585649", // "M3TSIXVI"
      "0100000003000000", // version 1, 3 documents
      "0000000040775b41", // block start 7200000 ms (float64)
      "0000000040775b41", // block size 7200000 ms (float64)
      "0200000068f201e1", // volume 2, crc32("m") = 0xe101f268
      "0000000000001440", // segment length 5 (float64)
    ].join("");
    const infoBytes = await readFile(indexVolumePath(root, id, "info"));
    assert.equal(infoBytes.toString("hex"), golden);
    const digest = await readFile(indexVolumePath(root, id, "digest"));
    assert.equal(digest.readUInt32LE(0), crc32(infoBytes));
    assert.equal(digest.readUInt32LE(4), crc32(segment));
    const checkpoint = await readFile(indexVolumePath(root, id, "checkpoint"));
    assert.equal(checkpoint.length, 4);
    assert.equal(checkpoint.readUInt32LE(0), crc32(digest));
  });
});

test("a write cut short at any step leaves a volume that is incomplete and is cleared", async () => {
  // Each state is what the directory holds when a write dies at one step:
  // the files renamed into place so far, and the one still under its temp name.
  const states: [string, string[], string | null][] = [
    ["writing info", [], "info"],
    ["writing segment", ["info"], "segment"],
    ["before the digest", ["info", "segment"], null],
    ["writing digest", ["info", "segment"], "digest"],
    ["before the checkpoint", ["info", "segment", "digest"], null],
    ["writing checkpoint", ["info", "segment", "digest"], "checkpoint"],
  ];
  for (const [step, done, temp] of states) {
    await withTempDir(async (root) => {
      await writeIndexVolume(root, info(7), SEGMENT, nodeFileSystem);
      const types = ["info", "segment", "digest", "checkpoint"] as const;
      for (const t of types) {
        const p = indexVolumePath(root, info(7), t);
        if (t === temp) await rename(p, `${p}.tmp`);
        else if (!done.includes(t)) await unlink(p);
      }
      const [listed] = await listIndexVolumes(root, "metrics", nodeFileSystem);
      assert.equal(listed.complete, false, step);
      assert.equal(listed.paths.length, done.length + (temp === null ? 0 : 1), step);
      await assert.rejects(
        readIndexVolume(root, info(7), nodeFileSystem),
        (e: unknown) =>
          e instanceof IndexVolumeMissingError &&
          e.code === "M3TS_ERR_INDEX_VOLUME_MISSING" &&
          e.path === indexVolumePath(root, info(7), "checkpoint"),
        step,
      );
      assert.deepEqual(
        (await removeIncompleteIndexVolumes(root, nodeFileSystem)).sort(),
        listed.paths,
        step,
      );
      assert.deepEqual(await readdir(indexVolumeDir(root, "metrics")), [], step);
    });
  }
});

test("a rewrite that fails leaves the old volume incomplete, never complete with mixed files", async () => {
  await withTempDir(async (root) => {
    await writeIndexVolume(root, info(0), SEGMENT, nodeFileSystem);
    // A directory in the segment's place makes the rewrite fail at renaming
    // its new segment, after its new info file is in place.
    const segmentPath = indexVolumePath(root, info(0), "segment");
    await unlink(segmentPath);
    await mkdir(`${segmentPath}/x`, { recursive: true });
    const other = SEGMENT.subarray(0, 7);
    await assert.rejects(
      writeIndexVolume(root, { ...info(0, START, other), docs: 1 }, other, nodeFileSystem),
      (e: unknown) =>
        e instanceof VolumeWriteError && e.op === "rename" && e.path === `${segmentPath}.tmp`,
    );
    assert.deepEqual(
      (await listIndexVolumes(root, undefined, nodeFileSystem)).map((v) => v.complete),
      [false],
    );
    await assert.rejects(readIndexVolume(root, info(0), nodeFileSystem), IndexVolumeMissingError);
    const newInfo = await readFile(indexVolumePath(root, info(0), "info"));
    assert.equal(newInfo.readUInt32LE(12), 1, "the new info file (1 document) is in place");
    // The failed write's temp segment is gone.
    assert.deepEqual(
      (await readdir(indexVolumeDir(root, "metrics"))).filter((f) => f.endsWith(".tmp")),
      [],
    );
  });
});

test("crash leftovers go; complete volumes stay; removal takes every file", async () => {
  await withTempDir(async (root) => {
    await writeIndexVolume(root, info(0), SEGMENT, nodeFileSystem);
    await writeIndexVolume(root, info(1), SEGMENT, nodeFileSystem);
    await writeIndexVolume(root, info(2), SEGMENT, nodeFileSystem);
    await unlink(indexVolumePath(root, info(1), "checkpoint"));
    await writeFile(`${indexVolumePath(root, info(0), "segment")}.tmp`, "partial");
    await writeFile(`${indexVolumePath(root, info(5), "info")}.tmp`, "partial");
    const removed = await removeIncompleteIndexVolumes(root, nodeFileSystem);
    assert.equal(removed.length, 5);
    assert.deepEqual(
      (await listIndexVolumes(root, undefined, nodeFileSystem)).map((v) => [
        v.volume,
        v.complete,
        v.paths.length,
      ]),
      [
        [0, true, 4],
        [2, true, 4],
      ],
    );
    await removeIndexVolume(root, info(2), nodeFileSystem);
    await removeIndexVolume(root, info(9), nodeFileSystem);
    assert.deepEqual(
      (await listIndexVolumes(root, undefined, nodeFileSystem)).map((v) => v.volume),
      [0],
    );
  });
});

test("rewriting a volume number replaces it", async () => {
  await withTempDir(async (root) => {
    await writeIndexVolume(root, info(0), SEGMENT, nodeFileSystem);
    const other = SEGMENT.subarray(0, 5);
    await writeIndexVolume(root, info(0, START, other), other, nodeFileSystem);
    assert.deepEqual(
      new Uint8Array((await readIndexVolume(root, info(0), nodeFileSystem)).segment),
      other,
    );
  });
});

test("bad input is refused naming the field", async () => {
  await withTempDir(async (root) => {
    const bad: [Partial<IndexVolumeInfo>, string][] = [
      [{ namespace: "" }, "namespace"],
      [{ namespace: "a/b" }, "namespace"],
      [{ blockStartMs: 1.5 }, "blockStartMs"],
      [{ blockSizeMs: 0 }, "blockSizeMs"],
      [{ volume: -1 }, "volume"],
      [{ docs: 2 ** 32 }, "docs"],
      [{ segmentBytes: 1 }, "segmentBytes"],
    ];
    for (const [patch, field] of bad) {
      await assert.rejects(
        writeIndexVolume(root, { ...info(), ...patch }, SEGMENT, nodeFileSystem),
        (e: unknown) => e instanceof InvalidVolumeInputError && e.field === field,
      );
    }
    assert.deepEqual(await listIndexVolumes(root, undefined, nodeFileSystem), []);
  });
});

async function flip(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[at] ^= 0x01;
  await writeFile(path, bytes);
}
