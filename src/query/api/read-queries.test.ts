import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePromQL } from "../parser/index.js";
import { readQueriesOf } from "./read-queries.js";

const S = 1000;
const M = 60 * S;

function windows(query: string, startMs: number, endMs: number, lookbackMs = 5 * M) {
  return readQueriesOf(parsePromQL(query), startMs, endMs, lookbackMs).map((q) => ({
    name: q.matchers.find((m) => m.name === "__name__")?.value,
    startMs: q.startMs,
    endMs: q.endMs,
  }));
}

test("each selector becomes a read query; ranges, offsets and lookback widen its window", () => {
  assert.deepEqual(windows("rate(a[5m] offset 1m) + b", 1000 * S, 2000 * S), [
    { name: "a", startMs: 1000 * S - 6 * M, endMs: 2000 * S - M },
    { name: "b", startMs: 1000 * S - 5 * M, endMs: 2000 * S },
  ]);
});

test("a subquery widens the window of the selectors inside it", () => {
  assert.deepEqual(windows("max_over_time(rate(c[1m])[10m:1m])", 1000 * S, 1000 * S), [
    { name: "c", startMs: 1000 * S - 11 * M, endMs: 1000 * S },
  ]);
});

test("@ pins a selector's window to its time; aggregations, calls and literals pass through", () => {
  assert.deepEqual(windows("sum by (job) (d @ 500) * 2", 1000 * S, 2000 * S, M), [
    { name: "d", startMs: 500 * S - M, endMs: 500 * S },
  ]);
  assert.deepEqual(windows("topk(3, e) or vector(1)", 10 * S, 20 * S, M), [
    { name: "e", startMs: 10 * S - M, endMs: 20 * S },
  ]);
  const [q] = readQueriesOf(parsePromQL('f{job=~"a.*",x!="y"}'), 0, 0, 0);
  const byName = [...q.matchers].sort((a, b) => (a.name < b.name ? -1 : 1));
  assert.deepEqual(byName, [
    { type: "=", name: "__name__", value: "f" },
    { type: "=~", name: "job", value: "a.*" },
    { type: "!=", name: "x", value: "y" },
  ]);
});
