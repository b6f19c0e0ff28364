import assert from "node:assert/strict";
import { test } from "node:test";
import type { ReadConsistencyLevel } from "./client.js";
import { majorityOf, readDone, readSuccessesNeeded, writeSuccessesNeeded } from "./consistency.js";

test("majority is ceil((RF + 1) / 2), as M3 counts it", () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(majorityOf), [1, 2, 2, 3, 3]);
  assert.deepEqual(
    (["one", "majority", "all"] as const).map((l) => writeSuccessesNeeded(l, 3)),
    [1, 2, 3],
  );
});

test("read levels: what each must have, unstrict ones settling for one", () => {
  const levels: ReadConsistencyLevel[] = [
    "one",
    "unstrict_majority",
    "majority",
    "unstrict_all",
    "all",
  ];
  assert.deepEqual(
    levels.map((l) => readSuccessesNeeded(l, 3)),
    [1, 1, 2, 1, 3],
  );
});

test("a read stops waiting as M3's termination rule says", () => {
  // [level, successes, pending] -> done, RF 3.
  const cases: [ReadConsistencyLevel, number, number, boolean][] = [
    ["one", 1, 2, true],
    ["one", 0, 2, false],
    ["unstrict_majority", 1, 2, false],
    ["unstrict_majority", 2, 1, true],
    ["majority", 2, 1, true],
    ["majority", 1, 1, false],
    ["unstrict_all", 2, 1, false],
    ["all", 2, 1, false],
    ["all", 2, 0, true],
    ["unstrict_all", 0, 0, true],
  ];
  for (const [level, s, p, done] of cases) {
    assert.equal(readDone(level, 3, s, p), done, `${level} with ${s} successes, ${p} pending`);
  }
});
