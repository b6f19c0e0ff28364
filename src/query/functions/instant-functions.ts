// Functions of instant vectors and scalars.
import type { FunctionImpl } from "./function-impl.js";

export const INSTANT_FUNCTIONS: Record<string, FunctionImpl> = {};
