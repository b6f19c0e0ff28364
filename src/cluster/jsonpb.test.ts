// M3's Duration→Nanos rewrite of admin request bodies: renamed keys at any
// depth, exact nanoseconds, and errors that name their path.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatDurationMs } from "../x/index.js";
import { durationToNanos } from "./jsonpb.js";
import { expectField, onlyAdminErrors } from "./testing.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const _DAY = 24 * HOUR;

// ---- durationToNanos ----------------------------------------------------------------

test("Duration keys become Nanos keys at any depth, arrays included; other keys stay", () => {
  const out = durationToNanos({
    name: "ns",
    options: {
      retentionOptions: { retentionPeriodDuration: "48h", blockSizeDuration: "2h" },
      aggregationOptions: {
        aggregations: [{ aggregated: true, attributes: { resolutionDuration: "10s" } }],
      },
      bufferPastNanos: "600000000000",
    },
  });
  assert.deepEqual(out, {
    name: "ns",
    options: {
      retentionOptions: {
        retentionPeriodNanos: String(48n * 3_600_000_000_000n),
        blockSizeNanos: String(2n * 3_600_000_000_000n),
      },
      aggregationOptions: {
        aggregations: [{ aggregated: true, attributes: { resolutionNanos: "10000000000" } }],
      },
      bufferPastNanos: "600000000000",
    },
  });
});

test("a key named __proto__ is kept as data, as JSON.parse made it", () => {
  const out = durationToNanos(JSON.parse('{"__proto__": {"xDuration": "1ms"}}')) as object;
  assert.deepEqual(Object.keys(out), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(JSON.stringify(out), '{"__proto__":{"xNanos":"1000000"}}');
});

test("a number under a Duration key is taken as nanoseconds", () => {
  assert.deepEqual(durationToNanos({ blockSizeDuration: 7_200_000_000_000 }), {
    blockSizeNanos: 7_200_000_000_000,
  });
});

test("like M3, only the first 'Duration' of a key is replaced", () => {
  assert.deepEqual(durationToNanos({ aDurationBDuration: "1s" }), {
    aNanosBDuration: "1000000000",
  });
});

test("Duration rewrite errors name the path", () => {
  expectField(() => durationToNanos({ a: { bDuration: "2 days" } }), "a.bDuration", /duration/);
  expectField(() => durationToNanos({ a: [{ bDuration: true }] }), "a[0].bDuration");
  expectField(() => durationToNanos({ xDuration: null }), "xDuration");
  expectField(
    () => durationToNanos({ blockSizeDuration: "2h", blockSizeNanos: "1" }),
    "blockSizeDuration",
    /not both/,
  );
});

test("any whole-ms duration string becomes its nanoseconds, exactly", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9_000_000_000_000 }), (ms) => {
      const out = durationToNanos({ r: { xDuration: formatDurationMs(ms) } });
      assert.deepEqual(out, { r: { xNanos: (BigInt(ms) * 1_000_000n).toString() } });
    }),
    { numRuns: 1000 },
  );
});

test("durationToNanos on any JSON returns a value or an AdminRequestError", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (json) => onlyAdminErrors(() => durationToNanos(json))),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      fc.dictionary(fc.constantFrom("aDuration", "b", "cDuration"), fc.jsonValue()),
      (json) => onlyAdminErrors(() => durationToNanos({ nested: [json] })),
    ),
    { numRuns: 1000 },
  );
});
