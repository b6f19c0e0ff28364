// A NodeTransport over an in-memory Database of this process, for tests of
// the cluster client: the node's calls as the node RPC answers them (shards
// filtered by the node's own murmur3), with faults a test turns on: a node
// that is down, overloaded (for every call or for the next few), slow, or
// that never answers.

import type { Database } from "../dbnode/storage/index.js";
import type { WriteBatch, WriteResult } from "../dbnode/ts/index.js";
import { type Matcher, QueryLimitError } from "../index/index.js";
import { encodeTags } from "../x/index.js";
import type { IndexLimits } from "./client.js";
import {
  type NodeAggregateRequest,
  type NodeFetchRequest,
  type NodeHealth,
  NodeOverloadedError,
  type NodeSeries,
  type NodeSeriesTags,
  type NodeTransport,
  NodeUnavailableError,
} from "./transport.js";

export type TransportFault = "none" | "down" | "overloaded" | "hang";

export class DatabaseTransport implements NodeTransport {
  readonly endpoint: string;
  private readonly db: Database;
  /** The fault every call meets. */
  fault: TransportFault = "none";
  /** The next this many calls answer NodeOverloadedError, then the node recovers. */
  overloadedCalls = 0;
  /** Each call waits this long before it runs. */
  delayMs = 0;
  /** Calls received, by method. */
  readonly calls = { writeBatch: 0, fetchTagged: 0, seriesTags: 0, labels: 0, aggregate: 0 };
  /** The shards of each aggregate call received, in order. */
  readonly aggregateShards: number[][] = [];
  closed = false;

  constructor(endpoint: string, db: Database) {
    this.endpoint = endpoint;
    this.db = db;
  }

  private async enter(): Promise<void> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.closed) throw new NodeUnavailableError(this.endpoint, "the transport is closed");
    if (this.fault === "down") throw new NodeUnavailableError(this.endpoint, "connection refused");
    if (this.fault === "hang") await new Promise(() => {});
    if (this.fault === "overloaded") throw new NodeOverloadedError(this.endpoint, "test fault");
    if (this.overloadedCalls > 0) {
      this.overloadedCalls--;
      throw new NodeOverloadedError(this.endpoint, "test fault");
    }
  }

  async writeBatch(
    namespace: string,
    batch: WriteBatch,
    _deadlineMs: number,
  ): Promise<WriteResult> {
    this.calls.writeBatch++;
    await this.enter();
    return this.db.writeBatch(namespace, batch);
  }

  async fetchTagged(req: NodeFetchRequest, _deadlineMs: number): Promise<NodeSeries[]> {
    this.calls.fetchTagged++;
    await this.enter();
    const matched = this.matched(
      req.namespace,
      req.matchers,
      req.startMs,
      req.endMs,
      req.limits,
      req.shards,
    );
    const out: NodeSeries[] = [];
    for (const s of matched) {
      const data = await this.db.fetchSeriesData(req.namespace, s.id, req.startMs, req.endMs + 1);
      out.push({ id: s.id, encodedTags: s.encodedTags, data });
    }
    return out;
  }

  async seriesTags(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: IndexLimits,
    shards: readonly number[] | null,
    _deadlineMs: number,
  ): Promise<NodeSeriesTags[]> {
    this.calls.seriesTags++;
    await this.enter();
    return this.matched(namespace, matchers, startMs, endMs, limits, shards);
  }

  async labelNames(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    _deadlineMs: number,
  ): Promise<string[]> {
    this.calls.labels++;
    await this.enter();
    return this.db.labelNames(namespace, matchers, startMs, endMs + 1);
  }

  async labelValues(
    namespace: string,
    name: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    _deadlineMs: number,
  ): Promise<string[]> {
    this.calls.labels++;
    await this.enter();
    return this.db.labelValues(namespace, name, matchers, startMs, endMs + 1);
  }

  async health(_deadlineMs: number): Promise<NodeHealth> {
    await this.enter();
    return {
      state: this.db.failureReason !== null ? "failed" : this.db.bootstrapProgress.state,
      failureReason: this.db.failureReason,
    };
  }

  /** Answers the endpoint and the shards asked, as JSON: what the tests of the choice of replicas read. */
  async aggregate(req: NodeAggregateRequest, _deadlineMs: number): Promise<Uint8Array> {
    this.calls.aggregate++;
    this.aggregateShards.push([...req.shards]);
    await this.enter();
    return new TextEncoder().encode(
      JSON.stringify({ endpoint: this.endpoint, shards: req.shards }),
    );
  }

  close(): void {
    this.closed = true;
  }

  /** The node's series of `shards` matching, bounded by maxSeries as the node bounds them. */
  private matched(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: IndexLimits,
    shards: readonly number[] | null,
  ): NodeSeriesTags[] {
    const found = this.db.queryIndex(namespace, matchers, startMs, endMs + 1, {
      maxDocsScanned: limits.maxDocsScanned > 0 ? limits.maxDocsScanned : undefined,
    });
    const wanted = shards === null ? null : new Set(shards);
    const out: NodeSeriesTags[] = [];
    for (let s = 0; s < found.ids.length; s++) {
      if (wanted !== null && !wanted.has(this.db.shardOfId(found.ids[s]))) continue;
      out.push({ id: found.ids[s], encodedTags: encodeTags(found.tags[s]) });
    }
    if (limits.maxSeries > 0 && out.length > limits.maxSeries) {
      throw new QueryLimitError(
        "maxSeries",
        limits.maxSeries,
        `${out.length} series match on this node`,
      );
    }
    return out;
  }
}
