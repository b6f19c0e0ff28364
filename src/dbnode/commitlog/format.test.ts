// The commit log's bytes, pinned: a golden file, the header's checks, the
// varint rules and the file-name pattern (docs/format/commitlog.md).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { crc32 } from "node:zlib";
import { CommitLog } from "./commit-log.js";
import {
  commitLogFileName,
  decodeFileHeader,
  encodeFileHeader,
  FILE_HEADER_SIZE,
  indexFromFileName,
  MAX_VARINT,
  PayloadCursor,
  putVarint,
  varintSize,
} from "./format.js";
import { fromBits, withTempDir } from "./testing.js";

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}

// Header: magic, version 1, index 0, created 1700000000000 ms, crc32.
// One chunk of 57 payload bytes: a metadata record for series 300 (shard 7,
// namespace "ns", id "a", tags "t"), a datapoint carrying the Prometheus
// stale marker and a one-byte annotation, and a datapoint of -0 without one.
const GOLDEN = `
  4d 33 54 53 43 4c 4f 47  01 00  00 00 00 00 00 00 00 00  00 68 e5 cf 8b 01 00 00  29 c5 7e 53
  39 00 00 00  37 68 67 ac  a2 09 bb 33
  01 ac 02 07 02 6e 73 01 61 01 74
  02 ac 02 00 b0 87 56 fe bc 78 42 c8 03 02 00 00 00 00 00 f0 7f 02 01 ab
  02 ac 02 00 c0 87 56 fe bc 78 42 00 00 00 00 00 00 00 00 80 02 00`;

test("a small log is written byte for byte as the format describes", async () => {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({ dir, strategy: "wait", now: () => 1_700_000_000_000 });
    const enc = new TextEncoder();
    const s = {
      seriesIndex: 300,
      namespace: "ns",
      id: enc.encode("a"),
      encodedTags: enc.encode("t"),
      shard: 7,
    };
    log.append(s, 1_700_000_000_123, 456, fromBits("7ff0000000000002"), 2, new Uint8Array([0xab]));
    log.append(s, 1_700_000_000_124, 0, -0, 2, null);
    await log.close();
    assert.equal(log.currentPath.endsWith("/commitlog-0-0.db"), true);
    assert.deepEqual(new Uint8Array(await readFile(log.currentPath)), hex(GOLDEN));
  });
});

test("file header round-trips and rejects damage, other versions and short input", () => {
  const h = encodeFileHeader(123_456_789_012, -5);
  assert.equal(h.length, FILE_HEADER_SIZE);
  assert.deepEqual(decodeFileHeader(h), { index: 123_456_789_012, createdAtMs: -5 });
  assert.deepEqual(decodeFileHeader(encodeFileHeader(MAX_VARINT, 0)), {
    index: MAX_VARINT,
    createdAtMs: 0,
  });

  assert.match(decodeFileHeader(h.subarray(0, 29)) as string, /truncated: 29 of 30/);
  const badMagic = h.slice();
  badMagic[0] ^= 1;
  assert.match(decodeFileHeader(badMagic) as string, /bad magic/);
  for (let byte = 8; byte < FILE_HEADER_SIZE; byte++) {
    const flipped = h.slice();
    flipped[byte] ^= 0x10;
    assert.equal(typeof decodeFileHeader(flipped), "string", `flip in byte ${byte} went unnoticed`);
  }
  // A well-formed header of another version is refused by version, not checksum.
  const v2 = h.slice();
  v2[8] = 2;
  new DataView(v2.buffer).setUint32(26, crc32(v2.subarray(0, 26)), true);
  assert.match(decodeFileHeader(v2) as string, /unsupported format version 2/);
});

test("varints: boundaries encode to their LEB128 sizes and decode back", () => {
  const values = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32];
  values.push(2 ** 49, 2 ** 52 + 1, MAX_VARINT);
  const buf = new Uint8Array(8);
  const c = new PayloadCursor();
  for (const v of values) {
    const end = putVarint(buf, 0, v);
    assert.equal(end, varintSize(v), `size of ${v}`);
    c.reset(buf, 0, end);
    assert.equal(c.varint(), v);
    assert.equal(c.error, "");
    assert.equal(c.pos, end);
  }
  assert.deepEqual([...buf.subarray(0, putVarint(buf, 0, 300))], [0xac, 0x02]);
  assert.equal(varintSize(MAX_VARINT), 8);
});

test("varints: overlong, too long, too large and cut-off forms are errors", () => {
  const c = new PayloadCursor();
  const cases: Array<[number[], RegExp]> = [
    [[0x80, 0x00], /overlong/],
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /longer than 8/],
    [[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10], /exceeds 2\^53/],
    [[0x80, 0x80], /past the end/],
  ];
  for (const [bytes, reason] of cases) {
    c.reset(Uint8Array.from(bytes), 0, bytes.length);
    assert.equal(c.varint(), 0);
    assert.match(c.error, reason);
  }
});

test("file names: commitlog-0-<index>.db; other names are not commit logs", () => {
  assert.equal(commitLogFileName(42), "commitlog-0-42.db");
  assert.equal(indexFromFileName("commitlog-0-42.db"), 42);
  assert.equal(indexFromFileName("commitlog-7-0.db"), 0);
  for (const name of [
    "commitlog-0-42.db.tmp",
    "commitlog-0-.db",
    "commitlog-0-x.db",
    "notes.txt",
  ]) {
    assert.equal(indexFromFileName(name), -1, name);
  }
  assert.equal(indexFromFileName("commitlog-0-99999999999999999999.db"), -1);
});
