// The client interface: how the coordinator reaches the database. A single
// node calls its Database in process; a cluster puts gRPC to the replicas
// behind the same interface, so the coordinator never knows which it has.

import type { NamespaceOptions } from "../dbnode/namespace/index.js";
import type { WriteBatch, WriteResult } from "../dbnode/ts/index.js";
import type { Matcher } from "../index/index.js";
import { M3tsError, type Tag } from "../x/index.js";

/** Bounds of one index query; past any of them it fails with a typed error, it never truncates. */
export interface IndexLimits {
  /** Most series matched (0: no bound). */
  maxSeries: number;
  /** Most postings entries read by the index query (0: no bound). */
  maxDocsScanned: number;
}

/** Bounds of one fetch; past any of them the fetch fails with a typed error, it never truncates. */
export interface FetchLimits extends IndexLimits {
  /** Most datapoints returned over all series (0: no bound). */
  maxSamples: number;
  /** Wall-clock time (Date.now() milliseconds) past which the fetch stops with FetchDeadlineError. */
  deadlineMs?: number;
  /** How many replicas must answer (a cluster's; a single node has one). Default: the client's. */
  readConsistency?: ReadConsistencyLevel;
  /** Which value wins where replicas hold different values at one instant. Default: the client's. */
  equalTimestampStrategy?: EqualTimestampStrategy;
}

/** M3's write consistency levels (topology/consistency_level.go), by M3's names. */
export type WriteConsistencyLevel = "one" | "majority" | "all";
export const WRITE_CONSISTENCY_LEVELS: readonly WriteConsistencyLevel[] = [
  "one",
  "majority",
  "all",
];

/** M3's read consistency levels, by M3's names (the `M3-Read-Consistency-Level` header's values). */
export type ReadConsistencyLevel =
  | "one"
  | "unstrict_majority"
  | "majority"
  | "unstrict_all"
  | "all";
export const READ_CONSISTENCY_LEVELS: readonly ReadConsistencyLevel[] = [
  "one",
  "unstrict_majority",
  "majority",
  "unstrict_all",
  "all",
];

/**
 * M3's strategies for datapoints of one instant that differ between replicas
 * (the `M3-Iterate-Equal-Timestamp-Strategy` header's values); M3's default
 * is iterate_last_pushed.
 */
export type EqualTimestampStrategy =
  | "iterate_last_pushed"
  | "iterate_highest_value"
  | "iterate_lowest_value"
  | "iterate_highest_frequency_value";
export const EQUAL_TIMESTAMP_STRATEGIES: readonly EqualTimestampStrategy[] = [
  "iterate_last_pushed",
  "iterate_highest_value",
  "iterate_lowest_value",
  "iterate_highest_frequency_value",
];

/** A fetch ran past the deadline its caller gave (a query's timeout), and stopped. */
export class FetchDeadlineError extends M3tsError {
  readonly deadlineMs: number;

  constructor(deadlineMs: number, seriesRead: number, seriesTotal: number) {
    super(
      "M3TS_ERR_FETCH_DEADLINE",
      `fetch stopped at its deadline after ${seriesRead} of ${seriesTotal} series`,
    );
    this.deadlineMs = deadlineMs;
  }
}

/** One series of an index query: its id and tags, without datapoints. */
export interface SeriesTags {
  id: string;
  tags: readonly Tag[];
}

/** One series of a fetch: its tags and its datapoints in the range, oldest first. */
export interface FetchedSeries {
  id: string;
  tags: readonly Tag[];
  timesMs: Float64Array;
  values: Float64Array;
  count: number;
}

export type NodeState = "bootstrapping" | "bootstrapped" | "failed";

export interface Client {
  /** Writes a batch; resolves once the accepted datapoints are durable under the commit log strategy. */
  writeBatch(namespace: string, batch: WriteBatch): Promise<WriteResult>;
  /** Series matching every matcher with datapoints in [startMs, endMs] (both ends included). */
  fetchTagged(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: FetchLimits,
  ): Promise<FetchedSeries[]>;
  /**
   * Series matching every matcher that the index holds for [startMs, endMs]
   * (at the index's block granularity), answered from the index alone: no
   * datapoint is read, so a series may be listed without a datapoint in the
   * exact range. maxSeries bounds the match as in fetchTagged.
   */
  seriesTags(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: IndexLimits,
  ): Promise<SeriesTags[]>;
  labelNames(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
  ): Promise<string[]>;
  labelValues(
    namespace: string,
    name: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
  ): Promise<string[]>;
  /**
   * A partial aggregation evaluated where the data lives (the cluster's
   * pushdown): for every shard one replica evaluates `req` over the series
   * of the shards it is given, and the answer is each node's encoded partial
   * state. Absent where there is nothing to push to (a single node).
   */
  aggregatePartials?(req: ClusterAggregateRequest, deadlineMs: number): Promise<Uint8Array[]>;
  /** The namespaces the node serves, with their options. */
  namespaces(): { name: string; options: NamespaceOptions }[];
  /** Whether the node serves reads and writes yet ("failed" also once it stopped taking writes). */
  state(): NodeState;
  /** Why the node is "failed" (a failed bootstrap, or a commit log that failed), else null. */
  failureReason(): string | null;
}

/** A pushed-down aggregation as the query engine asks it of the client (NodeAggregateRequest without shards). */
export interface ClusterAggregateRequest {
  namespace: string;
  /** The aggregation's PromQL text. */
  query: string;
  startMs: number;
  endMs: number;
  /** 0 for an instant query. */
  stepMs: number;
  lookbackMs: number;
  maxSeries: number;
  maxSamples: number;
}
