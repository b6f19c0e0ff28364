// The shared numeric helpers of the range-vector functions: compensated
// summation, the binary searches, Go's float formats in messages.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatGoF, formatGoG } from "../go-format.js";
import { firstAfter, firstAtOrAfter, kahanInc } from "./over-time-sweep.js";

describe("kahanInc", () => {
  test("carries what the rounded sum loses", () => {
    const k = { c: 0 };
    let sum = kahanInc(1, 1e16, 0, k);
    // 1e16 + 1 rounds to 1e16; the 1 is in the compensation.
    assert.equal(sum, 1e16);
    assert.equal(k.c, 1);
    sum = kahanInc(1, sum, k.c, k);
    assert.equal(sum + k.c, 1e16 + 2);
  });

  test("the larger operand may be the increment (Neumaier's swap)", () => {
    const k = { c: 0 };
    const sum = kahanInc(1e16, 1, 0, k);
    assert.equal(sum, 1e16);
    assert.equal(k.c, 1);
  });

  test("an infinite sum resets the compensation", () => {
    const k = { c: 5 };
    assert.equal(kahanInc(Number.POSITIVE_INFINITY, 1, 5, k), Number.POSITIVE_INFINITY);
    assert.equal(k.c, 0);
  });
});

describe("binary searches", () => {
  const t = new Float64Array([10, 20, 20, 30]);
  test("firstAfter finds the first time strictly greater", () => {
    assert.equal(firstAfter(t, 0, 4, 20), 3);
    assert.equal(firstAfter(t, 0, 4, 5), 0);
    assert.equal(firstAfter(t, 0, 4, 30), 4);
    assert.equal(firstAfter(t, 0, 2, 30), 2);
  });
  test("firstAtOrAfter finds the first time at or after", () => {
    assert.equal(firstAtOrAfter(t, 0, 4, 20), 1);
    assert.equal(firstAtOrAfter(t, 2, 4, 20), 2);
    assert.equal(firstAtOrAfter(t, 0, 4, 31), 4);
  });
});

describe("Go float formats", () => {
  test("%g: shortest digits, exponent below 1e-4 and from 1e6 with two exponent digits", () => {
    const cases: [number, string][] = [
      [2, "2"],
      [-0.5, "-0.5"],
      [1.5, "1.5"],
      [123456, "123456"],
      [1e6, "1e+06"],
      [1234567, "1.234567e+06"],
      [0.0001, "0.0001"],
      [0.00001, "1e-05"],
      [1e21, "1e+21"],
      [1e-100, "1e-100"],
      [0, "0"],
      [Number.NaN, "NaN"],
      [Number.POSITIVE_INFINITY, "+Inf"],
      [Number.NEGATIVE_INFINITY, "-Inf"],
    ];
    for (const [v, want] of cases) assert.equal(formatGoG(v), want, String(v));
  });

  test("%f: six decimals", () => {
    assert.equal(formatGoF(1), "1.000000");
    assert.equal(formatGoF(-0.25), "-0.250000");
    assert.equal(formatGoF(Number.NaN), "NaN");
    assert.equal(formatGoF(Number.POSITIVE_INFINITY), "+Inf");
  });
});
