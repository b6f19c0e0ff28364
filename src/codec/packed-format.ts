// Constants of the packed encoding of one series' block (docs/format/packed.md):
// the mode numbers written in the block's first byte and the limits that keep
// every integer the format carries exact in a double.

/** How a block's timestamps are written (bits 0..1 of the mode byte). */
export const TimeMode = {
  /** First time and one step: t[i] = t0 + i * step. */
  ConstStep: 0,
  /** A grid (base, step) and the few points off it, as (gap, offset) pairs. */
  GridSparse: 1,
  /** A grid (base, step) and every point's offset from it. */
  GridDense: 2,
  /** First time, first delta, then a delta-of-delta per point. */
  DeltaOfDelta: 3,
} as const;

/** How a block's values are written (bits 2..3 of the mode byte). */
export const ValueMode = {
  /** One 8-byte value repeated n times, bit for bit. */
  Constant: 0,
  /** Integers m with one exponent e (v = m / 10^e), plus raw exceptions. */
  Decimal: 1,
  /** Each value XORed with the previous one, as 8 byte planes. */
  Float: 2,
} as const;

/** How a decimal block's integers are written (bits 4..5 of the mode byte). */
export const IntMode = {
  /** First integer and one step. */
  ConstStep: 0,
  /** First integer, then a delta per point. */
  Delta: 1,
  /** First integer, first delta, then a delta-of-delta per point. */
  DeltaOfDelta: 2,
} as const;

/** Bits 6..7 of the mode byte: zero in this version of the format. */
export const RESERVED_MODE_BITS = 0xc0;

/** Points in one block at most; a count above this is corrupt. */
export const MAX_PACKED_POINTS = 1 << 22;

/**
 * Times must lie in (-2^52, 2^52) ms (about ±142 000 years, wider than M3's
 * int64 nanoseconds) so that a time, a delta, a delta-of-delta and their
 * zigzag forms are all integers below 2^53, exact in a double.
 */
export const MAX_ABS_TIME_MS = 2 ** 52 - 1;

/** Decimal integers stay within ±(2^50 - 1), so their deltas-of-deltas zigzag below 2^53. */
export const MAX_MANTISSA = 2 ** 50 - 1;

/** Decimal exponents span [MIN_EXPONENT, MAX_EXPONENT]: 10^22 is the largest exact power of ten. */
export const MIN_EXPONENT = -22;
export const MAX_EXPONENT = 22;

/** POW10[k] = 10^k, exact for k in 0..22. */
export const POW10 = new Float64Array(23);
for (let k = 0, p = 1; k <= 22; k++, p *= 10) POW10[k] = p;

/** A varint is at most 8 bytes (56 bits), enough for any integer below 2^53. */
export const MAX_VARINT_BYTES = 8;
