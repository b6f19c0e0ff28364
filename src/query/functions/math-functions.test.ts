import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AT_50M,
  assertClose,
  byLabels,
  callFn,
  context,
  rangeSteps,
  readRows,
  sca,
  vec,
} from "./instant-fixtures.js";

const { NaN: NAN, POSITIVE_INFINITY: INF, NEGATIVE_INFINITY: NINF } = Number;

// functions.test's `data` series ("Test for abs, ceil(), floor(), round()").
const DATA = vec(AT_50M, [
  [{ __name__: "data", type: "positive" }, [2.5]],
  [{ __name__: "data", type: "whole" }, [2]],
  [{ __name__: "data", type: "negative" }, [-2.5]],
  [{ __name__: "data", type: "nwhole" }, [-2]],
  [{ __name__: "data", type: "zero" }, [0]],
  [{ __name__: "data", type: "nzero" }, [-0]],
  [{ __name__: "data", type: "inf" }, [INF]],
  [{ __name__: "data", type: "ninf" }, [NINF]],
  [{ __name__: "data", type: "nan" }, [NAN]],
]);

function apply(name: string, ...extra: Parameters<typeof callFn>[1]) {
  const ctx = context(AT_50M, name);
  return readRows(callFn(name, [DATA, ...extra], ctx)).map((r) => r.values[0]);
}

test("abs, ceil, floor and round of functions.test's data", () => {
  assert.deepEqual(apply("abs"), [2.5, 2, 2.5, 2, 0, 0, INF, INF, NAN]);
  assert.deepEqual(apply("ceil"), [3, 2, -2, -2, 0, -0, INF, NINF, NAN]);
  assert.deepEqual(apply("floor"), [2, 2, -3, -2, 0, -0, INF, NINF, NAN]);
  // Ties go up: 2.5 -> 3, -2.5 -> -2; -0 + 0.5 floors to +0.
  assert.deepEqual(apply("round"), [3, 2, -2, -2, 0, 0, INF, NINF, NAN]);
});

test("sgn is -1, 1, or the value itself for zeros and NaN", () => {
  assert.deepEqual(apply("sgn"), [1, 1, -1, -1, 0, -0, 1, -1, NAN]);
});

test("a math function keeps the labels and marks the metric name for dropping", () => {
  const ctx = context(AT_50M, "abs");
  const rows = readRows(callFn("abs", [DATA], ctx));
  assert.equal(rows[0].labels, 'data{type="positive"}');
  assert.ok(rows.every((r) => r.dropName));
  assert.equal(ctx.accounted, 9);
});

test("absent samples stay absent and are not accounted", () => {
  const s = rangeSteps(0, 60_000, 3);
  const ctx = context(s, "exp");
  const out = callFn("exp", [vec(s, [[{ a: "1" }, [0, null, 1]]])], ctx);
  assert.deepEqual(readRows(out)[0].values, [1, null, Math.E]);
  assert.equal(ctx.accounted, 2);
});

test("round to a multiple: floor(v / to + 0.5) * to, per step", () => {
  const s = rangeSteps(0, 60_000, 2);
  const v = vec(s, [
    [{ k: "a" }, [7, 7]],
    [{ k: "b" }, [8, 8]],
    [{ k: "c" }, [-12.5, -12.5]],
    [{ k: "d" }, [0.25, 0.25]],
  ]);
  const out = byLabels(callFn("round", [v, sca(s, [5, 0.5])], context(s, "round")));
  assert.deepEqual(out.get('{k="a"}'), [5, 7]);
  assert.deepEqual(out.get('{k="b"}'), [10, 8]);
  assert.deepEqual(out.get('{k="c"}'), [-10, -12.5]);
  assert.deepEqual(out.get('{k="d"}'), [0, 0.5]);
});

// functions.test's test_clamp series.
const CLAMP = vec(AT_50M, [
  [{ __name__: "test_clamp", src: "clamp-a" }, [-50]],
  [{ __name__: "test_clamp", src: "clamp-b" }, [0]],
  [{ __name__: "test_clamp", src: "clamp-c" }, [100]],
]);

function clamp(name: string, ...bounds: number[]) {
  const args = [CLAMP, ...bounds.map((b) => sca(AT_50M, b))];
  return readRows(callFn(name, args, context(AT_50M, name))).map((r) => r.values[0]);
}

test("clamp, clamp_min and clamp_max as functions.test expects", () => {
  assert.deepEqual(clamp("clamp_max", 75), [-50, 0, 75]);
  assert.deepEqual(clamp("clamp_min", -25), [-25, 0, 100]);
  assert.deepEqual(clamp("clamp", -25, 75), [-25, 0, 75]);
  assert.deepEqual(clamp("clamp", 0, NAN), [NAN, NAN, NAN]);
  assert.deepEqual(clamp("clamp", NAN, 0), [NAN, NAN, NAN]);
  assert.deepEqual(clamp("clamp", 5, -5), []);
});

test("clamp follows Go's math.Max and math.Min on NaN samples", () => {
  const nan = vec(AT_50M, [[{ a: "x" }, [NAN]]]);
  const run = (name: string, b: number) =>
    readRows(callFn(name, [nan, sca(AT_50M, b)], context(AT_50M, name)))[0].values[0];
  assert.equal(run("clamp_min", INF), INF);
  assert.equal(run("clamp_max", NINF), NINF);
  assert.ok(Number.isNaN(run("clamp_min", 0)));
});

test("clamp drops only the steps whose min exceeds the max", () => {
  const s = rangeSteps(0, 60_000, 2);
  const v = vec(s, [[{ a: "x" }, [3, 3]]]);
  const out = readRows(callFn("clamp", [v, sca(s, [5, 0]), sca(s, [1, 1])], context(s, "clamp")));
  assert.deepEqual(out[0].values, [null, 1]);
});

// trig_functions.test and functions.test (exp, ln, log2, log10, sqrt), with
// Prometheus's expected values.
const EXPECTED: [string, number, number][] = [
  ["sin", 10, -0.5440211108893699],
  ["sin", 20, 0.9129452507276277],
  ["cos", 10, -0.8390715290764524],
  ["cos", 20, 0.40808206181339196],
  ["tan", 10, 0.6483608274590867],
  ["tan", 20, 2.2371609442247427],
  ["asin", 10 - 10.1, -0.10016742116155944],
  ["asin", 20 - 10.1, NAN],
  ["acos", 10 - 10.1, 1.670963747956456],
  ["atan", 10, 1.4711276743037345],
  ["atan", 20, 1.5208379310729538],
  // trig_functions.test has cosh(10) here too, within its tolerance of 1e-6;
  // (e^10 - e^-10) / 2 is 11013.232874703393.
  ["sinh", 10, 11013.232874703393],
  ["sinh", 20, 2.4258259770489514e8],
  ["cosh", 10, 11013.232920103324],
  ["tanh", 10, 0.9999999958776927],
  ["tanh", 20, 1],
  ["asinh", 10, 2.99822295029797],
  ["asinh", 20, 3.6895038689889055],
  ["acosh", 10, 2.993222846126381],
  ["acosh", 20, 3.6882538673612966],
  ["atanh", 10 - 10.1, -0.10033534773107522],
  ["atanh", 20 - 10.1, NAN],
  ["rad", 10, 0.17453292519943295],
  ["rad", 20, 0.3490658503988659],
  ["deg", Math.PI, 180],
  ["exp", 10, 22026.465794806718],
  ["exp", 20, 485165195.4097903],
  ["exp", -10, 4.5399929762484854e-5],
  ["ln", 10, Math.LN10], // functions.test: 2.302585092994046
  ["ln", 20, 2.995732273553991],
  ["ln", 0, NINF],
  ["ln", -10, NAN],
  ["sqrt", 10, 3.1622776601683795],
  ["sqrt", 20, 4.47213595499958],
  ["log2", 10, 3.3219280948873626],
  ["log2", 20, 4.321928094887363],
  ["log2", 0, NINF],
  ["log10", 10, 1],
  ["log10", 20, 1.301029995663981],
  ["log10", -10, NAN],
];

test("the float functions give Prometheus's values", () => {
  for (const [name, input, want] of EXPECTED) {
    const v = vec(AT_50M, [[{ l: "x" }, [input]]]);
    const got = readRows(callFn(name, [v], context(AT_50M, name)))[0].values[0];
    assertClose(got, want, `${name}(${input})`);
  }
});

test("log10 matches Go exactly where Math.log10 does not", () => {
  const v = vec(AT_50M, [[{ l: "y" }, [20]]]);
  assert.equal(
    readRows(callFn("log10", [v], context(AT_50M, "log10")))[0].values[0],
    1.301029995663981,
  );
});

test("pi, min_of and max_of are scalars", () => {
  const s = rangeSteps(0, 1000, 2);
  const pi = callFn("pi", [], context(s, "pi"));
  assert.deepEqual(pi.type === "scalar" && Array.from(pi.values), [Math.PI, Math.PI]);
  const max = callFn("max_of", [sca(s, [1, NAN]), sca(s, [2, INF])], context(s, "max_of"));
  assert.deepEqual(max.type === "scalar" && Array.from(max.values), [2, INF]);
  const min = callFn("min_of", [sca(s, [1, NAN]), sca(s, [2, 3])], context(s, "min_of"));
  assert.deepEqual(min.type === "scalar" && Array.from(min.values), [1, NAN]);
});
