// Functions of range vectors: rate and its family, the *_over_time family,
// changes and resets. Every one drops the metric name (by setting dropName)
// except first_over_time and last_over_time, which act like an offset.
import type { FunctionImpl } from "./function-impl.js";
import { OVER_TIME_AGGREGATES } from "./over-time-aggregates.js";
import { RATE_FUNCTIONS } from "./rate-functions.js";

export const OVER_TIME_FUNCTIONS: Record<string, FunctionImpl> = {
  ...RATE_FUNCTIONS,
  ...OVER_TIME_AGGREGATES,
};
