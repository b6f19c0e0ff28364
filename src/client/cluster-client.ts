// The client of a cluster: the Client interface over one NodeTransport per
// node of the placement. Writes go to every owner of each datapoint's shard
// through per-node queues and succeed at the write consistency level; reads
// ask each node once for the shards it owns, count answers per shard against
// the read consistency level, and merge the replicas' data per series. The
// placement and the namespace registry come from the KV and are followed by
// watches; nodes joining or leaving the placement get or lose their
// transport.

import {
  InvalidPlacementError,
  type KV,
  type KVValue,
  NAMESPACES_KEY,
  PLACEMENT_KEY,
  type Placement,
  registryNamespaces,
} from "../cluster/index.js";
import type { SeriesData } from "../codec/index.js";
import type { NamespaceOptions } from "../dbnode/namespace/index.js";
import { UnknownNamespaceError } from "../dbnode/storage/index.js";
import type { WriteBatch, WriteResult } from "../dbnode/ts/index.js";
import { type Matcher, QueryLimitError } from "../index/index.js";
import { type Clock, decodeTags, M3tsError, systemClock } from "../x/index.js";
import {
  type Client,
  type ClusterAggregateRequest,
  type EqualTimestampStrategy,
  FetchDeadlineError,
  type FetchedSeries,
  type FetchLimits,
  type IndexLimits,
  type NodeState,
  type ReadConsistencyLevel,
  type SeriesTags,
  type WriteConsistencyLevel,
} from "./client.js";
import { isTransient, ReadConsistencyError, type ReplicaError } from "./consistency.js";
import { asM3tsError, withDeadline } from "./deadline.js";
import { HostQueue, type HostQueueOptions } from "./host-queue.js";
import { fanOutRead, type ReplicaAnswer } from "./read-fanout.js";
import { ReplicaMerger } from "./replica-merge.js";
import { shardOfSeries, type Topology, topologyOf } from "./topology.js";
import type { NodeTransport } from "./transport.js";
import { WriteState } from "./write-state.js";

export interface ClusterClientOptions {
  kv: KV;
  /** Makes the transport to a node's "host:port"; called once per endpoint joining the placement. */
  transportFactory: (endpoint: string) => NodeTransport;
  /** Default "majority". */
  writeConsistency?: WriteConsistencyLevel;
  /** Default "unstrict_majority"; FetchLimits.readConsistency overrides it per fetch. */
  readConsistency?: ReadConsistencyLevel;
  /** Default "iterate_last_pushed"; FetchLimits.equalTimestampStrategy overrides it per fetch. */
  equalTimestampStrategy?: EqualTimestampStrategy;
  /**
   * Whether a replica whose shard is INITIALIZING or LEAVING counts toward
   * consistency. Default false, as M3: only AVAILABLE replicas count.
   */
  countNonAvailableReplicas?: boolean;
  /**
   * A node's write batch is sent at this many datapoints. Default 4096: M3
   * sends 128 over TChannel, but a gRPC call here costs some 150 µs of CPU
   * at the two ends, which at 128 datapoints is most of a datapoint's cost.
   */
  maxOpsPerBatch?: number;
  /** ... or this long after its first datapoint. Default 5 ms (M3). */
  flushIntervalMs?: number;
  /** Datapoints queued or in flight per node, at most. Default 65 536. */
  maxQueuedOpsPerHost?: number;
  /** Write batches on the wire to one node at once, at most; the rest wait in its queue. Default 8. */
  maxBatchesInFlightPerHost?: number;
  /** Sends of one write batch to a node that is overloaded or unreachable, at most. Default 3. */
  maxWriteAttempts?: number;
  /** The wait before the second send of a batch, doubling after. Default 50 ms. */
  retryBackoffMs?: number;
  /** How long a write may take (M3: 10 s). */
  writeTimeoutMs?: number;
  /** How long a fetch may take when its caller gives no deadline (M3: 15 s). */
  fetchTimeoutMs?: number;
  /** The wall clock of deadlines (Date.now() milliseconds). Default the system's. */
  wallClock?: Clock;
}

/** The defaults of ClusterClientOptions. */
export const CLUSTER_CLIENT_DEFAULTS = {
  writeConsistency: "majority",
  readConsistency: "unstrict_majority",
  equalTimestampStrategy: "iterate_last_pushed",
  countNonAvailableReplicas: false,
  maxOpsPerBatch: 4096,
  flushIntervalMs: 5,
  maxQueuedOpsPerHost: 65_536,
  maxBatchesInFlightPerHost: 8,
  maxWriteAttempts: 3,
  retryBackoffMs: 50,
  writeTimeoutMs: 10_000,
  fetchTimeoutMs: 15_000,
} as const;

/** A call before the client has a placement to route by. Retryable. */
export class NoPlacementError extends M3tsError {
  constructor(what: string) {
    super(
      "M3TS_ERR_NO_PLACEMENT",
      `cannot ${what}: there is no placement at ${PLACEMENT_KEY} yet; retry once the cluster is initialised`,
    );
  }
}

/** Series decoded between two looks at the deadline (a power of two). */
const FETCH_CHECK_EVERY_SERIES = 16;

export class ClusterClient implements Client {
  private readonly kv: KV;
  private readonly transportFactory: (endpoint: string) => NodeTransport;
  private readonly writeLevel: WriteConsistencyLevel;
  private readonly readLevel: ReadConsistencyLevel;
  private readonly strategy: EqualTimestampStrategy;
  private readonly countNonAvailable: boolean;
  private readonly queueOptions: HostQueueOptions;
  private readonly writeTimeoutMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly wallClock: Clock;
  private readonly merger = new ReplicaMerger();

  private topology: Topology | null = null;
  private placementVersion = 0;
  private registryVersion = 0;
  private namespaceList: { name: string; options: NamespaceOptions }[] = [];
  private readonly transports = new Map<string, NodeTransport>();
  private readonly queues = new Map<string, HostQueue>();
  /** Nodes whose last call failed for a transient reason; aggregatePartials avoids them. */
  private readonly unhealthy = new Set<string>();
  private readonly unwatch: (() => void)[] = [];
  private closed = false;
  private replicaWriteFailureCount = 0;

  private constructor(o: ClusterClientOptions) {
    const d = CLUSTER_CLIENT_DEFAULTS;
    this.kv = o.kv;
    this.transportFactory = o.transportFactory;
    this.writeLevel = o.writeConsistency ?? d.writeConsistency;
    this.readLevel = o.readConsistency ?? d.readConsistency;
    this.strategy = o.equalTimestampStrategy ?? d.equalTimestampStrategy;
    this.countNonAvailable = o.countNonAvailableReplicas ?? d.countNonAvailableReplicas;
    this.wallClock = o.wallClock ?? systemClock;
    this.queueOptions = {
      maxOpsPerBatch: positive("maxOpsPerBatch", o.maxOpsPerBatch ?? d.maxOpsPerBatch),
      flushIntervalMs: nonNegative("flushIntervalMs", o.flushIntervalMs ?? d.flushIntervalMs),
      maxQueuedOps: positive("maxQueuedOpsPerHost", o.maxQueuedOpsPerHost ?? d.maxQueuedOpsPerHost),
      maxBatchesInFlight: positive(
        "maxBatchesInFlightPerHost",
        o.maxBatchesInFlightPerHost ?? d.maxBatchesInFlightPerHost,
      ),
      maxWriteAttempts: positive("maxWriteAttempts", o.maxWriteAttempts ?? d.maxWriteAttempts),
      retryBackoffMs: nonNegative("retryBackoffMs", o.retryBackoffMs ?? d.retryBackoffMs),
      wallClock: this.wallClock,
    };
    this.writeTimeoutMs = positive("writeTimeoutMs", o.writeTimeoutMs ?? d.writeTimeoutMs);
    this.fetchTimeoutMs = positive("fetchTimeoutMs", o.fetchTimeoutMs ?? d.fetchTimeoutMs);
  }

  /** A client following the placement and namespaces in `options.kv`; resolves once both are read. */
  static async open(options: ClusterClientOptions): Promise<ClusterClient> {
    const c = new ClusterClient(options);
    // Watch first, then read: a change between the two is not missed, and
    // the versions keep an older value from replacing a newer one.
    c.unwatch.push(c.kv.watch(PLACEMENT_KEY, (v) => c.applyPlacement(v)));
    c.unwatch.push(c.kv.watch(NAMESPACES_KEY, (v) => c.applyRegistry(v)));
    const [placement, registry] = await Promise.all([
      c.kv.get(PLACEMENT_KEY),
      c.kv.get(NAMESPACES_KEY),
    ]);
    if (placement !== null) c.applyPlacement(placement);
    if (registry !== null) c.applyRegistry(registry);
    return c;
  }

  /** Stops following the KV, fails queued writes and closes every transport. */
  close(): void {
    this.closed = true;
    for (const stop of this.unwatch) stop();
    this.unwatch.length = 0;
    for (const q of this.queues.values()) q.close();
    for (const t of this.transports.values()) t.close();
    this.queues.clear();
    this.transports.clear();
    this.topology = null;
  }

  /**
   * Replica writes that failed, counting those whose datapoint met its
   * consistency level on the other replicas: what a replica lacks until
   * repair (m3ts_client_replica_write_failures_total).
   */
  get replicaWriteFailures(): number {
    return this.replicaWriteFailureCount;
  }

  /** Sends what every node's queue has gathered now, without waiting for its batch to fill or its timer. */
  flush(): void {
    for (const q of this.queues.values()) q.flush();
  }

  /** The topology in use (null before a placement is known). */
  currentTopology(): Topology | null {
    return this.topology;
  }

  /** Datapoints queued or in flight to a node (0 for an endpoint outside the placement). */
  queuedOps(endpoint: string): number {
    return this.queues.get(endpoint)?.queuedOps ?? 0;
  }

  // ---- metadata from the KV -------------------------------------------------

  private applyPlacement(v: KVValue | null): void {
    if (this.closed) return;
    if (v === null) {
      this.placementVersion = 0;
      this.topology = null;
      this.reconcileTransports(new Set());
      return;
    }
    if (v.version <= this.placementVersion) return;
    this.placementVersion = v.version;
    let top: Topology;
    try {
      top = topologyOf(v.value as Placement);
    } catch (e) {
      // A damaged placement routes nothing: keep routing by the last good one.
      if (e instanceof InvalidPlacementError) return;
      throw e;
    }
    this.topology = top;
    this.reconcileTransports(new Set(top.instances.map((i) => i.endpoint)));
  }

  private reconcileTransports(endpoints: ReadonlySet<string>): void {
    for (const [endpoint, t] of this.transports) {
      if (endpoints.has(endpoint)) continue;
      this.queues.get(endpoint)?.close();
      this.queues.delete(endpoint);
      this.transports.delete(endpoint);
      this.unhealthy.delete(endpoint);
      t.close();
    }
    for (const endpoint of endpoints) {
      if (this.transports.has(endpoint)) continue;
      const t = this.transportFactory(endpoint);
      this.transports.set(endpoint, t);
      this.queues.set(endpoint, new HostQueue(t, this.queueOptions));
    }
  }

  private applyRegistry(v: KVValue | null): void {
    if (this.closed) return;
    if (v === null) {
      this.registryVersion = 0;
      this.namespaceList = [];
      return;
    }
    if (v.version <= this.registryVersion) return;
    this.registryVersion = v.version;
    const value = v.value as { namespaces?: Record<string, unknown> };
    this.namespaceList = registryNamespaces({ namespaces: value.namespaces ?? {} });
  }

  private requireNamespace(namespace: string): void {
    if (!this.namespaceList.some((n) => n.name === namespace)) {
      throw new UnknownNamespaceError(namespace);
    }
  }

  private requireTopology(what: string): Topology {
    const top = this.topology;
    if (top === null) throw new NoPlacementError(what);
    return top;
  }

  // ---- writes ---------------------------------------------------------------

  writeBatch(namespace: string, batch: WriteBatch): Promise<WriteResult> {
    try {
      this.requireNamespace(namespace);
      const top = this.requireTopology("write");
      const n = batch.count;
      const seriesShard = new Int32Array(batch.seriesIds.length).fill(-1);
      const shardOf = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const s = batch.series[i];
        let shard = seriesShard[s];
        if (shard < 0) {
          shard = shardOfSeries(batch.seriesIds[s], top.numShards);
          seriesShard[s] = shard;
        }
        shardOf[i] = shard;
      }
      const state = new WriteState({
        namespace,
        batch,
        deadlineMs: this.wallClock.nowMs() + this.writeTimeoutMs,
        level: this.writeLevel,
        countNonAvailable: this.countNonAvailable,
        topology: top,
        shardOf,
        onReplicaFailure: () => {
          this.replicaWriteFailureCount++;
        },
      });
      for (let i = 0; i < n; i++) {
        const owners = state.ownersOf(i);
        for (let slot = 0; slot < owners.length; slot++) {
          const q = this.queues.get(owners[slot].endpoint);
          if (q === undefined) {
            state.replicaDone(i, slot, new NoPlacementError("write"));
          } else {
            q.enqueue(state, i, slot);
          }
        }
      }
      return state.done;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // ---- reads ----------------------------------------------------------------

  async fetchTagged(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: FetchLimits,
  ): Promise<FetchedSeries[]> {
    this.requireNamespace(namespace);
    const top = this.requireTopology("read");
    const deadlineMs = limits.deadlineMs ?? this.wallClock.nowMs() + this.fetchTimeoutMs;
    const strategy = limits.equalTimestampStrategy ?? this.strategy;
    const nodeLimits = {
      maxSeries: limits.maxSeries,
      maxDocsScanned: limits.maxDocsScanned,
      maxSamples: limits.maxSamples,
    };
    const answers = await this.fanOut(top, limits.readConsistency, deadlineMs, (t, shards, dl) =>
      t.fetchTagged({ namespace, matchers, startMs, endMs, shards, limits: nodeLimits }, dl),
    );
    // Each series' replicas in replica order (answers come sorted by rank).
    const bySeries = new Map<string, { encodedTags: Uint8Array; pieces: SeriesData[][] }>();
    for (const a of answers) {
      for (const s of a.value) {
        const got = bySeries.get(s.id);
        if (got === undefined) {
          bySeries.set(s.id, { encodedTags: s.encodedTags, pieces: [s.data] });
        } else {
          got.pieces.push(s.data);
        }
      }
    }
    if (limits.maxSeries > 0 && bySeries.size > limits.maxSeries) {
      throw new QueryLimitError(
        "maxSeries",
        limits.maxSeries,
        `${bySeries.size} distinct series match across the cluster`,
      );
    }
    const ids = [...bySeries.keys()].sort();
    const out: FetchedSeries[] = [];
    let total = 0;
    for (let k = 0; k < ids.length; k++) {
      if ((k & (FETCH_CHECK_EVERY_SERIES - 1)) === 0 && k > 0) {
        if (this.wallClock.nowMs() > deadlineMs) {
          throw new FetchDeadlineError(deadlineMs, k, ids.length);
        }
      }
      const entry = bySeries.get(ids[k]) as { encodedTags: Uint8Array; pieces: SeriesData[][] };
      const merged = this.merger.merge(entry.pieces, startMs, endMs, strategy);
      if (merged.count === 0) continue;
      total += merged.count;
      if (limits.maxSamples > 0 && total > limits.maxSamples) {
        throw new QueryLimitError(
          "maxSamples",
          limits.maxSamples,
          "the series matched across the cluster hold more datapoints in the range",
        );
      }
      out.push({
        id: ids[k],
        tags: decodeTags(entry.encodedTags),
        timesMs: merged.timesMs.slice(0, merged.count),
        values: merged.values.slice(0, merged.count),
        count: merged.count,
      });
    }
    return out;
  }

  async seriesTags(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: IndexLimits,
  ): Promise<SeriesTags[]> {
    this.requireNamespace(namespace);
    const top = this.requireTopology("read");
    const deadlineMs = this.wallClock.nowMs() + this.fetchTimeoutMs;
    const answers = await this.fanOut(top, undefined, deadlineMs, (t, shards, dl) =>
      t.seriesTags(namespace, matchers, startMs, endMs, limits, shards, dl),
    );
    const byId = new Map<string, Uint8Array>();
    for (const a of answers)
      for (const s of a.value) if (!byId.has(s.id)) byId.set(s.id, s.encodedTags);
    if (limits.maxSeries > 0 && byId.size > limits.maxSeries) {
      throw new QueryLimitError(
        "maxSeries",
        limits.maxSeries,
        `${byId.size} distinct series match across the cluster`,
      );
    }
    return [...byId.keys()].sort().map((id) => ({
      id,
      tags: decodeTags(byId.get(id) as Uint8Array),
    }));
  }

  async labelNames(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
  ): Promise<string[]> {
    this.requireNamespace(namespace);
    const top = this.requireTopology("read");
    const deadlineMs = this.wallClock.nowMs() + this.fetchTimeoutMs;
    const answers = await this.fanOut(top, undefined, deadlineMs, (t, _shards, dl) =>
      t.labelNames(namespace, matchers, startMs, endMs, dl),
    );
    return union(answers);
  }

  async labelValues(
    namespace: string,
    name: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
  ): Promise<string[]> {
    this.requireNamespace(namespace);
    const top = this.requireTopology("read");
    const deadlineMs = this.wallClock.nowMs() + this.fetchTimeoutMs;
    const answers = await this.fanOut(top, undefined, deadlineMs, (t, _shards, dl) =>
      t.labelValues(namespace, name, matchers, startMs, endMs, dl),
    );
    return union(answers);
  }

  private fanOut<T>(
    topology: Topology,
    level: ReadConsistencyLevel | undefined,
    deadlineMs: number,
    call: (t: NodeTransport, shards: readonly number[], deadlineMs: number) => Promise<T>,
  ): Promise<ReplicaAnswer<T>[]> {
    return fanOutRead({
      topology,
      transports: this.transports,
      level: level ?? this.readLevel,
      countNonAvailable: this.countNonAvailable,
      deadlineMs,
      wallClock: this.wallClock,
      onOutcome: (endpoint, error) => this.noteOutcome(endpoint, error),
      call,
    });
  }

  private noteOutcome(endpoint: string, error: M3tsError | null): void {
    if (error === null) this.unhealthy.delete(endpoint);
    else if (isTransient(error)) this.unhealthy.add(endpoint);
  }

  // ---- pushed-down aggregation ----------------------------------------------

  /**
   * For every shard one AVAILABLE replica (healthy ones first, shards spread
   * over the nodes) evaluates `req`; a node that fails has its shards asked
   * of another replica. Fails with ReadConsistencyError (level one) for
   * shards no replica answered.
   */
  async aggregatePartials(req: ClusterAggregateRequest, deadlineMs: number): Promise<Uint8Array[]> {
    this.requireNamespace(req.namespace);
    const top = this.requireTopology("aggregate");
    const tried: Set<string>[] = Array.from({ length: top.numShards }, () => new Set());
    const out: Uint8Array[] = [];
    const errors: ReplicaError[] = [];
    const idOf = new Map(top.instances.map((i) => [i.endpoint, i.instanceId]));
    let todo = Array.from({ length: top.numShards }, (_, s) => s);
    while (todo.length > 0) {
      const load = new Map<string, number>();
      const plan = new Map<string, number[]>();
      const stranded: number[] = [];
      for (const shard of todo) {
        const chosen = this.chooseReplica(top, shard, tried[shard], load);
        if (chosen === null) {
          stranded.push(shard);
          continue;
        }
        tried[shard].add(chosen);
        load.set(chosen, (load.get(chosen) ?? 0) + 1);
        let list = plan.get(chosen);
        if (list === undefined) {
          list = [];
          plan.set(chosen, list);
        }
        list.push(shard);
      }
      if (stranded.length > 0) {
        throw new ReadConsistencyError(
          "one",
          stranded.sort((a, b) => a - b),
          1,
          errors,
        );
      }
      const next: number[] = [];
      await Promise.all(
        [...plan].map(async ([endpoint, shards]) => {
          const t = this.transports.get(endpoint) as NodeTransport;
          try {
            const partial = await withDeadline(endpoint, deadlineMs, this.wallClock.nowMs(), () =>
              t.aggregate({ ...req, shards }, deadlineMs),
            );
            this.noteOutcome(endpoint, null);
            out.push(partial);
          } catch (e) {
            const error = asM3tsError(endpoint, e);
            this.noteOutcome(endpoint, error);
            if (!isTransient(error)) throw error;
            errors.push({ instanceId: idOf.get(endpoint) ?? endpoint, error });
            for (const s of shards) next.push(s);
          }
        }),
      );
      todo = next;
    }
    return out;
  }

  /** The replica to ask for `shard`: AVAILABLE, not tried, healthy first, then least loaded, then by ID. */
  private chooseReplica(
    top: Topology,
    shard: number,
    tried: ReadonlySet<string>,
    load: ReadonlyMap<string, number>,
  ): string | null {
    let best: string | null = null;
    let bestKey = Number.POSITIVE_INFINITY;
    for (const owner of top.owners[shard]) {
      if (owner.state !== "AVAILABLE" && !this.countNonAvailable) continue;
      if (tried.has(owner.endpoint) || !this.transports.has(owner.endpoint)) continue;
      // Unhealthy nodes sort after every healthy one, whatever their load.
      const key = (this.unhealthy.has(owner.endpoint) ? 1e9 : 0) + (load.get(owner.endpoint) ?? 0);
      if (key < bestKey) {
        bestKey = key;
        best = owner.endpoint;
      }
    }
    return best;
  }

  // ---- state ----------------------------------------------------------------

  namespaces(): { name: string; options: NamespaceOptions }[] {
    return this.namespaceList;
  }

  state(): NodeState {
    return this.notReadyReason() === null ? "bootstrapped" : "bootstrapping";
  }

  failureReason(): string | null {
    return this.notReadyReason();
  }

  /** Why the cluster cannot serve reads at consistency one, or null. */
  private notReadyReason(): string | null {
    const top = this.topology;
    if (top === null) return `no placement at ${PLACEMENT_KEY} yet`;
    const missing: number[] = [];
    for (let shard = 0; shard < top.numShards; shard++) {
      if (!top.owners[shard].some((o) => o.state === "AVAILABLE")) missing.push(shard);
    }
    if (missing.length === 0) return null;
    const named = missing.slice(0, 16).join(", ");
    const more = missing.length > 16 ? ` and ${missing.length - 16} more` : "";
    return `${missing.length} of ${top.numShards} shards have no AVAILABLE replica yet (${named}${more})`;
  }
}

/** The strings of every answer, each once, sorted. */
function union(answers: readonly ReplicaAnswer<string[]>[]): string[] {
  const all = new Set<string>();
  for (const a of answers) for (const s of a.value) all.add(s);
  return [...all].sort();
}

/** An option that must be a positive integer. */
function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new ClusterClientOptionError(name, v, "a positive integer");
  }
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) {
    throw new ClusterClientOptionError(name, v, "a number at least 0");
  }
  return v;
}

/** A cluster client option outside what it allows. */
export class ClusterClientOptionError extends M3tsError {
  readonly option: string;

  constructor(option: string, value: number, allowed: string) {
    super(
      "M3TS_ERR_CLUSTER_CLIENT_OPTION",
      `cluster client option ${option} is ${value}: it must be ${allowed}`,
    );
    this.option = option;
  }
}
