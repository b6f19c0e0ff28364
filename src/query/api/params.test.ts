import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ParamError,
  parseDuration,
  parseLimit,
  parsePromDuration,
  parseTime,
  parseTimeParam,
} from "./params.js";

test("times parse as unix float seconds or RFC 3339, as Prometheus's parseTime", () => {
  assert.equal(parseTime("123"), 123_000);
  assert.equal(parseTime("123.123"), 123_123);
  assert.equal(parseTime("1543578564.705"), 1_543_578_564_705);
  assert.equal(parseTime("-1.5"), -1500);
  assert.equal(parseTime("1e3"), 1_000_000);
  const ts = Date.UTC(2015, 5, 3, 13, 21, 58, 555);
  assert.equal(parseTime("2015-06-03T13:21:58.555Z"), ts);
  assert.equal(parseTime("2015-06-03T14:21:58.555+01:00"), ts);
  assert.equal(parseTime("2015-06-03T13:21:58.555999999Z"), ts);
  assert.equal(parseTime("2015-06-03T13:21:58Z"), ts - 555);
  // Go's zero time, year 1, is unix -62135596800 s.
  assert.equal(parseTime("0001-01-01T00:00:00Z"), -62_135_596_800_000);
});

test("unparseable times fail with Prometheus's message", () => {
  for (const bad of [
    "",
    "abc",
    "30s",
    "2015-06-03",
    "2015-13-03T13:21:58Z",
    "2015-02-30T00:00:00Z",
    "Inf",
    "NaN",
    "0x10",
  ]) {
    assert.throws(
      () => parseTime(bad),
      (e: Error) => {
        assert.ok(e instanceof ParamError);
        assert.equal(e.message, `cannot parse ${JSON.stringify(bad)} to a valid timestamp`);
        return true;
      },
    );
  }
});

test("an optional time takes its default when absent and names itself when wrong", () => {
  assert.equal(parseTimeParam("start", null, 7), 7);
  assert.equal(parseTimeParam("start", "", 7), 7);
  assert.throws(() => parseTimeParam("start", "foo", 0), {
    message: `invalid parameter "start": invalid time value for 'start': cannot parse "foo" to a valid timestamp`,
  });
});

test("durations parse as float seconds or Prometheus durations", () => {
  assert.equal(parseDuration("123"), 123_000);
  assert.equal(parseDuration("123.333"), 123_333);
  assert.equal(parseDuration("15s"), 15_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("1d2h"), 93_600_000);
  assert.equal(parseDuration("1w"), 604_800_000);
  assert.equal(parseDuration("1y"), 31_536_000_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration("-5"), -5000);
});

test("bad durations fail with Prometheus's messages", () => {
  for (const bad of [
    "",
    "abc",
    "2015-06-03T13:21:58.555Z",
    "1.5h",
    "5m1h",
    "5m5m",
    "5",
    "m",
  ].filter((b) => b !== "5")) {
    assert.throws(() => parseDuration(bad), {
      message: `cannot parse ${JSON.stringify(bad)} to a valid duration`,
    });
  }
  for (const big of ["148966367200.372", "-148966367200.372"]) {
    assert.throws(() => parseDuration(big), {
      message: `cannot parse ${JSON.stringify(big)} to a valid duration. It overflows int64`,
    });
  }
  assert.equal(parsePromDuration("1h5m"), 3_900_000);
  assert.equal(parsePromDuration("5m1h"), null);
});

test("limit is a non-negative integer, 0 when absent", () => {
  assert.equal(parseLimit(null), 0);
  assert.equal(parseLimit(""), 0);
  assert.equal(parseLimit("10"), 10);
  assert.throws(() => parseLimit("-1"), {
    message: `invalid parameter "limit": limit must be non-negative`,
  });
  assert.throws(() => parseLimit("x"), {
    message: `invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax`,
  });
});
