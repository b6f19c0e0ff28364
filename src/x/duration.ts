// Duration strings as M3's APIs and configs write them (Go's time.ParseDuration
// syntax: "48h", "10m", "1h30m", "1.5h", "500ms"), converted to integer ms.
import { M3tsError } from "./errors.js";

/** A duration string that does not parse, or is not a whole number of milliseconds. */
export class InvalidDurationError extends M3tsError {
  readonly text: string;

  constructor(text: string, reason: string) {
    const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
    super(
      "M3TS_ERR_INVALID_DURATION",
      `invalid duration ${JSON.stringify(shown)}: ${reason}; ` +
        `write numbers with units ns, us, ms, s, m, h (e.g. "48h", "1h30m", "500ms"; no "d": write "24h")`,
    );
    this.text = text;
  }
}

const NS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n], // micro sign, as Go accepts
  ["\u03bcs", 1_000n], // Greek mu, as Go accepts
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);
const INT64_MAX = 2n ** 63n - 1n;

/** A sign, then one or more components: digits with an optional fraction, then a unit. */
const COMPONENT = /(\d*)(?:\.(\d*))?([^\d.]+)/y;

/**
 * Parses a Go-style duration ("48h", "2h", "10m", "30s", "1h30m", "1.5h",
 * "500ms", "-5m", "0") into integer milliseconds. The result must fit Go's
 * int64 nanoseconds (about 292 years) and be a whole number of milliseconds.
 * Arithmetic is exact (Go rounds fractions through float64).
 */
export function parseDurationMs(text: string): number {
  let pos = 0;
  let negative = false;
  if (text[0] === "-" || text[0] === "+") {
    negative = text[0] === "-";
    pos = 1;
  }
  if (text.slice(pos) === "0") return 0;
  if (pos === text.length) throw new InvalidDurationError(text, "it is empty");

  let totalNs = 0n;
  while (pos < text.length) {
    COMPONENT.lastIndex = pos;
    const m = COMPONENT.exec(text);
    if (m === null) {
      // Only digits and dots are left: a number without its unit.
      throw new InvalidDurationError(text, `"${text.slice(pos)}" has no unit`);
    }
    const [, whole, fraction = "", unit] = m;
    if (whole === "" && fraction === "") {
      throw new InvalidDurationError(text, `expected a number before unit "${unit}"`);
    }
    const unitNs = NS_PER_UNIT.get(unit);
    if (unitNs === undefined) throw new InvalidDurationError(text, `unknown unit "${unit}"`);
    totalNs += BigInt(whole || "0") * unitNs;
    if (fraction !== "") totalNs += (BigInt(fraction) * unitNs) / 10n ** BigInt(fraction.length);
    if (totalNs > INT64_MAX) {
      throw new InvalidDurationError(text, "it exceeds the int64 nanosecond range (~292 years)");
    }
    pos = COMPONENT.lastIndex;
  }
  if (totalNs % 1_000_000n !== 0n) {
    throw new InvalidDurationError(text, `${totalNs} ns is not a whole number of milliseconds`);
  }
  const ms = Number(totalNs / 1_000_000n);
  return negative && ms !== 0 ? -ms : ms;
}

const FORMAT_UNITS: readonly [string, number][] = [
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
];

/** Formats integer milliseconds compactly in the syntax parseDurationMs reads: "2h", "1h30m", "0s". */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  if (!Number.isSafeInteger(ms)) return `${ms}ms`;
  let rest = Math.abs(ms);
  let out = ms < 0 ? "-" : "";
  for (const [unit, size] of FORMAT_UNITS) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
