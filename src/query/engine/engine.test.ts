import assert from "node:assert/strict";
import { test } from "node:test";
import type { QueryValue } from "../engine-types.js";
import { QueryError, QueryLimitExceededError, QueryTimeoutError } from "../errors.js";
import { formatLabels } from "../labels.js";
import { createEngine } from "./engine.js";
import { arrayQuerier, STALE_POINT, seriesOf } from "./testing.js";

const S = 1000;
const M = 60 * S;

/** "labels => [t,v] [t,v]" lines, one per series, as a readable comparison form. */
function show(v: QueryValue): string[] {
  if (v.resultType === "scalar" || v.resultType === "string") return [`${v.timeMs} ${v.value}`];
  return v.series.map(
    (s) =>
      `${formatLabels(s.labels)} => ${Array.from(s.timesMs, (t, i) => `${t}:${s.values[i]}`).join(" ")}`,
  );
}

const data = [
  seriesOf({ __name__: "a", job: "x" }, [
    [0, 1],
    [M, 2],
    [2 * M, 3],
  ]),
  seriesOf({ __name__: "b", job: "x" }, [
    [0, 10],
    [M, STALE_POINT],
    [3 * M, 30],
  ]),
];

test("an instant selector takes the newest sample within the lookback, which is open on the left", async () => {
  const engine = createEngine({ querier: arrayQuerier(data) });
  const at = async (t: number) => show((await engine.instantQuery("a", t)).value);
  assert.deepEqual(await at(2 * M), [`a{job="x"} => ${2 * M}:3`]);
  assert.deepEqual(await at(2 * M - 1), [`a{job="x"} => ${2 * M - 1}:2`]);
  assert.deepEqual(await at(2 * M + 5 * M - 1), [`a{job="x"} => ${7 * M - 1}:3`]);
  assert.deepEqual(await at(2 * M + 5 * M), []);
});

test("a stale marker ends a series at once, and a later sample brings it back", async () => {
  const engine = createEngine({ querier: arrayQuerier(data) });
  const r = await engine.rangeQuery("b", 0, 4 * M, M);
  assert.deepEqual(show(r.value), [`b{job="x"} => 0:10 ${3 * M}:30 ${4 * M}:30`]);
});

test("offset (also negative) and @ move the time a selector reads", async () => {
  const engine = createEngine({ querier: arrayQuerier(data) });
  const q = async (expr: string, t: number) => show((await engine.instantQuery(expr, t)).value);
  assert.deepEqual(await q("a offset 1m", 2 * M), [`a{job="x"} => ${2 * M}:2`]);
  assert.deepEqual(await q("a offset -1m", M), [`a{job="x"} => ${M}:3`]);
  assert.deepEqual(await q("a @ 60", 10 * M), [`a{job="x"} => ${10 * M}:2`]);
  const r = await engine.rangeQuery("a @ end()", 0, 2 * M, M);
  assert.deepEqual(show(r.value), [`a{job="x"} => 0:3 ${M}:3 ${2 * M}:3`]);
});

test("a range query gives the same series whatever the number of steps per block", async () => {
  const many = Array.from({ length: 7 }, (_, k) =>
    seriesOf(
      { __name__: "m", k: String(k) },
      Array.from({ length: 50 }, (_, i): [number, number] => [i * 15 * S + k * 7, i * k]),
    ),
  );
  const expr = "-(m offset 30s)";
  const one = await createEngine({ querier: arrayQuerier(many), blockSteps: 1 }).rangeQuery(
    expr,
    0,
    12 * M,
    10 * S,
  );
  const all = await createEngine({ querier: arrayQuerier(many), blockSteps: 10_000 }).rangeQuery(
    expr,
    0,
    12 * M,
    10 * S,
  );
  const some = await createEngine({ querier: arrayQuerier(many), blockSteps: 7 }).rangeQuery(
    expr,
    0,
    12 * M,
    10 * S,
  );
  assert.equal(show(one.value).length, 7);
  assert.deepEqual(show(one.value), show(all.value));
  assert.deepEqual(show(some.value), show(all.value));
  // Unary minus changes the value's meaning, so the name is dropped.
  assert.ok(show(all.value)[0].startsWith('{k="0"} => '));
});

test("a subquery evaluates its expression at multiples of its step within each window", async () => {
  const engine = createEngine({ querier: arrayQuerier(data) });
  const r = await engine.instantQuery("a[3m:1m]", 2 * M + 30 * S);
  assert.deepEqual(show(r.value), [`a{job="x"} => 0:1 ${M}:2 ${2 * M}:3`]);
  const inner = await engine.instantQuery("a[2m:1m]", 2 * M);
  // The window (0, 2m] is open on the left: the point at 0 is not in it.
  assert.deepEqual(show(inner.value), [`a{job="x"} => ${M}:2 ${2 * M}:3`]);
});

test("a range query of a range vector is refused as bad data", async () => {
  const engine = createEngine({ querier: arrayQuerier(data) });
  await assert.rejects(engine.rangeQuery("a[5m]", 0, M, S), (err: unknown) => {
    assert.ok(err instanceof QueryError);
    assert.equal(err.errorType, "bad_data");
    assert.match(err.message, /invalid expression type "range vector" for range query/);
    return true;
  });
});

test("too many points per series is 400 bad_data, naming the limit", async () => {
  const engine = createEngine({ querier: arrayQuerier(data) });
  await assert.rejects(engine.rangeQuery("a", 0, 11_001 * S, S), (err: unknown) => {
    assert.ok(err instanceof QueryLimitExceededError);
    assert.equal(err.status, 400);
    assert.match(err.message, /exceeded maximum resolution of 11,000 points per timeseries/);
    return true;
  });
  await engine.rangeQuery("a", 0, 11_000 * S, S);
});

test("loading more samples than maxSamples fails with 422 execution", async () => {
  const engine = createEngine({ querier: arrayQuerier(data), maxSamples: 5 });
  await assert.rejects(engine.rangeQuery("a", 0, 10 * M, M), (err: unknown) => {
    assert.ok(err instanceof QueryLimitExceededError);
    assert.equal(err.limit, "maxSamples");
    assert.equal(err.status, 422);
    assert.equal(err.errorType, "execution");
    return true;
  });
  const roomy = createEngine({ querier: arrayQuerier(data), maxSamples: 100 });
  assert.equal((await roomy.rangeQuery("a", 0, 10 * M, M)).value.resultType, "matrix");
});

test("the timeout stops a query between its blocks", async () => {
  let clock = 0;
  const blocks: number[] = [];
  const engine = createEngine({
    querier: arrayQuerier(data),
    blockSteps: 1,
    timeoutMs: 2500,
    nowMs: () => clock,
    onBlock: (i) => {
      blocks.push(i);
      clock += 1000;
    },
  });
  await assert.rejects(engine.rangeQuery("a", 0, 10 * M, M), QueryTimeoutError);
  assert.deepEqual(blocks, [0, 1, 2]);
});

test("series that coincide once their names are dropped are an error", async () => {
  const engine = createEngine({ querier: arrayQuerier(data) });
  await assert.rejects(engine.instantQuery('-{__name__=~"a|b"}', 0), /same labelset/);
  // Without the minus the names stay and the two series are distinct.
  assert.equal(show((await engine.instantQuery('{__name__=~"a|b"}', 0)).value).length, 2);
});

test("the fetch covers each selector's lookback, range, offset and subquery", async () => {
  const q = arrayQuerier(data);
  const engine = createEngine({ querier: q });
  await engine.instantQuery("a", 10 * M);
  await engine.instantQuery("a[2m] offset 1m", 10 * M);
  await engine.instantQuery("a[3m:1m]", 10 * M);
  assert.deepEqual(q.selects, [
    { startMs: 5 * M, endMs: 10 * M },
    { startMs: 7 * M, endMs: 9 * M },
    { startMs: 10 * M - 3 * M - M - 5 * M, endMs: 10 * M },
  ]);
});

test("info() adds the data labels of the info series that share instance and job", async () => {
  const series = [
    seriesOf({ __name__: "metric", instance: "a", job: "1", label: "value" }, [[0, 5]]),
    seriesOf({ __name__: "metric", instance: "a", job: "2", label: "value" }, [[0, 6]]),
    seriesOf({ __name__: "target_info", instance: "a", job: "1", data: "info", other: "x" }, [
      [0, 1],
    ]),
    seriesOf({ __name__: "build_info", instance: "a", job: "1", build: "b" }, [[0, 1]]),
  ];
  const engine = createEngine({ querier: arrayQuerier(series) });
  const q = async (expr: string) => show((await engine.instantQuery(expr, 60 * S)).value).sort();
  assert.deepEqual(await q("info(metric)"), [
    `metric{data="info", instance="a", job="1", label="value", other="x"} => ${60 * S}:5`,
    `metric{instance="a", job="2", label="value"} => ${60 * S}:6`,
  ]);
  // A data matcher that refuses the empty value drops the series no info series matched.
  assert.deepEqual(await q('info(metric, {data=~".+"})'), [
    `metric{data="info", instance="a", job="1", label="value"} => ${60 * S}:5`,
  ]);
  assert.deepEqual(await q('info(metric, {__name__="build_info"})'), [
    `metric{build="b", instance="a", job="1", label="value"} => ${60 * S}:5`,
    `metric{instance="a", job="2", label="value"} => ${60 * S}:6`,
  ]);
});

test("each query's series limits reach the querier, else the engine's, else none are set", async () => {
  const q = arrayQuerier(data);
  const engine = createEngine({ querier: q, maxSeries: 7, requireExhaustive: false });
  await engine.instantQuery("a", 0, { maxSeries: 1, requireExhaustive: true });
  await engine.instantQuery("a", 0);
  await engine.rangeQuery("a + b", 0, M, M, { maxSeries: 0 });
  assert.deepEqual(q.limits, [
    { maxSeries: 1, requireExhaustive: true },
    { maxSeries: 7, requireExhaustive: false },
    { maxSeries: 0, requireExhaustive: false },
    { maxSeries: 0, requireExhaustive: false },
  ]);
  const bare = arrayQuerier(data);
  await createEngine({ querier: bare }).instantQuery("a", 0);
  assert.deepEqual(bare.limits, [{ maxSeries: undefined, requireExhaustive: undefined }]);
  const read = arrayQuerier(data);
  await createEngine({ querier: read }).instantQuery("a", 0, {
    readConsistency: "one",
    equalTimestampStrategy: "iterate_lowest_value",
  });
  assert.deepEqual(read.limits, [
    {
      maxSeries: undefined,
      requireExhaustive: undefined,
      readConsistency: "one",
      equalTimestampStrategy: "iterate_lowest_value",
    },
  ]);
});
