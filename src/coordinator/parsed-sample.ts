// One sample as the text protocols (Influx line protocol, JSON, carbon)
// yield it, and a line that could not be parsed.

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

/**
 * An instant given as a decimal count of `unitNs` nanoseconds since the
 * epoch, parsed from its digits so that nanoseconds stay exact (a JS number
 * cannot hold epoch nanoseconds). Returns null when the text is not an
 * integer or the instant does not fit ±2^53 ms.
 */
export function instantFromDigits(
  digits: string,
  unitNs: number,
): { timeMs: number; nsInMs: number } | null {
  if (!/^-?\d{1,30}$/.test(digits)) return null;
  const ns = BigInt(digits) * BigInt(unitNs);
  let ms = ns / 1_000_000n;
  let rest = ns % 1_000_000n;
  if (rest < 0n) {
    rest += 1_000_000n;
    ms -= 1n;
  }
  const timeMs = Number(ms);
  if (!Number.isSafeInteger(timeMs)) return null;
  return { timeMs, nsInMs: Number(rest) };
}

/** An instant in (possibly fractional) seconds, exact to the nanosecond. */
export function instantFromSeconds(text: string): { timeMs: number; nsInMs: number } | null {
  const m = /^(-?)(\d{1,20})(?:\.(\d{1,9})\d*)?$/.exec(text);
  if (m === null) return null;
  const frac = (m[3] ?? "").padEnd(9, "0");
  return instantFromDigits(`${m[1]}${m[2]}${frac}`, 1);
}
