// The aggregation operators against hand-computed tables and the expected
// values of Prometheus's aggregators.test and limit.test.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Annotations } from "../annotations.js";
import type { Aggregate, AggregateOp } from "../ast.js";
import type { ScalarBlock, Steps, Value, VectorBlock } from "../block.js";
import { EvaluationError } from "../errors.js";
import { formatLabels, type Labels, makeLabels } from "../labels.js";
import type { OperatorContext } from "../operator-context.js";
import { evalAggregate } from "./index.js";

const _ = null;
type Cell = number | null;

function lbls(spec: Record<string, string>): Labels {
  return makeLabels(Object.entries(spec));
}

/** A block from rows of labels and per-step values (null: absent). */
function block(rows: [Record<string, string>, Cell[]][], dropName = false): VectorBlock {
  const n = rows.length === 0 ? 1 : rows[0][1].length;
  const steps: Steps = { startMs: 0, stepMs: n > 1 ? 60_000 : 0, count: n };
  const values = new Float64Array(rows.length * n);
  const present = new Uint8Array(rows.length * n);
  rows.forEach(([, cells], r) => {
    cells.forEach((v, j) => {
      if (v === null) return;
      values[r * n + j] = v;
      present[r * n + j] = 1;
    });
  });
  return {
    type: "vector",
    steps,
    series: rows.map(([l]) => ({ labels: lbls(l), dropName })),
    values,
    present,
  };
}

function scalar(steps: Steps, ...values: number[]): ScalarBlock {
  const v = new Float64Array(steps.count);
  for (let j = 0; j < steps.count; j++) v[j] = values[Math.min(j, values.length - 1)];
  return { type: "scalar", steps, values: v };
}

function node(
  op: AggregateOp,
  opts: { by?: string[]; without?: string[]; query?: string; paramAt?: number } = {},
): Aggregate {
  const pos = { start: 0, end: 1 };
  return {
    kind: "aggregate",
    op,
    param:
      opts.paramAt === undefined
        ? null
        : { kind: "number", value: 0, pos: { start: opts.paramAt, end: opts.paramAt + 1 } },
    expr: { kind: "number", value: 0, pos },
    grouping: opts.without ?? opts.by ?? [],
    without: opts.without !== undefined,
    pos,
  };
}

function context(query = ""): OperatorContext & { annotations: Annotations; accounted: number } {
  const ctx = {
    annotations: new Annotations(),
    query,
    accounted: 0,
    accountSamples(count: number) {
      ctx.accounted += count;
    },
  };
  return ctx;
}

/** Rows as "labels => v v _ v" strings, in the block's order. */
function rowsOf(b: VectorBlock): string[] {
  const n = b.steps.count;
  return b.series.map((s, r) => {
    const cells: string[] = [];
    for (let j = 0; j < n; j++) {
      cells.push(b.present[r * n + j] === 1 ? String(b.values[r * n + j]) : "_");
    }
    return `${formatLabels(s.labels)} => ${cells.join(" ")}`;
  });
}

function run(op: AggregateOp, input: VectorBlock, opts = {}, param: Value | null = null) {
  return rowsOf(evalAggregate(node(op, opts), input, param, context()));
}

// aggregators.test's first data set at 50m.
const httpRequests = block([
  [{ __name__: "http_requests", job: "api-server", instance: "0", group: "production" }, [100]],
  [{ __name__: "http_requests", job: "api-server", instance: "1", group: "production" }, [200]],
  [{ __name__: "http_requests", job: "api-server", instance: "0", group: "canary" }, [300]],
  [{ __name__: "http_requests", job: "api-server", instance: "1", group: "canary" }, [400]],
  [{ __name__: "http_requests", job: "app-server", instance: "0", group: "production" }, [500]],
  [{ __name__: "http_requests", job: "app-server", instance: "1", group: "production" }, [600]],
  [{ __name__: "http_requests", job: "app-server", instance: "0", group: "canary" }, [700]],
  [{ __name__: "http_requests", job: "app-server", instance: "1", group: "canary" }, [800]],
]);

test("sum, avg, count, min, max by job (aggregators.test at 50m)", () => {
  assert.deepEqual(run("sum", httpRequests, { by: ["job"] }), [
    '{job="api-server"} => 1000',
    '{job="app-server"} => 2600',
  ]);
  assert.deepEqual(run("avg", httpRequests, { by: ["job"] }), [
    '{job="api-server"} => 250',
    '{job="app-server"} => 650',
  ]);
  assert.deepEqual(run("count", httpRequests, { by: ["job"] }), [
    '{job="api-server"} => 4',
    '{job="app-server"} => 4',
  ]);
  assert.deepEqual(run("min", httpRequests, { by: ["job"] }), [
    '{job="api-server"} => 100',
    '{job="app-server"} => 500',
  ]);
  assert.deepEqual(run("max", httpRequests, { by: ["job"] }), [
    '{job="api-server"} => 400',
    '{job="app-server"} => 800',
  ]);
  assert.deepEqual(run("group", httpRequests, { by: ["job"] }), [
    '{job="api-server"} => 1',
    '{job="app-server"} => 1',
  ]);
});

test("by keeps only the listed labels, nonexistent ones add nothing; no clause keeps none", () => {
  assert.deepEqual(run("sum", httpRequests, { by: ["job", "nonexistent"] }), [
    '{job="api-server"} => 1000',
    '{job="app-server"} => 2600',
  ]);
  assert.deepEqual(run("sum", httpRequests), ["{} => 3600"]);
  assert.deepEqual(run("sum", httpRequests, { by: [] }), ["{} => 3600"]);
});

test("without drops the listed labels and the metric name; empty without drops only the name", () => {
  const api = block([
    [{ __name__: "http_requests", job: "api-server", instance: "0", group: "production" }, [100]],
    [{ __name__: "http_requests", job: "api-server", instance: "1", group: "production" }, [200]],
  ]);
  assert.deepEqual(run("sum", api, { without: ["instance"] }), [
    '{group="production", job="api-server"} => 300',
  ]);
  assert.deepEqual(run("sum", api, { without: [] }), [
    '{group="production", instance="0", job="api-server"} => 100',
    '{group="production", instance="1", job="api-server"} => 200',
  ]);
});

test("by (__name__) keeps the metric name and the groups' dropName comes from their rows", () => {
  const input: VectorBlock = {
    ...block([
      [{ __name__: "a", env: "1" }, [1]],
      [{ __name__: "a", env: "2" }, [2]],
      [{ __name__: "b", env: "1" }, [4]],
    ]),
  };
  input.series[2].dropName = true;
  const out = evalAggregate(node("sum", { by: ["__name__"] }), input, null, context());
  assert.deepEqual(rowsOf(out), ["a{} => 3", "b{} => 4"]);
  assert.deepEqual(
    out.series.map((s) => s.dropName),
    [false, true],
  );
});

test("stddev and stdvar (aggregators.test)", () => {
  const [sd] = run("stddev", httpRequests);
  assert.match(sd, /^\{\} => 229\.128784747792/);
  assert.deepEqual(run("stdvar", httpRequests), ["{} => 52500"]);
  assert.deepEqual(run("stdvar", httpRequests, { by: ["instance"] }), [
    '{instance="0"} => 50000',
    '{instance="1"} => 50000',
  ]);
  const same = block([
    [{ i: "0" }, [13.3]],
    [{ i: "1" }, [13.3]],
    [{ i: "2" }, [13.3]],
  ]);
  assert.deepEqual(run("stddev", same), ["{} => 0"]);
  const withNaN = block([
    [{ label: "a" }, [Number.NaN]],
    [{ label: "b" }, [1]],
    [{ label: "c" }, [2]],
  ]);
  assert.deepEqual(run("stdvar", withNaN), ["{} => NaN"]);
  assert.deepEqual(run("stdvar", withNaN, { by: ["label"] }), [
    '{label="a"} => NaN',
    '{label="b"} => 0',
    '{label="c"} => 0',
  ]);
  const withInf = block([
    [{ label: "a" }, [1]],
    [{ label: "b" }, [2]],
    [{ label: "c" }, [Number.POSITIVE_INFINITY]],
  ]);
  assert.deepEqual(run("stddev", withInf), ["{} => NaN"]);
  assert.deepEqual(
    run(
      "stddev",
      block([
        [{ label: "a" }, [1]],
        [{ label: "b" }, [2]],
      ]),
    ),
    ["{} => 0.5"],
  );
});

test("min and max replace NaN by any number and give NaN only when every sample is NaN", () => {
  const input = block([
    [{ i: "0" }, [1, Number.NaN]],
    [{ i: "1" }, [2, Number.NaN]],
    [{ i: "2" }, [Number.NaN, Number.NaN]],
    [{ i: "3" }, [3, 5]],
    [{ i: "4" }, [4, _]],
  ]);
  assert.deepEqual(run("max", input), ["{} => 4 5"]);
  assert.deepEqual(run("min", input), ["{} => 1 5"]);
  const allNaN = block([
    [{ i: "0" }, [Number.NaN]],
    [{ i: "1" }, [Number.NaN]],
  ]);
  assert.deepEqual(run("min", allNaN), ["{} => NaN"]);
});

test("sum and avg of infinities, NaN and values that cancel (aggregators.test)", () => {
  const ten = block([
    [{ p: "a" }, [2]],
    [{ p: "b" }, [8]],
    [{ p: "c" }, [1e100]],
    [{ p: "d" }, [-1e100]],
  ]);
  assert.deepEqual(run("sum", ten), ["{} => 10"]);
  assert.deepEqual(run("avg", ten), ["{} => 2.5"]);
  const inf = Number.POSITIVE_INFINITY;
  const one = (...vs: number[]) => block(vs.map((v, i) => [{ p: String(i) }, [v]]));
  assert.deepEqual(run("avg", one(0, inf, inf, 0)), ["{} => Infinity"]);
  assert.deepEqual(run("avg", one(inf, inf, -inf)), ["{} => NaN"]);
  assert.deepEqual(run("avg", one(-inf, -inf, 0)), ["{} => -Infinity"]);
  assert.deepEqual(run("sum", one(inf, -inf)), ["{} => NaN"]);
  assert.deepEqual(run("avg", one(-inf, 0, inf)), ["{} => NaN"]);
  assert.deepEqual(run("sum", one(Number.NaN, 2)), ["{} => NaN"]);
});

test("avg switches to the incremental mean when the sum would overflow", () => {
  const big = 9.988465674311579e307;
  const rows = (...vs: number[]) => block(vs.map((v, i) => [{ p: String(i) }, [v]]));
  assert.deepEqual(run("avg", rows(big, big, big, big)), [`{} => ${big}`]);
  assert.deepEqual(run("avg", rows(-big, -big, -big, -big)), [`{} => ${-big}`]);
  assert.deepEqual(run("avg", rows(-big, -big, big, big)), ["{} => 0"]);
  // Twelve equal values average exactly to themselves (direct mean with Kahan).
  assert.deepEqual(run("avg", rows(...Array(12).fill(52))), ["{} => 52"]);
});

test("aggregations work per step: a group is present where one of its rows is", () => {
  const input = block([
    [{ job: "a", i: "0" }, [1, _, 3, _]],
    [{ job: "a", i: "1" }, [10, 20, _, _]],
    [{ job: "b", i: "0" }, [_, _, _, 7]],
    [{ job: "c", i: "0" }, [_, _, _, _]],
  ]);
  assert.deepEqual(run("sum", input, { by: ["job"] }), [
    '{job="a"} => 11 20 3 _',
    '{job="b"} => _ _ _ 7',
  ]);
  assert.deepEqual(run("count", input, { by: ["job"] }), [
    '{job="a"} => 2 1 1 _',
    '{job="b"} => _ _ _ 1',
  ]);
  assert.deepEqual(run("avg", input), ["{} => 5.5 20 3 7"]);
});

test("topk and bottomk keep the rows' labels, best first, NaN last (aggregators.test)", () => {
  const steps = httpRequests.steps;
  const three = scalar(steps, 3);
  assert.deepEqual(run("topk", httpRequests, {}, three), [
    'http_requests{group="canary", instance="1", job="app-server"} => 800',
    'http_requests{group="canary", instance="0", job="app-server"} => 700',
    'http_requests{group="production", instance="1", job="app-server"} => 600',
  ]);
  assert.deepEqual(run("bottomk", httpRequests, {}, three), [
    'http_requests{group="production", instance="0", job="api-server"} => 100',
    'http_requests{group="production", instance="1", job="api-server"} => 200',
    'http_requests{group="canary", instance="0", job="api-server"} => 300',
  ]);
  assert.deepEqual(run("topk", httpRequests, { by: ["group"] }, scalar(steps, 1)), [
    'http_requests{group="production", instance="1", job="app-server"} => 600',
    'http_requests{group="canary", instance="1", job="app-server"} => 800',
  ]);
  const withNaN = block([
    [{ instance: "0" }, [100]],
    [{ instance: "1" }, [200]],
    [{ instance: "2" }, [Number.NaN]],
  ]);
  assert.deepEqual(run("topk", withNaN, {}, scalar(withNaN.steps, 3)), [
    '{instance="1"} => 200',
    '{instance="0"} => 100',
    '{instance="2"} => NaN',
  ]);
  assert.deepEqual(run("bottomk", withNaN, {}, scalar(withNaN.steps, 9999999999)), [
    '{instance="0"} => 100',
    '{instance="1"} => 200',
    '{instance="2"} => NaN',
  ]);
});

test("topk in a range: a row is present at the steps where it is among the best, k per step", () => {
  const input = block([
    [{ i: "a" }, [1, 5, 1]],
    [{ i: "b" }, [2, 4, _]],
    [{ i: "c" }, [3, 3, 3]],
  ]);
  const out = run("topk", input, {}, scalar(input.steps, 1, 2, 2.9));
  assert.deepEqual(out, ['{i="c"} => 3 _ 3', '{i="a"} => _ 5 1', '{i="b"} => _ 4 _']);
  // k below 1 at a step gives nothing there; ties are broken by labels.
  const ties = block([
    [{ i: "b" }, [7, 7]],
    [{ i: "a" }, [7, 7]],
  ]);
  assert.deepEqual(run("topk", ties, {}, scalar(ties.steps, 1, 0.5)), ['{i="a"} => 7 _']);
});

test("topk's count per step follows a changing k (aggregators.test bug #15971)", () => {
  const n = 11;
  const rows: [Record<string, string>, Cell[]][] = [];
  for (let i = 0; i < 9; i++) rows.push([{ i: String(i) }, Array(n).fill(i)]);
  const input = block(rows);
  const k = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3];
  const out = evalAggregate(node("topk"), input, scalar(input.steps, ...k), context());
  const counts = k.map((_k, j) => out.series.filter((_s, r) => out.present[r * n + j]).length);
  assert.deepEqual(counts, [1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 3]);
});

test("k errors and an all-below-one k (aggregators.test texts)", () => {
  const steps = httpRequests.steps;
  assert.throws(
    () => run("topk", httpRequests, {}, scalar(steps, Number.NaN)),
    (e: Error) => e instanceof EvaluationError && e.message === "Parameter value is NaN",
  );
  assert.throws(
    () => run("limitk", httpRequests, {}, scalar(steps, Number.NaN)),
    /^EvaluationError: Parameter value is NaN$|Parameter value is NaN/,
  );
  assert.throws(
    () => run("topk", httpRequests, {}, scalar(steps, 1e19)),
    /^.*Scalar value 1e\+19 overflows int64$/,
  );
  // An underflowing k fails only when some step's k is at least 1.
  const two = block([[{ i: "0" }, [1, 2]]]);
  assert.deepEqual(run("bottomk", two, {}, scalar(two.steps, -1e19)), []);
  assert.throws(
    () => run("bottomk", two, {}, scalar(two.steps, -1e19, 5)),
    /Scalar value -1e\+19 underflows int64/,
  );
  assert.throws(
    () => run("limit_ratio", httpRequests, {}, scalar(steps, Number.NaN)),
    /Ratio value is NaN/,
  );
  assert.deepEqual(run("topk", httpRequests, {}, scalar(steps, 0)), []);
  assert.deepEqual(run("limitk", httpRequests, {}, scalar(steps, -1)), []);
  // NaN with every k below 1 still fails: Go's max over a NaN is NaN.
  assert.throws(() => run("topk", two, {}, scalar(two.steps, 0, Number.NaN)), /NaN/);
});

test("quantile interpolates, ranks NaN lowest, and warns with ±Inf out of range", () => {
  const data = block([
    [{ test: "two", point: "a" }, [0]],
    [{ test: "two", point: "b" }, [1]],
    [{ test: "three", point: "a" }, [0]],
    [{ test: "three", point: "b" }, [1]],
    [{ test: "three", point: "c" }, [2]],
    [{ test: "uneven", point: "a" }, [0]],
    [{ test: "uneven", point: "b" }, [1]],
    [{ test: "uneven", point: "c" }, [4]],
    [{ test: "nan", point: "a" }, [0]],
    [{ test: "nan", point: "b" }, [1]],
    [{ test: "nan", point: "c" }, [Number.NaN]],
  ]);
  const q = (phi: number, ctx = context()) =>
    rowsOf(
      evalAggregate(
        node("quantile", { without: ["point"], paramAt: 9 }),
        data,
        scalar(data.steps, phi),
        ctx,
      ),
    );
  // 0.8 * (3 - 1) = 1.6: between ranks 1 and 2 with weight 0.6 (up to rounding).
  const near = (got: string[], want: number[]) => {
    assert.equal(got.length, want.length);
    got.forEach((row, i) => {
      const v = Number(row.split(" => ")[1]);
      assert.ok(Math.abs(v - want[i]) <= 1e-12 * Math.abs(want[i]), `${row} vs ${want[i]}`);
    });
  };
  near(q(0.8), [0.8, 1.6, 2.8, 0.6]);
  const low = q(0.2);
  near(low.slice(0, 3), [0.2, 0.4, 0.4]);
  assert.equal(low[3], '{test="nan"} => NaN');
  const ctx = context("quantile(1.5, data)");
  assert.deepEqual(q(1.5, ctx)[0], '{test="two"} => Infinity');
  assert.deepEqual(ctx.annotations.warnings, [
    "PromQL warning: quantile value should be between 0 and 1, got 1.5 (1:10)",
  ]);
  const nan = context("quantile(NaN, data)");
  assert.deepEqual(q(Number.NaN, nan)[3], '{test="nan"} => NaN');
  assert.deepEqual(nan.annotations.warnings, [
    "PromQL warning: quantile value should be between 0 and 1, got NaN (1:10)",
  ]);
  const neg = context("quantile(-1, data)");
  assert.deepEqual(q(-1, neg)[0], '{test="two"} => -Infinity');
  assert.equal(neg.annotations.warnings.length, 1);
});

test("count_values counts equal values per group, formatting them as Go does", () => {
  const version = block([
    [{ __name__: "version", job: "api", instance: "0" }, [6, 6]],
    [{ __name__: "version", job: "api", instance: "1" }, [6, 1e21]],
    [{ __name__: "version", job: "app", instance: "0" }, [8, Number.NaN]],
    [{ __name__: "version", job: "app", instance: "1" }, [0.0001, 8]],
  ]);
  const param: Value = { type: "string", value: "version" };
  // Groups appear in the order the rows (then their steps) first show them.
  assert.deepEqual(run("count_values", version, {}, param), [
    '{version="6"} => 2 1',
    '{version="1000000000000000000000"} => _ 1',
    '{version="8"} => 1 1',
    '{version="NaN"} => _ 1',
    '{version="0.0001"} => 1 _',
  ]);
  assert.deepEqual(run("count_values", version, { without: ["instance"] }, param), [
    '{job="api", version="6"} => 2 1',
    '{job="api", version="1000000000000000000000"} => _ 1',
    '{job="app", version="8"} => 1 1',
    '{job="app", version="NaN"} => _ 1',
    '{job="app", version="0.0001"} => 1 _',
  ]);
  // The value label overwrites an existing label of that name.
  assert.deepEqual(
    run("count_values", version, { by: ["job"] }, { type: "string", value: "job" }),
    [
      '{job="6"} => 2 1',
      '{job="1000000000000000000000"} => _ 1',
      '{job="8"} => 1 1',
      '{job="NaN"} => _ 1',
      '{job="0.0001"} => 1 _',
    ],
  );
  assert.throws(
    () => run("count_values", version, {}, { type: "string", value: "" }),
    /invalid label name ""/,
  );
});

test("limitk takes the first k rows of each group present at each step (limit.test)", () => {
  const input = block([
    [{ group: "p", i: "0" }, [1, 1]],
    [{ group: "p", i: "1" }, [_, 2]],
    [{ group: "c", i: "0" }, [3, 3]],
    [{ group: "p", i: "2" }, [4, 4]],
  ]);
  assert.deepEqual(run("limitk", input, { by: ["group"] }, scalar(input.steps, 1)), [
    '{group="p", i="0"} => 1 1',
    '{group="c", i="0"} => 3 3',
  ]);
  assert.deepEqual(run("limitk", input, {}, scalar(input.steps, 2)), [
    '{group="p", i="0"} => 1 1',
    '{group="p", i="1"} => _ 2',
    '{group="c", i="0"} => 3 _',
  ]);
  assert.equal(run("limitk", input, {}, scalar(input.steps, 100)).length, 4);
});

test("limit_ratio: r and r - 1 are complements, ±1 keeps all, past ±1 warns (limit.test)", () => {
  const rows: [Record<string, string>, Cell[]][] = [];
  for (let i = 0; i < 40; i++) rows.push([{ __name__: "m", i: String(i) }, [i]]);
  const input = block(rows);
  const take = (r: number, ctx = context()) =>
    evalAggregate(node("limit_ratio", { paramAt: 18 }), input, scalar(input.steps, r), ctx);
  const keys = (b: VectorBlock) => b.series.map((s) => formatLabels(s.labels));
  for (const r of [0.2, 0.5, 0.8]) {
    const a = keys(take(r));
    const b = keys(take(r - 1));
    assert.equal(a.length + b.length, 40, `ratio ${r}`);
    assert.deepEqual(
      a.filter((k) => b.includes(k)),
      [],
    );
  }
  assert.equal(take(1).series.length, 40);
  assert.equal(take(-1).series.length, 40);
  assert.equal(take(0).series.length, 0);
  const half = take(0.5).series.length;
  assert.ok(half > 10 && half < 30, `about half, got ${half}`);
  const ctx = context("count(limit_ratio(1.1, http_requests) and http_requests)");
  assert.equal(take(1.1, ctx).series.length, 40);
  assert.deepEqual(ctx.annotations.warnings, [
    "PromQL warning: ratio value should be between -1 and 1, got 1.1, capping to 1 (1:19)",
  ]);
  const neg = context("count(limit_ratio(-1.1, http_requests) and http_requests)");
  take(-1.1, neg);
  assert.deepEqual(neg.annotations.warnings, [
    "PromQL warning: ratio value should be between -1 and 1, got -1.1, capping to -1 (1:19)",
  ]);
});

test("the output samples are accounted", () => {
  const ctx = context();
  evalAggregate(node("sum", { by: ["job"] }), httpRequests, null, ctx);
  assert.equal(ctx.accounted, 2);
});
