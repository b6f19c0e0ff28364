// One sample as the text protocols (Influx line protocol, JSON, carbon) yield
// it, a line that could not be parsed, and the exact decimal-to-instant parsing
// they share.

/** Labels (names unique, any order), the instant as epoch ms plus 0..999999 ns, and the value. */
export interface ParsedSample {
  labels: [string, string][];
  timeMs: number;
  nsInMs: number;
  value: number;
}

/** A line refused by a text protocol parser: 1-based line number and why. */
export interface ParseProblem {
  line: number;
  reason: string;
}

/** An instant as whole epoch milliseconds plus the nanoseconds (0..999999) past them. */
export interface Instant {
  timeMs: number;
  nsInMs: number;
}

/** Why a decimal did not give an instant: not a decimal at all, or one outside int64 nanoseconds. */
export type InstantFailure = "syntax" | "range";

// The instants M3 can hold are signed 64-bit epoch nanoseconds
// (1677-09-21 to 2262-04-11); as ms + ns they are
// [-9223372036855 ms + 224192 ns, 9223372036854 ms + 775807 ns].
const MAX_MS = 9_223_372_036_854;
const MAX_NS_AT_MAX_MS = 775_807;
const MIN_MS = -9_223_372_036_855;
const MIN_NS_AT_MIN_MS = 224_192;

/** The text of an instant range failure, for messages. */
export const INSTANT_RANGE_TEXT =
  "1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z";

// Sign, integer digits, fraction digits, exponent. At least one digit must be
// present in the integer or fraction part (checked after matching).
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses a decimal count of 10^unitExp nanoseconds since the epoch (unitExp 9
 * for seconds, 0 for nanoseconds) from its digits, so nanoseconds stay exact:
 * a JS number cannot hold epoch nanoseconds. A fraction and an exponent are
 * allowed only when `fraction` is true; digits finer than a nanosecond are
 * dropped (truncated toward zero).
 */
export function parseDecimalInstant(
  text: string,
  unitExp: number,
  fraction: boolean,
): Instant | InstantFailure {
  const m = DECIMAL.exec(text);
  if (m === null) return "syntax";
  const [, sign, intDigits, fracDigits, expText] = m;
  if (intDigits === "" && (fracDigits ?? "") === "") return "syntax";
  if (!fraction && (fracDigits !== undefined || expText !== undefined || sign === "+")) {
    return "syntax";
  }
  let digits = fracDigits === undefined ? intDigits : intDigits + fracDigits;
  // `point` is where the decimal point falls in `digits` once scaled to ns.
  let point = intDigits.length + unitExp + clampExponent(expText);
  let zeros = 0;
  while (zeros < digits.length && digits.charCodeAt(zeros) === 0x30) zeros++;
  if (zeros === digits.length) return { timeMs: 0, nsInMs: 0 };
  digits = digits.slice(zeros);
  point -= zeros;
  if (point <= 0) return { timeMs: 0, nsInMs: 0 }; // finer than a nanosecond
  if (point > 19) return "range"; // at least 10^19 ns > 2^63 ns
  const nsText =
    point >= digits.length ? digits + "0".repeat(point - digits.length) : digits.slice(0, point);
  const split = nsText.length - 6;
  const msAbs = split > 0 ? Number(nsText.slice(0, split)) : 0;
  const nsAbs = Number(split > 0 ? nsText.slice(split) : nsText);
  return signedInstant(sign === "-", msAbs, nsAbs);
}

/** An integer count of `unitMs` milliseconds (Influx's `m` and `h` precisions). */
export function parseIntegerMsInstant(text: string, unitMs: number): Instant | InstantFailure {
  if (!/^-?\d+$/.test(text)) return "syntax";
  const negative = text.charCodeAt(0) === 0x2d;
  const digits = text.slice(negative ? 1 : 0).replace(/^0+/, "");
  // 2^63 ns is under 10^9 minutes; more digits is out of range whatever the unit.
  if (digits.length > 12) return "range";
  return signedInstant(negative, Number(digits) * unitMs, 0);
}

/** Applies the sign to |ms| + |ns| (flooring to whole ms) and checks the int64-ns range. */
function signedInstant(negative: boolean, msAbs: number, nsAbs: number): Instant | "range" {
  let timeMs = msAbs;
  let nsInMs = nsAbs;
  if (negative) {
    if (nsAbs > 0) {
      timeMs = -msAbs - 1;
      nsInMs = 1_000_000 - nsAbs;
    } else {
      timeMs = msAbs === 0 ? 0 : -msAbs; // never -0
    }
  }
  if (timeMs > MAX_MS || (timeMs === MAX_MS && nsInMs > MAX_NS_AT_MAX_MS)) return "range";
  if (timeMs < MIN_MS || (timeMs === MIN_MS && nsInMs < MIN_NS_AT_MIN_MS)) return "range";
  return { timeMs, nsInMs };
}

/** True when `timeMs` + `nsInMs` is within signed 64-bit epoch nanoseconds. */
export function instantInRange(timeMs: number, nsInMs: number): boolean {
  return signedInstant(false, timeMs, nsInMs) !== "range";
}

// Exponents beyond ±10^6 shift any digits far past either end of the range;
// clamping keeps the padding in parseDecimalInstant bounded.
function clampExponent(expText: string | undefined): number {
  if (expText === undefined) return 0;
  const e = Number(expText);
  if (e > 1_000_000) return 1_000_000;
  if (e < -1_000_000) return -1_000_000;
  return e;
}

/** `text` quoted for a message, cut to `maxChars` so a huge token cannot bloat the reason. */
export function quoteToken(text: string, maxChars = 64): string {
  return text.length <= maxChars
    ? JSON.stringify(text)
    : `${JSON.stringify(text.slice(0, maxChars))}…`;
}
