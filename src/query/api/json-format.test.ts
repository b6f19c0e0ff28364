import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatTimestamp, formatValue, resultJson, statsJson } from "./json-format.js";

test("special values are written as Prometheus writes them", () => {
  assert.equal(formatValue(Number.NaN), "NaN");
  assert.equal(formatValue(Number.POSITIVE_INFINITY), "+Inf");
  assert.equal(formatValue(Number.NEGATIVE_INFINITY), "-Inf");
  assert.equal(formatValue(0), "0");
  assert.equal(formatValue(-0), "-0");
});

test("values between 1e-6 and 1e21 are plain decimals with the shortest round-trip digits", () => {
  assert.equal(formatValue(0.1 + 0.2), "0.30000000000000004");
  assert.equal(formatValue(1e20), "100000000000000000000");
  assert.equal(formatValue(123456789012345680000), "123456789012345680000");
  assert.equal(formatValue(0.000001), "0.000001");
  assert.equal(formatValue(-2.5), "-2.5");
  assert.equal(formatValue(42), "42");
});

test("values outside that range use Go's exponent form, two exponent digits at least", () => {
  assert.equal(formatValue(1e-7), "1e-07");
  assert.equal(formatValue(9.99e-7), "9.99e-07");
  assert.equal(formatValue(1e21), "1e+21");
  assert.equal(formatValue(-1.5e300), "-1.5e+300");
  assert.equal(formatValue(5e-324), "5e-324");
});

test("every finite value reads back to itself, and uses no exponent in Go's 'f' range", () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
      const s = formatValue(v);
      assert.ok(Object.is(Number(s), v), `${v} -> ${s}`);
      const a = Math.abs(v);
      if (a >= 1e-6 && a < 1e21) assert.ok(!s.includes("e"), s);
    }),
  );
});

test("timestamps are unix seconds with the milliseconds zero-padded", () => {
  assert.equal(formatTimestamp(1435781451781), "1435781451.781");
  assert.equal(formatTimestamp(1435781451000), "1435781451");
  assert.equal(formatTimestamp(1435781451050), "1435781451.050");
  assert.equal(formatTimestamp(5), "0.005");
  assert.equal(formatTimestamp(-1500), "-1.500");
});

test("results are rendered in Prometheus's shapes", () => {
  const labels = [
    { name: "__name__", value: "up" },
    { name: "job", value: 'a"b' },
  ];
  const times = new Float64Array([1000, 2500]);
  const values = new Float64Array([1, Number.NaN]);
  assert.deepEqual(
    JSON.parse(resultJson({ resultType: "matrix", series: [{ labels, timesMs: times, values }] })),
    [
      {
        metric: { __name__: "up", job: 'a"b' },
        values: [
          [1, "1"],
          [2.5, "NaN"],
        ],
      },
    ],
  );
  assert.deepEqual(
    JSON.parse(resultJson({ resultType: "vector", series: [{ labels, timesMs: times, values }] })),
    [{ metric: { __name__: "up", job: 'a"b' }, value: [1, "1"] }],
  );
  assert.equal(resultJson({ resultType: "scalar", timeMs: 1500, value: 2 }), '[1.500,"2"]');
  assert.equal(resultJson({ resultType: "string", timeMs: 0, value: "x" }), '[0,"x"]');
  assert.equal(resultJson({ resultType: "vector", series: [] }), "[]");
});

test("stats carry timings in seconds, the API's queue time, and per-step samples when present", () => {
  const s = statsJson(
    {
      totalQueryableSamples: 10,
      peakSamples: 4,
      totalQueryableSamplesPerStep: [{ timeMs: 1000, samples: 3 }],
      timings: {
        evalTotalTimeMs: 1500,
        resultSortTimeMs: 0,
        queryPreparationTimeMs: 1,
        innerEvalTimeMs: 2,
        execQueueTimeMs: 0,
        execTotalTimeMs: 2000,
      },
    },
    250,
  ) as { timings: Record<string, number>; samples: Record<string, unknown> };
  assert.equal(s.timings.evalTotalTime, 1.5);
  assert.equal(s.timings.execQueueTime, 0.25);
  assert.equal(s.timings.execTotalTime, 2.25);
  assert.deepEqual(s.samples.totalQueryableSamplesPerStep, [[1, 3]]);
  assert.equal(s.samples.totalQueryableSamples, 10);
  assert.equal(s.samples.peakSamples, 4);
});
