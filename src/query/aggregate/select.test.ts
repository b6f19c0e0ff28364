// topk, bottomk, limitk, limit_ratio and count_values against hand-computed
// tables and the expected values of aggregators.test and limit.test.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Value, VectorBlock } from "../block.js";
import { EvaluationError } from "../errors.js";
import { formatLabels } from "../labels.js";
import { evalAggregate } from "./index.js";
import { _, block, type Cell, context, httpRequests, node, run, scalar } from "./testing.js";

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
