// What the engine takes and gives: the storage it reads through, a query's
// options, and its result as the HTTP API renders it.

import type { EqualTimestampStrategy, ReadConsistencyLevel } from "../client/index.js";
import type { Matcher } from "../index/index.js";
import type { Labels } from "./labels.js";

/** One series as the storage gives it: labels and raw samples, oldest first. */
export interface StoredSeries {
  labels: Labels;
  timesMs: Float64Array;
  values: Float64Array;
  count: number;
}

/** The engine's view of storage: implemented over the client (`src/client`). */
export interface Querier {
  /**
   * Series matching every matcher with samples in [startMs, endMs] (both
   * included), bounded by the query's series limits.
   */
  select(
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    signal: QuerySignal,
    limits: SelectLimits,
  ): Promise<SelectResult>;
}

/**
 * The series limits of one select, set per query (M3-Limit-Max-Series,
 * M3-Limit-Require-Exhaustive); a field left out takes the querier's default.
 */
export interface SelectLimits {
  /** Most series the selector may fetch (0: no bound). */
  maxSeries?: number;
  /** Fail (true) or answer the first maxSeries series with a warning (false) past maxSeries. */
  requireExhaustive?: boolean;
  /** How many replicas must answer (M3-Read-Consistency-Level); default the client's. */
  readConsistency?: ReadConsistencyLevel;
  /** Which replica's value wins at one instant (M3-Iterate-Equal-Timestamp-Strategy); default the client's. */
  equalTimestampStrategy?: EqualTimestampStrategy;
}

export interface SelectResult {
  series: StoredSeries[];
  /** Warnings from storage (a limit that truncated under requireExhaustive=false). */
  warnings: string[];
  /** M3's results-limited reasons (`max_fetch_series_limit_applied`...). */
  limited: string[];
  /** Namespaces read. */
  namespaces: string[];
  /** Series the matchers matched, those without samples in the range included (default: series.length). */
  matched?: number;
}

/** Lets long work check for a timeout or cancellation between blocks. */
export interface QuerySignal {
  /** Throws the query's timeout (or cancellation) error once it passed. */
  check(during: string): void;
  /** Milliseconds left before the timeout (storage stops a long fetch by it). */
  remainingMs(): number;
}

export interface QueryOptions {
  /** Lookback delta for instant vector selectors (default 5 m). */
  lookbackMs?: number;
  /** Timeout of the whole query, milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Most series one selector of the query may fetch (M3's 100 000; 0: no bound). */
  maxSeries?: number;
  /** Fail (true, default) or answer partially with a warning (false) when maxSeries is passed. */
  requireExhaustive?: boolean;
  /** Most samples held in memory at once (Prometheus's 50 000 000). */
  maxSamples?: number;
  /** Collect per-step statistics (`stats=all`). */
  perStepStats?: boolean;
  /** How many replicas must answer each fetch (M3-Read-Consistency-Level); default the client's. */
  readConsistency?: ReadConsistencyLevel;
  /** Which replica's value wins at one instant (M3-Iterate-Equal-Timestamp-Strategy). */
  equalTimestampStrategy?: EqualTimestampStrategy;
  /**
   * Whether aggregations are evaluated at the nodes (M3TS-Query-Pushdown):
   * "auto" (default) only at read consistency `one`, "on" at any level, "off" never.
   */
  pushdown?: PushdownMode;
}

export type PushdownMode = "auto" | "on" | "off";
export const PUSHDOWN_MODES: readonly PushdownMode[] = ["auto", "on", "off"];

/** One series of a result: labels and its points (a matrix row, or one point of a vector). */
export interface ResultSeries {
  labels: Labels;
  timesMs: Float64Array;
  values: Float64Array;
}

export type QueryValue =
  | { resultType: "vector"; series: ResultSeries[] }
  | { resultType: "matrix"; series: ResultSeries[] }
  | { resultType: "scalar"; timeMs: number; value: number }
  | { resultType: "string"; timeMs: number; value: string };

export interface QueryStats {
  /** Samples read from storage. */
  totalQueryableSamples: number;
  /** Most samples held at once. */
  peakSamples: number;
  /** Per step of a range query, samples read (only with perStepStats). */
  totalQueryableSamplesPerStep?: { timeMs: number; samples: number }[];
  timings: {
    evalTotalTimeMs: number;
    resultSortTimeMs: number;
    queryPreparationTimeMs: number;
    innerEvalTimeMs: number;
    execQueueTimeMs: number;
    execTotalTimeMs: number;
  };
}

export interface QueryResult {
  value: QueryValue;
  warnings: string[];
  infos: string[];
  stats: QueryStats;
  /** Series fetched from storage (M3-Series-Count). */
  seriesFetched: number;
  /** M3's results-limited reasons (M3-Results-Limited). */
  limited: string[];
  /** Namespaces read (M3-Namespaces). */
  namespaces: string[];
}

/** The engine the HTTP API calls. */
export interface QueryEngine {
  instantQuery(query: string, timeMs: number, options?: QueryOptions): Promise<QueryResult>;
  rangeQuery(
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    options?: QueryOptions,
  ): Promise<QueryResult>;
}

/** Stats with every count and timing at zero, the start of a query's accounting. */
export function emptyStats(): QueryStats {
  return {
    totalQueryableSamples: 0,
    peakSamples: 0,
    timings: {
      evalTotalTimeMs: 0,
      resultSortTimeMs: 0,
      queryPreparationTimeMs: 0,
      innerEvalTimeMs: 0,
      execQueueTimeMs: 0,
      execTotalTimeMs: 0,
    },
  };
}
