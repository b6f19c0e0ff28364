import assert from "node:assert/strict";
import { test } from "node:test";
import { isStaleMarker } from "./compare.js";
import { parseSeriesDesc, type SeqValue } from "./series-desc.js";

function floats(values: SeqValue[]): (number | string)[] {
  return values.map((v) => (v.kind === "float" ? v.value : v.kind));
}

test("a+bxN expands to N+1 values, each the previous plus b", () => {
  const d = parseSeriesDesc("m 0+10x4");
  assert.deepEqual(floats(d.values), [0, 10, 20, 30, 40]);
});

test("a-bxN counts down, and a signed first value is allowed", () => {
  assert.deepEqual(floats(parseSeriesDesc("m 1-2x3").values), [1, -1, -3, -5]);
  assert.deepEqual(floats(parseSeriesDesc("m -1+1x2").values), [-1, 0, 1]);
});

test("axN repeats a value N+1 times", () => {
  assert.deepEqual(floats(parseSeriesDesc("m 1x5").values), [1, 1, 1, 1, 1, 1]);
});

test("the increments accumulate by addition, so rounding matches promqltest's", () => {
  const vals = floats(parseSeriesDesc("m 0+0.1x3").values);
  // 0.1 + 0.1 + 0.1 is 0.30000000000000004 by repeated addition, not 3 * 0.1.
  assert.deepEqual(vals, [0, 0.1, 0.2, 0.1 + 0.1 + 0.1]);
});

test("_ and _xN leave positions empty; stale, Inf and NaN are values", () => {
  const d = parseSeriesDesc("m 1 _ _x2 stale Inf -Inf NaN 2");
  const v = floats(d.values);
  assert.deepEqual(v.slice(0, 5), [1, "omitted", "omitted", "omitted", "stale"]);
  assert.equal(v[5], Number.POSITIVE_INFINITY);
  assert.equal(v[6], Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(v[7]));
  assert.equal(v[8], 2);
  assert.equal(v.length, 9);
});

test("exponents and leading dots read as numbers", () => {
  assert.deepEqual(floats(parseSeriesDesc("m 1e3 2E-2 .5 -1e+2").values), [1000, 0.02, 0.5, -100]);
});

test("a native histogram takes one position, xN takes N+1, and a+bxN takes N+1", () => {
  const d = parseSeriesDesc(
    "m {{schema:1 sum:3 count:22 buckets:[5 10 7]}} {{count:1}}x2 1 {{count:1}}+{{count:2}}x1",
  );
  assert.deepEqual(
    d.values.map((v) => v.kind),
    ["histogram", "histogram", "histogram", "histogram", "float", "histogram", "histogram"],
  );
});

test("labels: metric name, quoted values with escapes, trailing comma, names in quotes", () => {
  const d = parseSeriesDesc(`http_requests{job="api", instance='0', path="a\\"b\\n",} 1`);
  assert.deepEqual(d.labels, [
    { name: "__name__", value: "http_requests" },
    { name: "instance", value: "0" },
    { name: "job", value: "api" },
    { name: "path", value: 'a"b\n' },
  ]);
  const u = parseSeriesDesc(`{"my.metric", "a.b"="c"} 1`);
  assert.deepEqual(u.labels, [
    { name: "__name__", value: "my.metric" },
    { name: "a.b", value: "c" },
  ]);
  assert.deepEqual(parseSeriesDesc("{} 5").labels, []);
});

test("a value too many signs, a missing xN after an increment, or a bad label is refused", () => {
  assert.throws(() => parseSeriesDesc("m 1+2"), /needs xN/);
  assert.throws(() => parseSeriesDesc("m 1x"), /invalid value/);
  assert.throws(() => parseSeriesDesc("m{a=b} 1"), /invalid string/);
  assert.throws(() => parseSeriesDesc("m{a='1', a='2'} 1"), /given twice/);
});

test("stale is a marker with the stale NaN's bits once written to a Float64Array", () => {
  const d = parseSeriesDesc("m stale");
  assert.equal(d.values[0].kind, "stale");
  const f = new Float64Array(1);
  new DataView(f.buffer).setUint32(0, 2, true);
  new DataView(f.buffer).setUint32(4, 0x7ff00000, true);
  assert.ok(isStaleMarker(f[0]));
  assert.ok(!isStaleMarker(Number.NaN));
});
