// The parameters of the query API parsed as Prometheus parses them
// (web/api/v1 parseTime, parseDuration, parseLimitParam), with its error
// texts, so that a client sees the same 400 from m3ts as from Prometheus.

import { QueryError } from "../errors.js";
import { parseDurationMs } from "../parser/index.js";

/** A parameter the API cannot take: 400 bad_data with Prometheus's wording. */
export class ParamError extends QueryError {
  constructor(message: string) {
    super("bad_data", 400, message, "M3TS_ERR_QUERY_PARAM");
  }
}

/** `invalid parameter "name": reason`, Prometheus's invalidParamError. */
export function invalidParam(name: string, reason: string): ParamError {
  return new ParamError(`invalid parameter ${JSON.stringify(name)}: ${reason}`);
}

/**
 * Prometheus's default bounds of an optional time range (web/api/v1
 * MinTime and MaxTime), in milliseconds. They lie far past what a float64
 * holds exactly; they only ever mean "unbounded".
 */
export const MIN_TIME_MS = -9223309901257974 * 1000;
export const MAX_TIME_MS = 9223309901257974 * 1000 + 999;

// Those bounds in RFC 3339, the only times with more than four year digits
// that Prometheus's parseTime accepts (clients echo them back).
const MIN_TIME_TEXT = "-292273086-05-17T16:47:06Z";
const MAX_TIME_TEXT = "292277025-08-18T07:12:54.999999999Z";

/** Go's strconv.ParseFloat decimal syntax, plus its inf/infinity/nan words. */
const GO_FLOAT = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

/** A float as Go's ParseFloat reads it (decimal forms), or null. */
export function parseGoFloat(s: string): number | null {
  if (!GO_FLOAT.test(s)) return null;
  const lower = s.toLowerCase().replace(/^[+]/, "");
  if (lower === "nan") return Number.NaN;
  if (lower === "inf" || lower === "infinity") return Number.POSITIVE_INFINITY;
  if (lower === "-inf" || lower === "-infinity") return Number.NEGATIVE_INFINITY;
  return Number(s);
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** RFC 3339 (fractions allowed) as Go's time.Parse(RFC3339Nano) reads it, in ms, or null. */
function parseRfc3339(s: string): number | null {
  const m = RFC3339.exec(s);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMin = 0;
  if (m[8] !== "Z") {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMin = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC maps years 0-99 to 1900-1999; set the year back.
  const base = year < 100 ? new Date(utc).setUTCFullYear(year) : utc;
  // Prometheus keeps milliseconds, truncating what is finer.
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  return base + ms - offsetMin * 60_000;
}

/**
 * A time parameter: unix seconds as a float (rounded to the millisecond),
 * or RFC 3339 with an optional fraction. Throws Prometheus's
 * `cannot parse "x" to a valid timestamp`.
 */
export function parseTime(s: string): number {
  const f = parseGoFloat(s);
  if (f !== null && Number.isFinite(f)) {
    // Prometheus splits whole seconds and fraction and rounds the fraction to ms.
    const whole = Math.trunc(f);
    return whole * 1000 + Math.round((f - whole) * 1000);
  }
  const t = parseRfc3339(s);
  if (t !== null) return t;
  if (s === MIN_TIME_TEXT) return MIN_TIME_MS;
  if (s === MAX_TIME_TEXT) return MAX_TIME_MS;
  throw new ParamError(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
}

/** An optional time parameter (series, labels): the default when empty, else parseTime with its wrapping. */
export function parseTimeParam(name: string, value: string | null, defaultMs: number): number {
  if (value === null || value === "") return defaultMs;
  try {
    return parseTime(value);
  } catch (e) {
    throw invalidParam(name, `invalid time value for '${name}': ${(e as Error).message}`);
  }
}

const INT64_MAX = 2 ** 63;

/**
 * A Prometheus duration (common/model ParseDuration): units in the order
 * y w d h m s ms, each at most once, whole numbers only; "0" alone too.
 * Milliseconds, or null when it does not parse.
 */
export function parsePromDuration(s: string): number | null {
  const d = parseDurationMs(s);
  return typeof d === "number" ? d : null;
}

/**
 * A duration parameter: float seconds or a Prometheus duration, in
 * milliseconds (Go keeps nanoseconds; finer than 1 ms is rounded here).
 */
export function parseDuration(s: string): number {
  const f = parseGoFloat(s);
  if (f !== null && !Number.isNaN(f)) {
    const ns = f * 1e9;
    if (ns >= INT64_MAX || ns < -INT64_MAX) {
      throw new ParamError(
        `cannot parse ${JSON.stringify(s)} to a valid duration. It overflows int64`,
      );
    }
    return Math.round(f * 1e6) / 1e3;
  }
  const d = parsePromDuration(s);
  if (d !== null) return d;
  throw new ParamError(`cannot parse ${JSON.stringify(s)} to a valid duration`);
}

/** The `limit` parameter: 0 (no limit) when empty, else a non-negative integer. */
export function parseLimit(value: string | null): number {
  if (value === null || value === "") return 0;
  if (!/^[+-]?\d+$/.test(value)) {
    throw invalidParam("limit", `strconv.Atoi: parsing ${JSON.stringify(value)}: invalid syntax`);
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw invalidParam(
      "limit",
      `strconv.Atoi: parsing ${JSON.stringify(value)}: value out of range`,
    );
  }
  if (n < 0) throw invalidParam("limit", "limit must be non-negative");
  return n;
}
