// Golden bytes pinning the fileset records of docs/format/fileset.md.
import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32 } from "node:zlib";
import { bloomParams } from "./bloom-filter.js";
import {
  decodeInfo,
  encodeInfo,
  type IndexEntry,
  putEntry,
  putSummary,
  putUvarint,
  readEntry,
} from "./format.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("uvarints are LEB128 up to 2^53 - 1", () => {
  const buf = new Uint8Array(8);
  assert.equal(hex(buf.subarray(0, putUvarint(buf, 0, 300))), "ac02");
  const end = putUvarint(buf, 0, Number.MAX_SAFE_INTEGER);
  assert.equal(hex(buf.subarray(0, end)), "ffffffffffffff0f");
});

test("an index entry's bytes", () => {
  const buf = new Uint8Array(64);
  const id = new Uint8Array([0x61, 0x62]);
  const tags = new Uint8Array([0x09]);
  const end = putEntry(buf, 0, 5, id, tags, 300, 7, 0x11223344, crc32);
  const bytes = buf.subarray(0, end);
  // body length 17, ordinal 5, id "ab", tags 09, offset 300, size 7, stream crc, entry crc
  const body = "11" + "05" + "026162" + "0109" + "ac02" + "07" + "44332211";
  const entryCrc = crc32(Buffer.from(body, "hex"));
  const crcHex = Buffer.alloc(4);
  crcHex.writeUInt32LE(entryCrc);
  assert.equal(hex(bytes), body + crcHex.toString("hex"));
  const out: IndexEntry = {
    ordinal: 0,
    id: new Uint8Array(0),
    tags: new Uint8Array(0),
    dataOffset: 0,
    dataSize: 0,
    streamCrc: 0,
    end: 0,
  };
  assert.equal(readEntry(bytes, 0, bytes.length, out, crc32), null);
  assert.deepEqual(
    [out.ordinal, hex(out.id), hex(out.tags), out.dataOffset, out.dataSize, out.streamCrc, out.end],
    [5, "6162", "09", 300, 7, 0x11223344, bytes.length],
  );
  bytes[3] ^= 1;
  assert.match(readEntry(bytes, 0, bytes.length, out, crc32) ?? "", /entry crc32/);
});

test("a summary's bytes", () => {
  const buf = new Uint8Array(16);
  const end = putSummary(buf, 0, 33, new Uint8Array([0x7a]), 1000);
  assert.equal(hex(buf.subarray(0, end)), "21017ae807");
});

test("the info record is 68 bytes with its own crc", () => {
  const info = {
    blockStartMs: 1_700_000_000_000,
    blockSizeMs: 7_200_000,
    entries: 3,
    summaries: 1,
    bloomM: 25,
    bloomK: 6,
    version: 1,
    snapshotTimeMs: 0,
  };
  const bytes = encodeInfo(info, crc32);
  assert.equal(bytes.length, 68);
  assert.equal(hex(bytes.subarray(0, 16)), "4d335453494e464f0100000006000000");
  assert.deepEqual(decodeInfo(bytes, crc32), info);
  bytes[20] ^= 1;
  assert.match(String(decodeInfo(bytes, crc32)), /record crc32/);
});

test("bloom filter sizing follows M3's formulas", () => {
  assert.deepEqual(bloomParams(1000, 0.02), { m: 8143, k: 6 });
  assert.deepEqual(bloomParams(0, 0.02), bloomParams(1, 0.02));
});
