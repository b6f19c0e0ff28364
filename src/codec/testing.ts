// Helpers shared by the codec's tests: a seeded random source and the unit
// names used by the vector files. Not part of the codec's public face.
import { TimeUnit } from "../x/index.js";

export { seededRandom } from "../x/index.js";

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
