// Index volumes: the round trip, completeness through the checkpoint, every
// file's corruption named, crash leftovers, removal and input checks.
import assert from "node:assert/strict";
import { readdir, readFile, unlink, writeFile } from "node:fs/promises";
import { test } from "node:test";
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
    await writeIndexVolume(root, info(0), SEGMENT);
    const short = SEGMENT.subarray(0, 10);
    await writeIndexVolume(root, info(1, START + 7_200_000, short), short);
    const listed = await listIndexVolumes(root);
    assert.deepEqual(
      listed.map((v) => [v.namespace, v.blockStartMs, v.volume, v.complete, v.paths.length]),
      [
        ["metrics", START, 0, true, 4],
        ["metrics", START + 7_200_000, 1, true, 4],
      ],
    );
    assert.deepEqual(await listIndexVolumes(root, "other"), []);
    const back = await readIndexVolume(root, info(0));
    assert.deepEqual(back.info, info(0));
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
    await writeIndexVolume(root, info(0), SEGMENT);
    await writeIndexVolume(root, info(1), SEGMENT);
    await unlink(indexVolumePath(root, info(0), "checkpoint"));
    const digest = indexVolumePath(root, info(1), "digest");
    const bytes = await readFile(digest);
    bytes[0] ^= 1;
    await writeFile(digest, bytes);
    assert.deepEqual(
      (await listIndexVolumes(root)).map((v) => [v.volume, v.complete]),
      [
        [0, false],
        [1, false],
      ],
    );
    await assert.rejects(readIndexVolume(root, info(0)), IndexVolumeMissingError);
    await assert.rejects(
      readIndexVolume(root, info(1)),
      /checkpoint file: checkpoint does not match/,
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
      /does not match/,
    ],
    ["digest gone", (r) => unlink(indexVolumePath(r, info(), "digest")), "digest", /no digest/],
  ];
  for (const [what, damage, file, reason] of cases) {
    await withTempDir(async (root) => {
      await writeIndexVolume(root, info(), SEGMENT);
      await damage(root);
      await assert.rejects(readIndexVolume(root, info()), (e: unknown) => {
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
    await writeIndexVolume(root, info(3), SEGMENT);
    // Move volume 3's files to volume 4's names.
    for (const t of ["info", "segment", "digest", "checkpoint"] as const) {
      await writeFile(
        indexVolumePath(root, info(4), t),
        await readFile(indexVolumePath(root, info(3), t)),
      );
    }
    await assert.rejects(
      readIndexVolume(root, info(4)),
      /info file: records block .* volume 3 but its file is named for block .* volume 4/,
    );
  });
});

test("crash leftovers go; complete volumes stay; removal takes every file", async () => {
  await withTempDir(async (root) => {
    await writeIndexVolume(root, info(0), SEGMENT);
    await writeIndexVolume(root, info(1), SEGMENT);
    await writeIndexVolume(root, info(2), SEGMENT);
    await unlink(indexVolumePath(root, info(1), "checkpoint"));
    await writeFile(`${indexVolumePath(root, info(0), "segment")}.tmp`, "partial");
    await writeFile(`${indexVolumePath(root, info(5), "info")}.tmp`, "partial");
    const removed = await removeIncompleteIndexVolumes(root);
    assert.equal(removed.length, 5);
    assert.deepEqual(
      (await listIndexVolumes(root)).map((v) => [v.volume, v.complete, v.paths.length]),
      [
        [0, true, 4],
        [2, true, 4],
      ],
    );
    await removeIndexVolume(root, info(2));
    await removeIndexVolume(root, info(9));
    assert.deepEqual(
      (await listIndexVolumes(root)).map((v) => v.volume),
      [0],
    );
  });
});

test("rewriting a volume number replaces it", async () => {
  await withTempDir(async (root) => {
    await writeIndexVolume(root, info(0), SEGMENT);
    const other = SEGMENT.subarray(0, 5);
    await writeIndexVolume(root, info(0, START, other), other);
    assert.deepEqual(new Uint8Array((await readIndexVolume(root, info(0))).segment), other);
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
        writeIndexVolume(root, { ...info(), ...patch }, SEGMENT),
        (e: unknown) => e instanceof InvalidVolumeInputError && e.field === field,
      );
    }
    assert.deepEqual(await listIndexVolumes(root), []);
  });
});

async function flip(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[at] ^= 0x01;
  await writeFile(path, bytes);
}
