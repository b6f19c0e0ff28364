// Go-style duration strings to milliseconds, and back.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatDurationMs, InvalidDurationError, parseDurationMs } from "./index.js";

test("parseDurationMs reads the durations M3's APIs use", () => {
  const cases: [string, number][] = [
    ["48h", 48 * 3_600_000],
    ["2h", 7_200_000],
    ["10m", 600_000],
    ["2m", 120_000],
    ["30s", 30_000],
    ["1h30m", 5_400_000],
    ["500ms", 500],
    ["0", 0],
    ["0s", 0],
    ["-0", 0],
    ["1h0m0s", 3_600_000],
    ["2h45m30s250ms", 2 * 3_600_000 + 45 * 60_000 + 30_000 + 250],
    ["1.5h", 5_400_000],
    [".5s", 500],
    ["1.s", 1000],
    ["0.001s", 1],
    ["1000000ns", 1],
    ["1000us", 1],
    ["1000\u00b5s", 1],
    ["1000\u03bcs", 1],
  ];
  for (const [text, ms] of cases) {
    assert.equal(parseDurationMs(text), ms, text);
  }
});

test("parseDurationMs keeps a sign as Go does", () => {
  assert.equal(parseDurationMs("-5m"), -300_000);
  assert.equal(parseDurationMs("+5m"), 300_000);
  assert.equal(Object.is(parseDurationMs("-0s"), 0), true, "no negative zero");
});

test("parseDurationMs is exact where floating point would not be", () => {
  assert.equal(parseDurationMs("0.1s"), 100);
  assert.equal(parseDurationMs("0.3h"), 1_080_000);
  assert.equal(
    parseDurationMs("2562047h"),
    2562047 * 3_600_000,
    "the largest whole hours in int64 ns",
  );
});

test("parseDurationMs rejects bad text with a typed error naming it", () => {
  const bad: [string, RegExp][] = [
    ["", /it is empty/],
    ["-", /it is empty/],
    ["48", /"48" has no unit/],
    ["1h30", /"30" has no unit/],
    ["1d", /unknown unit "d"/],
    ["1w", /unknown unit "w"/],
    ["1 h", /unknown unit " h"/],
    ["h", /expected a number before unit "h"/],
    [".h", /expected a number before unit "h"/],
    ["1.2.3s", /has no unit|unknown unit|expected a number/],
    ["1500us", /1500000 ns is not a whole number of milliseconds/],
    ["1ns", /not a whole number of milliseconds/],
    ["2562048h", /exceeds the int64 nanosecond range/],
  ];
  for (const [text, message] of bad) {
    assert.throws(
      () => parseDurationMs(text),
      (e: unknown) =>
        e instanceof InvalidDurationError &&
        e.code === "M3TS_ERR_INVALID_DURATION" &&
        e.text === text &&
        message.test(e.message),
      `for ${JSON.stringify(text)}`,
    );
  }
});

test("formatDurationMs writes compact durations that parse back", () => {
  assert.equal(formatDurationMs(0), "0s");
  assert.equal(formatDurationMs(7_200_000), "2h");
  assert.equal(formatDurationMs(5_400_000), "1h30m");
  assert.equal(formatDurationMs(500), "500ms");
  assert.equal(formatDurationMs(-300_000), "-5m");
  assert.equal(formatDurationMs(48 * 3_600_000 + 1), "48h1ms");
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (ms) => {
      assert.equal(parseDurationMs(formatDurationMs(ms)), ms);
    }),
    { seed: 42, includeErrorInReport: true, numRuns: 500 },
  );
});
