import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatGoG as formatGoFloat } from "../go-format.js";
import { goMax, goMin, parseGoFloat } from "./go-numbers.js";

test("parseGoFloat reads the spellings of le that Prometheus's tests use", () => {
  assert.equal(parseGoFloat("0.1"), 0.1);
  assert.equal(parseGoFloat(".2"), 0.2);
  assert.equal(parseGoFloat("1e0"), 1);
  assert.equal(parseGoFloat("-.2"), -0.2);
  assert.equal(parseGoFloat("2e-1"), 0.2);
  assert.equal(parseGoFloat("2.0e-1"), 0.2);
  assert.equal(parseGoFloat("5."), 5);
  assert.equal(parseGoFloat("+Inf"), Number.POSITIVE_INFINITY);
  assert.equal(parseGoFloat("+inf"), Number.POSITIVE_INFINITY);
  assert.equal(parseGoFloat("-Infinity"), Number.NEGATIVE_INFINITY);
  assert.equal(parseGoFloat("INF"), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(parseGoFloat("NaN")));
  assert.ok(Number.isNaN(parseGoFloat("nan")));
  assert.equal(parseGoFloat("0x1p-2"), 0.25);
  assert.equal(parseGoFloat("-0x1.8p1"), -3);
});

test("parseGoFloat refuses what Go's ParseFloat refuses", () => {
  for (const bad of [
    "",
    " 1",
    "1 ",
    "Hello World",
    "0x10",
    "1_000",
    "+nan",
    "infin",
    "1e400",
    ".",
  ]) {
    assert.equal(parseGoFloat(bad), undefined, bad);
  }
  assert.equal(parseGoFloat("1e-400"), 0, "underflow is not an error in Go");
});

test("formatGoFloat prints as Go's %g", () => {
  assert.equal(formatGoFloat(0.5), "0.5");
  assert.equal(formatGoFloat(-0.1), "-0.1");
  assert.equal(formatGoFloat(1), "1");
  assert.equal(formatGoFloat(100000), "100000");
  assert.equal(formatGoFloat(1000000), "1e+06");
  assert.equal(formatGoFloat(123456789), "1.23456789e+08");
  assert.equal(formatGoFloat(0.0001), "0.0001");
  assert.equal(formatGoFloat(0.00001), "1e-05");
  assert.equal(formatGoFloat(1.5e-7), "1.5e-07");
  assert.equal(formatGoFloat(1e100), "1e+100");
  assert.equal(formatGoFloat(0), "0");
  assert.equal(formatGoFloat(-0), "-0");
  assert.equal(formatGoFloat(Number.NaN), "NaN");
  assert.equal(formatGoFloat(Number.POSITIVE_INFINITY), "+Inf");
  assert.equal(formatGoFloat(Number.NEGATIVE_INFINITY), "-Inf");
});

test("formatGoFloat with a precision rounds to that many digits as Go's %.2g", () => {
  assert.equal(formatGoFloat(5, 2), "5");
  assert.equal(formatGoFloat(50, 2), "50");
  assert.equal(formatGoFloat(500, 2), "5e+02");
  assert.equal(formatGoFloat(1.234, 2), "1.2");
  assert.equal(formatGoFloat(0.0123, 2), "0.012");
  assert.equal(formatGoFloat(99.9, 2), "1e+02");
});

test("formatGoFloat's shortest form reads back as the same float", () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
      const back = Number(formatGoFloat(v));
      assert.ok(Object.is(back, v) || (v === 0 && back === 0), `${v}`);
    }),
  );
});

test("goMax and goMin keep Go's special cases", () => {
  assert.equal(goMax(Number.POSITIVE_INFINITY, Number.NaN), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(goMax(1, Number.NaN)));
  assert.ok(Object.is(goMax(-0, 0), 0));
  assert.ok(Object.is(goMax(0, -0), 0));
  assert.equal(goMax(2, 3), 3);
  assert.equal(goMin(Number.NaN, Number.NEGATIVE_INFINITY), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(goMin(Number.NaN, 1)));
  assert.ok(Object.is(goMin(0, -0), -0));
  assert.equal(goMin(2, 3), 2);
});
