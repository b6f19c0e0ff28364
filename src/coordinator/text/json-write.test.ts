// Tests of M3's JSON write body: timestamps as unix seconds or RFC 3339, each
// refusal naming its field, and properties (round-trip; garbage never throws
// anything but JsonWriteError).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { JsonWriteError, parseJsonWrite } from "./json-write.js";

const body = (timestamp: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ tags: { __name__: "up", host: "a" }, timestamp, value: 1.5, ...extra });

function instantOf(timestamp: unknown): [number, number] {
  const s = parseJsonWrite(body(timestamp), 0);
  return [s.timeMs, s.nsInMs];
}

function refusal(text: string): JsonWriteError {
  try {
    parseJsonWrite(text, 0);
  } catch (e) {
    assert.ok(e instanceof JsonWriteError, `not a JsonWriteError: ${e}`);
    assert.equal(e.code, "M3TS_ERR_JSON_WRITE");
    return e;
  }
  assert.fail(`accepted ${text}`);
}

describe("JSON write", () => {
  test("tags, timestamp and value become one sample", () => {
    assert.deepEqual(parseJsonWrite(body("1700000000"), 0), {
      labels: [
        ["__name__", "up"],
        ["host", "a"],
      ],
      timeMs: 1_700_000_000_000,
      nsInMs: 0,
      value: 1.5,
    });
  });

  test("a value of 0 is a sample (M3's nonzero check is not copied)", () => {
    assert.equal(parseJsonWrite(body("1", { value: 0 }), 0).value, 0);
  });

  test("unix seconds as a string: integer, fractional to the nanosecond, exponent", () => {
    assert.deepEqual(instantOf("1700000000.123456789"), [1_700_000_000_123, 456_789]);
    assert.deepEqual(instantOf("1700000000.1234567899"), [1_700_000_000_123, 456_789]);
    assert.deepEqual(instantOf("1.7e9"), [1_700_000_000_000, 0]);
    assert.deepEqual(instantOf("-1.5"), [-1500, 0]);
    assert.deepEqual(instantOf("+2"), [2000, 0]);
    assert.deepEqual(instantOf("0"), [0, 0]);
  });

  test("a JSON number timestamp is unix seconds, with no digits beyond the double's", () => {
    assert.deepEqual(instantOf(1_700_000_000), [1_700_000_000_000, 0]);
    assert.deepEqual(instantOf(1_700_000_000.123), [1_700_000_000_123, 0]);
    assert.deepEqual(instantOf(0.25), [250, 0]);
  });

  test("RFC 3339 with fractions and offsets", () => {
    const cases: [string, number, number][] = [
      ["2023-11-14T22:13:20Z", Date.UTC(2023, 10, 14, 22, 13, 20), 0],
      ["2023-11-14T22:13:20.5Z", Date.UTC(2023, 10, 14, 22, 13, 20, 500), 0],
      ["2023-11-14T22:13:20.123456789Z", Date.UTC(2023, 10, 14, 22, 13, 20, 123), 456_789],
      ["2023-11-14T22:13:20.1234567891Z", Date.UTC(2023, 10, 14, 22, 13, 20, 123), 456_789],
      ["2023-11-14T23:43:20+01:30", Date.UTC(2023, 10, 14, 22, 13, 20), 0],
      ["2023-11-14T20:13:20-02:00", Date.UTC(2023, 10, 14, 22, 13, 20), 0],
      ["2023-11-14t22:13:20z", Date.UTC(2023, 10, 14, 22, 13, 20), 0],
      ["2023-11-14 22:13:20Z", Date.UTC(2023, 10, 14, 22, 13, 20), 0],
      ["2024-02-29T00:00:00Z", Date.UTC(2024, 1, 29), 0],
      ["1969-12-31T23:59:59.999999999Z", -1, 999_999],
      ["1700-01-01T00:00:00Z", Date.UTC(1700, 0, 1), 0],
    ];
    for (const [text, timeMs, nsInMs] of cases) {
      assert.deepEqual(instantOf(text), [timeMs, nsInMs], text);
    }
  });

  test("invalid dates and times are refused, naming the timestamp", () => {
    for (const text of [
      "2023-02-29T00:00:00Z",
      "2023-13-01T00:00:00Z",
      "2023-00-01T00:00:00Z",
      "2023-04-31T00:00:00Z",
      "2023-01-01T24:00:00Z",
      "2023-01-01T00:60:00Z",
      "2023-12-31T23:59:60Z",
      "2023-01-01T00:00:00+24:00",
      "2023-01-01T00:00:00",
      "2023-01-01T00:00:00.Z",
      "2023-1-01T00:00:00Z",
      "yesterday",
      "",
      " 1",
      "1 ",
      "nan",
      "inf",
      "0x10",
    ]) {
      const e = refusal(body(text));
      assert.equal(e.field, "timestamp", text);
      assert.ok(e.message.includes(JSON.stringify(text)), e.message);
    }
  });

  test("instants outside int64 nanoseconds are refused; unix milliseconds are such an instant", () => {
    for (const ts of ["1700000000000", "9300000000", "1600-01-01T00:00:00Z", 1e300]) {
      const e = refusal(body(ts));
      assert.equal(e.field, "timestamp");
      assert.match(e.message, /outside/);
    }
  });

  const refusals: [string, string, RegExp][] = [
    ["{", "body", /not valid JSON/],
    ["", "body", /not valid JSON/],
    ["[]", "body", /expected a JSON object/],
    ["null", "body", /expected a JSON object/],
    ['{"timestamp":"1","value":1}', "tags", /got nothing/],
    ['{"tags":[],"timestamp":"1","value":1}', "tags", /got \[\]/],
    ['{"tags":"a=b","timestamp":"1","value":1}', "tags", /got "a=b"/],
    ['{"tags":{},"timestamp":"1","value":1}', "tags", /at least one tag/],
    ['{"tags":{"a":1},"timestamp":"1","value":1}', "tags.a", /expected a string value, got 1/],
    ['{"tags":{"a":null},"timestamp":"1","value":1}', "tags.a", /got null/],
    ['{"tags":{"a":"b"},"value":1}', "timestamp", /got nothing/],
    ['{"tags":{"a":"b"},"timestamp":true,"value":1}', "timestamp", /got true/],
    ['{"tags":{"a":"b"},"timestamp":"1"}', "value", /expected a number, got nothing/],
    ['{"tags":{"a":"b"},"timestamp":"1","value":"1"}', "value", /got "1"/],
    ['{"tags":{"a":"b"},"timestamp":"1","value":1e400}', "value", /float range/],
  ];
  for (const [text, field, message] of refusals) {
    test(`${text || "an empty body"} is refused on ${field}`, () => {
      const e = refusal(text);
      assert.equal(e.field, field);
      assert.ok(e.message.startsWith(`${field}: `), e.message);
      assert.match(e.message, message);
    });
  }

  test("generated bodies parse back to their tags, value and instant", () => {
    const MIN_S = -9_223_372_035n; // inside the int64 ns range
    const MAX_S = 9_223_372_035n;
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), {
          minKeys: 1,
          maxKeys: 5,
        }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.bigInt({ min: MIN_S, max: MAX_S }),
        fc.bigInt({ min: 0n, max: 999_999_999n }),
        fc.constantFrom("seconds", "rfc3339"),
        fc.integer({ min: -23 * 60, max: 23 * 60 }),
        (tags, value, seconds, ns, form, offsetMin) => {
          const totalNs = seconds * 1_000_000_000n + ns;
          let timestamp: string;
          if (form === "seconds") {
            // Write -1.25 s as "-1.25": sign, whole seconds, fraction.
            const neg = totalNs < 0n;
            const abs = neg ? -totalNs : totalNs;
            timestamp = `${neg ? "-" : ""}${abs / 1_000_000_000n}.${(abs % 1_000_000_000n).toString().padStart(9, "0")}`;
          } else {
            // Local time at the offset, from Date (ms) plus the ns digits.
            const ms = Number(seconds * 1000n) + offsetMin * 60_000;
            const d = new Date(ms);
            if (d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999) return;
            const sign = offsetMin < 0 ? "-" : "+";
            const a = Math.abs(offsetMin);
            const off = `${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
            timestamp = `${d.toISOString().slice(0, 19)}.${ns.toString().padStart(9, "0")}${off}`;
          }
          const s = parseJsonWrite(JSON.stringify({ tags, timestamp, value }), 0);
          const msFloor =
            totalNs >= 0n ? totalNs / 1_000_000n : -((-totalNs + 999_999n) / 1_000_000n);
          assert.deepEqual(s, {
            labels: Object.entries(tags),
            timeMs: Number(msFloor),
            nsInMs: Number(totalNs - msFloor * 1_000_000n),
            value: JSON.parse(JSON.stringify(value)),
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  test("garbage and truncated bodies throw only JsonWriteError", () => {
    const valid = body("2023-11-14T22:13:20.5+01:00");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 100 }),
          fc.string({ unit: "binary", maxLength: 60 }),
          fc.json(),
          fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
          fc
            .tuple(fc.nat({ max: valid.length - 1 }), fc.string({ maxLength: 3 }))
            .map(([at, s]) => valid.slice(0, at) + s + valid.slice(at + 1)),
        ),
        (text) => {
          try {
            const s = parseJsonWrite(text, 0);
            assert.ok(Number.isSafeInteger(s.timeMs));
            assert.ok(s.nsInMs >= 0 && s.nsInMs < 1_000_000);
            assert.ok(Number.isFinite(s.value));
          } catch (e) {
            assert.ok(e instanceof JsonWriteError, String(e));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
