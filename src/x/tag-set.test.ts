// Tag sets: normalisation, its rules and errors, and the UTF-8 order of names.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  compareUtf8,
  DEFAULT_MAX_TAGS,
  isValidPrometheusLabelName,
  normalizeTags,
  type Tag,
} from "./index.js";
import { FC, throwsTags } from "./testing.js";

const utf8 = new TextEncoder();

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
