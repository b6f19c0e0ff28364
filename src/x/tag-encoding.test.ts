// M3's binary tag encoding: its layout, limits, round trip and the errors of a bad encoding.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeTags, encodedTagsLength, encodeTags, encodeTagsInto, type Tag } from "./index.js";
import { FC, rawEncoding, tagList, throwsTags } from "./testing.js";

test("encodeTags writes M3's layout: magic 10101, count, length-prefixed literals", () => {
  assert.deepEqual(
    encodeTags([
      ["a", "b"],
      ["cd", "€"],
    ]),
    Uint8Array.from([
      0x75, 0x27, 2, 0, 1, 0, 0x61, 1, 0, 0x62, 2, 0, 0x63, 0x64, 3, 0, 0xe2, 0x82, 0xac,
    ]),
  );
  assert.deepEqual(encodeTags([]), Uint8Array.from([0x75, 0x27, 0, 0]));
});

test("encodeTags allows empty values but not empty names, over-long literals or lone surrogates", () => {
  assert.deepEqual(decodeTags(encodeTags([["a", ""]])), [["a", ""]]);
  throwsTags(() => encodeTags([["", "v"]]), "empty-name", /position 0/);
  throwsTags(() => encodeTags([["a", "x".repeat(65536)]]), "too-long", /65536 UTF-8 bytes/);
  throwsTags(() => encodeTags([["a\uDFFF", "v"]]), "not-unicode", /surrogate/);
  const tooMany: Tag[] = Array.from({ length: 65536 }, () => ["a", "b"] as const);
  throwsTags(() => encodeTags(tooMany), "too-many-tags", /65536 > 65535/);
});

test("encodeTagsInto appends at an offset and returns the end", () => {
  const tags: Tag[] = [["job", "node"]];
  const dst = new Uint8Array(32).fill(0xee);
  const end = encodeTagsInto(tags, dst, 5);
  assert.equal(end, 5 + encodedTagsLength(tags));
  assert.deepEqual(dst.subarray(5, end), encodeTags(tags));
  assert.equal(dst[4], 0xee);
  assert.equal(dst[end], 0xee);
  assert.throws(() => encodeTagsInto(tags, new Uint8Array(12), 0), RangeError);
});

test("decodeTags inverts encodeTags, non-ASCII and the 65535-byte limit included", () => {
  fc.assert(
    fc.property(tagList, (tags) => {
      assert.deepEqual(decodeTags(encodeTags(tags)), tags);
    }),
    FC,
  );
  const longest: Tag[] = [["€".repeat(21845), "x".repeat(65535)]];
  assert.deepEqual(decodeTags(encodeTags(longest)), longest);
  const bom: Tag[] = [["\uFEFFa", "\uFEFF"]];
  assert.deepEqual(decodeTags(encodeTags(bom)), bom, "a leading BOM is data, not stripped");
});

test("decodeTags names the byte offset of what is wrong", () => {
  throwsTags(() => decodeTags(new Uint8Array(0)), "truncated", /at byte 0: 0 bytes/, 0);
  throwsTags(() => decodeTags(Uint8Array.from([0x75, 0x27, 0])), "truncated", /4-byte header/, 0);
  throwsTags(
    () => decodeTags(Uint8Array.from([0x27, 0x75, 0, 0])),
    "bad-magic",
    /at byte 0: magic 29991 is not 10101/,
    0,
  );
  const good = encodeTags([
    ["ab", "cd"],
    ["ef", "gh"],
  ]);
  // Header 4, tag 0: 2+2 name, 2+2 value, so tag 1's name length sits at byte 12.
  throwsTags(
    () => decodeTags(good.subarray(0, 12)),
    "truncated",
    /byte 12: .*tag 1's name length/,
    12,
  );
  throwsTags(
    () => decodeTags(good.subarray(0, 13)),
    "truncated",
    /byte 12: .*tag 1's name length/,
    12,
  );
  throwsTags(
    () => decodeTags(good.subarray(0, 15)),
    "truncated",
    /byte 12: tag 1's name of 2 bytes runs past the end \(15 bytes\)/,
    12,
  );
  throwsTags(() => decodeTags(good.subarray(0, 19)), "truncated", /byte 16: .*tag 1's value/, 16);
  const trailing = new Uint8Array(good.length + 3);
  trailing.set(good);
  throwsTags(
    () => decodeTags(trailing),
    "trailing-bytes",
    /byte 20: 3 bytes follow the last of 2/,
    20,
  );
  throwsTags(
    () => decodeTags(rawEncoding([], [0x76])),
    "empty-name",
    /byte 4: tag 0's name is empty/,
    4,
  );
  throwsTags(
    () => decodeTags(rawEncoding([0x61], [0x62, 0xff])),
    "not-unicode",
    /byte 9: the 2 bytes here are not valid UTF-8/,
    9,
  );
});
