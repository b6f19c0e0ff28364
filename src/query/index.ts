// The query engine: PromQL parsed into a typed tree and evaluated on columnar
// blocks read through the client, and the Prometheus HTTP query API.

export { Annotations } from "./annotations.js";
export type * from "./ast.js";
export type * from "./block.js";
export type * from "./engine-types.js";
export {
  EvaluationError,
  PromQLParseError,
  QueryError,
  type QueryErrorType,
  QueryLimitExceededError,
  QueryTimeoutError,
} from "./errors.js";
export {
  compareLabels,
  dropMetricName,
  formatLabels,
  getLabel,
  type Label,
  type Labels,
  labelsKey,
  METRIC_NAME,
  makeLabels,
  TYPE_LABEL,
  UNIT_LABEL,
  withLabel,
} from "./labels.js";
