// The engine sizes its blocks by the time the one before took, so that it
// holds the event loop for a few milliseconds at a time.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createEngine, nextBlockSteps } from "./engine.js";
import { arrayQuerier, seriesOf } from "./testing.js";

test("the next block is scaled toward the target time, at most four times larger or smaller", () => {
  // 5 ms is the target: a block of 10 ms halves, one of 2.5 ms doubles.
  assert.equal(nextBlockSteps(100, 10, 10_000), 50);
  assert.equal(nextBlockSteps(100, 2.5, 10_000), 200);
  assert.equal(nextBlockSteps(100, 0, 10_000), 400);
  assert.equal(nextBlockSteps(100, 1_000, 10_000), 25);
});

test("a block has at least one step and at most the limit in points", () => {
  assert.equal(nextBlockSteps(1, 1_000, 10_000), 1);
  assert.equal(nextBlockSteps(100, 0, 300), 300);
});

test("without a fixed block size a long range query runs in several blocks with the same result", async () => {
  // 200 series: the first block holds 20 000 points (100 steps) and each
  // next block at most four times as many, so 1 000 steps take at least three.
  const series = Array.from({ length: 200 }, (_, k) =>
    seriesOf(
      { __name__: "m", k: String(k) },
      Array.from({ length: 1_000 }, (_, i): [number, number] => [i * 1_000, i + k]),
    ),
  );
  let blocks = 0;
  const adaptive = await createEngine({
    querier: arrayQuerier(series),
    onBlock: () => blocks++,
  }).rangeQuery("m * 2", 0, 999_000, 1_000);
  const whole = await createEngine({
    querier: arrayQuerier(series),
    blockSteps: 1_000,
  }).rangeQuery("m * 2", 0, 999_000, 1_000);
  assert.ok(blocks >= 3, `blocks: ${blocks}`);
  assert.deepEqual(adaptive.value, whole.value);
  assert.equal(adaptive.value.resultType, "matrix");
  const row = adaptive.value.resultType === "matrix" ? adaptive.value.series : [];
  const seven = row.find((r) => r.labels.some((l) => l.name === "k" && l.value === "7"));
  assert.equal(row.length, 200);
  assert.equal(seven?.values[999], 2 * (999 + 7));
});
