// Go's number and string forms, from Go's documented outputs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatFloatFixed, formatGoG, goQuote } from "../go-format.js";
import { ratioOffset } from "./limit.js";
import { xxhash64 } from "./xxhash64.js";

test("formatGoG follows fmt's %g: exponent below 1e-4 and from 1e6 on, two exponent digits", () => {
  const cases: [number, string][] = [
    [1.1, "1.1"],
    [-1.1, "-1.1"],
    [1, "1"],
    [100000, "100000"],
    [1e6, "1e+06"],
    [123456789, "1.23456789e+08"],
    [1e19, "1e+19"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1.5e-300, "1.5e-300"],
    [0, "0"],
    [-0, "-0"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "+Inf"],
    [Number.NEGATIVE_INFINITY, "-Inf"],
    [-(2 ** 63), "-9.223372036854776e+18"],
  ];
  for (const [v, want] of cases) assert.equal(formatGoG(v), want, String(v));
});

test("formatFloatFixed is strconv.FormatFloat(v, 'f', -1, 64)", () => {
  const cases: [number, string][] = [
    [6, "6"],
    [0.1, "0.1"],
    [1e21, "1000000000000000000000"],
    [1.5e-7, "0.00000015"],
    [-2.5, "-2.5"],
    [-0, "-0"],
    [123.456, "123.456"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "+Inf"],
    [Number.NEGATIVE_INFINITY, "-Inf"],
  ];
  for (const [v, want] of cases) assert.equal(formatFloatFixed(v), want, String(v));
});

test("goQuote escapes as strconv.Quote", () => {
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote("x\ny\tz\x01"), '"x\\ny\\tz\\x01"');
  assert.equal(goQuote("é"), '"é"');
});

test("xxhash64 matches the reference vectors (seed 0)", () => {
  const enc = new TextEncoder();
  assert.equal(xxhash64(enc.encode("")), 0xef46db3751d8e999n);
  assert.equal(xxhash64(enc.encode("a")), 0xd24ec4f1a98c6e5bn);
  assert.equal(xxhash64(enc.encode("abc")), 0x44bc2cf5ad770999n);
  // Inputs past the 32-byte stripes and the 8- and 4-byte tails take every branch.
  const long = xxhash64(enc.encode("Nobody inspects the spammish repetition"));
  assert.equal(long, 0xfbcea83c8a378bf1n);
});

test("ratio offsets lie in [0, 1) and depend only on the labels", () => {
  const a = ratioOffset([{ name: "__name__", value: "m" }]);
  const b = ratioOffset([{ name: "__name__", value: "m" }]);
  assert.equal(a, b);
  assert.ok(a >= 0 && a < 1);
  assert.notEqual(a, ratioOffset([{ name: "__name__", value: "n" }]));
});
