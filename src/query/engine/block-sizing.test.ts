// The engine sizes its blocks by the time the one before took, so that it
// holds the event loop for a few milliseconds at a time.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePromQL } from "../parser/index.js";
import { createEngine, nextBlockSteps, widestSubqueryMs } from "./engine.js";
import { arrayQuerier, seriesOf } from "./testing.js";

test("the next block is scaled toward the target time, at most four times larger or smaller", () => {
  // 5 ms is the target: a block of 10 ms halves, one of 2.5 ms doubles.
  assert.equal(nextBlockSteps(100, 10, 1, 10_000), 50);
  assert.equal(nextBlockSteps(100, 2.5, 1, 10_000), 200);
  assert.equal(nextBlockSteps(100, 0, 1, 10_000), 400);
  assert.equal(nextBlockSteps(100, 1_000, 1, 10_000), 25);
});

test("a block has at least one step, and stays between the least and most steps allowed", () => {
  assert.equal(nextBlockSteps(100, 1_000, 60, 10_000), 60);
  assert.equal(nextBlockSteps(1, 1_000, 1, 10_000), 1);
  assert.equal(nextBlockSteps(100, 0, 1, 300), 300);
});

test("without a fixed block size a long range query runs in several blocks with the same result", async () => {
  // 200 series: the first block holds 100 000 points (500 steps) and each
  // next block at most four times as many, so 3 000 steps take at least two.
  const series = Array.from({ length: 200 }, (_, k) =>
    seriesOf(
      { __name__: "m", k: String(k) },
      Array.from({ length: 3_000 }, (_, i): [number, number] => [i * 1_000, i + k]),
    ),
  );
  let blocks = 0;
  const adaptive = await createEngine({
    querier: arrayQuerier(series),
    onBlock: () => blocks++,
  }).rangeQuery("m * 2", 0, 2_999_000, 1_000);
  const whole = await createEngine({
    querier: arrayQuerier(series),
    blockSteps: 3_000,
  }).rangeQuery("m * 2", 0, 2_999_000, 1_000);
  assert.ok(blocks >= 2, `blocks: ${blocks}`);
  assert.deepEqual(adaptive.value, whole.value);
  assert.equal(adaptive.value.resultType, "matrix");
  const row = adaptive.value.resultType === "matrix" ? adaptive.value.series : [];
  const seven = row.find((r) => r.labels.some((l) => l.name === "k" && l.value === "7"));
  assert.equal(row.length, 200);
  assert.equal(seven?.values[2_999], 2 * (2_999 + 7));
});

test("the widest subquery window adds up nested subqueries' ranges and steps", () => {
  const times = { startMs: 0, endMs: 3_600_000, stepMs: 60_000 };
  const w = (q: string) => widestSubqueryMs(parsePromQL(q), times);
  assert.equal(w("rate(x[5m])"), 0);
  assert.equal(w("max_over_time(rate(x[5m])[1h:1m])"), 61 * 60_000);
  assert.equal(w("a + max_over_time(max_over_time(x[1m:10s])[10m:1m])"), 11 * 60_000 + 70_000);
  assert.equal(
    w("sum by (j) (avg_over_time(x[30m:1m])) * on(j) avg_over_time(y[2h:5m])"),
    125 * 60_000,
  );
});
