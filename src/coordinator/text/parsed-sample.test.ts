// Tests of the exact decimal-to-instant parsing the text protocols share,
// against a BigInt oracle.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { instantInRange, parseDecimalInstant, parseIntegerMsInstant } from "./parsed-sample.js";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The instant of `ns` epoch nanoseconds as [floor ms, ns past it]. */
function split(ns: bigint): [number, number] {
  const ms = ns >= 0n ? ns / 1_000_000n : -((-ns + 999_999n) / 1_000_000n);
  return [Number(ms), Number(ns - ms * 1_000_000n)];
}

function pair(r: ReturnType<typeof parseDecimalInstant>): [number, number] | string {
  return typeof r === "string" ? r : [r.timeMs, r.nsInMs];
}

describe("decimal instants", () => {
  test("integers in every power-of-ten unit match the BigInt product", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
        fc.constantFrom(0, 3, 6, 9),
        (ns, exp) => {
          const unit = 10n ** BigInt(exp);
          const count = ns / unit;
          assert.deepEqual(
            pair(parseDecimalInstant(String(count), exp, false)),
            split(count * unit),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  test("fractional seconds with an exponent move the point, truncating below a nanosecond", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        fc.integer({ min: -30, max: 30 }),
        fc.boolean(),
        (mantissa, exp, negative) => {
          const text = `${negative ? "-" : ""}${mantissa}e${exp}`;
          // mantissa × 10^exp seconds = mantissa × 10^(exp+9) ns, truncated toward zero.
          const e = exp + 9;
          let abs = e >= 0 ? mantissa * 10n ** BigInt(e) : mantissa / 10n ** BigInt(-e);
          if (negative) abs = -abs;
          const expected = abs < INT64_MIN || abs > INT64_MAX ? "range" : split(abs);
          assert.deepEqual(pair(parseDecimalInstant(text, 9, true)), expected, text);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test("the int64 nanosecond range ends exactly", () => {
    assert.deepEqual(pair(parseDecimalInstant(String(INT64_MAX), 0, false)), split(INT64_MAX));
    assert.equal(parseDecimalInstant(String(INT64_MAX + 1n), 0, false), "range");
    assert.deepEqual(pair(parseDecimalInstant(String(INT64_MIN), 0, false)), split(INT64_MIN));
    assert.equal(parseDecimalInstant(String(INT64_MIN - 1n), 0, false), "range");
    assert.equal(instantInRange(...split(INT64_MAX)), true);
    assert.equal(instantInRange(...split(INT64_MAX + 1n)), false);
  });

  test("syntax: fractions, exponents and + only when allowed; no empty digits", () => {
    for (const text of ["", "-", "+", ".", "e5", "1.5", "1e3", "+1", " 1", "1 ", "0x1", "1_0"]) {
      assert.equal(parseDecimalInstant(text, 0, false), "syntax", text);
    }
    for (const text of ["", "-", ".", "e5", ".e1", "1e", "1e+", "--1", "1.2.3", "inf", "nan"]) {
      assert.equal(parseDecimalInstant(text, 9, true), "syntax", text);
    }
    assert.deepEqual(pair(parseDecimalInstant("-0", 9, true)), [0, 0]);
    assert.ok(Object.is((parseDecimalInstant("-0.0", 9, true) as { timeMs: number }).timeMs, 0));
    assert.deepEqual(pair(parseDecimalInstant("1e-999999999", 9, true)), [0, 0]);
    assert.equal(parseDecimalInstant("1e999999999", 9, true), "range");
    assert.deepEqual(pair(parseDecimalInstant(`${"0".repeat(100)}1`, 9, true)), [1000, 0]);
  });

  test("whole-millisecond units (minutes, hours) and their range", () => {
    assert.deepEqual(pair(parseIntegerMsInstant("-3", 60_000)), [-180_000, 0]);
    assert.deepEqual(pair(parseIntegerMsInstant("0002", 3_600_000)), [7_200_000, 0]);
    assert.equal(parseIntegerMsInstant("2562048", 3_600_000), "range");
    assert.equal(parseIntegerMsInstant("1.5", 60_000), "syntax");
    assert.equal(parseIntegerMsInstant("9".repeat(40), 60_000), "range");
  });
});
