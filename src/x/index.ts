// Small helpers shared by two or more parts of m3ts.
export { type Clock, ManualClock, systemClock } from "./clock.js";
export { formatDurationMs, InvalidDurationError, parseDurationMs } from "./duration.js";
export { M3tsError } from "./errors.js";
export { murmur3_32 } from "./murmur3.js";
export {
  compareTime,
  fitsInt64Ns,
  formatNs,
  int64NsToMs,
  isValidUnit,
  MAX_INT64_NS_MS,
  MIN_INT64_NS_MS,
  msToInt64Ns,
  NS_PER_MS,
  parseNs,
  TimeUnit,
  UNIT_NS,
  unitName,
} from "./time.js";
