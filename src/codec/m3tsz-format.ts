// Constants and rules of the M3TSZ bit layout shared by the encoder and the iterator.
// docs/format/m3tsz.md describes the layout; M3 defines it in
// src/dbnode/encoding/scheme.go and src/dbnode/encoding/m3tsz/m3tsz.go.
import { TimeUnit } from "../x/index.js";

/** Markers: 9-bit opcode 1_0000_0000 then a 2-bit marker value. */
export const MARKER_OPCODE = 0x100;
export const MARKER_BITS = 11;
export const MARKER_END_OF_STREAM = 0;
export const MARKER_ANNOTATION = 1;
export const MARKER_TIME_UNIT = 2;
/** The whole 11-bit end-of-stream marker. */
export const END_OF_STREAM_BITS = (MARKER_OPCODE << 2) | MARKER_END_OF_STREAM;

/** Value bits of the delta-of-delta buckets after the zero bucket: 10, 110, 1110. */
export const DOD_BUCKET_BITS = [7, 9, 12] as const;

/** Value bits of the default (1111) bucket: 32 for s and ms, 64 for us and ns. */
export function defaultBucketBits(unit: number): number {
  return unit === TimeUnit.Second || unit === TimeUnit.Millisecond ? 32 : 64;
}

/** True for the units that have a timestamp scheme and so can be written. */
export function isWritableUnit(unit: number): boolean {
  return (
    unit === TimeUnit.Second ||
    unit === TimeUnit.Millisecond ||
    unit === TimeUnit.Microsecond ||
    unit === TimeUnit.Nanosecond
  );
}

/** The integer path's decimal multipliers 10^0..10^6. */
export const MULTIPLIERS = [1, 10, 100, 1000, 10000, 100000, 1000000] as const;
export const MAX_MULT = 6;
export const MULT_BITS = 3;
export const SIG_BITS = 6;
/** Values at or above this, once multiplied, take the float path (M3's maxOptInt). */
export const MAX_OPT_INT = 1e13;
/** M3's float64(math.MaxInt64): the quick integer path takes values below it. */
export const MAX_INT64_FLOAT = 2 ** 63;
/** Largest magnitude the integer path may hold so that every sum stays exact. */
export const MAX_EXACT_INT = 2 ** 53;
/** Hysteresis of the significant-bits tracker. */
export const SIG_DIFF_THRESHOLD = 3;
export const SIG_REPEAT_THRESHOLD = 5;

/** Options shared by encoders and iterators; both sides must agree on them. */
export interface M3tszOptions {
  /** Write integers and decimals as integer deltas (M3's default: true). */
  intOptimized?: boolean;
  /** The unit assumed at the stream start when the start is a multiple of it (M3: Second). */
  defaultUnit?: TimeUnit;
}

/** The unit M3 assumes at the start: the default unit if the start is a whole number of it. */
export function initialUnit(startMs: number, startNs: number, defaultUnit: number): number {
  return isWritableUnit(defaultUnit) && isMultipleOfUnit(startMs, startNs, defaultUnit)
    ? defaultUnit
    : TimeUnit.None;
}

/** True when the instant is a whole number of `unit` (s, ms, us or ns). */
export function isMultipleOfUnit(ms: number, ns: number, unit: number): boolean {
  switch (unit) {
    case TimeUnit.Second:
      return ns === 0 && ms % 1000 === 0;
    case TimeUnit.Millisecond:
      return ns === 0;
    case TimeUnit.Microsecond:
      return ns % 1000 === 0;
    default:
      return true;
  }
}
