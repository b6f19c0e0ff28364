// PromQL text to the typed tree and back: parsing with Prometheus's error
// wording and type checks, the function signature table, printing (format_query)
// and the tree Prometheus's parse_query returns.

export { documentedType, typeOf } from "./check.js";
export { type FunctionSignature, FUNCTION_SIGNATURES } from "./functions.js";
export { MAX_QUERY_LENGTH, parsePromQL } from "./parse.js";
