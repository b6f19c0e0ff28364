import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Steps } from "../block.js";
import { callFn, context, rangeSteps, readRows, sca, vec } from "./instant-fixtures.js";
import { calendarFieldOf } from "./time-functions.js";

const AT_0: Steps = { startMs: 0, stepMs: 0, count: 1 };

function dateOf(name: string, seconds: number): number | null {
  const out = callFn(name, [vec(AT_0, [[{}, [seconds]]])], context(AT_0, name, []));
  return readRows(out)[0].values[0];
}

test("calendar functions without an argument read the step's time (functions.test at 0m)", () => {
  const expected: Record<string, number> = {
    year: 1970,
    month: 1,
    day_of_month: 1,
    day_of_year: 1,
    day_of_week: 4, // a Thursday
    hour: 0,
    minute: 0,
    days_in_month: 31,
  };
  for (const [name, want] of Object.entries(expected)) {
    const rows = readRows(callFn(name, [], context(AT_0, name)));
    assert.deepEqual(rows, [{ labels: "{}", dropName: false, values: [want] }], name);
  }
});

test("calendar functions of a value, as functions.test expects", () => {
  // 1136239445 is 2006-01-02 22:04:05 UTC, a Monday.
  assert.equal(dateOf("year", 1136239445), 2006);
  assert.equal(dateOf("month", 1136239445), 1);
  assert.equal(dateOf("day_of_month", 1136239445), 2);
  assert.equal(dateOf("day_of_year", 1136239445), 2);
  assert.equal(dateOf("day_of_week", 1136239445), 1);
  assert.equal(dateOf("hour", 1136239445), 22);
  assert.equal(dateOf("minute", 1136239445), 4);
  assert.equal(dateOf("year", 1230767999), 2008);
  assert.equal(dateOf("year", 1230768000), 2009);
  assert.equal(dateOf("month", 1456790399), 2);
  assert.equal(dateOf("day_of_month", 1456790399), 29);
  assert.equal(dateOf("month", 1456790400), 3);
  assert.equal(dateOf("day_of_month", 1456790400), 1);
  assert.equal(dateOf("day_of_year", 1483191420), 366);
  assert.equal(dateOf("day_of_year", 1672493820), 365);
  assert.equal(dateOf("days_in_month", 1454284800), 29);
  assert.equal(dateOf("days_in_month", 1485907200), 28);
});

test("a calendar function truncates the value towards zero and marks the name for dropping", () => {
  // -0.5 truncates to 0 (1970-01-01 00:00), -1 is 1969-12-31 23:59:59.
  assert.equal(dateOf("year", -0.5), 1970);
  assert.equal(dateOf("year", -1), 1969);
  assert.equal(dateOf("hour", -1), 23);
  assert.equal(dateOf("minute", 59.9), 0);
  const out = callFn("hour", [vec(AT_0, [[{ __name__: "m" }, [3600]]])], context(AT_0, "hour", []));
  assert.deepEqual(readRows(out), [{ labels: "m{}", dropName: true, values: [1] }]);
});

test("calendar functions of NaN and ±Inf give NaN", () => {
  for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 63]) {
    assert.ok(Number.isNaN(dateOf("year", v) as number), `${v}`);
  }
});

/** Midnight UTC of a date; Date.UTC would read the years 0 to 99 as 1900 to 1999. */
function utcMs(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  return d.getTime();
}

test("the calendar agrees with Date's UTC fields over nearly all of Date's range", () => {
  const maxSeconds = 8.6e12; // a year inside Date's ±8.64e12 s, so the start of every year is valid
  fc.assert(
    fc.property(fc.integer({ min: -maxSeconds, max: maxSeconds }), (s) => {
      const d = new Date(s * 1000);
      const startOfYear = utcMs(d.getUTCFullYear(), 0, 1);
      const startOfDay = utcMs(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      assert.equal(calendarFieldOf("year", s), d.getUTCFullYear());
      assert.equal(calendarFieldOf("month", s), d.getUTCMonth() + 1);
      assert.equal(calendarFieldOf("day_of_month", s), d.getUTCDate());
      assert.equal(calendarFieldOf("day_of_week", s), d.getUTCDay());
      assert.equal(calendarFieldOf("day_of_year", s), (startOfDay - startOfYear) / 86400000 + 1);
      assert.equal(
        calendarFieldOf("days_in_month", s),
        new Date(utcMs(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
      );
      assert.equal(calendarFieldOf("hour", s), d.getUTCHours());
      assert.equal(calendarFieldOf("minute", s), d.getUTCMinutes());
    }),
    { numRuns: 2000, examples: [[-62135596800], [-59011459200], [-1]] },
  );
});

test("time() is each step's time in seconds", () => {
  const s = rangeSteps(1, 1000, 3);
  const t = callFn("time", [], context(s, "time"));
  assert.deepEqual(t.type === "scalar" && Array.from(t.values), [0.001, 1.001, 2.001]);
});

test("timestamp() uses the selector's sample times, else the step times", () => {
  const s = rangeSteps(10_000, 10_000, 2);
  const fromSelector = vec(s, [[{ __name__: "metric" }, [1, 1]]], [10_000, 10_000]);
  const rows = readRows(callFn("timestamp", [fromSelector], context(s, "timestamp")));
  assert.deepEqual(rows, [{ labels: "metric{}", dropName: true, values: [10, 10] }]);
  const computed = vec(s, [[{ a: "b" }, [5, null]]]);
  const rows2 = readRows(callFn("timestamp", [computed], context(s, "timestamp")));
  assert.deepEqual(rows2[0].values, [10, null]);
});

test("vector() is one series without labels at every step", () => {
  const s = rangeSteps(0, 1000, 2);
  const ctx = context(s, "vector");
  const rows = readRows(callFn("vector", [sca(s, [1, Number.NaN])], ctx));
  assert.deepEqual(rows, [{ labels: "{}", dropName: false, values: [1, Number.NaN] }]);
  assert.equal(ctx.accounted, 2);
});

test("scalar() is the only sample's value, NaN for none or several", () => {
  const s = rangeSteps(0, 1000, 3);
  const v = vec(s, [
    [{ l: "x" }, [1, 5, null]],
    [{ l: "y" }, [2, null, null]],
  ]);
  const ctx = context(s, "scalar");
  const out = callFn("scalar", [v], ctx);
  assert.deepEqual(out.type === "scalar" && Array.from(out.values), [Number.NaN, 5, Number.NaN]);
  assert.equal(ctx.accounted, 3, "a scalar's points count as samples");
});
