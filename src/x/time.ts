// Time units and exact 64-bit nanosecond timestamps without BigInt.
//
// A JS number holds epoch milliseconds exactly but not epoch nanoseconds, so a
// nanosecond-precise instant is two numbers: `ms` (integer epoch milliseconds,
// floored) and `nsInMs` (0..999_999, the nanoseconds within that millisecond).
// Streams and files store the same instant as a signed 64-bit nanosecond
// count; the functions here convert between the two forms exactly.

/** Time units with M3's byte values (src/x/time/unit.go). */
export const TimeUnit = {
  None: 0,
  Second: 1,
  Millisecond: 2,
  Microsecond: 3,
  Nanosecond: 4,
  Minute: 5,
  Hour: 6,
  Day: 7,
  Year: 8,
} as const;
export type TimeUnit = (typeof TimeUnit)[keyof typeof TimeUnit];

/** Nanoseconds in one unit, indexed by unit byte; 0 for None. */
export const UNIT_NS: readonly number[] = [
  0,
  1e9,
  1e6,
  1e3,
  1,
  60e9,
  3600e9,
  86400e9,
  365 * 86400e9,
];

const UNIT_NAMES = ["none", "s", "ms", "us", "ns", "m", "h", "d", "y"];

/** The unit's short name (`ms`), or `unit(17)` for a byte that is not a unit. */
export function unitName(unit: number): string {
  return UNIT_NAMES[unit] ?? `unit(${unit})`;
}

/** True for the bytes M3 accepts as a unit (Second..Year). */
export function isValidUnit(unit: number): boolean {
  return unit >= 1 && unit <= 8 && Number.isInteger(unit);
}

export const NS_PER_MS = 1e6;
const TWO_20 = 2 ** 20;
const TWO_32 = 2 ** 32;
const TWO_38 = 2 ** 38;
/** Epoch ms of the latest instant in signed 64-bit nanoseconds (its ns part is at most 775807). */
export const MAX_INT64_NS_MS = 9_223_372_036_854;
/** Epoch ms of the earliest instant in signed 64-bit nanoseconds (its ns part is at least 224192). */
export const MIN_INT64_NS_MS = -9_223_372_036_855;

/** True when ms + nsInMs (ns in 0..999999) fits signed 64-bit epoch nanoseconds. */
export function fitsInt64Ns(ms: number, nsInMs: number): boolean {
  if (ms < MAX_INT64_NS_MS && ms > MIN_INT64_NS_MS) return true;
  if (ms === MAX_INT64_NS_MS) return nsInMs <= 775_807;
  if (ms === MIN_INT64_NS_MS) return nsInMs >= 224_192;
  return false;
}

/**
 * Writes the two's-complement 64-bit form of `ms * 1e6 + nsInMs` into
 * `out[0]` (high 32 bits) and `out[1]` (low 32 bits), both unsigned.
 */
export function msToInt64Ns(ms: number, nsInMs: number, out: Uint32Array): void {
  // ms = a * 2^20 + b, and 2^20 * 1e6 = 15625 * 2^26, so the value is
  // (a * 15625) * 2^26 + (b * 1e6 + nsInMs), each part exact in a double.
  const a = Math.floor(ms / TWO_20);
  const b = ms - a * TWO_20;
  const x = a * 15625;
  const xm = x - Math.floor(x / TWO_38) * TWO_38; // x mod 2^38: all that survives * 2^26 mod 2^64
  const xLo = (xm % 64) * 2 ** 26;
  const xHi = Math.floor(xm / 64);
  const y = b * NS_PER_MS + nsInMs;
  const yHi = Math.floor(y / TWO_32);
  let lo = xLo + (y - yHi * TWO_32);
  let carry = 0;
  if (lo >= TWO_32) {
    lo -= TWO_32;
    carry = 1;
  }
  out[0] = (xHi + yHi + carry) >>> 0;
  out[1] = lo >>> 0;
}

/**
 * Reads a signed 64-bit nanosecond count given as unsigned halves into
 * `out[0]` (epoch ms, floored) and `out[1]` (ns within the ms).
 */
export function int64NsToMs(hi: number, lo: number, out: Float64Array): void {
  // 2^32 = 4294 * 1e6 + 967296, so hi * 2^32 + lo = hi * 4294 ms + (hi * 967296 + lo) ns.
  const h = hi | 0;
  const z = h * 967296 + lo;
  let zMs = Math.floor(z / NS_PER_MS);
  let r = z - zMs * NS_PER_MS;
  if (r < 0) {
    zMs -= 1;
    r += NS_PER_MS;
  } else if (r >= NS_PER_MS) {
    zMs += 1;
    r -= NS_PER_MS;
  }
  out[0] = h * 4294 + zMs;
  out[1] = r;
}

/** Compares two instants; negative, zero or positive like a sort comparator. */
export function compareTime(aMs: number, aNs: number, bMs: number, bNs: number): number {
  return aMs !== bMs ? aMs - bMs : aNs - bNs;
}

/** Parses a decimal string of epoch nanoseconds (for config, tests, tools; not hot paths). */
export function parseNs(text: string, out: Float64Array): void {
  const ns = BigInt(text);
  const ms = ns / 1_000_000n;
  let rem = ns - ms * 1_000_000n;
  let msNum = Number(ms);
  if (rem < 0n) {
    rem += 1_000_000n;
    msNum -= 1;
  }
  out[0] = msNum;
  out[1] = Number(rem);
}

/** Formats an instant as decimal epoch nanoseconds (not for hot paths). */
export function formatNs(ms: number, nsInMs: number): string {
  return (BigInt(ms) * 1_000_000n + BigInt(nsInMs)).toString();
}
