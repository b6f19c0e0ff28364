// Functions of range vectors: rate and its family, the *_over_time family.
import type { FunctionImpl } from "./function-impl.js";

export const OVER_TIME_FUNCTIONS: Record<string, FunctionImpl> = {};
