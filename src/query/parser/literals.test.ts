import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatFloatFixed as formatFloat } from "../go-format.js";
import { FUNCTION_SIGNATURES } from "./functions.js";
import { formatDurationMs, parseDurationMs, parseNumber, unquote } from "./literals.js";

test("unquote reads Go escapes in double and single quotes and leaves raw strings alone", () => {
  assert.deepEqual(unquote('"a\\nb\\t\\"c\\\\"'), { ok: true, value: 'a\nb\t"c\\' });
  assert.deepEqual(unquote("'it\\'s'"), { ok: true, value: "it's" });
  assert.deepEqual(unquote('"\\x41\\101\\u00e9\\U0001F600"'), { ok: true, value: "AAé😀" });
  assert.deepEqual(unquote("`a\\nb`"), { ok: true, value: "a\\nb" });
  assert.deepEqual(unquote('"\\xc3\\xa9"'), { ok: true, value: "é" });
});

test("unquote reports Prometheus's escape errors", () => {
  assert.deepEqual(unquote('"\\c"'), { ok: false, error: "unknown escape sequence U+0063 'c'" });
  assert.deepEqual(unquote('"\\x.0"'), {
    ok: false,
    error: "illegal character U+002E '.' in escape sequence",
  });
  assert.deepEqual(unquote('"\\ud800"'), {
    ok: false,
    error: "escape sequence is an invalid Unicode code point",
  });
});

test("numbers read as Go's strconv does", () => {
  assert.equal(parseNumber("0x1f"), 31);
  assert.equal(parseNumber("0X_1F"), 31);
  assert.equal(parseNumber("017"), 15);
  assert.equal(parseNumber("1_000_000"), 1000000);
  assert.equal(parseNumber("1e-3"), 0.001);
  assert.equal(parseNumber(".5"), 0.5);
  assert.equal(parseNumber("5."), 5);
  assert.equal(parseNumber("INF"), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(parseNumber("nan") as number));
  assert.equal(parseNumber("5m"), null);
  assert.equal(parseNumber("1__0"), null);
});

test("durations parse in units from y to ms, each once and largest first", () => {
  assert.equal(parseDurationMs("1h30m"), 5400000);
  assert.equal(
    parseDurationMs("1y2w3d4h5m6s7ms"),
    365 * 86400000 + 14 * 86400000 + 3 * 86400000 + 4 * 3600000 + 5 * 60000 + 6000 + 7,
  );
  assert.equal(parseDurationMs("0"), 0);
  assert.deepEqual(parseDurationMs("5m1h"), { error: 'not a valid duration string: "5m1h"' });
  assert.deepEqual(parseDurationMs("5y1hs"), { error: 'unknown unit "hs" in duration "5y1hs"' });
});

test("formatDurationMs prints the largest units first and 0s for zero", () => {
  assert.equal(formatDurationMs(0), "0s");
  assert.equal(formatDurationMs(90000), "1m30s");
  assert.equal(formatDurationMs(86400000 * 8), "1w1d");
  assert.equal(formatDurationMs(1500), "1s500ms");
});

test("a formatted duration parses back to the same milliseconds", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9223372036854 }), (ms) => {
      assert.equal(parseDurationMs(formatDurationMs(ms)), ms);
    }),
  );
});

test("formatFloat never uses an exponent and reads back to the same float", () => {
  assert.equal(formatFloat(1e21), "1000000000000000000000");
  assert.equal(formatFloat(1.5e-7), "0.00000015");
  assert.equal(formatFloat(-0.25), "-0.25");
  assert.equal(formatFloat(Number.POSITIVE_INFINITY), "+Inf");
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
      const s = formatFloat(v);
      assert.ok(!/e/i.test(s), s);
      assert.ok(Object.is(Number(s), v), `${v} -> ${s}`);
    }),
  );
});

test("the signature table holds Prometheus 3's functions with their arities, and holt_winters", () => {
  // Prometheus 3's 90, and Prometheus 2's name for double_exponential_smoothing.
  assert.equal(FUNCTION_SIGNATURES.size, 91);
  assert.deepEqual(FUNCTION_SIGNATURES.get("holt_winters"), {
    ...FUNCTION_SIGNATURES.get("double_exponential_smoothing"),
    experimental: false,
  });
  assert.deepEqual(FUNCTION_SIGNATURES.get("rate"), {
    argTypes: ["matrix"],
    variadic: 0,
    returnType: "vector",
    experimental: false,
  });
  assert.deepEqual(FUNCTION_SIGNATURES.get("label_join"), {
    argTypes: ["vector", "string", "string", "string"],
    variadic: -1,
    returnType: "vector",
    experimental: false,
  });
  assert.equal(FUNCTION_SIGNATURES.get("round")?.variadic, 1);
  assert.equal(FUNCTION_SIGNATURES.get("double_exponential_smoothing")?.experimental, true);
  assert.equal(FUNCTION_SIGNATURES.get("time")?.returnType, "scalar");
});

test("a duration past the range of Go's time.Duration is refused", () => {
  assert.deepEqual(parseDurationMs("9223372036855ms"), { error: "duration out of range" });
});
