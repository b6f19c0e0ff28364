// Functions of instant vectors and scalars: everything but the functions of
// range vectors. info() (experimental) is not here: it joins target_info
// series, which needs a storage lookup the engine must do itself.
import { ABSENT_FUNCTIONS } from "./absent.js";
import type { FunctionImpl } from "./function-impl.js";
import { HISTOGRAM_FUNCTIONS } from "./histogram-functions.js";
import { LABEL_FUNCTIONS } from "./label-functions.js";
import { MATH_FUNCTIONS } from "./math-functions.js";
import { SORT_FUNCTIONS } from "./sort-functions.js";
import { TIME_FUNCTIONS } from "./time-functions.js";

export const INSTANT_FUNCTIONS: Record<string, FunctionImpl> = {
  ...MATH_FUNCTIONS,
  ...TIME_FUNCTIONS,
  ...LABEL_FUNCTIONS,
  ...SORT_FUNCTIONS,
  ...HISTOGRAM_FUNCTIONS,
  ...ABSENT_FUNCTIONS,
};
