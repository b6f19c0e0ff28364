// What the cluster client asks of one node: the node RPC's calls as the
// client sees them, whatever carries them (gRPC between processes, a direct
// call in tests). Every call is a batch and carries a deadline; a node that
// cannot take more answers with a retryable error (NodeOverloadedError)
// rather than queueing without bound.

import type { SeriesData } from "../codec/index.js";
import type { WriteBatch, WriteResult } from "../dbnode/ts/index.js";
import type { Matcher } from "../index/index.js";
import { M3tsError } from "../x/index.js";
import type { ClusterAggregateRequest, IndexLimits, NodeState } from "./client.js";

/** A fetch from one node: matchers and range as in Client.fetchTagged, restricted to some shards. */
export interface NodeFetchRequest {
  namespace: string;
  matchers: readonly Matcher[];
  /** Both ends included, as in Client.fetchTagged. */
  startMs: number;
  endMs: number;
  /** Only the series of these shards (null: every series the node holds). */
  shards: readonly number[] | null;
  limits: IndexLimits & { maxSamples: number };
}

/** One series of a node's fetch: its ID, M3's tag encoding, and its data as the node's read merges it. */
export interface NodeSeries {
  id: string;
  encodedTags: Uint8Array;
  /** The pieces in MultiStreamIterator's order (volumes, then buffers). */
  data: SeriesData[];
}

/** One series of a node's index query. */
export interface NodeSeriesTags {
  id: string;
  encodedTags: Uint8Array;
}

/** What a node says of itself. */
export interface NodeHealth {
  state: NodeState;
  failureReason: string | null;
}

/** A partial aggregation pushed to one node, over the series of `shards` (Client.aggregatePartials). */
export interface NodeAggregateRequest extends ClusterAggregateRequest {
  shards: readonly number[];
}

export interface NodeTransport {
  /** The node's "host:port", as the placement names it. */
  readonly endpoint: string;
  writeBatch(namespace: string, batch: WriteBatch, deadlineMs: number): Promise<WriteResult>;
  fetchTagged(req: NodeFetchRequest, deadlineMs: number): Promise<NodeSeries[]>;
  seriesTags(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: IndexLimits,
    shards: readonly number[] | null,
    deadlineMs: number,
  ): Promise<NodeSeriesTags[]>;
  labelNames(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    deadlineMs: number,
  ): Promise<string[]>;
  labelValues(
    namespace: string,
    name: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    deadlineMs: number,
  ): Promise<string[]>;
  health(deadlineMs: number): Promise<NodeHealth>;
  aggregate(req: NodeAggregateRequest, deadlineMs: number): Promise<Uint8Array>;
  close(): void;
}

/** A node refused a call because it is under pressure; the caller may retry after a backoff. */
export class NodeOverloadedError extends M3tsError {
  readonly endpoint: string;

  constructor(endpoint: string, why: string) {
    super("M3TS_ERR_NODE_OVERLOADED", `node ${endpoint} is overloaded: ${why}; retry later`);
    this.endpoint = endpoint;
  }
}

/** A node could not be reached, or did not answer before the deadline. */
export class NodeUnavailableError extends M3tsError {
  readonly endpoint: string;

  constructor(endpoint: string, why: string) {
    super("M3TS_ERR_NODE_UNAVAILABLE", `node ${endpoint} is unavailable: ${why}`);
    this.endpoint = endpoint;
  }
}

/**
 * An error a node returned, carried over the wire with its code and message
 * so the coordinator maps it to the same status as a local one.
 */
export class RemoteNodeError extends M3tsError {
  readonly endpoint: string;

  constructor(endpoint: string, code: string, message: string) {
    super(code, message);
    this.endpoint = endpoint;
  }
}
