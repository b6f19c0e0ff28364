// Evaluation of PromQL on blocks, and the storage adapter over the client.
export {
  createEngine,
  DEFAULT_LOOKBACK_MS,
  DEFAULT_MAX_POINTS_PER_SERIES,
  DEFAULT_MAX_SAMPLES,
  DEFAULT_TIMEOUT_MS,
  type EngineOptions,
} from "./engine.js";
export {
  evaluatePartial,
  isPushable,
  isSeriesLocal,
  type PartialRequest,
  type PushdownTarget,
  pushableAggregates,
  pushdownTarget,
} from "./pushdown.js";
export {
  type ClientQuerierOptions,
  clientQuerier,
  DEFAULT_MAX_SERIES,
  SERIES_LIMIT_APPLIED,
  tooManySeries,
} from "./querier.js";
