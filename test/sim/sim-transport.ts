// The node RPC of the cluster simulation: a NodeTransport to one simulated
// node whose every request and every answer is a delivery the scheduler
// releases in seeded order, so replica writes and reads interleave with
// each other, with the nodes' own I/O and with crashes. A node that is down
// (or still bootstrapping) refuses calls as unreachable; a node that dies
// with a call inside it breaks the call, as a reset connection does.

import {
  type IndexLimits,
  type NodeAggregateRequest,
  type NodeFetchRequest,
  type NodeHealth,
  type NodeSeries,
  type NodeSeriesTags,
  type NodeTransport,
  NodeUnavailableError,
} from "../../src/client/index.js";
import type { Database } from "../../src/dbnode/storage/index.js";
import type { WriteBatch, WriteResult } from "../../src/dbnode/ts/index.js";
import { type Matcher, QueryLimitError } from "../../src/index/index.js";
import { encodeTags } from "../../src/x/index.js";
import type { SimScheduler } from "./scheduler.js";

/** One life of a node's process: calls inside it break when it ends. */
export class NodeLife {
  alive = true;
  /** Rejects when the life ends; calls race it. */
  readonly ended: Promise<never>;
  private reject: (e: Error) => void = () => {};
  private readonly endpoint: string;

  constructor(endpoint: string) {
    this.endpoint = endpoint;
    this.ended = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    this.ended.catch(() => {});
  }

  end(): void {
    this.alive = false;
    this.reject(new NodeUnavailableError(this.endpoint, "the connection broke (the node died)"));
  }
}

/** What the transport sees of a node: its database while it serves, and its current life. */
export interface SimNodeView {
  readonly endpoint: string;
  /** Non-null only while the node is open, bootstrapped and not stopping. */
  readonly db: Database | null;
  readonly life: NodeLife;
  /** Told of every batch the node's database took, with its result, as it resolves. */
  readonly onWritten: (batch: WriteBatch, result: WriteResult) => void;
}

export class SimTransport implements NodeTransport {
  readonly endpoint: string;
  private readonly node: SimNodeView;
  private readonly sched: SimScheduler;
  /** Names this client's transport in I/O labels. */
  private readonly client: string;
  private calls = 0;
  private closed = false;

  constructor(node: SimNodeView, sched: SimScheduler, client: string) {
    this.endpoint = node.endpoint;
    this.node = node;
    this.sched = sched;
    this.client = client;
  }

  /** Delivers the request, runs `op` on the node, delivers the answer: each delivery a scheduler step. */
  private async call<T>(method: string, op: (db: Database) => Promise<T>): Promise<T> {
    const label = `rpc ${this.client}>${this.endpoint} ${method}#${++this.calls}`;
    await this.sched.io(`${label} request`);
    if (this.closed) throw new NodeUnavailableError(this.endpoint, "the transport is closed");
    const db = this.node.db;
    const life = this.node.life;
    if (db === null || !life.alive) {
      throw new NodeUnavailableError(this.endpoint, "connection refused (the node is down)");
    }
    const out = await Promise.race([op(db), life.ended]);
    await this.sched.io(`${label} answer`);
    if (!life.alive) {
      throw new NodeUnavailableError(this.endpoint, "the node died before its answer was sent");
    }
    return out;
  }

  writeBatch(namespace: string, batch: WriteBatch, _deadlineMs: number): Promise<WriteResult> {
    return this.call("writeBatch", async (db) => {
      const result = await db.writeBatch(namespace, batch);
      this.node.onWritten(batch, result);
      return result;
    });
  }

  fetchTagged(req: NodeFetchRequest, _deadlineMs: number): Promise<NodeSeries[]> {
    return this.call("fetchTagged", async (db) => {
      const matched = matchedSeries(db, req.namespace, req.matchers, req, req.limits, req.shards);
      const out: NodeSeries[] = [];
      for (const s of matched) {
        const data = await db.fetchSeriesData(req.namespace, s.id, req.startMs, req.endMs + 1);
        out.push({ id: s.id, encodedTags: s.encodedTags, data });
      }
      return out;
    });
  }

  seriesTags(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: IndexLimits,
    shards: readonly number[] | null,
    _deadlineMs: number,
  ): Promise<NodeSeriesTags[]> {
    return this.call("seriesTags", async (db) =>
      matchedSeries(db, namespace, matchers, { startMs, endMs }, limits, shards),
    );
  }

  labelNames(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    _deadlineMs: number,
  ): Promise<string[]> {
    return this.call("labelNames", async (db) =>
      db.labelNames(namespace, matchers, startMs, endMs + 1),
    );
  }

  labelValues(
    namespace: string,
    name: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    _deadlineMs: number,
  ): Promise<string[]> {
    return this.call("labelValues", async (db) =>
      db.labelValues(namespace, name, matchers, startMs, endMs + 1),
    );
  }

  health(_deadlineMs: number): Promise<NodeHealth> {
    return this.call("health", async (db) => ({
      state: db.failureReason !== null ? "failed" : db.bootstrapProgress.state,
      failureReason: db.failureReason,
    }));
  }

  aggregate(_req: NodeAggregateRequest, _deadlineMs: number): Promise<Uint8Array> {
    return Promise.reject(
      new NodeUnavailableError(this.endpoint, "the simulated node does not aggregate"),
    );
  }

  close(): void {
    this.closed = true;
  }
}

/** The node's series of `shards` matching, bounded by maxSeries as the node RPC bounds them. */
function matchedSeries(
  db: Database,
  namespace: string,
  matchers: readonly Matcher[],
  range: { startMs: number; endMs: number },
  limits: IndexLimits,
  shards: readonly number[] | null,
): NodeSeriesTags[] {
  const found = db.queryIndex(namespace, matchers, range.startMs, range.endMs + 1, {
    maxDocsScanned: limits.maxDocsScanned > 0 ? limits.maxDocsScanned : undefined,
  });
  const wanted = shards === null ? null : new Set(shards);
  const out: NodeSeriesTags[] = [];
  for (let s = 0; s < found.ids.length; s++) {
    if (wanted !== null && !wanted.has(db.shardOfId(found.ids[s]))) continue;
    out.push({ id: found.ids[s], encodedTags: encodeTags(found.tags[s]) });
  }
  if (limits.maxSeries > 0 && out.length > limits.maxSeries) {
    throw new QueryLimitError("maxSeries", limits.maxSeries, `${out.length} series match`);
  }
  return out;
}
