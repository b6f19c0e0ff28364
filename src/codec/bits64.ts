// 64-bit helpers on (hi, lo) pairs of unsigned 32-bit halves, and float64 bit
// access, for the codec's XOR and integer paths. No BigInt: every operation is
// a few 32-bit integer instructions.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("m3ts codec requires a little-endian platform");
}

/** Scratch output of floatBits: the high and low halves of the last float read. */
export const floatHalves = { hi: 0, lo: 0 };

/** Puts the IEEE-754 bits of `v` into floatHalves (NaN payloads preserved). */
export function floatBits(v: number): void {
  f64[0] = v;
  floatHalves.lo = u32[0];
  floatHalves.hi = u32[1];
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
