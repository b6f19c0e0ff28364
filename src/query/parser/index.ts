// PromQL text to the typed tree and back: parsing with Prometheus's error
// wording and type checks, the function signature table, printing (format_query)
// and the tree Prometheus's parse_query returns.

export { formatLabelName } from "../labels.js";
export { documentedType, typeOf } from "./check.js";
export { ALL_FEATURES, type ParseFeatures } from "./failure.js";
export {
  formatDurationExpr,
  formatExpr,
  formatMatcher,
  PRETTY_MAX_LINE_BYTES,
  prettyExpr,
} from "./format.js";
export { FUNCTION_SIGNATURES, type FunctionSignature } from "./functions.js";
export { exprToJSON } from "./json.js";
export { formatDurationMs, parseDurationMs } from "./literals.js";
export { MAX_NESTING_DEPTH, MAX_QUERY_LENGTH, parsePromQL } from "./parse.js";
export { childrenOf, unwrapParens, walkExpr } from "./walk.js";
