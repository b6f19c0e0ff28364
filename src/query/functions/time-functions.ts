// Functions of time and of single values: time(), timestamp(), vector(),
// scalar(), and the calendar functions (year() ... minute()) in UTC.

import { emptyVector, type ScalarBlock, stepTime, type VectorBlock } from "../block.js";
import type { FunctionImpl } from "./function-impl.js";
import { droppingName, newScalar, newVector, scalarArg, vectorArg } from "./instant-args.js";

const SECONDS_PER_DAY = 86400;
/** Go converts a float to int64 before building a time; past ±2^63 the conversion is undefined. */
const INT64_LIMIT = 2 ** 63;

// The civil date of the last call to civilFromSeconds (no object per sample).
let civilYear = 0;
let civilMonth = 0; // 1..12
let civilDay = 0; // 1..31

/**
 * Splits whole seconds since the epoch into the proleptic Gregorian date in
 * UTC (Howard Hinnant's days-to-civil algorithm, exact in float arithmetic
 * for every day count below 2^53).
 */
function civilFromSeconds(seconds: number): void {
  const z = daysOf(seconds) + 719468; // days since 0000-03-01
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36524) -
      Math.floor(dayOfEra / 146096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153); // March = 0
  civilDay = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  civilMonth = mp < 10 ? mp + 3 : mp - 9;
  civilYear = yearOfEra + era * 400 + (civilMonth <= 2 ? 1 : 0);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A calendar field of whole seconds since the epoch. */
type CalendarField = (seconds: number) => number;

function daysOf(seconds: number): number {
  return Math.floor(seconds / SECONDS_PER_DAY);
}

function secondOfDay(seconds: number): number {
  return seconds - daysOf(seconds) * SECONDS_PER_DAY;
}

// hour, minute and day_of_week need no calendar; the others split the date.
const FIELDS: Record<string, CalendarField> = {
  year: (s) => {
    civilFromSeconds(s);
    return civilYear;
  },
  month: (s) => {
    civilFromSeconds(s);
    return civilMonth;
  },
  day_of_month: (s) => {
    civilFromSeconds(s);
    return civilDay;
  },
  day_of_year: (s) => {
    civilFromSeconds(s);
    const leapDay = civilMonth > 2 && isLeap(civilYear) ? 1 : 0;
    return DAYS_BEFORE_MONTH[civilMonth - 1] + civilDay + leapDay;
  },
  days_in_month: (s) => {
    civilFromSeconds(s);
    return civilMonth === 2 && isLeap(civilYear) ? 29 : DAYS_IN_MONTH[civilMonth - 1];
  },
  day_of_week: (s) => (((daysOf(s) + 4) % 7) + 7) % 7, // 1970-01-01 was a Thursday (4)
  hour: (s) => Math.floor(secondOfDay(s) / 3600),
  minute: (s) => Math.floor(secondOfDay(s) / 60) % 60,
};

/**
 * The calendar field of a sample's value read as seconds since the epoch
 * (truncated towards zero, as Go's int64 conversion). A value Go cannot
 * convert (NaN, ±Inf, past ±2^63) gives NaN here; Go's result is undefined.
 */
function fieldOfSeconds(field: CalendarField, value: number): number {
  if (!(Math.abs(value) < INT64_LIMIT)) return Number.NaN;
  return field(Math.trunc(value));
}

function calendarFunction(field: CalendarField): FunctionImpl {
  return (args, ctx) => {
    if (args.length === 0) {
      // No argument: the step's own time, as a vector with no labels.
      const values = new Float64Array(ctx.steps.count);
      for (let j = 0; j < values.length; j++) {
        values[j] = fieldOfSeconds(field, Math.trunc(stepTime(ctx.steps, j) / 1000));
      }
      return newVector(
        ctx,
        [{ labels: [], dropName: false }],
        values,
        new Uint8Array(values.length).fill(1),
      );
    }
    const input = vectorArg(args, 0, ctx);
    const values = new Float64Array(input.values.length);
    const present = input.present.slice();
    for (let i = 0; i < values.length; i++) {
      if (present[i] === 1) values[i] = fieldOfSeconds(field, input.values[i]);
    }
    return newVector(ctx, droppingName(input.series), values, present);
  };
}

const time: FunctionImpl = (_args, ctx): ScalarBlock => {
  const values = new Float64Array(ctx.steps.count);
  for (let j = 0; j < values.length; j++) values[j] = stepTime(ctx.steps, j) / 1000;
  return newScalar(ctx, values);
};

/** timestamp(v): the time of each sample in seconds, the step's time unless v came from a selector. */
const timestamp: FunctionImpl = (args, ctx) => {
  const input = vectorArg(args, 0, ctx);
  const count = input.steps.count;
  const values = new Float64Array(input.values.length);
  const present = input.present.slice();
  const sampleTimes = input.sampleTimesMs;
  for (let i = 0; i < values.length; i++) {
    if (present[i] !== 1) continue;
    const ms = sampleTimes === undefined ? stepTime(input.steps, i % count) : sampleTimes[i];
    values[i] = ms / 1000;
  }
  return newVector(ctx, droppingName(input.series), values, present);
};

/** vector(s): the scalar as one series with no labels. */
const vector: FunctionImpl = (args, ctx) => {
  const s = scalarArg(args, 0, ctx);
  return newVector(
    ctx,
    [{ labels: [], dropName: false }],
    s.values.slice(),
    new Uint8Array(ctx.steps.count).fill(1),
  );
};

/** scalar(v): the value of the only sample at each step, NaN for none or several. */
const scalar: FunctionImpl = (args, ctx): ScalarBlock => {
  const input: VectorBlock = vectorArg(args, 0, ctx);
  const count = input.steps.count;
  const values = new Float64Array(count);
  for (let j = 0; j < count; j++) {
    let found = 0;
    let value = Number.NaN;
    for (let i = j; i < input.values.length && found < 2; i += count) {
      if (input.present[i] === 1) {
        found++;
        value = input.values[i];
      }
    }
    values[j] = found === 1 ? value : Number.NaN;
  }
  return newScalar(ctx, values);
};

/**
 * start_timestamp(v) (experimental): Prometheus answers only for samples read
 * with their start times; ours carry none, so it is always empty, as
 * Prometheus's is without `use-start-timestamps`.
 */
const startTimestamp: FunctionImpl = (args, ctx) => {
  vectorArg(args, 0, ctx);
  return emptyVector(ctx.steps, []);
};

export const TIME_FUNCTIONS: Record<string, FunctionImpl> = {
  time,
  timestamp,
  start_timestamp: startTimestamp,
  vector,
  scalar,
  year: calendarFunction(FIELDS.year),
  month: calendarFunction(FIELDS.month),
  day_of_month: calendarFunction(FIELDS.day_of_month),
  day_of_week: calendarFunction(FIELDS.day_of_week),
  day_of_year: calendarFunction(FIELDS.day_of_year),
  days_in_month: calendarFunction(FIELDS.days_in_month),
  hour: calendarFunction(FIELDS.hour),
  minute: calendarFunction(FIELDS.minute),
};

/** For tests: the same field function as the table's, on seconds. */
export function calendarFieldOf(name: string, seconds: number): number {
  return fieldOfSeconds(FIELDS[name], seconds);
}
