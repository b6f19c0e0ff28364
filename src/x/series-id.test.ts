// M3's quoted series IDs, from tags and from their encoding.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  encodeTags,
  seriesIdOf,
  seriesIdOfEncodedTags,
  seriesIdString,
  type Tag,
} from "./index.js";
import { FC, rawEncoding, tagList, throwsTags } from "./testing.js";

const utf8 = new TextEncoder();

/** The ID of `tags` (in the order given) as a string. */
function idOf(...tags: Tag[]): string {
  return seriesIdString(tags);
}

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
