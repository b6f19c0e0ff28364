// Property tests of the M3TSZ codec: every series the encoder accepts decodes
// back exactly (instants to the nanosecond, units, values bit for bit), with
// and without the integer optimisation, appended in order or encoded in any
// order. The series come from m3tsz-series-arbitrary.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { TimeUnit } from "../x/index.js";
import { M3tszEncoder, M3tszIterator } from "./index.js";
import {
  anyValueHex,
  arrayOf,
  bigIntHex,
  checkRoundTrip,
  constantRunsOf,
  countersOf,
  decimalsOf,
  decode,
  doubleHex,
  everyKindOf,
  mixedOf,
  RUNS,
  rawBitsHex,
  SEED,
  type Series,
  seriesOf,
} from "./m3tsz-series-arbitrary.js";

function roundTripProperty(arb: fc.Arbitrary<Series>, numRuns = RUNS): void {
  fc.assert(
    fc.property(arb, (s) => {
      checkRoundTrip(s);
    }),
    { seed: SEED, includeErrorInReport: true, numRuns },
  );
}

test("arbitrary doubles, with NaN, -0, ±Inf and subnormals, round-trip bit for bit", () => {
  roundTripProperty(seriesOf(arrayOf(doubleHex)));
});

test("raw 64-bit patterns, NaN payloads included, round-trip bit for bit", () => {
  roundTripProperty(seriesOf(arrayOf(rawBitsHex)));
});

test("integer counters with resets round-trip exactly", () => {
  roundTripProperty(seriesOf(countersOf));
});

test("decimals with 1 to 6 places round-trip to the same double", () => {
  roundTripProperty(seriesOf(decimalsOf));
});

test("integers near and beyond 2^53 round-trip exactly", () => {
  roundTripProperty(seriesOf(arrayOf(bigIntHex)));
});

test("values flipping between integer and float mode round-trip exactly", () => {
  roundTripProperty(seriesOf(mixedOf));
});

test("long runs of a constant value of any kind round-trip exactly", () => {
  roundTripProperty(seriesOf(constantRunsOf, { maxPoints: 400 }), 150);
});

test("irregular intervals and gaps of days between points round-trip exactly", () => {
  roundTripProperty(seriesOf(everyKindOf, { gaps: "days" }));
});

test("sub-millisecond nanosecond timestamps with unit ns round-trip exactly", () => {
  roundTripProperty(seriesOf(everyKindOf, { units: [TimeUnit.Nanosecond], gaps: "subMs" }));
});

test("time units changing from point to point round-trip exactly", () => {
  roundTripProperty(seriesOf(everyKindOf, { mixUnits: true }));
});

test("annotations round-trip: the one in force is the last non-empty one written", () => {
  roundTripProperty(seriesOf(everyKindOf, { mixUnits: true, annotations: true }));
});

test("the empty series encodes to no bytes and decodes to no points", () => {
  for (const intOptimized of [true, false]) {
    const enc = new M3tszEncoder(1_700_000_000_000, 0, { intOptimized });
    assert.equal(enc.byteLength, 0);
    assert.equal(enc.bytes().length, 0);
    assert.deepEqual(decode(new M3tszIterator(null, { intOptimized }), enc.bytes()), []);
  }
});

test("encode() in any time order, with repeated instants, round-trips in write order", () => {
  const arb = seriesOf(everyKindOf, {
    mixUnits: true,
    gaps: "noDays",
    beforeStart: true,
  }).chain((s) =>
    fc
      .tuple(
        fc.shuffledSubarray(s.points, { minLength: s.points.length, maxLength: s.points.length }),
        // Some instants written twice, with another value.
        fc.array(fc.tuple(fc.nat(s.points.length - 1), anyValueHex), { maxLength: 5 }),
      )
      .map(([shuffled, dups]) => {
        const points = [...shuffled];
        for (const [i, value] of dups) points.splice(i, 0, { ...shuffled[i], value });
        return { ...s, points };
      }),
  );
  fc.assert(
    fc.property(arb, (s) => {
      checkRoundTrip(s, "encode");
    }),
    { seed: SEED, includeErrorInReport: true, numRuns: RUNS },
  );
});
