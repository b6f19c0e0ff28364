// sum, avg, count, min, max, group, stddev, stdvar and quantile against
// hand-computed tables and aggregators.test's expected values.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { VectorBlock } from "../block.js";
import { evalAggregate } from "./index.js";
import { _, block, context, httpRequests, node, rowsOf, run, scalar } from "./testing.js";

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

test("the output samples are accounted", () => {
  const ctx = context();
  evalAggregate(node("sum", { by: ["job"] }), httpRequests, null, ctx);
  assert.equal(ctx.accounted, 2);
});

test("quantile takes φ per step; φ = 0 is the NaN a group holds (aggregators.test bug #15971)", () => {
  const data = block([
    [{ point: "a" }, [0, 0, 0]],
    [{ point: "b" }, [1, 1, 1]],
    [{ point: "c" }, [Number.NaN, Number.NaN, Number.NaN]],
  ]);
  const out = evalAggregate(node("quantile"), data, scalar(data.steps, 0, 1, 0.8), context());
  const [row] = rowsOf(out);
  const [first, second, third] = row.split(" => ")[1].split(" ").map(Number);
  assert.ok(Number.isNaN(first));
  assert.equal(second, 1);
  assert.ok(Math.abs(third - 0.6) < 1e-12);
});

test("a group's dropName is that of its rows at its last step with a sample, as Prometheus sets it", () => {
  const input = block([
    [{ __name__: "a", i: "0" }, [1, 1, _]],
    [{ __name__: "a", i: "1" }, [2, _, _]],
  ]);
  input.series[1].dropName = true;
  const out = evalAggregate(node("sum", { by: ["__name__"] }), input, null, context());
  assert.deepEqual(rowsOf(out), ["a{} => 3 1 _"]);
  assert.equal(out.series[0].dropName, false);
  input.series[0].dropName = true;
  input.series[1].dropName = false;
  assert.equal(evalAggregate(node("sum"), input, null, context()).series[0].dropName, true);
});
