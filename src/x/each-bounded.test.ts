import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { eachBounded } from "./each-bounded.js";

test("eachBounded runs every item with at most `limit` in flight", async () => {
  let inFlight = 0;
  let most = 0;
  const seen: number[] = [];
  await eachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await sleep(n % 3);
    seen.push(n);
    inFlight--;
  });
  assert.deepEqual(
    seen.sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7],
  );
  assert.equal(most, 3);
});

test("eachBounded finishes the other items, then rejects with the first failure", async () => {
  const done: number[] = [];
  await assert.rejects(
    eachBounded([1, 2, 3, 4], 2, async (n) => {
      await sleep(1);
      if (n === 2) throw new Error("item 2 failed");
      if (n === 3) throw new Error("item 3 failed");
      done.push(n);
    }),
    /item 2 failed/,
  );
  assert.deepEqual(
    done.sort((a, b) => a - b),
    [1, 4],
  );
});
