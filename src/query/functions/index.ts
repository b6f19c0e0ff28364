// PromQL's functions, by name.
import type { FunctionImpl } from "./function-impl.js";
import { INSTANT_FUNCTIONS } from "./instant-functions.js";
import { OVER_TIME_FUNCTIONS } from "./over-time-functions.js";

export type { FunctionCallContext, FunctionImpl } from "./function-impl.js";

/** Every function the engine can evaluate. */
export const FUNCTIONS: ReadonlyMap<string, FunctionImpl> = new Map([
  ...Object.entries(OVER_TIME_FUNCTIONS),
  ...Object.entries(INSTANT_FUNCTIONS),
  // Prometheus 2's name for double exponential smoothing, which dashboards
  // written for it (and for M3, whose engine is Prometheus 2's) still use.
  ["holt_winters", OVER_TIME_FUNCTIONS.double_exponential_smoothing],
]);
