import assert from "node:assert/strict";
import { test } from "node:test";
import { atVariants } from "./at-variants.js";

test("@ t goes after every selector, range selector and subquery, modifiers included", () => {
  const v = atVariants('sum(rate(foo{a="b"}[5m] offset 1m)) + bar offset 2m', 60_000);
  assert.equal(v[0].expr, 'sum(rate(foo{a="b"}[5m] offset 1m @ 60.000)) + bar offset 2m @ 60.000');
  assert.deepEqual(
    v.map((x) => x.evalMs),
    [-600_000, 0, 12_000, 60_000, 600_000],
  );
});

test("a subquery gets @ and what is inside it is left alone; a selector with @ keeps it", () => {
  const v = atVariants("max_over_time(rate(foo[1m])[5m:1m]) + bar @ 50", 120_000);
  assert.equal(v[0].expr, "max_over_time(rate(foo[1m])[5m:1m] @ 120.000) + bar @ 50");
});

test("at time 0 the variants run at -1 s, 0 and 1 s", () => {
  const v = atVariants("foo", 0);
  assert.deepEqual(
    v.map((x) => [x.expr, x.evalMs]),
    [
      ["foo @ 0.000", -1000],
      ["foo @ 0.000", 0],
      ["foo @ 0.000", 1000],
    ],
  );
});

test("no variants for time-dependent functions, @ start()/end(), or text that does not parse", () => {
  assert.deepEqual(atVariants("timestamp(foo)", 60_000), []);
  assert.deepEqual(atVariants("hour(foo)", 60_000), []);
  assert.deepEqual(atVariants("predict_linear(foo[5m], 60)", 60_000), []);
  assert.deepEqual(atVariants("foo @ start()", 60_000), []);
  assert.deepEqual(atVariants("sum(", 60_000), []);
  // A time function inside a subquery with @ is fixed by it: variants stay.
  assert.equal(atVariants("max_over_time(vector(time())[5m:1m])", 60_000).length, 5);
});
