// Helpers shared by the codec's tests: a seeded random source and the unit
// names used by the vector files. Not part of the codec's public face.
import { TimeUnit } from "../x/index.js";

/** A small seeded PRNG (mulberry32), uniform in [0, 1), so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UNITS_BY_NAME: Record<string, TimeUnit> = {
  second: TimeUnit.Second,
  millisecond: TimeUnit.Millisecond,
  microsecond: TimeUnit.Microsecond,
  nanosecond: TimeUnit.Nanosecond,
};

/** The unit a vector file names ("second" .. "nanosecond"); throws naming the file otherwise. */
export function unitNamed(name: string, file: string): TimeUnit {
  const unit = UNITS_BY_NAME[name];
  if (unit === undefined) throw new Error(`unknown unit name "${name}" in ${file}`);
  return unit;
}
