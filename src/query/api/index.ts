// The Prometheus HTTP query API: routes for the coordinator's server that
// answer query, query_range, series, labels, label values, buildinfo,
// format and parse, and Grafana's empty endpoints, with M3's headers.
export { formatTimestamp, formatValue } from "./json-format.js";
export { MAX_REQUEST_TIMEOUT_MS } from "./m3-headers.js";
export { type MetadataResponse, metadataResponse } from "./metadata.js";
export { parseDuration, parseTime } from "./params.js";
export type { PromQLText } from "./promql-text.js";
export {
  type ApiRoute,
  PROMETHEUS_VERSION,
  QueryApi,
  type QueryApiLimits,
  type QueryApiOptions,
  type RouteHandler,
} from "./query-api.js";
export { QueryQueueFullError } from "./query-gate.js";
export { QueryLogFile, type QueryLogSink } from "./query-log.js";
