import assert from "node:assert/strict";
import { test } from "node:test";
import type { QueryValue, ResultSeries } from "../../src/query/index.js";
import { makeLabels } from "../../src/query/index.js";
import {
  almostEqual,
  checkAnnotations,
  checkError,
  compareResult,
  EPSILON,
  isStaleMarker,
} from "./compare.js";
import { type EvalCmd, parseScript } from "./script.js";

function evalOf(text: string): EvalCmd {
  const c = parseScript(text).find((x) => x.kind === "eval");
  assert.ok(c !== undefined && c.kind === "eval");
  return c;
}

function series(labels: Record<string, string>, points: [number, number][]): ResultSeries {
  return {
    labels: makeLabels(Object.entries(labels)),
    timesMs: Float64Array.from(points, (p) => p[0]),
    values: Float64Array.from(points, (p) => p[1]),
  };
}

function vector(...s: ResultSeries[]): { resultType: "vector"; series: ResultSeries[] } {
  return { resultType: "vector", series: s };
}

const STALE = (() => {
  const f = new Float64Array(1);
  const v = new DataView(f.buffer);
  v.setUint32(0, 2, true);
  v.setUint32(4, 0x7ff00000, true);
  return f[0];
})();

test("almostEqual allows a relative difference below 1e-6 of the sum, not above", () => {
  assert.equal(EPSILON, 1e-6);
  assert.ok(almostEqual(1, 1 + 1e-7));
  assert.ok(almostEqual(1000, 1000.001));
  assert.ok(!almostEqual(1, 1 + 3e-6));
  assert.ok(!almostEqual(1000, 1000.01));
  // Zero compares with an absolute allowance scaled by the smallest normal float.
  assert.ok(!almostEqual(0, 1e-300));
  assert.ok(almostEqual(0, 0));
  assert.ok(almostEqual(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY));
  assert.ok(!almostEqual(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY));
});

test("NaN equals NaN, but the stale marker equals only itself", () => {
  assert.ok(isStaleMarker(STALE));
  assert.ok(almostEqual(Number.NaN, Number.NaN));
  assert.ok(almostEqual(STALE, STALE));
  assert.ok(!almostEqual(STALE, Number.NaN));
  assert.ok(!almostEqual(Number.NaN, STALE));
});

test("a vector matches whatever its order unless the eval says ordered", () => {
  const cmd = evalOf('eval instant at 1m foo\n  foo{a="1"} 1\n  foo{a="2"} 2');
  const swapped = vector(
    series({ __name__: "foo", a: "2" }, [[60_000, 2]]),
    series({ __name__: "foo", a: "1" }, [[60_000, 1.0000001]]),
  );
  assert.equal(compareResult(cmd, swapped), null);
  const ordered = evalOf(
    'eval instant at 1m foo\n  expect ordered\n  foo{a="1"} 1\n  foo{a="2"} 2',
  );
  assert.match(
    compareResult(ordered, swapped) ?? "",
    /^expected foo\{a="2"\} at position 2, got it at 1/,
  );
  const inOrder = vector(swapped.series[1], swapped.series[0]);
  assert.equal(compareResult(ordered, inOrder), null);
});

test("labels must be exact: an extra label, a missing series, an extra series fail", () => {
  const cmd = evalOf('eval instant at 1m foo\n  foo{a="1"} 1');
  const extraLabel = vector(series({ __name__: "foo", a: "1", b: "x" }, [[0, 1]]));
  assert.match(compareResult(cmd, extraLabel) ?? "", /^unexpected series foo\{a="1", b="x"\}/);
  assert.match(compareResult(cmd, vector()) ?? "", /^expected series foo\{a="1"\} not found/);
  const wrongValue = vector(series({ __name__: "foo", a: "1" }, [[0, 1.1]]));
  const msg = compareResult(cmd, wrongValue) ?? "";
  assert.match(
    msg,
    /^expected 1 for foo\{a="1"\}, got 1.1\n {2}expected:\n {4}foo\{a="1"\} 1\n {2}got:/,
  );
});

test("a matrix: points at start + i*step, _ skipped, timestamps and count checked, sorted by labels", () => {
  const cmd = evalOf('eval range from 0 to 2m step 1m foo\n  foo{a="1"} 1 _ 3\n  foo{a="2"} 1 2 3');
  const good: QueryValue = {
    resultType: "matrix",
    series: [
      series({ __name__: "foo", a: "1" }, [
        [0, 1],
        [120_000, 3],
      ]),
      series({ __name__: "foo", a: "2" }, [
        [0, 1],
        [60_000, 2],
        [120_000, 3],
      ]),
    ],
  };
  assert.equal(compareResult(cmd, good), null);
  const unsorted: QueryValue = { resultType: "matrix", series: [good.series[1], good.series[0]] };
  assert.match(compareResult(cmd, unsorted) ?? "", /^matrix not sorted by labels/);
  const shifted: QueryValue = {
    resultType: "matrix",
    series: [
      series({ __name__: "foo", a: "1" }, [
        [0, 1],
        [60_000, 3],
      ]),
      good.series[1],
    ],
  };
  assert.match(
    compareResult(cmd, shifted) ?? "",
    /^point 1 of foo\{a="1"\}: expected time 120000, got 60000/,
  );
  const short: QueryValue = { resultType: "matrix", series: [good.series[0]] };
  assert.match(compareResult(cmd, short) ?? "", /^expected series foo\{a="2"\} not found/);
});

test("scalars and strings compare by value; a scalar where series were expected fails", () => {
  const scalar = evalOf("eval instant at 0 1 + 1\n  2");
  assert.equal(compareResult(scalar, { resultType: "scalar", timeMs: 0, value: 2 }), null);
  assert.match(
    compareResult(scalar, { resultType: "scalar", timeMs: 0, value: 3 }) ?? "",
    /^expected scalar 2, got 3/,
  );
  assert.match(compareResult(scalar, vector()) ?? "", /^expected a scalar, got a vector/);
  const noRows = evalOf("eval instant at 0 foo");
  assert.match(
    compareResult(noRows, { resultType: "scalar", timeMs: 0, value: 2 }) ?? "",
    /^expected a vector or matrix result, got a scalar/,
  );
  const str = evalOf('eval instant at 0 "a"\n  expect string "a"');
  assert.equal(compareResult(str, { resultType: "string", timeMs: 0, value: "a" }), null);
  assert.match(
    compareResult(str, { resultType: "string", timeMs: 0, value: "b" }) ?? "",
    /^expected string/,
  );
});

test("annotations: expected present, every one matched both ways, absence when asked", () => {
  const warn = evalOf("eval instant at 0 foo\n  expect warn msg: PromQL warning: w (1:1)");
  assert.equal(checkAnnotations(warn, ["PromQL warning: w (1:1)"], []), null);
  assert.match(checkAnnotations(warn, [], []) ?? "", /^expected warn annotations, got none/);
  assert.match(
    checkAnnotations(warn, ["PromQL warning: w (1:1)", "PromQL warning: other"], []) ?? "",
    /^unexpected warn annotation "PromQL warning: other"/,
  );
  const noInfo = evalOf("eval instant at 0 foo\n  expect no_info");
  assert.equal(checkAnnotations(noInfo, ["a warning is fine here"], []), null);
  assert.match(
    checkAnnotations(noInfo, [], ["PromQL info: i"]) ?? "",
    /^unexpected info annotations/,
  );
  const plain = evalOf("eval instant at 0 foo");
  assert.equal(checkAnnotations(plain, ["w"], ["i"]), null, "plain eval checks no annotation");
  const old = evalOf("eval_info instant at 0 foo");
  assert.match(checkAnnotations(old, [], []) ?? "", /^expected info annotations, got none/);
  const re = evalOf(
    "eval instant at 0 foo\n  expect info regex: needed to be fixed .* \\(1:\\d+\\)",
  );
  assert.equal(checkAnnotations(re, [], ["PromQL info: needed to be fixed for x (1:21)"]), null);
});

test("errors: unexpected, or matched by message, regex or old-style directives", () => {
  const plain = evalOf("eval instant at 0 foo");
  assert.match(checkError(plain, "boom") ?? "", /^unexpected error: boom/);
  const any = evalOf("eval instant at 0 foo\n  expect fail");
  assert.equal(checkError(any, "whatever"), null);
  const msg = evalOf("eval instant at 0 foo\n  expect fail msg: exact text");
  assert.equal(checkError(msg, "exact text"), null);
  assert.match(
    checkError(msg, "exact text!") ?? "",
    /^expected an error matching message "exact text"/,
  );
  const re = evalOf("eval instant at 0 foo\n  expect fail regex: conflicting label");
  assert.equal(checkError(re, "found conflicting label x"), null);
  const old = evalOf("eval_fail instant at 0 foo\n  expected_fail_message e1");
  assert.match(checkError(old, "e2") ?? "", /^expected error "e1"/);
});

test("an instant eval's matrix is compared point by point only under expect range vector", () => {
  const m = (): QueryValue => ({
    resultType: "matrix",
    series: [
      series({ __name__: "foo" }, [
        [30_000, 1],
        [60_000, 2],
      ]),
    ],
  });
  const plain = evalOf("eval instant at 1m foo[1m]\n  foo 2");
  assert.match(compareResult(plain, m()) ?? "", /more than the query range holds/);
  const rv = evalOf(
    "eval instant at 1m foo[1m]\n  expect range vector from 30s to 1m step 30s\n  foo 1 2",
  );
  assert.equal(compareResult(rv, m()), null);
});
