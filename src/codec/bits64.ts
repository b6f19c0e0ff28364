// 64-bit helpers on (hi, lo) pairs of unsigned 32-bit halves, and float64 bit
// access, for the codec's XOR and integer paths. No BigInt: every operation is
// a few 32-bit integer instructions.

/**
 * Scratch views of one float64: write FLOAT[0], then read its low half at
 * FLOAT_HALVES[0] and its high half at FLOAT_HALVES[1] (little-endian), with
 * NaN payloads preserved. Hot paths use these inline, without a call.
 */
export const FLOAT = new Float64Array(1);
export const FLOAT_HALVES = new Uint32Array(FLOAT.buffer);
const f64 = FLOAT;
const u32 = FLOAT_HALVES;
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("m3ts codec requires a little-endian platform");
}

/** The float64 whose bits are hi:lo. */
export function floatFromBits(hi: number, lo: number): number {
  u32[0] = lo;
  u32[1] = hi;
  return f64[0];
}

/** Leading zero bits of hi:lo; 64 for zero. */
export function leadingZeros64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

/** Trailing zero bits of hi:lo; 0 for zero (M3's convention). */
export function trailingZeros64(hi: number, lo: number): number {
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  if (hi !== 0) return 63 - Math.clz32(hi & -hi);
  return 0;
}

/** Number of significant bits of a non-negative integer-valued double below 2^64. */
export function numSig(x: number): number {
  if (x < 4294967296) return 32 - Math.clz32(x);
  return 64 - Math.clz32(Math.floor(x / 4294967296));
}
