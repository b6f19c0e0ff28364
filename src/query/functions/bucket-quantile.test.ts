import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  bucketFraction,
  bucketQuantile,
  coalesceBuckets,
  monotonicityFix,
} from "./bucket-quantile.js";

/** Sorted finite bounds plus +Inf, and non-decreasing counts with a positive total. */
const histogram = fc
  .tuple(
    fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 8 }),
    fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 9, maxLength: 9 }),
  )
  .map(([bs, incs]) => {
    const finite = [...bs].sort((a, b) => a - b);
    const bounds = [...finite, Number.POSITIVE_INFINITY];
    let c = 0;
    const counts = bounds.map((_, i) => {
      c += incs[i] + (i === bounds.length - 1 ? 1 : 0);
      return c;
    });
    return { bounds, counts };
  });

function run<T>(
  h: { bounds: number[]; counts: number[] },
  f: (b: Float64Array, c: Float64Array, n: number) => T,
): T {
  return f(Float64Array.from(h.bounds), Float64Array.from(h.counts), h.bounds.length);
}

test("bucketQuantile is non-decreasing in q and stays within the finite bounds", () => {
  fc.assert(
    fc.property(
      histogram,
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (h, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const qlo = run(h, (bs, cs, n) => bucketQuantile(lo, bs, cs, n));
        const qhi = run(h, (bs, cs, n) => bucketQuantile(hi, bs, cs, n));
        assert.ok(qlo <= qhi + 1e-9, `${lo}->${qlo} ${hi}->${qhi}`);
        const lowest = Math.min(0, h.bounds[0]);
        const highest = h.bounds.length > 1 ? h.bounds[h.bounds.length - 2] : Number.NaN;
        if (h.bounds.length > 1) {
          assert.ok(qhi >= lowest && qhi <= highest, `${qhi} outside [${lowest}, ${highest}]`);
        }
      },
    ),
  );
});

test("bucketFraction of the whole line is 1, and fractions of adjacent ranges add up", () => {
  fc.assert(
    fc.property(histogram, fc.integer({ min: -1200, max: 1200 }), (h, mid) => {
      const all = run(h, (bs, cs, n) =>
        bucketFraction(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, bs, cs, n),
      );
      assert.equal(all, 1);
      const below = run(h, (bs, cs, n) => bucketFraction(Number.NEGATIVE_INFINITY, mid, bs, cs, n));
      const above = run(h, (bs, cs, n) => bucketFraction(mid, Number.POSITIVE_INFINITY, bs, cs, n));
      assert.ok(Math.abs(below + above - 1) < 1e-9, `${below} + ${above}`);
    }),
  );
});

test("bucketQuantile's special cases", () => {
  const q = (v: number, bounds: number[], counts: number[]) =>
    bucketQuantile(v, Float64Array.from(bounds), Float64Array.from(counts), bounds.length);
  const inf = Number.POSITIVE_INFINITY;
  assert.equal(q(-0.5, [1], [1]), Number.NEGATIVE_INFINITY, "q < 0 before any other check");
  assert.equal(q(1.5, [1], [1]), inf);
  assert.ok(Number.isNaN(q(0.5, [1, 2], [1, 2])), "no +Inf bucket");
  assert.ok(Number.isNaN(q(0.5, [inf], [5])), "a single bucket");
  assert.ok(Number.isNaN(q(0.5, [1, inf], [0, 0])), "no observations");
  assert.equal(q(0.9, [1, 2, inf], [1, 2, 10]), 2, "in the +Inf bucket: the bound below");
  assert.equal(q(0.05, [-1, 0, inf], [1, 2, 4]), -1, "lowest bucket with a bound <= 0");
  // A decrease within 1e-12 relative is float noise: evened out, not reported.
  assert.equal(q(0.5, [1, 2, inf], [10, 10 - 1e-12, 20]), 1);
  assert.equal(monotonicityFix.forced, false);
  // A real decrease is lifted to the count before it and reported.
  assert.equal(q(0.5, [1, 2, 3, inf], [4, 2, 6, 8]), 1); // counts 4 4 6 8: rank 4 ends bucket 1
  assert.deepEqual(
    { ...monotonicityFix },
    { forced: true, minBucket: 2, maxBucket: 2, maxDiff: 2 },
  );
});

test("coalesceBuckets adds counts of equal bounds", () => {
  const bounds = Float64Array.from([0.1, 0.2, 0.2, 0.2, Number.POSITIVE_INFINITY]);
  const counts = Float64Array.from([1, 1, 1, 1, 4]);
  const n = coalesceBuckets(bounds, counts, 5);
  assert.equal(n, 3);
  assert.deepEqual(Array.from(bounds.subarray(0, n)), [0.1, 0.2, Number.POSITIVE_INFINITY]);
  assert.deepEqual(Array.from(counts.subarray(0, n)), [1, 3, 4]);
});
