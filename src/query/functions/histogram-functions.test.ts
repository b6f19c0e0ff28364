// Expected values are Prometheus's, from histograms.test (classic `_bucket`
// series; `0+5x10` loaded every 5m is 50 at 50m).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Steps, Value, VectorBlock } from "../block.js";
import { EvaluationError } from "../errors.js";
import { formatOpenMetricsFloat } from "./histogram-functions.js";
import {
  AT_50M,
  assertClose,
  byLabels,
  callFn,
  context,
  numberAt,
  type Row,
  rangeSteps,
  readRows,
  sca,
  selector,
  str,
  vec,
} from "./instant-fixtures.js";

function buckets(name: string, extra: Record<string, string>, pairs: [string, number][]): Row[] {
  return pairs.map(([le, v]) => [{ __name__: name, ...extra, le }, [v]]);
}

const TESTHISTOGRAM = vec(AT_50M, [
  ...buckets("testhistogram_bucket", { start: "positive" }, [
    ["0.1", 50],
    [".2", 70],
    ["1e0", 110],
    ["+Inf", 120],
  ]),
  ...buckets("testhistogram_bucket", { start: "negative" }, [
    ["-.2", 10],
    ["-0.1", 20],
    ["0.3", 20],
    ["+Inf", 30],
  ]),
]);

const TESTHISTOGRAM3 = vec(AT_50M, [
  ...buckets("testhistogram3_bucket", { start: "positive" }, [
    ["0", 0],
    ["0.1", 50],
    [".2", 70],
    ["1e0", 110],
    ["+Inf", 110],
  ]),
  ...buckets("testhistogram3_bucket", { start: "negative" }, [
    ["-.25", 0],
    ["-.2", 10],
    ["-0.1", 20],
    ["0.3", 20],
    ["+Inf", 20],
  ]),
]);

function quantile(q: number, input: VectorBlock, query = "", steps: Steps = AT_50M) {
  const ctx = context(
    steps,
    "histogram_quantile",
    [numberAt(q, 19), selector("h", [], { start: 25, end: 30 })],
    query,
  );
  const out = callFn("histogram_quantile", [sca(steps, q), input], ctx);
  return { out, ctx, rows: byLabels(out) };
}

test("histogram_quantile of testhistogram_bucket", () => {
  const cases: [number, number, number][] = [
    [0.2, 0.048, -0.2],
    [0.5, 0.15, -0.15],
    [0.8, 0.72, 0.3],
    [0, 0, -0.2],
    [1, 1, 0.3],
  ];
  for (const [q, positive, negative] of cases) {
    const { rows, ctx } = quantile(q, TESTHISTOGRAM);
    assertClose(
      rows.get('testhistogram_bucket{start="positive"}')?.[0] ?? null,
      positive,
      `q=${q}`,
    );
    assertClose(
      rows.get('testhistogram_bucket{start="negative"}')?.[0] ?? null,
      negative,
      `q=${q}`,
    );
    assert.deepEqual(ctx.annotations.warnings, []);
    assert.deepEqual(ctx.annotations.infos, []);
  }
});

test("histogram_quantile drops le, keeps the name for delayed dropping", () => {
  const { out } = quantile(0.5, TESTHISTOGRAM);
  const rows = readRows(out);
  assert.deepEqual(
    rows.map((r) => [r.labels, r.dropName]),
    [
      ['testhistogram_bucket{start="positive"}', true],
      ['testhistogram_bucket{start="negative"}', true],
    ],
  );
});

test("histogram_quantile of testhistogram3_bucket, with a zero-width lowest bucket", () => {
  const cases: [number, number, number][] = [
    [0, 0, -0.25],
    [0.25, 0.055, -0.225],
    [0.5, 0.125, -0.2],
    [0.75, 0.45, -0.15],
    [1, 1, -0.1],
  ];
  for (const [q, positive, negative] of cases) {
    const { rows } = quantile(q, TESTHISTOGRAM3);
    assertClose(
      rows.get('testhistogram3_bucket{start="positive"}')?.[0] ?? null,
      positive,
      `q=${q}`,
    );
    assertClose(
      rows.get('testhistogram3_bucket{start="negative"}')?.[0] ?? null,
      negative,
      `q=${q}`,
    );
  }
});

test("histogram_quantile exactly in the middle of buckets (testhistogram2 at 7m)", () => {
  const h2 = vec(
    AT_50M,
    buckets("testhistogram2_bucket", {}, [
      ["0", 0],
      ["2", 1],
      ["4", 2],
      ["6", 3],
      ["+Inf", 3],
    ]),
  );
  assertClose(quantile(1 / 6, h2).rows.get("testhistogram2_bucket{}")?.[0] ?? null, 1);
  assertClose(quantile(0.5, h2).rows.get("testhistogram2_bucket{}")?.[0] ?? null, 3);
  assertClose(quantile(5 / 6, h2).rows.get("testhistogram2_bucket{}")?.[0] ?? null, 5);
});

test("a quantile outside [0, 1] gives ±Inf or NaN and warns at the quantile's position", () => {
  const query = "histogram_quantile(-0.1, testhistogram_bucket)";
  const low = quantile(-0.1, TESTHISTOGRAM, query);
  assert.deepEqual(
    [...low.rows.values()],
    [[Number.NEGATIVE_INFINITY], [Number.NEGATIVE_INFINITY]],
  );
  assert.deepEqual(low.ctx.annotations.warnings, [
    "PromQL warning: quantile value should be between 0 and 1, got -0.1 (1:20)",
  ]);
  const high = quantile(1.01, TESTHISTOGRAM, query);
  assert.deepEqual(
    [...high.rows.values()],
    [[Number.POSITIVE_INFINITY], [Number.POSITIVE_INFINITY]],
  );
  assert.match(high.ctx.annotations.warnings[0], /got 1\.01 /);
  const nan = quantile(Number.NaN, TESTHISTOGRAM, query);
  assert.deepEqual([...nan.rows.values()], [[Number.NaN], [Number.NaN]]);
  assert.match(nan.ctx.annotations.warnings[0], /got NaN \(1:20\)$/);
  // Even without any input the quantile is checked.
  const none = quantile(Number.NaN, vec(AT_50M, []), query);
  assert.equal(none.rows.size, 0);
  assert.equal(none.ctx.annotations.warnings.length, 1);
});

test("buckets with different spellings of one bound are added up", () => {
  const mixed = vec(AT_50M, [
    ...buckets("mixed_bucket", { job: "job1", instance: "ins1" }, [
      ["0.1", 1],
      ["0.2", 1],
      ["2e-1", 1],
      ["2.0e-1", 1],
      ["+Inf", 4],
    ]),
    ...buckets("mixed_bucket", { job: "job1", instance: "ins2" }, [
      ["+inf", 0],
      ["+Inf", 0],
    ]),
  ]);
  const ins1 = 'mixed_bucket{instance="ins1", job="job1"}';
  const ins2 = 'mixed_bucket{instance="ins2", job="job1"}';
  const half = quantile(0.5, mixed).rows;
  assertClose(half.get(ins1)?.[0] ?? null, 0.15);
  assert.deepEqual(half.get(ins2), [Number.NaN], "one bucket after merging");
  assertClose(quantile(0.75, mixed).rows.get(ins1)?.[0] ?? null, 0.2);
  assertClose(quantile(1, mixed).rows.get(ins1)?.[0] ?? null, 0.2);
});

test("non-monotonic buckets are fixed, with Prometheus's info", () => {
  const nonmonotonic = vec(
    AT_50M,
    buckets("nonmonotonic_bucket", {}, [
      ["0.1", 20],
      ["1", 10],
      ["10", 50],
      ["100", 40],
      ["1000", 90],
      ["+Inf", 80],
    ]),
  );
  const query = "histogram_quantile(0.01, nonmonotonic_bucket)";
  const cases: [number, number][] = [
    [0.01, 0.0045],
    [0.5, 8.5],
    [0.99, 979.75],
  ];
  for (const [q, want] of cases) {
    const { rows, ctx } = quantile(q, nonmonotonic, query);
    assertClose(rows.get("nonmonotonic_bucket{}")?.[0] ?? null, want, `q=${q}`);
    assert.deepEqual(ctx.annotations.infos, [
      'PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name "nonmonotonic_bucket", from buckets 1 to +Inf, with a max diff of 10, over 1 samples from 1970-01-01T00:50:00Z to 1970-01-01T00:50:00Z (1:26)',
    ]);
  }
});

test("the monotonicity info is merged over steps", () => {
  const s = rangeSteps(0, 60_000, 3);
  const h = vec(s, [
    [{ le: "1" }, [5, 5, 5]],
    [{ le: "2" }, [4, 5, 3]],
    [{ le: "+Inf" }, [6, 6, 6]],
  ]);
  const { ctx } = quantile(0.5, h, "histogram_quantile(0.5, x)", s);
  assert.equal(ctx.annotations.infos.length, 1);
  assert.match(
    ctx.annotations.infos[0],
    /\(see [^)]*\), from buckets 2 to 2, with a max diff of 2, over 2 samples from 1970-01-01T00:00:00Z to 1970-01-01T00:02:00Z \(1:26\)$/,
  );
});

test("an annotation's position is inside the argument's parentheses", () => {
  const inner = selector("series", [], { start: 25, end: 31 });
  const paren = { kind: "paren" as const, expr: inner, pos: { start: 24, end: 32 } };
  const ctx = context(
    AT_50M,
    "histogram_quantile",
    [numberAt(0.5, 19), paren],
    "histogram_quantile(0.5, (series))",
  );
  const bad = vec(AT_50M, [[{ __name__: "series" }, [1]]]);
  callFn("histogram_quantile", [sca(AT_50M, 0.5), bad], ctx);
  assert.match(ctx.annotations.warnings[0], /\(1:26\)$/);
});

test("a missing or malformed le is left out with a warning", () => {
  const query = "histogram_quantile(0.80, series)"; // the selector at char 26
  const missing = vec(AT_50M, [[{ __name__: "series", ale: "0.1" }, [2]]]);
  const a = quantile(0.8, missing, query);
  assert.equal(a.rows.size, 0);
  assert.deepEqual(a.ctx.annotations.warnings, [
    'PromQL warning: bucket label "le" is missing or has a malformed value of "" for metric name "series" (1:26)',
  ]);
  const malformed = vec(AT_50M, [[{ __name__: "series", le: "Hello World" }, [2]]]);
  const b = quantile(0.8, malformed, query);
  assert.equal(b.rows.size, 0);
  assert.match(
    b.ctx.annotations.warnings[0],
    /malformed value of "Hello World" for metric name "series"/,
  );
  assert.deepEqual(b.ctx.annotations.infos, []);
});

test("histogram_quantile steps independently: a bucket absent at a step is not counted", () => {
  const s = rangeSteps(0, 60_000, 2);
  const h = vec(s, [
    [{ le: "1" }, [2, 2]],
    [{ le: "2" }, [4, null]],
    [{ le: "+Inf" }, [4, 4]],
  ]);
  const { rows } = quantile(0.5, h, "", s);
  const values = rows.get("{}") ?? [];
  // Step 0: rank 2 reaches bucket le=1 -> 1. Step 1: buckets 1 and +Inf; rank 2 -> 1.
  assert.deepEqual(values, [1, 1]);
  const { rows: r2 } = quantile(0.75, h, "", s);
  // Step 0: rank 3 in (1, 2]: 1 + 1 * (3 - 2) / 2 = 1.5. Step 1: in +Inf -> the bound below, 1.
  assert.deepEqual(r2.get("{}"), [1.5, 1]);
});

test("histogram_quantiles labels each quantile's row (experimental)", () => {
  const ctx = context(AT_50M, "histogram_quantiles", [selector("h", [], { start: 20, end: 25 })]);
  const args: Value[] = [TESTHISTOGRAM3, str("q"), ...[0, 0.25, 1].map((q) => sca(AT_50M, q))];
  const rows = byLabels(callFn("histogram_quantiles", args, ctx));
  assert.deepEqual(rows.get('testhistogram3_bucket{q="0.0", start="positive"}'), [0]);
  assertClose(rows.get('testhistogram3_bucket{q="0.25", start="negative"}')?.[0] ?? null, -0.225);
  assert.deepEqual(rows.get('testhistogram3_bucket{q="1.0", start="negative"}'), [-0.1]);
  assert.equal(rows.size, 6);
  const clash: Value[] = [TESTHISTOGRAM3, str("start"), sca(AT_50M, 0), sca(AT_50M, 1)];
  assert.throws(
    () => callFn("histogram_quantiles", clash, context(AT_50M, "histogram_quantiles")),
    EvaluationError,
  );
});

test("formatOpenMetricsFloat writes whole numbers with .0", () => {
  assert.equal(formatOpenMetricsFloat(1), "1.0");
  assert.equal(formatOpenMetricsFloat(0), "0.0");
  assert.equal(formatOpenMetricsFloat(0.25), "0.25");
  assert.equal(formatOpenMetricsFloat(1e21), "1e+21");
  assert.equal(formatOpenMetricsFloat(Number.NaN), "NaN");
  assert.equal(formatOpenMetricsFloat(Number.POSITIVE_INFINITY), "+Inf");
});

function fraction(lower: number, upper: number, input: VectorBlock) {
  const ctx = context(AT_50M, "histogram_fraction");
  const out = callFn("histogram_fraction", [sca(AT_50M, lower), sca(AT_50M, upper), input], ctx);
  return byLabels(out);
}

test("histogram_fraction on classic buckets as histograms.test expects", () => {
  const h2 = vec(
    AT_50M,
    buckets("testhistogram2_bucket", {}, [
      ["0", 0],
      ["2", 10],
      ["4", 20],
      ["6", 30],
      ["+Inf", 30],
    ]),
  );
  assertClose(fraction(0, 4, h2).get("testhistogram2_bucket{}")?.[0] ?? null, 0.6666666666666666);
  assertClose(fraction(0, 6, h2).get("testhistogram2_bucket{}")?.[0] ?? null, 1);
  assertClose(fraction(0, 3.5, h2).get("testhistogram2_bucket{}")?.[0] ?? null, 0.5833333333333334);
  const h3 = fraction(0, 0.2, TESTHISTOGRAM3);
  assertClose(h3.get('testhistogram3_bucket{start="positive"}')?.[0] ?? null, 0.6363636363636364);
  assertClose(h3.get('testhistogram3_bucket{start="negative"}')?.[0] ?? null, 0);
});

test("histogram_fraction's edge cases from histograms.test", () => {
  const one = (pairs: [string, number][]) => vec(AT_50M, buckets("b", {}, pairs));
  const get = (m: Map<string, (number | null)[]>) => m.get("b{}")?.[0] ?? null;
  const positive = one([
    ["1", 1],
    ["2", 3],
    ["3", 6],
    ["+Inf", 100],
  ]);
  const negative = one([
    ["-3", 10],
    ["-2", 12],
    ["-1", 15],
    ["+Inf", 100],
  ]);
  assertClose(get(fraction(0, 1.5, positive)), 0.02);
  assertClose(get(fraction(-4, -2, negative)), 0.02);
  assertClose(get(fraction(Number.NEGATIVE_INFINITY, -1.5, negative)), 0.135);
  assertClose(get(fraction(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, positive)), 1);
  assertClose(get(fraction(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, negative)), 1);
  assertClose(get(fraction(4, 5, positive)), 0);
  assertClose(get(fraction(0, 1, negative)), 0);
  assertClose(get(fraction(2, 5, positive)), 0.03);
  assertClose(get(fraction(400, Number.POSITIVE_INFINITY, positive)), 0.94);
  assertClose(get(fraction(2, 2, positive)), 0);
  assertClose(get(fraction(3, 2, positive)), 0);
  assertClose(get(fraction(0.5, 2, positive)), 0.025);
  assertClose(get(fraction(1, 3, positive)), 0.05);
  assert.deepEqual(fraction(Number.NaN, 1, positive).get("b{}"), [Number.NaN]);
  assert.deepEqual(fraction(0, Number.NaN, positive).get("b{}"), [Number.NaN]);
  const zero = one([
    ["1", 0],
    ["+Inf", 0],
  ]);
  assert.deepEqual(fraction(0, 5, zero).get("b{}"), [Number.NaN]);
  const noInf = one([["1", 3]]);
  assert.deepEqual(fraction(0, 5, noInf).get("b{}"), [Number.NaN]);
});

test("the native-histogram functions answer nothing for float samples, without annotations", () => {
  for (const name of [
    "histogram_count",
    "histogram_sum",
    "histogram_avg",
    "histogram_stddev",
    "histogram_stdvar",
  ]) {
    const ctx = context(AT_50M, name);
    assert.deepEqual(readRows(callFn(name, [TESTHISTOGRAM], ctx)), [], name);
    assert.deepEqual([ctx.annotations.warnings, ctx.annotations.infos], [[], []]);
  }
});
