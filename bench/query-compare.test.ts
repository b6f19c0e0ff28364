import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { compareQueryData, parseSampleValue, valuesAgree } from "./query-compare.js";
import { quantile } from "./query-ingest.js";
import { median } from "./query-timing.js";

test("values agree within 1e-9 relative and not beyond", () => {
  assert.ok(valuesAgree(1, 1 + 5e-10));
  assert.ok(!valuesAgree(1, 1 + 2e-9));
  assert.ok(valuesAgree(-3e12, -3e12 * (1 + 9e-10)));
  assert.ok(!valuesAgree(-3e12, 3e12));
  // Relative, with no absolute floor: zero agrees only with zero.
  assert.ok(valuesAgree(0, -0));
  assert.ok(!valuesAgree(0, 1e-300));
});

test("NaN agrees only with NaN, an infinity only with itself", () => {
  assert.ok(valuesAgree(Number.NaN, Number.NaN));
  assert.ok(!valuesAgree(Number.NaN, 0));
  assert.ok(!valuesAgree(0, Number.NaN));
  assert.ok(valuesAgree(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY));
  assert.ok(!valuesAgree(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY));
  assert.ok(!valuesAgree(Number.POSITIVE_INFINITY, Number.MAX_VALUE));
});

test("agreement is symmetric and holds for any relative change under the tolerance", () => {
  fc.assert(
    fc.property(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }),
      fc.double({ min: -9e-10, max: 9e-10, noNaN: true }),
      (v, e) => {
        const w = v * (1 + e);
        return valuesAgree(v, w) && valuesAgree(w, v);
      },
    ),
  );
});

test("sample values parse as the API spells them", () => {
  assert.equal(parseSampleValue("+Inf"), Number.POSITIVE_INFINITY);
  assert.equal(parseSampleValue("-Inf"), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(parseSampleValue("NaN")));
  assert.equal(parseSampleValue("1.5e-7"), 1.5e-7);
  assert.throws(() => parseSampleValue(""), /not a sample value/);
  assert.throws(() => parseSampleValue("abc"), /not a sample value/);
});

const vector = (...series: [Record<string, string>, number, string][]) => ({
  resultType: "vector",
  result: series.map(([metric, t, v]) => ({ metric, value: [t, v] })),
});

test("vectors with the same series in another order agree", () => {
  const a = vector([{ job: "a" }, 100, "1"], [{ job: "b" }, 100, "2"]);
  const b = vector([{ job: "b" }, 100, "2.0000000001"], [{ job: "a" }, 100, "1"]);
  assert.equal(compareQueryData(a, b).count, 0);
});

test("a missing series, a moved timestamp or a value off by more than the tolerance differ", () => {
  const a = vector([{ job: "a" }, 100, "1"], [{ job: "b" }, 100, "2"]);
  const missing = compareQueryData(a, vector([{ job: "a" }, 100, "1"]));
  assert.equal(missing.count, 1);
  assert.match(missing.details[0], /job="b".*only in the first/);
  assert.equal(
    compareQueryData(a, vector([{ job: "a" }, 101, "1"], [{ job: "b" }, 100, "2"])).count,
    1,
  );
  assert.equal(
    compareQueryData(a, vector([{ job: "a" }, 100, "1"], [{ job: "b" }, 100, "2.00001"])).count,
    1,
  );
  assert.equal(
    compareQueryData(a, vector([{ job: "a", x: "1" }, 100, "1"], [{ job: "b" }, 100, "2"])).count,
    2,
  );
});

test("matrices compare point by point; result types must match", () => {
  const m = (values: [number, string][]) => ({
    resultType: "matrix",
    result: [{ metric: { __name__: "up" }, values }],
  });
  assert.equal(
    compareQueryData(
      m([
        [1, "1"],
        [2, "NaN"],
      ]),
      m([
        [1, "1"],
        [2, "NaN"],
      ]),
    ).count,
    0,
  );
  assert.equal(
    compareQueryData(
      m([[1, "1"]]),
      m([
        [1, "1"],
        [2, "1"],
      ]),
    ).count,
    1,
  );
  assert.equal(compareQueryData(m([[1, "1"]]), vector([{ __name__: "up" }, 1, "1"])).count, 1);
  assert.equal(
    compareQueryData(
      { resultType: "scalar", result: [5, "3"] },
      { resultType: "scalar", result: [5, "4"] },
    ).count,
    1,
  );
});

test("median and nearest-rank quantile", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 3);
  assert.ok(Number.isNaN(median([])));
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(quantile(hundred, 0.99), 99);
  assert.equal(quantile(hundred, 0.5), 50);
  assert.equal(quantile([7], 0.99), 7);
});
