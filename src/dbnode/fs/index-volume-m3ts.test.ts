// The m3ts index volume (one file, header and zstd-compressed segment): the
// round trip, listing beside the m3 format, replacement across formats, a
// flipped byte at every position and every truncation detected, names and
// directories checked, temp files, removal, and the golden file parsed by
// the layout of docs/format/index-volume-m3ts.md.
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { crc32 } from "node:zlib";
import fc from "fast-check";
import { decompress } from "zstd-napi";
import { encodeTags, nodeFileSystem, type Tag } from "../../x/index.js";
import {
  IndexVolumeCorruptError,
  type IndexVolumeInfo,
  IndexVolumeMissingError,
  type IndexVolumeRef,
  InvalidVolumeInputError,
  indexVolumeDir,
  indexVolumeM3tsPath,
  indexVolumePath,
  listIndexVolumes,
  readIndexVolume,
  removeIncompleteIndexVolumes,
  removeIndexVolume,
  VolumeWriteError,
  writeIndexVolume,
} from "./index.js";
import { decodeM3tsVolume, encodeM3tsVolume, M3TS_INDEX_HEADER_SIZE } from "./index-volume-m3ts.js";
import { withTempDir } from "./testing.js";

const BLOCK_MS = 7_200_000;
const START = 1_700_000_000_000 - (1_700_000_000_000 % BLOCK_MS);
const fs = nodeFileSystem;
const M3TS = { format: "m3ts" } as const;

/**
 * Segment bytes as compressible as a sealed segment's: `n` series' tags in
 * M3's tag encoding, one after another. The volume treats a segment as
 * opaque bytes (src/dbnode/fs may not import the index), so any bytes do.
 */
function segmentOf(n: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const tags: Tag[] = [
      ["__name__", "node_cpu_seconds_total"],
      ["cpu", String(i % 8)],
      ["instance", `10.0.${i >> 3}.1:9100`],
      ["job", "node-exporter"],
    ];
    parts.push(encodeTags(tags));
  }
  return new Uint8Array(Buffer.concat(parts));
}

function info(
  segment: Uint8Array,
  volume = 0,
  patch: Partial<IndexVolumeInfo> = {},
): IndexVolumeInfo {
  return {
    namespace: "metrics",
    blockStartMs: START,
    blockSizeMs: BLOCK_MS,
    volume,
    docs: 40,
    segmentBytes: segment.length,
    ...patch,
  };
}

function m3tsRef(volume = 0, endMs = START + BLOCK_MS): IndexVolumeRef & { endMs: number } {
  return { namespace: "metrics", blockStartMs: START, volume, endMs };
}

/** Asserts that reading `ref` fails as corrupt in `section` with a reason matching `reason`. */
async function rejectsCorrupt(
  root: string,
  ref: IndexVolumeRef,
  section: "header" | "segment",
  reason: RegExp,
  what: string,
): Promise<void> {
  await assert.rejects(readIndexVolume(root, ref, fs), (e: unknown) => {
    assert.ok(e instanceof IndexVolumeCorruptError, `${what}: ${e}`);
    assert.equal(e.code, "M3TS_ERR_INDEX_VOLUME_CORRUPT", what);
    assert.equal(e.format, "m3ts", what);
    assert.equal(e.file, section, `${what}: ${e.message}`);
    assert.match(e.reason, reason, what);
    assert.ok(e.fileName !== null && e.message.includes(`${e.fileName} ${section}: `), what);
    return true;
  });
}

test("an m3ts volume is one file that lists as complete and reads back its info and segment", async () => {
  await withTempDir(async (root) => {
    const segment = segmentOf(40);
    await writeIndexVolume(root, info(segment, 3), segment, fs, M3TS);
    assert.deepEqual(await readdir(indexVolumeDir(root, "metrics")), [
      `index-${START}-${START + BLOCK_MS}-3.m3ts`,
    ]);
    const [listed, ...rest] = await listIndexVolumes(root, undefined, fs);
    assert.deepEqual(rest, []);
    assert.deepEqual(listed, {
      namespace: "metrics",
      blockStartMs: START,
      volume: 3,
      format: "m3ts",
      endMs: START + BLOCK_MS,
      complete: true,
      paths: [indexVolumeM3tsPath(root, m3tsRef(3))],
    });
    const want = { ...info(segment, 3), endMs: START + BLOCK_MS };
    // Found from the listing, and from the bare number as bootstrap asks.
    for (const ref of [listed, { namespace: "metrics", blockStartMs: START, volume: 3 }]) {
      const back = await readIndexVolume(root, ref, fs);
      assert.equal(back.format, "m3ts");
      assert.deepEqual(back.info, want);
      assert.deepEqual(back.segment, segment);
    }
    const fileBytes = (await readFile(listed.paths[0])).length;
    assert.ok(
      fileBytes < segment.length / 4,
      `${fileBytes} bytes for a ${segment.length}-byte segment`,
    );
  });
});

test("an m3ts volume may cover several blocks, and an empty segment round-trips", async () => {
  await withTempDir(async (root) => {
    const long = segmentOf(5);
    const endMs = START + 4 * BLOCK_MS;
    await writeIndexVolume(root, info(long, 0, { endMs }), long, fs, M3TS);
    const empty = new Uint8Array(0);
    const next = START + 4 * BLOCK_MS;
    await writeIndexVolume(root, info(empty, 0, { blockStartMs: next, docs: 0 }), empty, fs, M3TS);
    const listed = await listIndexVolumes(root, "metrics", fs);
    assert.deepEqual(
      listed.map((v) => [v.blockStartMs, v.format === "m3ts" ? v.endMs : null, v.complete]),
      [
        [START, endMs, true],
        [next, next + BLOCK_MS, true],
      ],
    );
    const back = await readIndexVolume(
      root,
      { namespace: "metrics", blockStartMs: START, volume: 0 },
      fs,
    );
    assert.equal(back.info.endMs, endMs);
    assert.deepEqual(back.segment, long);
    const none = await readIndexVolume(root, listed[1], fs);
    assert.equal(none.segment.length, 0);
    assert.equal(none.info.docs, 0);
  });
});

test("both formats list side by side, sorted, and each reads from its bare number", async () => {
  await withTempDir(async (root) => {
    const a = segmentOf(3);
    const b = segmentOf(4);
    await writeIndexVolume(root, info(a, 0), a, fs);
    await writeIndexVolume(root, info(b, 1), b, fs, M3TS);
    await writeIndexVolume(root, info(a, 0, { blockStartMs: START - BLOCK_MS }), a, fs, M3TS);
    await writeIndexVolume(root, info(b, 5, { namespace: "aaa" }), b, fs, { format: "m3" });
    const listed = await listIndexVolumes(root, undefined, fs);
    assert.deepEqual(
      listed.map((v) => [
        v.namespace,
        v.blockStartMs,
        v.volume,
        v.format,
        v.complete,
        v.paths.length,
      ]),
      [
        ["aaa", START, 5, "m3", true, 4],
        ["metrics", START - BLOCK_MS, 0, "m3ts", true, 1],
        ["metrics", START, 0, "m3", true, 4],
        ["metrics", START, 1, "m3ts", true, 1],
      ],
    );
    const expect: [string, number, number, Uint8Array, string][] = [
      ["aaa", START, 5, b, "m3"],
      ["metrics", START - BLOCK_MS, 0, a, "m3ts"],
      ["metrics", START, 0, a, "m3"],
      ["metrics", START, 1, b, "m3ts"],
    ];
    for (const [namespace, blockStartMs, volume, segment, format] of expect) {
      const back = await readIndexVolume(root, { namespace, blockStartMs, volume }, fs);
      assert.equal(back.format, format);
      assert.deepEqual(new Uint8Array(back.segment), segment);
      assert.equal(back.info.endMs, blockStartMs + BLOCK_MS);
    }
  });
});

test("writing a volume number in one format replaces it in the other, and over another span", async () => {
  await withTempDir(async (root) => {
    const a = segmentOf(2);
    const b = segmentOf(6);
    const c = segmentOf(9);
    const id = { namespace: "metrics", blockStartMs: START, volume: 0 };
    const files = async () => (await readdir(indexVolumeDir(root, "metrics"))).sort();
    await writeIndexVolume(root, info(a, 0), a, fs);
    await writeIndexVolume(root, info(b, 0), b, fs, M3TS);
    assert.deepEqual(await files(), [`index-${START}-${START + BLOCK_MS}-0.m3ts`]);
    assert.deepEqual((await readIndexVolume(root, id, fs)).segment, b);
    const endMs = START + 2 * BLOCK_MS;
    await writeIndexVolume(root, info(c, 0, { endMs }), c, fs, M3TS);
    assert.deepEqual(await files(), [`index-${START}-${endMs}-0.m3ts`]);
    assert.deepEqual((await readIndexVolume(root, id, fs)).segment, c);
    await writeIndexVolume(root, info(a, 0), a, fs);
    assert.deepEqual(
      await files(),
      ["checkpoint", "digest", "info", "segment"].map((t) => `fileset-${START}-0-${t}.db`),
    );
    const back = await readIndexVolume(root, id, fs);
    assert.equal(back.format, "m3");
    assert.deepEqual(new Uint8Array(back.segment), a);
  });
});

test("a flipped byte at any position of an m3ts volume is detected and named by section", async () => {
  await withTempDir(async (root) => {
    const segment = segmentOf(2);
    await writeIndexVolume(root, info(segment, 0, { docs: 2 }), segment, fs, M3TS);
    const path = indexVolumeM3tsPath(root, m3tsRef());
    const good = await readFile(path);
    const bare = { namespace: "metrics", blockStartMs: START, volume: 0 };
    for (let at = 0; at < good.length; at++) {
      const bad = Buffer.from(good);
      bad[at] ^= 0xff;
      await writeFile(path, bad);
      const section = at < M3TS_INDEX_HEADER_SIZE ? "header" : "segment";
      await rejectsCorrupt(root, bare, section, /crc32|magic/, `byte ${at}`);
      // A damaged header also makes the volume incomplete; a damaged payload
      // is only found by reading it.
      const [listed] = await listIndexVolumes(root, "metrics", fs);
      assert.equal(listed.complete, section === "segment", `byte ${at}`);
    }
    await writeFile(path, good);
    assert.deepEqual((await readIndexVolume(root, bare, fs)).segment, segment);
  });
});

test("an m3ts volume cut at any length, or with bytes after it, is detected", async () => {
  await withTempDir(async (root) => {
    const segment = segmentOf(2);
    await writeIndexVolume(root, info(segment, 0, { docs: 2 }), segment, fs, M3TS);
    const path = indexVolumeM3tsPath(root, m3tsRef());
    const good = await readFile(path);
    for (let len = 0; len < good.length; len++) {
      await writeFile(path, good.subarray(0, len));
      const [section, reason] =
        len < M3TS_INDEX_HEADER_SIZE
          ? (["header", new RegExp(`truncated: the file has ${len} bytes, the header 76`)] as const)
          : ([
              "segment",
              new RegExp(
                `truncated: ${len - 76} bytes follow the header, it records ${good.length - 76}`,
              ),
            ] as const);
      await rejectsCorrupt(root, m3tsRef(), section, reason, `length ${len}`);
      const [listed] = await listIndexVolumes(root, "metrics", fs);
      assert.equal(listed.complete, false, `length ${len}`);
    }
    await writeFile(path, Buffer.concat([good, Buffer.from([0])]));
    await rejectsCorrupt(root, m3tsRef(), "segment", /^trailing bytes/, "one byte more");
  });
});

/** `file` with its header changed by `edit` and its header crc32 made to match again. */
function reheader(file: Uint8Array, edit: (dv: DataView) => void): Buffer {
  const out = Buffer.from(file);
  edit(new DataView(out.buffer, out.byteOffset, M3TS_INDEX_HEADER_SIZE));
  out.writeUInt32LE(crc32(out.subarray(0, 72)), 72);
  return out;
}

test("a header whose checksum holds but whose fields do not is refused, naming the field", async () => {
  const segment = segmentOf(3);
  const id = m3tsRef();
  const good = encodeM3tsVolume({ ...info(segment), endMs: id.endMs }, segment, 3);
  const cases: [string, (dv: DataView) => void, "header" | "segment", RegExp][] = [
    [
      "version",
      (dv) => dv.setUint32(8, 2, true),
      "header",
      /format version 2 is not the supported 1/,
    ],
    [
      "payload kind",
      (dv) => dv.setUint32(12, 7, true),
      "header",
      /payload kind 7 is not the supported 1/,
    ],
    [
      "part of a block",
      (dv) => dv.setFloat64(24, START + BLOCK_MS / 2, true),
      "header",
      /is not a whole number of 7200000 ms blocks/,
    ],
    ["block size", (dv) => dv.setFloat64(32, 0, true), "header", /block size 0 is not a positive/],
    [
      "start",
      (dv) => dv.setFloat64(16, START - BLOCK_MS, true),
      "header",
      /records block .* but its file is named for/,
    ],
    [
      "volume",
      (dv) => dv.setUint32(40, 1, true),
      "header",
      /volume 1 but its file is named for .* volume 0/,
    ],
    [
      "namespace",
      (dv) => dv.setUint32(48, 1, true),
      "header",
      /records another namespace than "metrics"/,
    ],
    [
      "payload crc",
      (dv) => dv.setUint32(52, 1, true),
      "segment",
      /crc32 does not match the header/,
    ],
    [
      "segment longer",
      (dv) => dv.setFloat64(56, segment.length + 1, true),
      "segment",
      new RegExp(
        `decompresses to ${segment.length} bytes, the header records ${segment.length + 1}`,
      ),
    ],
    ["segment shorter", (dv) => dv.setFloat64(56, segment.length - 1, true), "segment", /^zstd: /],
    ["compressed length", (dv) => dv.setFloat64(64, 1.5, true), "header", /compressed length 1.5/],
  ];
  for (const [what, edit, section, reason] of cases) {
    const got = decodeM3tsVolume(reheader(good, edit), id);
    assert.ok("reason" in got, what);
    assert.equal(got.section, section, what);
    assert.match(got.reason, reason, what);
  }
  const intact = decodeM3tsVolume(good, id);
  assert.ok(!("reason" in intact));
  assert.deepEqual(intact.segment, segment);
});

test("an m3ts file renamed to another volume, span or namespace's directory is refused", async () => {
  await withTempDir(async (root) => {
    const segment = segmentOf(2);
    await writeIndexVolume(root, info(segment, 0), segment, fs, M3TS);
    const from = indexVolumeM3tsPath(root, m3tsRef());
    const renamed: [IndexVolumeRef & { endMs: number }, RegExp][] = [
      [m3tsRef(4), /volume 0 but its file is named for block \d+ to \d+ volume 4/],
      [
        m3tsRef(0, START + 2 * BLOCK_MS),
        /to \d+ volume 0 but its file is named for block \d+ to \d+ volume 0/,
      ],
      [{ ...m3tsRef(), blockStartMs: START - BLOCK_MS }, /records block \d+ to \d+ volume 0 but/],
    ];
    for (const [ref, reason] of renamed) {
      const to = indexVolumeM3tsPath(root, ref);
      await rename(from, to);
      await rejectsCorrupt(root, ref, "header", reason, to);
      await rename(to, from);
    }
    await mkdir(indexVolumeDir(root, "other"));
    const moved = { ...m3tsRef(), namespace: "other" };
    await rename(from, indexVolumeM3tsPath(root, moved));
    // Its checksums hold, so it lists as complete; only its header knows where it belongs.
    assert.deepEqual(
      (await listIndexVolumes(root, undefined, fs)).map((v) => [v.namespace, v.complete]),
      [["other", true]],
    );
    await rejectsCorrupt(root, moved, "header", /records another namespace than "other"/, "moved");
  });
});

test("two m3ts files claiming one volume number are refused rather than one picked", async () => {
  await withTempDir(async (root) => {
    const segment = segmentOf(2);
    await writeIndexVolume(root, info(segment, 0), segment, fs, M3TS);
    const longer = m3tsRef(0, START + 2 * BLOCK_MS);
    await writeFile(
      indexVolumeM3tsPath(root, longer),
      encodeM3tsVolume({ ...info(segment), endMs: longer.endMs }, segment, 3),
    );
    const bare = { namespace: "metrics", blockStartMs: START, volume: 0 };
    await rejectsCorrupt(root, bare, "header", /2 files claim this volume number: index-/, "two");
    // Named by its span, each reads.
    assert.equal((await readIndexVolume(root, longer, fs)).info.endMs, longer.endMs);
    assert.equal((await readIndexVolume(root, m3tsRef(), fs)).info.endMs, START + BLOCK_MS);
  });
});

test("a temp file is an incomplete volume, missing to readers, and is cleared", async () => {
  await withTempDir(async (root) => {
    const segment = segmentOf(2);
    await writeIndexVolume(root, info(segment, 0), segment, fs, M3TS);
    await writeIndexVolume(root, info(segment, 1), segment, fs, M3TS);
    const final0 = indexVolumeM3tsPath(root, m3tsRef(0));
    const final1 = indexVolumeM3tsPath(root, m3tsRef(1));
    // Volume 0 as a write leaves it when it dies before the rename; volume 1
    // as a rewrite of the same name leaves it: the old file and the new temp.
    await rename(final0, `${final0}.tmp`);
    await writeFile(`${final1}.tmp`, "partial");
    const listed = await listIndexVolumes(root, "metrics", fs);
    assert.deepEqual(
      listed.map((v) => [v.volume, v.complete, v.paths]),
      [
        [0, false, [`${final0}.tmp`]],
        [1, true, [final1, `${final1}.tmp`]],
      ],
    );
    for (const ref of [listed[0], { namespace: "metrics", blockStartMs: START, volume: 0 }]) {
      await assert.rejects(
        readIndexVolume(root, ref, fs),
        (e: unknown) =>
          e instanceof IndexVolumeMissingError &&
          e.code === "M3TS_ERR_INDEX_VOLUME_MISSING" &&
          e.path === final0 &&
          /no volume file at/.test(e.message),
      );
    }
    await assert.rejects(
      readIndexVolume(root, { ...m3tsRef(7), endMs: undefined, format: "m3ts" }, fs),
      (e: unknown) =>
        e instanceof IndexVolumeMissingError && e.path.endsWith(`index-${START}-*-7.m3ts`),
    );
    assert.deepEqual((await removeIncompleteIndexVolumes(root, fs)).sort(), [
      `${final0}.tmp`,
      `${final1}.tmp`,
    ]);
    assert.deepEqual(await readdir(indexVolumeDir(root, "metrics")), [
      `index-${START}-${START + BLOCK_MS}-1.m3ts`,
    ]);
    assert.deepEqual((await readIndexVolume(root, listed[1], fs)).segment, segment);
  });
});

test("a failed m3ts write leaves no temp file and the number incomplete", async () => {
  await withTempDir(async (root) => {
    const segment = segmentOf(2);
    await writeIndexVolume(root, info(segment, 0), segment, fs);
    // A non-empty directory in the file's place makes the rename fail.
    const path = indexVolumeM3tsPath(root, m3tsRef());
    await mkdir(join(path, "x"), { recursive: true });
    await assert.rejects(
      writeIndexVolume(root, info(segment, 0), segment, fs, M3TS),
      (e: unknown) =>
        e instanceof VolumeWriteError && e.op === "rename" && e.path === `${path}.tmp`,
    );
    const names = await readdir(indexVolumeDir(root, "metrics"));
    assert.deepEqual(
      names.filter((n) => n.endsWith(".tmp")),
      [],
    );
    assert.deepEqual(
      (await listIndexVolumes(root, undefined, fs)).map((v) => [v.format, v.complete]),
      [["m3ts", false]],
    );
    // The m3 volume it was to replace went first.
    assert.deepEqual(
      names.filter((n) => n.startsWith("fileset-")),
      [],
    );
  });
});

test("a header damaged beside m3 leftovers: each format's incomplete files go, only its own", async () => {
  await withTempDir(async (root) => {
    const segment = segmentOf(2);
    await writeIndexVolume(root, info(segment, 0), segment, fs, M3TS);
    await writeIndexVolume(root, info(segment, 1), segment, fs, M3TS);
    // m3 leftovers of volume 0 (no checkpoint) beside its complete m3ts file.
    await writeFile(indexVolumePath(root, m3tsRef(0), "info"), "partial");
    const path1 = indexVolumeM3tsPath(root, m3tsRef(1));
    const bytes = await readFile(path1);
    bytes[10] ^= 1;
    await writeFile(path1, bytes);
    const removed = await removeIncompleteIndexVolumes(root, fs);
    assert.deepEqual(removed.sort(), [indexVolumePath(root, m3tsRef(0), "info"), path1].sort());
    assert.deepEqual(
      (await listIndexVolumes(root, undefined, fs)).map((v) => [v.volume, v.format, v.complete]),
      [[0, "m3ts", true]],
    );
  });
});

test("removal takes both formats' files of a number, or only those the ref names", async () => {
  await withTempDir(async (root) => {
    const segment = segmentOf(2);
    const names = async () => (await readdir(indexVolumeDir(root, "metrics"))).sort();
    await writeIndexVolume(root, info(segment, 0), segment, fs, M3TS);
    await writeIndexVolume(root, info(segment, 1), segment, fs);
    await writeIndexVolume(root, info(segment, 2), segment, fs, M3TS);
    await writeFile(`${indexVolumeM3tsPath(root, m3tsRef(2))}.tmp`, "partial");
    // Files of both formats under one number, as a crash between formats may leave.
    await writeFile(indexVolumePath(root, m3tsRef(0), "info"), "partial");
    await removeIndexVolume(
      root,
      { namespace: "metrics", blockStartMs: START, volume: 0, format: "m3" },
      fs,
    );
    assert.ok((await names()).includes(`index-${START}-${START + BLOCK_MS}-0.m3ts`));
    assert.ok(!(await names()).includes(`fileset-${START}-0-info.db`));
    await removeIndexVolume(
      root,
      { ...m3tsRef(0), endMs: START + 3 * BLOCK_MS, format: "m3ts" },
      fs,
    );
    assert.ok(
      (await names()).includes(`index-${START}-${START + BLOCK_MS}-0.m3ts`),
      "other span kept",
    );
    await removeIndexVolume(root, { namespace: "metrics", blockStartMs: START, volume: 0 }, fs);
    await removeIndexVolume(root, { namespace: "metrics", blockStartMs: START, volume: 1 }, fs);
    await removeIndexVolume(root, m3tsRef(2), fs);
    await removeIndexVolume(root, m3tsRef(9), fs);
    assert.deepEqual(await names(), []);
  });
});

test("bad input is refused naming the field", async () => {
  await withTempDir(async (root) => {
    const segment = segmentOf(1);
    const bad: [Partial<IndexVolumeInfo>, object, string][] = [
      [{ endMs: START + 2 * BLOCK_MS }, {}, "endMs"],
      [{ endMs: START + BLOCK_MS / 2 }, M3TS, "endMs"],
      [{ endMs: START }, M3TS, "endMs"],
      [{ blockSizeMs: 0 }, M3TS, "blockSizeMs"],
      [{ volume: 2 ** 32 }, M3TS, "volume"],
      [{}, { format: "m4" }, "format"],
      [{}, { format: "m3ts", zstdLevel: 0 }, "zstdLevel"],
      [{}, { format: "m3ts", zstdLevel: 23 }, "zstdLevel"],
    ];
    for (const [patch, options, field] of bad) {
      await assert.rejects(
        writeIndexVolume(root, info(segment, 0, patch), segment, fs, options),
        (e: unknown) => e instanceof InvalidVolumeInputError && e.field === field,
        field,
      );
    }
    assert.deepEqual(await listIndexVolumes(root, undefined, fs), []);
  });
});

test("any segment bytes round-trip through the m3ts encoding at any level", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 3000 }),
      fc.integer({ min: 1, max: 19 }),
      fc.integer({ min: 1, max: 50 }),
      (segment, level, blocks) => {
        const id = { namespace: "n", blockStartMs: 0, volume: 1, endMs: blocks * BLOCK_MS };
        const file = encodeM3tsVolume(
          { ...id, blockSizeMs: BLOCK_MS, docs: 0, segmentBytes: segment.length },
          segment,
          level,
        );
        const got = decodeM3tsVolume(file, id);
        assert.ok(!("reason" in got), JSON.stringify(got));
        assert.deepEqual(got.segment, segment);
        assert.equal(got.info.endMs, id.endMs);
      },
    ),
    { numRuns: 200 },
  );
});

// The golden file was written once by writeIndexVolume (format m3ts, zstd
// level 9) from the segment bytes below, namespace "m", block 7200000 ms of
// 7200000 ms, volume 2, 2 documents. It pins that readers keep reading it;
// the test parses it by the layout in docs/format/index-volume-m3ts.md alone.
const GOLDEN_URL = new URL(
  "../../../../src/dbnode/fs/testdata/index-7200000-14400000-2.m3ts",
  import.meta.url,
);

/** Stands in for a two-series segment: the bytes are opaque to the volume. */
function goldenSegment(): Uint8Array {
  const ids = '{__name__="up",job="node"}{__name__="up",job="prom"}';
  return new TextEncoder().encode(ids.repeat(3));
}

test("the golden m3ts volume parses by the documented layout", async () => {
  const file = await readFile(GOLDEN_URL);
  const segment = goldenSegment();
  assert.equal(file.subarray(0, 8).toString("latin1"), "M3TSIXVF");
  assert.equal(file.readUInt32LE(8), 1, "version");
  assert.equal(file.readUInt32LE(12), 1, "payload: a zstd-compressed index segment");
  assert.equal(file.readDoubleLE(16), 7_200_000, "start ms");
  assert.equal(file.readDoubleLE(24), 14_400_000, "end ms");
  assert.equal(file.readDoubleLE(32), 7_200_000, "block size ms");
  assert.equal(file.readUInt32LE(40), 2, "volume");
  assert.equal(file.readUInt32LE(44), 2, "documents");
  assert.equal(file.readUInt32LE(48), crc32(Buffer.from("m")), "namespace crc32");
  const payload = file.subarray(76);
  assert.equal(file.readUInt32LE(52), crc32(payload), "payload crc32");
  assert.equal(file.readDoubleLE(56), segment.length, "segment length");
  assert.equal(file.readDoubleLE(64), payload.length, "compressed length");
  assert.equal(file.readUInt32LE(72), crc32(file.subarray(0, 72)), "header crc32");
  // The payload is one zstd frame (magic 28 b5 2f fd) holding the segment.
  assert.equal(payload.readUInt32LE(0), 0xfd2fb528);
  assert.deepEqual(new Uint8Array(decompress(payload)), segment);
});

test("the golden m3ts volume reads back, and the writer lays out the same header fields", async () => {
  await withTempDir(async (root) => {
    const golden = await readFile(GOLDEN_URL);
    const segment = goldenSegment();
    const dir = indexVolumeDir(root, "m");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "index-7200000-14400000-2.m3ts"), golden);
    const ref = { namespace: "m", blockStartMs: 7_200_000, volume: 2 };
    const back = await readIndexVolume(root, ref, fs);
    assert.deepEqual(back.info, {
      namespace: "m",
      blockStartMs: 7_200_000,
      blockSizeMs: 7_200_000,
      endMs: 14_400_000,
      volume: 2,
      docs: 2,
      segmentBytes: segment.length,
    });
    assert.deepEqual(back.segment, segment);
    const again = await withTempDir(async (other) => {
      await writeIndexVolume(other, back.info, segment, fs, M3TS);
      return readFile(indexVolumeM3tsPath(other, back.info));
    });
    // Bytes 52..56 (payload crc) and 64..76 (compressed length, header crc)
    // follow zstd's output, which a zstd upgrade may change.
    assert.deepEqual(again.subarray(0, 52), golden.subarray(0, 52));
    assert.deepEqual(again.subarray(56, 64), golden.subarray(56, 64));
  });
});
