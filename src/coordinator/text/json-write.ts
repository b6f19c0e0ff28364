// M3's single-sample JSON write (src/query/api/v1/handler/json/write.go):
// `{"tags": {name: value, ...}, "timestamp": "<string>", "value": <number>}`.
//
// M3 reads the timestamp with util.ParseTimeString (src/query/util/timing.go):
// first as a float of unix seconds, then as RFC 3339 with optional fractional
// seconds. It has no unix-milliseconds form: a 13-digit number is seconds,
// tens of millennia ahead, and is refused here as out of range. M3 rounds the
// fraction to milliseconds through a float64; we keep it exact to the
// nanosecond from its digits (further digits are dropped). A JSON number
// timestamp (M3 refuses one) is taken as unix seconds, as exact as the double
// it arrives as. M3 also refuses a value of 0 (its "nonzero" validation), a
// quirk we do not copy.
import { M3tsError } from "../../x/index.js";
import {
  INSTANT_RANGE_TEXT,
  type Instant,
  instantInRange,
  type ParsedSample,
  parseDecimalInstant,
  quoteToken,
} from "./parsed-sample.js";

/** A JSON write body that is not a valid sample; `field` names the part at fault (HTTP 400). */
export class JsonWriteError extends M3tsError {
  readonly field: string;

  constructor(field: string, message: string) {
    super("M3TS_ERR_JSON_WRITE", `${field}: ${message}`);
    this.field = field;
  }
}

/** Parses a JSON write body into its one sample. `_nowMs` is unused: the body must carry a timestamp. */
export function parseJsonWrite(body: string, _nowMs: number): ParsedSample {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw new JsonWriteError("body", `not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) {
    throw new JsonWriteError(
      "body",
      `expected a JSON object with tags, timestamp and value, got ${describe(json)}`,
    );
  }
  const tags = json.tags;
  if (!isObject(tags)) {
    throw new JsonWriteError(
      "tags",
      `expected an object of tag names to string values, got ${describe(tags)}`,
    );
  }
  const labels: [string, string][] = [];
  for (const name of Object.keys(tags)) {
    const value = tags[name];
    if (typeof value !== "string") {
      throw new JsonWriteError(`tags.${name}`, `expected a string value, got ${describe(value)}`);
    }
    labels.push([name, value]);
  }
  if (labels.length === 0) throw new JsonWriteError("tags", "expected at least one tag, got {}");
  const value = json.value;
  if (typeof value !== "number") {
    throw new JsonWriteError("value", `expected a number, got ${describe(value)}`);
  }
  if (!Number.isFinite(value)) {
    // JSON.parse turns 1e400 into Infinity; the sender wrote no such value.
    throw new JsonWriteError("value", "expected a number within the 64-bit float range");
  }
  const time = timestampOf(json.timestamp);
  return { labels, timeMs: time.timeMs, nsInMs: time.nsInMs, value };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  const text = JSON.stringify(v);
  return text.length <= 64 ? text : `${text.slice(0, 64)}…`;
}

function timestampOf(ts: unknown): Instant {
  if (typeof ts === "number") {
    // String(n) is the shortest decimal that reads back as n: no digits the
    // double does not hold (toFixed would invent them).
    const t = parseDecimalInstant(String(ts), 9, true);
    if (typeof t === "string") throw outOfRange(ts);
    return t;
  }
  if (typeof ts !== "string") {
    throw new JsonWriteError(
      "timestamp",
      `expected a string of unix seconds or an RFC 3339 time, got ${describe(ts)}`,
    );
  }
  const seconds = parseDecimalInstant(ts, 9, true);
  if (seconds === "range") throw outOfRange(ts);
  if (seconds !== "syntax") return seconds;
  const t = parseRfc3339(ts);
  if (t === "range") throw outOfRange(ts);
  if (t === "syntax") {
    throw new JsonWriteError(
      "timestamp",
      `${quoteToken(ts)} is neither unix seconds (as "1700000000.5") nor an RFC 3339 time (as "2023-11-14T22:13:20.5Z")`,
    );
  }
  return t;
}

function outOfRange(ts: unknown): JsonWriteError {
  return new JsonWriteError(
    "timestamp",
    `${describe(ts)} is outside ${INSTANT_RANGE_TEXT} (unix seconds are expected, not milliseconds)`,
  );
}

// RFC 3339 §5.6 date-time; `t`, `z` and a space for `T` are allowed as the
// RFC's notes allow them. Any number of fraction digits is read; those past
// the nanosecond are dropped.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function parseRfc3339(text: string): Instant | "syntax" | "range" {
  const m = RFC3339.exec(text);
  if (m === null) return "syntax";
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  // Leap seconds (:60) are refused, as Go's time.Parse refuses them.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return "syntax";
  if (hour > 23 || minute > 59 || second > 59) return "syntax";
  let offsetMin = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return "syntax";
    offsetMin = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const frac = (m[7] ?? "").slice(0, 9).padEnd(9, "0");
  const fracMs = Number(frac.slice(0, 3));
  const nsInMs = Number(frac.slice(3));
  // Exact: |ms| stays far below 2^53 for years 0000..9999.
  const timeMs =
    daysFromCivil(year, month, day) * 86_400_000 +
    ((hour * 60 + minute - offsetMin) * 60 + second) * 1000 +
    fracMs;
  return instantInRange(timeMs, nsInMs) ? { timeMs, nsInMs } : "range";
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (counting in 400-year eras of 146097 days). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
