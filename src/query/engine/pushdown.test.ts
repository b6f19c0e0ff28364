// Which aggregations go to the nodes, the text a node is asked, a node's
// answer, and the query's limits summed over the nodes' answers.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Client, ClusterAggregateRequest } from "../../client/index.js";
import { decodePartialAnswer } from "../aggregate/index.js";
import type { Aggregate } from "../ast.js";
import type { Querier } from "../engine-types.js";
import { QueryLimitExceededError } from "../errors.js";
import { formatExpr, parsePromQL } from "../parser/index.js";
import { createEngine } from "./engine.js";
import { evaluatePartial, nodeQueryText, pushableAggregates, pushdownTarget } from "./pushdown.js";
import { arrayQuerier, seriesOf } from "./testing.js";

function pushed(query: string): string[] {
  return pushableAggregates(parsePromQL(query)).map(formatExpr);
}

test("aggregations with a mergeable state over series-local input are pushed; the others are not", () => {
  for (const q of [
    "sum(x)",
    "count by (job) (rate(x[5m]))",
    "max without (i) (x offset 5m * 2)",
    "topk(3, -x)",
    "quantile(0.9, abs(x - 1) > 3)",
    "avg(max_over_time(rate(x[1m])[10m:1m]))",
    "stddev(x @ end())",
    "group(round(x, 0.5))",
    "min(hour(x))",
    "bottomk((2), clamp(x, 0, 1))",
  ]) {
    assert.deepEqual(pushed(q), [formatExpr(parsePromQL(q))], q);
  }
  for (const q of [
    "count_values('v', x)",
    "limitk(2, x)",
    'sum(label_replace(x, "a", "b", "c", "d"))',
    "sum(x + y)",
    "sum(x and y)",
    "topk(scalar(y), x)",
    "sum(x * time())",
    "sum(absent(x))",
    "sum(sort(x))",
    "min(hour())",
    "sum(histogram_quantile(0.9, x))",
    "max_over_time(sum(x)[5m:1m])",
  ]) {
    assert.deepEqual(pushed(q), [], q);
  }
  // Inside what the coordinator evaluates, the pushable parts still go.
  assert.deepEqual(pushed("max(sum by (job) (x)) / on() count(y)"), [
    "sum by (job) (x)",
    "count(y)",
  ]);
  assert.deepEqual(pushed("abs(sum(x))"), ["sum(x)"]);
});

test("a node is asked the aggregation as written, where the query has it", () => {
  const query = "1 +\n  sum by (job)  (rate(x[5m]))";
  const agg = pushableAggregates(parsePromQL(query))[0] as Aggregate;
  const text = nodeQueryText(agg, query);
  assert.equal(text, "   \n  sum by (job)  (rate(x[5m]))");
  assert.equal(formatExpr(parsePromQL(text)), "sum by (job) (rate(x[5m]))");
});

const DATA = [
  seriesOf({ __name__: "x", job: "a", i: "1" }, [
    [0, 1],
    [60_000, 2],
  ]),
  seriesOf({ __name__: "x", job: "a", i: "2" }, [
    [0, 10],
    [60_000, 20],
  ]),
  seriesOf({ __name__: "x", job: "b", i: "3" }, [[0, 100]]),
];

function request(query: string, extra: object = {}) {
  return {
    query,
    startMs: 0,
    endMs: 60_000,
    stepMs: 60_000,
    lookbackMs: 300_000,
    maxSeries: 0,
    maxSamples: 1000,
    deadlineMs: Date.now() + 10_000,
    ...extra,
  };
}

test("a node answers its partial state over every step with what it read", async () => {
  const answer = decodePartialAnswer(
    await evaluatePartial(arrayQuerier(DATA), request("sum by (job) (x)")),
  );
  assert.equal(answer.partial.op, "sum");
  assert.deepEqual(answer.partial.steps, { startMs: 0, stepMs: 60_000, count: 2 });
  assert.deepEqual(
    answer.partial.groups.map((g) => g.labels),
    [[{ name: "job", value: "a" }], [{ name: "job", value: "b" }]],
  );
  assert.deepEqual([...answer.partial.value], [11, 22, 100, 100]);
  assert.equal(answer.seriesFetched, 3);
  assert.equal(answer.samplesFetched, 5);
  const warned = decodePartialAnswer(
    await evaluatePartial(arrayQuerier(DATA), request("quantile(2, x)")),
  );
  assert.deepEqual(warned.warnings, [
    "PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)",
  ]);
  await assert.rejects(
    evaluatePartial(arrayQuerier(DATA), request("sum(x)", { maxSamples: 4 })),
    (e: unknown) => e instanceof QueryLimitExceededError && e.limit === "maxSamples",
  );
});

/** Nodes that each read one of `parts`, over a fake cluster call that records the requests. */
function cluster(parts: Querier[]) {
  const asked: string[] = [];
  return {
    asked,
    target: {
      namespace: "ns",
      aggregatePartials: async (req: ClusterAggregateRequest, deadlineMs: number) => {
        asked.push(req.query);
        return Promise.all(parts.map((q) => evaluatePartial(q, { ...req, deadlineMs })));
      },
    },
  };
}

test("the series and sample limits hold over the sum of the nodes' answers", async () => {
  const nodes = cluster(DATA.map((s) => arrayQuerier([s])));
  const engine = createEngine({ querier: arrayQuerier([]), pushdown: nodes.target });
  const on = { pushdown: "on" as const };
  const r = await engine.rangeQuery("sum(x)", 0, 60_000, 60_000, on);
  assert.equal(r.value.resultType === "matrix" && r.value.series[0].values[0], 111);
  assert.equal(r.seriesFetched, 3);
  assert.deepEqual(r.namespaces, ["ns"]);
  assert.equal(nodes.asked.length, 1);
  // Each node holds one series; the cluster has 3.
  await assert.rejects(
    engine.rangeQuery("sum(x)", 0, 60_000, 60_000, { ...on, maxSeries: 2 }),
    (e: unknown) => e instanceof QueryLimitExceededError && e.limit === "maxSeries" && e.max === 2,
  );
  await engine.rangeQuery("sum(x)", 0, 60_000, 60_000, { ...on, maxSeries: 3 });
  // Each node holds at most 4 samples at once (2 fetched, 2 at the steps); the cluster fetched 5.
  await assert.rejects(
    engine.rangeQuery("sum(x)", 0, 60_000, 60_000, { ...on, maxSamples: 4 }),
    (e: unknown) => e instanceof QueryLimitExceededError && e.limit === "maxSamples",
  );
});

test("a client pushes down only if it has aggregatePartials", async () => {
  const base = {
    writeBatch: async () => {
      throw new Error("unused");
    },
  } as unknown as Client;
  assert.equal(pushdownTarget(base, "ns"), undefined);
  const asked: string[] = [];
  const cluster = {
    ...base,
    aggregatePartials: async (req: ClusterAggregateRequest) => {
      asked.push(req.query);
      return [];
    },
  } as Client;
  const target = pushdownTarget(cluster, "ns", "one");
  assert.equal(target?.namespace, "ns");
  assert.equal(target?.defaultReadConsistency, "one");
  // No node answered: the aggregation is empty.
  const engine = createEngine({ querier: arrayQuerier(DATA), pushdown: target });
  const r = await engine.instantQuery("sum(x)", 0);
  assert.deepEqual(asked, ["sum(x)"]);
  assert.deepEqual(r.value, { resultType: "vector", series: [] });
});
