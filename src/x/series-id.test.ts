// Tag sets, M3's quoted series IDs, M3's tag encoding and shard choice.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  compareUtf8,
  DEFAULT_MAX_TAGS,
  decodeTags,
  encodedTagsLength,
  encodeTags,
  encodeTagsInto,
  InvalidShardingError,
  InvalidTagsError,
  type InvalidTagsReason,
  isValidPrometheusLabelName,
  murmur3_32,
  normalizeTags,
  seriesIdOf,
  seriesIdOfEncodedTags,
  seriesIdString,
  shardOf,
  type Tag,
} from "./index.js";

const utf8 = new TextEncoder();
const FC = { seed: 42, includeErrorInReport: true, numRuns: 300 } as const;

/** Asserts that fn throws InvalidTagsError with this reason and a message matching `message`. */
function throwsTags(fn: () => unknown, reason: InvalidTagsReason, message: RegExp, offset = -1) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidTagsError, `not an InvalidTagsError: ${e}`);
    assert.equal(e.code, "M3TS_ERR_INVALID_TAGS");
    assert.equal(e.reason, reason, e.message);
    assert.match(e.message, message);
    if (offset >= 0) assert.equal(e.byteOffset, offset, e.message);
    return true;
  });
}

/** The ID of `tags` (in the order given) as a string. */
function idOf(...tags: Tag[]): string {
  return seriesIdString(tags);
}

/** Encoded tags built by hand from raw name and value bytes. */
function rawEncoding(...fields: number[][]): Uint8Array {
  const out = [0x75, 0x27, (fields.length / 2) & 0xff, (fields.length / 2) >> 8];
  for (const f of fields) out.push(f.length & 0xff, f.length >> 8, ...f);
  return Uint8Array.from(out);
}

// ---- normalizeTags ------------------------------------------------------------

test("normalizeTags sorts by name and leaves the input alone", () => {
  const input: Tag[] = [
    ["job", "node"],
    ["__name__", "up"],
    ["instance", "a:9100"],
  ];
  const sorted = normalizeTags(input);
  assert.deepEqual(sorted, [
    ["__name__", "up"],
    ["instance", "a:9100"],
    ["job", "node"],
  ]);
  assert.equal(input[0][0], "job");
});

test("normalizeTags orders names by UTF-8 bytes, not UTF-16 code units", () => {
  // U+E000 is EE 80 80 in UTF-8 and sorts before U+1F600 (F0 9F 98 80);
  // in UTF-16 the emoji's lead surrogate D83D sorts before E000.
  const sorted = normalizeTags([
    ["\u{1F600}", "a"],
    ["\uE000", "b"],
    ["\uFFFF", "c"],
    ["z", "d"],
  ]);
  assert.deepEqual(
    sorted.map(([n]) => n),
    ["z", "\uE000", "\uFFFF", "\u{1F600}"],
  );
  assert.ok("\u{1F600}" < "\uE000", "plain < disagrees, which is the point");
});

test("compareUtf8 agrees with comparing the UTF-8 bytes", () => {
  const text = fc.oneof(
    fc.string({ unit: "binary", maxLength: 6 }),
    fc.string({ unit: fc.constantFrom("a", "\uE000", "\uFFFF", "\u{10000}", "\u{1F600}") }),
  );
  fc.assert(
    fc.property(text, text, (a, b) => {
      const expected = Math.sign(Buffer.compare(utf8.encode(a), utf8.encode(b)));
      assert.equal(Math.sign(compareUtf8(a, b)), expected);
    }),
    FC,
  );
});

test("normalizeTags requires at least one tag", () => {
  throwsTags(() => normalizeTags([]), "no-tags", /at least one tag/);
});

test("normalizeTags bounds the tag count at 256 by default, raisable per call", () => {
  assert.equal(DEFAULT_MAX_TAGS, 256);
  const many = (n: number): Tag[] => Array.from({ length: n }, (_, i) => [`t${i}`, "v"] as const);
  assert.equal(normalizeTags(many(256)).length, 256);
  throwsTags(() => normalizeTags(many(257)), "too-many-tags", /^too many tags: 257 > 256$/);
  assert.equal(normalizeTags(many(300), { maxTags: 300 }).length, 300);
  throwsTags(
    () => normalizeTags(many(300), { maxTags: 299 }),
    "too-many-tags",
    /too many tags: 300 > 299/,
  );
  assert.throws(() => normalizeTags(many(1), { maxTags: 0 }), RangeError);
  assert.throws(() => normalizeTags(many(1), { maxTags: 65536 }), RangeError);
});

test("normalizeTags rejects an empty name, naming its position", () => {
  throwsTags(
    () =>
      normalizeTags([
        ["a", "1"],
        ["b", "2"],
        ["", "3"],
      ]),
    "empty-name",
    /^tag name "" at position 2 is empty$/,
  );
});

test("normalizeTags rejects an empty value: the coordinator drops those first", () => {
  throwsTags(
    () =>
      normalizeTags([
        ["job", "x"],
        ["env", ""],
      ]),
    "empty-value",
    /tag "env" at position 1 has an empty value/,
  );
});

test("normalizeTags rejects duplicate names, naming both positions", () => {
  throwsTags(
    () =>
      normalizeTags([
        ["job", "a"],
        ["env", "b"],
        ["job", "c"],
      ]),
    "duplicate-name",
    /^duplicate tag name "job" at positions 0 and 2$/,
  );
});

test("normalizeTags allows names and values up to 65535 UTF-8 bytes", () => {
  const euros = "€".repeat(21845); // 3 bytes each: 65535 bytes
  assert.equal(normalizeTags([[euros, euros]]).length, 1);
  throwsTags(
    () => normalizeTags([[`${euros}x`, "v"]]),
    "too-long",
    /tag name "€€€.*" at position 0 is 65536 UTF-8 bytes, more than 65535/,
  );
  throwsTags(
    () => normalizeTags([["n", `${euros}x`]]),
    "too-long",
    /value of tag "n" at position 0 is 65536 UTF-8 bytes/,
  );
});

test("normalizeTags rejects lone surrogates, which UTF-8 cannot carry", () => {
  throwsTags(() => normalizeTags([["a\uD800", "v"]]), "not-unicode", /lone UTF-16 surrogate/);
  throwsTags(() => normalizeTags([["n", "\uDC00x"]]), "not-unicode", /value of tag "n"/);
  throwsTags(() => normalizeTags([["n", "x\uD83D"]]), "not-unicode", /position 0/);
  assert.equal(normalizeTags([["n", "\u{1F600}"]]).length, 1);
});

test("normalizeTags does not apply Prometheus label-name rules; isValidPrometheusLabelName does", () => {
  assert.equal(normalizeTags([["0-not prometheus", "v"]]).length, 1);
  for (const ok of ["a", "_", "__name__", "Job_1", "Z9"]) {
    assert.equal(isValidPrometheusLabelName(ok), true, ok);
  }
  for (const bad of ["", "1a", "a-b", "a.b", "é", "a b", "a\n"]) {
    assert.equal(isValidPrometheusLabelName(bad), false, bad);
  }
});

// ---- quoted series IDs ------------------------------------------------------------

test("seriesIdOf writes M3's quoted IDs for plain tags", () => {
  assert.equal(idOf(["t1", "v1"], ["t2", "v2"]), `{t1="v1",t2="v2"}`);
  assert.equal(idOf(), "{}");
  assert.equal(idOf(["__name__", "up"]), `{__name__="up"}`);
  assert.deepEqual(seriesIdOf([["a", "b"]]), utf8.encode(`{a="b"}`));
});

test("seriesIdOf matches M3's tags_test.go vector with quotes in a name and a value", () => {
  assert.equal(
    idOf(["t1", "v1"], ["t2", "v2"], ["t3", "v3"], ["t4", "v4"], [`t5""`, `v"5`]),
    `{t1="v1",t2="v2",t3="v3",t4="v4",t5\\"\\"="v\\"5"}`,
  );
});

test("seriesIdOf keeps tags apart that would run together without quoting", () => {
  const two = idOf(["t1", "v1"], ["t2", "v2"]);
  assert.notEqual(idOf(["t1", `"v1"t2"v2"`]), two);
  assert.notEqual(idOf([`t1"v1"t2`, "v2"]), two);
});

test("seriesIdOf copies a backslash verbatim unless something else forces escaping", () => {
  assert.equal(idOf(["a", "x\\y"]), `{a="x\\y"}`);
  assert.equal(idOf(["a", "\\"]), `{a="\\"}`);
  assert.equal(idOf(["a", "\\\n"]), `{a="\\\\\\n"}`);
  assert.equal(idOf(["a", `\\"`]), `{a="\\\\\\""}`);
});

test("seriesIdOf escapes control characters as M3's strconv does", () => {
  assert.equal(idOf(["a", "\x07\b\f\r\n\t\v"]), `{a="\\a\\b\\f\\r\\n\\t\\v"}`);
  assert.equal(idOf(["a", "\x04"]), `{a="\\x04"}`);
  assert.equal(idOf(["a", "x\x00y\x1f"]), `{a="x\\x00y\\x1f"}`);
  // M3 writes DEL and C1 controls as \u, where Go's strconv would write \x7f.
  assert.equal(idOf(["a", "\x7f"]), `{a="\\u007f"}`);
  assert.equal(idOf(["a", "\u0085"]), `{a="\\u0085"}`);
  // A name that needs escaping is escaped but not quoted.
  assert.equal(idOf(["a\nb", "v"]), `{a\\nb="v"}`);
});

test("seriesIdOf copies printable non-ASCII and escapes the rest as \\u or \\U", () => {
  assert.equal(idOf(["name", "héllo wörld"]), `{name="héllo wörld"}`);
  assert.equal(idOf(["ñ", "v"]), `{ñ="v"}`);
  assert.equal(idOf(["a", "\u263a"]), `{a="☺"}`);
  assert.equal(idOf(["a", "日本語"]), `{a="日本語"}`);
  assert.equal(idOf(["a", "\u{1F600}"]), `{a="\u{1F600}"}`);
  assert.equal(idOf(["a", "\uFFFD"]), `{a="\uFFFD"}`, "a real U+FFFD is printable");
  // M3's quote_test.go: non-ASCII spaces are graphic but not printable.
  assert.equal(idOf(["a", "!\u00a0!\u2000!\u3000!"]), `{a="!\\u00a0!\\u2000!\\u3000!"}`);
  assert.equal(idOf(["a", "\u{10FFFF}"]), `{a="\\U0010ffff"}`);
  assert.equal(idOf(["a", "soft\u00adhyphen"]), `{a="soft\\u00adhyphen"}`);
  assert.equal(idOf(["a", "\u200b"]), `{a="\\u200b"}`, "zero-width space (Cf)");
  assert.equal(idOf(["a", "\uE000"]), `{a="\\ue000"}`, "private use (Co)");
  assert.equal(idOf(["a", "\u0378"]), `{a="\\u0378"}`, "unassigned (Cn)");
  assert.equal(idOf(["a", "\u{E0001}"]), `{a="\\U000e0001"}`, "language tag (Cf)");
  assert.equal(idOf(["a", "e\u0301"]), `{a="e\u0301"}`, "combining marks are printable");
});

test("seriesIdOfEncodedTags writes bytes that are not UTF-8 as \\xNN", () => {
  const a = [0x61];
  const id = (value: number[]) =>
    new TextDecoder().decode(seriesIdOfEncodedTags(rawEncoding(a, value)));
  assert.equal(id([0x61, 0xff, 0x62]), `{a="a\\xffb"}`);
  assert.equal(id([0xc0, 0xaf]), `{a="\\xc0\\xaf"}`, "overlong");
  assert.equal(id([0xe0, 0x80, 0xaf]), `{a="\\xe0\\x80\\xaf"}`, "overlong, 3 bytes");
  assert.equal(id([0xed, 0xa0, 0x80]), `{a="\\xed\\xa0\\x80"}`, "an encoded surrogate");
  assert.equal(id([0xf4, 0x90, 0x80, 0x80]), `{a="\\xf4\\x90\\x80\\x80"}`, "above U+10FFFF");
  assert.equal(id([0xe2, 0x82]), `{a="\\xe2\\x82"}`, "cut short");
  assert.equal(id([0xe2, 0x82, 0x41]), `{a="\\xe2\\x82A"}`, "continuation missing");
  assert.equal(id([0x80]), `{a="\\x80"}`, "stray continuation byte");
  assert.equal(id([0xe2, 0x82, 0xac]), `{a="€"}`);
  assert.equal(id([0xf0, 0x9f, 0x98, 0x80]), `{a="\u{1F600}"}`);
  assert.equal(id([0x5c, 0x80]), `{a="\\\\\\x80"}`);
  assert.equal(id([0x5c]), `{a="\\"}`);
});

/** The quoted ID rules restated over code points of JS strings, for comparison. */
function referenceId(tags: readonly Tag[]): string {
  const trigger = (s: string) =>
    [...s].some((c) => c < " " || c === '"' || (c.codePointAt(0) ?? 0) >= 0x7f);
  const printable = (c: string) => c === " " || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(c);
  const escapeText = (s: string) => {
    let out = "";
    for (const c of s) {
      const cp = c.codePointAt(0) ?? 0;
      const short = ["\\a", "\\b", "\\t", "\\n", "\\v", "\\f", "\\r"][cp - 7];
      if (c === '"' || c === "\\") out += `\\${c}`;
      else if (printable(c)) out += c;
      else if (short !== undefined) out += short;
      else if (cp < 0x20) out += `\\x${cp.toString(16).padStart(2, "0")}`;
      else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, "0")}`;
      else out += `\\U${cp.toString(16).padStart(8, "0")}`;
    }
    return out;
  };
  const parts = tags.map(([n, v]) => {
    const name = trigger(n) ? escapeText(n) : n;
    return `${name}="${trigger(v) ? escapeText(v) : v}"`;
  });
  return `{${parts.join(",")}}`;
}

const literal = fc.oneof(
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 8 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 8 }),
  fc.string({
    unit: fc.constantFrom(
      "a",
      '"',
      "\\",
      "\n",
      "\x00",
      "\x7f",
      "\u0085",
      "\u00a0",
      "é",
      "\u{1F600}",
    ),
    minLength: 1,
    maxLength: 8,
  }),
);
const tagList = fc.array(fc.tuple(literal, literal), { maxLength: 6 });

test("seriesIdOf agrees with a restatement of the rules over code points", () => {
  fc.assert(
    fc.property(tagList, (tags) => {
      assert.equal(seriesIdString(tags), referenceId(tags));
    }),
    FC,
  );
});

test("seriesIdOfEncodedTags of encodeTags(tags) equals seriesIdOf(tags)", () => {
  fc.assert(
    fc.property(tagList, (tags) => {
      assert.deepEqual(seriesIdOfEncodedTags(encodeTags(tags)), seriesIdOf(tags));
    }),
    FC,
  );
});

test("seriesIdOf handles IDs larger than its scratch buffer, and then small ones again", () => {
  const big = "v".repeat(60000);
  const tags: Tag[] = Array.from({ length: 20 }, (_, i) => [`t${i}`, big] as const);
  const id = seriesIdOf(tags);
  // Braces, 19 commas, then per tag its name, `=`, two quotes and the value.
  const names = 10 * "t0".length + 10 * "t10".length;
  assert.equal(id.length, 2 + 19 + names + 20 * (1 + 2 + 60000));
  assert.equal(idOf(["a", "b"]), `{a="b"}`);
});

test("seriesIdOf refuses tags the encoding cannot carry", () => {
  throwsTags(() => seriesIdOf([["", "v"]]), "empty-name", /is empty/);
  throwsTags(() => seriesIdOf([["a", "\uD800"]]), "not-unicode", /surrogate/);
});

// ---- tag encoding ------------------------------------------------------------

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

// ---- shards ------------------------------------------------------------------

test("shardOf is murmur3_32 of the ID bytes modulo the shard count", () => {
  const hello = utf8.encode("hello"); // murmur3 0x248bfa47 = 613153351
  assert.equal(shardOf(hello, 1), 0);
  assert.equal(shardOf(hello, 64), 613153351 % 64);
  assert.equal(shardOf(hello, 4096), 613153351 % 4096);
  assert.equal(shardOf(hello, 0xffffffff), 613153351);
  const id = seriesIdOf([["__name__", "up"]]);
  assert.equal(shardOf(id, 64, 7), murmur3_32(id, 7) % 64);
  assert.equal(shardOf(id, 64), shardOf(id, 64, 0));
});

test("shardOf spreads series IDs evenly over the shards", () => {
  const counts = new Array(64).fill(0);
  for (let i = 0; i < 6400; i++) {
    counts[
      shardOf(
        seriesIdOf([
          ["__name__", "m"],
          ["instance", `host-${i}:9100`],
        ]),
        64,
      )
    ]++;
  }
  for (const c of counts) assert.ok(c > 50 && c < 150, `shard count ${c} of an expected 100`);
});

test("shardOf rejects a shard count or seed it cannot use", () => {
  const id = utf8.encode("x");
  for (const n of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32]) {
    assert.throws(
      () => shardOf(id, n),
      (e: unknown) =>
        e instanceof InvalidShardingError &&
        e.code === "M3TS_ERR_INVALID_SHARDING" &&
        e.field === "numShards" &&
        e.message.startsWith(`numShards ${n} is invalid`),
      `numShards ${n}`,
    );
  }
  for (const seed of [-1, 0.5, 2 ** 32]) {
    assert.throws(
      () => shardOf(id, 8, seed),
      (e: unknown) => e instanceof InvalidShardingError && e.field === "seed",
    );
  }
});
