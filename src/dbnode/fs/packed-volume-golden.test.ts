// Golden bytes of the m3ts-format volume: testdata/packed-volume-v1.m3ts is a
// volume of three series written by writePackedVolume at the default zstd
// level (regenerate with M3TS_UPDATE_GOLDEN=1 after a deliberate format
// change, and update docs/format/fileset-m3ts.md with it). One test parses it
// by the layout the doc gives, with DataView and zstd alone and no code of
// the reader; the others check that the reader reads it and the writer
// writes it byte for byte.
import assert from "node:assert/strict";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { decompress } from "zstd-napi";
import { packedBlock } from "../../codec/index.js";
import { encodeTags, murmur3_32, nodeFileSystem, seriesIdOfEncodedTags } from "../../x/index.js";
import { openPackedVolume, packedVolumePath, writePackedVolume } from "./index.js";
import { bytesOf, hexOf, kindOf } from "./packed-volume-testing.js";
import type { PackedVolumeEntry } from "./packed-volume-writer.js";
import { withTempDir } from "./testing.js";

// The compiled test runs from dist/; the checked-in file lives beside the source.
const here = dirname(fileURLToPath(import.meta.url));
const GOLDEN = join(here, "../../../../src/dbnode/fs/testdata/packed-volume-v1.m3ts");

const enc = new TextEncoder();
const ID = {
  namespace: "golden",
  shard: 5,
  startMs: 1_699_999_200_000,
  endMs: 1_700_006_400_000,
  volume: 2,
};
const BLOCK_SIZE_MS = 7_200_000;
const tagsUpNode = encodeTags([
  ["__name__", "up"],
  ["job", "node"],
]);
const tagsUpProm = encodeTags([
  ["__name__", "up"],
  ["job", "prom"],
]);
const tagsBuild = encodeTags([
  ["__name__", "build_info"],
  ["version", "1.0"],
]);
const dataUpNode = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const dataUpProm = new Uint8Array(20).fill(0xaa);
const dataBuild = Uint8Array.from({ length: 16 }, (_, i) => i);
const customId = enc.encode("custom/up/prom");

function goldenEntries(): PackedVolumeEntry[] {
  return [
    { id: seriesIdOfEncodedTags(tagsUpNode), encodedTags: tagsUpNode, data: dataUpNode },
    { id: customId, encodedTags: tagsUpProm, data: packedBlock(dataUpProm) },
    { id: seriesIdOfEncodedTags(tagsBuild), encodedTags: tagsBuild, data: dataBuild },
  ];
}

async function written(): Promise<Uint8Array> {
  return withTempDir(async (root) => {
    await writePackedVolume(root, ID, BLOCK_SIZE_MS, goldenEntries(), { fs: nodeFileSystem });
    return readFile(packedVolumePath(root, ID));
  });
}

if (process.env.M3TS_UPDATE_GOLDEN === "1") {
  test("regenerate the golden volume", async () => {
    await mkdir(dirname(GOLDEN), { recursive: true });
    await writeFile(GOLDEN, await written());
  });
}

/** A uvarint at `at`: [value, next offset]. */
function uvarint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const x = b[at++];
    v += (x & 0x7f) * mul;
    if (x < 0x80) return [v, at];
    mul *= 128;
  }
}

test("the golden volume parses by the documented layout", async () => {
  const file = new Uint8Array(await readFile(GOLDEN));
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const ascii = (at: number, n: number) =>
    Buffer.from(file.subarray(at, at + n)).toString("latin1");

  // Header, 64 bytes.
  assert.equal(ascii(0, 8), "M3TSPACK");
  assert.equal(dv.getUint32(8, true), 1);
  assert.equal(ascii(12, 4), "m3ts");
  assert.equal(dv.getUint32(16, true), 5);
  assert.equal(dv.getUint32(20, true), 2);
  assert.equal(dv.getFloat64(24, true), ID.startMs);
  assert.equal(dv.getFloat64(32, true), ID.endMs);
  assert.equal(dv.getFloat64(40, true), BLOCK_SIZE_MS);
  assert.equal(dv.getUint32(48, true), crc32(enc.encode("golden")));
  assert.equal(dv.getUint32(52, true), 8192);
  assert.equal(dv.getInt32(56, true), 15);
  assert.equal(dv.getUint32(60, true), crc32(file.subarray(0, 60)));

  // Footer, the last 84 bytes.
  const f = file.length - 84;
  assert.equal(ascii(f + 76, 4), "M3TE");
  assert.equal(dv.getUint32(f + 80, true), crc32(file.subarray(f, f + 80)));
  assert.deepEqual(
    [dv.getUint32(f, true), dv.getUint32(f + 4, true), dv.getUint32(f + 8, true)],
    [3, 1, 1],
  );
  assert.equal(dv.getUint32(f + 12, true), crc32(file.subarray(0, 64)));
  const [framesAt, framesLen, metaAt, metaLen, dirAt, dirLen] = [16, 24, 32, 40, 48, 56].map((o) =>
    dv.getFloat64(f + o, true),
  );
  assert.equal(framesAt, 64);
  assert.equal(metaAt, framesAt + framesLen);
  assert.equal(dirAt, metaAt + metaLen);
  assert.equal(dirAt + dirLen, f);
  const frames = file.subarray(framesAt, framesAt + framesLen);
  const meta = file.subarray(metaAt, metaAt + metaLen);
  const dir = file.subarray(dirAt, dirAt + dirLen);
  assert.equal(dv.getUint32(f + 64, true), crc32(frames));
  assert.equal(dv.getUint32(f + 68, true), crc32(meta));
  assert.equal(dv.getUint32(f + 72, true), crc32(dir));

  // Series in ID order: "custom/up/prom" < '{__name__="build_info"...' < '{__name__="up"...'.
  const ids = [customId, seriesIdOfEncodedTags(tagsBuild), seriesIdOfEncodedTags(tagsUpNode)];
  const ddv = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
  for (let i = 0; i < 3; i++) assert.equal(ddv.getUint32(4 * i, true), murmur3_32(ids[i], 0));
  let at = 12;
  const sizeKinds: number[] = [];
  for (let i = 0; i < 3; i++) {
    let v: number;
    [v, at] = uvarint(dir, at);
    sizeKinds.push(v);
  }
  // size * 4 + kind, kind 1 packed and 0 m3tsz.
  assert.deepEqual(sizeKinds, [20 * 4 + 1, 16 * 4 + 0, 8 * 4 + 0]);
  const unit = () => {
    const out: number[] = [];
    for (let k = 0; k < 3; k++) {
      let v: number;
      [v, at] = uvarint(dir, at);
      out.push(v);
    }
    out.push(ddv.getUint32(at, true));
    at += 4;
    return out;
  };
  const [frameSeries, frameLen, frameRaw, frameCrc] = unit();
  const [chunkSeries, chunkLen, chunkRaw, chunkCrc] = unit();
  assert.equal(at, dir.length);
  assert.deepEqual([frameSeries, frameLen, frameRaw], [3, framesLen, 44]);
  assert.deepEqual([chunkSeries, chunkLen], [3, metaLen]);
  assert.equal(frameCrc, crc32(frames));
  assert.equal(chunkCrc, crc32(meta));

  // The frame: the series' data back to back in ID order.
  assert.equal(
    hexOf(decompress(frames)),
    hexOf(Buffer.concat([dataUpProm, dataBuild, dataUpNode])),
  );
  // The metadata chunk: tags, then 0 (ID from the tags) or the stored ID.
  const raw = decompress(meta);
  assert.equal(raw.length, chunkRaw);
  const record = (tags: Uint8Array, id: Uint8Array | null) =>
    Buffer.concat([
      Uint8Array.of(tags.length),
      tags,
      id === null ? Uint8Array.of(0) : Buffer.concat([Uint8Array.of(id.length), id]),
    ]);
  assert.equal(
    hexOf(raw),
    hexOf(
      Buffer.concat([
        record(tagsUpProm, customId),
        record(tagsBuild, null),
        record(tagsUpNode, null),
      ]),
    ),
  );
});

test("the reader reads the golden volume", async () => {
  await withTempDir(async (root) => {
    const path = packedVolumePath(root, ID);
    await mkdir(dirname(path), { recursive: true });
    await copyFile(GOLDEN, path);
    const reader = await openPackedVolume(root, ID, nodeFileSystem);
    assert.equal(reader.info.entries, 3);
    for (const e of goldenEntries()) {
      const got = await reader.read(e.id);
      assert.ok(got !== null);
      assert.equal(kindOf(got), kindOf(e.data));
      assert.equal(hexOf(bytesOf(got)), hexOf(bytesOf(e.data)));
    }
    await reader.close();
  });
});

test("the writer writes the golden volume byte for byte", async () => {
  assert.equal(hexOf(await written()), hexOf(new Uint8Array(await readFile(GOLDEN))));
});
