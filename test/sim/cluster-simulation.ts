// The deterministic simulation of replication: three nodes, each a Database
// on its own simulated disk, at RF=3 behind the cluster client, all on one
// clock and one seeded scheduler that orders every disk operation and every
// delivery of a request or an answer between the client and a node. The
// seed picks writes at each write consistency level, ticks, reads at each
// read consistency level, crashes and clean stops of a node (at most one
// down at a time) and its restart from its own files; the reads are held to
// what the levels promise (see ClusterModel). A failure returns the seed's
// trace and the command that replays it.

import {
  ClusterClient,
  type ReadConsistencyLevel,
  type WriteConsistencyLevel,
} from "../../src/client/index.js";
import {
  initialPlacement,
  NAMESPACES_KEY,
  PLACEMENT_KEY,
  type Placement,
  registryOf,
} from "../../src/cluster/index.js";
import type { NamespaceOptions } from "../../src/dbnode/namespace/index.js";
import { Database } from "../../src/dbnode/storage/index.js";
import type { WriteBatch, WriteResult } from "../../src/dbnode/ts/index.js";
import { newMatcher } from "../../src/index/index.js";
import { encodeTags, type Logger, ManualClock, seriesIdString } from "../../src/x/index.js";
import { MemoryKV } from "./memory-kv.js";
import { bitsOf } from "./model.js";
import { SimScheduler } from "./scheduler.js";
import { SimFileSystem } from "./sim-fs.js";
import { SimProcessFs } from "./sim-process.js";
import { NodeLife, type SimNodeView, SimTransport } from "./sim-transport.js";

const NAMESPACE = "sim";
const DATA_DIR = "/sim/data";
const NODES = 3;
const NUM_SHARDS = 4;
const SERIES = 6;
const BLOCK_MS = 60_000;
const BUFFER_PAST_MS = 10_000;
const BUFFER_FUTURE_MS = 10_000;
const RETENTION_MS = 8 * BLOCK_MS;
const INDEX_BLOCK_MS = 2 * BLOCK_MS;
const START_MS = 1_700_000_040_000;
/** Scheduler releases (disk I/O and deliveries) one step may take before it counts as hung. */
const MAX_RELEASES_PER_STEP = 50_000;
/** Datapoints per node batch: small, so client writes split and share batches. */
const MAX_OPS_PER_BATCH = 3;
/**
 * The client's write and fetch timeouts. Its deadline timers are real
 * timers; every simulated call ends long before this, so none fires.
 */
const CLIENT_TIMEOUT_MS = 600_000;
const NAMESPACE_OPTIONS = {
  blockSizeMs: BLOCK_MS,
  bufferPastMs: BUFFER_PAST_MS,
  bufferFutureMs: BUFFER_FUTURE_MS,
  retentionPeriodMs: RETENTION_MS,
  coldWritesEnabled: true,
  snapshotEnabled: true,
  index: { enabled: true, blockSizeMs: INDEX_BLOCK_MS },
};
const VALUES = [0, -0, 1, -1, 0.5, 1 / 3, 1e300, -2.5e-300, 42, 7.25];
const READ_LEVELS: readonly ReadConsistencyLevel[] = [
  "one",
  "unstrict_majority",
  "majority",
  "all",
];
const ALL_SERIES = [newMatcher("=", "__name__", "sim_metric")];

export interface ClusterSimOptions {
  steps: number;
  /** Put the engines' debug and info messages in the trace too (warnings and errors always are). */
  verbose?: boolean;
  /** Put every released disk operation and delivery in the trace. */
  traceIo?: boolean;
}

export interface ClusterSimOutcome {
  seed: number;
  ok: boolean;
  trace: string[];
  failure: string | null;
  ioReleased: number;
}

export const CLUSTER_DEFAULT_OPTIONS: ClusterSimOptions = { steps: 30 };

class SimFailure extends Error {}

/**
 * The model of replication: one value per series and instant (a timestamp
 * is only ever written again with the value it first got, so replicas never
 * disagree and the equal-timestamp strategy does not matter), and the
 * strongest write consistency level any write of it was acknowledged at.
 * What the levels promise, with RF 3 and at most one node down:
 * - acknowledged at majority: on two replicas durably, and any two nodes
 *   share one of them, so a read at unstrict_majority, majority or all,
 *   which merges at least two replicas' answers, holds it;
 * - acknowledged at all: on every replica, so a read at one holds it too;
 * - acknowledged at one, or failed: may be anywhere, or nowhere.
 * A read never holds an instant never written, nor another value.
 */
interface Point {
  value: number;
  valueBits: string;
  /** 0: never acknowledged; 1, 2, 3: acknowledged at one, majority, all. */
  acked: number;
}

const LEVEL_RANK: Record<WriteConsistencyLevel, number> = { one: 1, majority: 2, all: 3 };

/** The acknowledgement a read at `level` must see: majority for the majorities and all, all for one. */
function rankRequiredBy(level: ReadConsistencyLevel): number {
  return level === "one" ? 3 : 2;
}

interface SimNode extends SimNodeView {
  readonly index: number;
  readonly name: string;
  readonly endpoint: string;
  readonly disk: SimFileSystem;
  proc: SimProcessFs;
  db: Database | null;
  /** The database of this life, serving or not (open, bootstrapping or stopping). */
  opened: Database | null;
  life: NodeLife;
  state: "up" | "starting" | "stopping" | "down";
  /**
   * Per series, the instants this node's database acknowledged (its commit
   * log made them durable), which it must serve again after any restart.
   */
  readonly took: Map<number, Set<number>>;
  onWritten: (batch: WriteBatch, result: WriteResult) => void;
}

/** Runs one seed; never throws for a failure, it returns it. */
export async function runClusterSeed(
  seed: number,
  options: ClusterSimOptions,
): Promise<ClusterSimOutcome> {
  const sim = new ClusterSimulation(seed, options);
  let failure: string | null = null;
  try {
    await sim.run();
  } catch (err) {
    failure = err instanceof SimFailure ? err.message : `unexpected error: ${(err as Error).stack}`;
  }
  await sim.close();
  return { seed, ok: failure === null, trace: sim.trace, failure, ioReleased: sim.sched.released };
}

/** Seeds from `first`, `count` of them; stops at the first failure. */
export async function runClusterSeeds(
  first: number,
  count: number,
  options: ClusterSimOptions = CLUSTER_DEFAULT_OPTIONS,
): Promise<{ passed: number; failed: ClusterSimOutcome | null }> {
  for (let i = 0; i < count; i++) {
    const outcome = await runClusterSeed(first + i, options);
    if (!outcome.ok) return { passed: i, failed: outcome };
  }
  return { passed: count, failed: null };
}

/** The failure report: what broke, the replay command, the step trace. */
export function describeClusterFailure(o: ClusterSimOutcome, options: ClusterSimOptions): string {
  const steps = options.steps !== CLUSTER_DEFAULT_OPTIONS.steps ? ` --steps ${options.steps}` : "";
  return [
    `cluster simulation seed ${o.seed} failed: ${o.failure}`,
    `replay: npm run test:sim -- --cluster --seed ${o.seed}${steps} (add --trace-io to see every delivery)`,
    "trace:",
    ...o.trace.map((l) => `  ${l}`),
  ].join("\n");
}

class ClusterSimulation {
  readonly sched: SimScheduler;
  readonly trace: string[] = [];
  private readonly options: ClusterSimOptions;
  private readonly clock = new ManualClock(START_MS);
  private readonly kv = new MemoryKV();
  private readonly nodes: SimNode[] = [];
  /** One client per write consistency level; reads go through the majority one. */
  private readonly clients = new Map<WriteConsistencyLevel, ClusterClient>();
  /** Per series, per instant. */
  private readonly model = new Map<number, Map<number, Point>>();
  /** Operations in flight, with the node whose process runs them (-1: the client's). */
  private readonly inFlight = new Map<Promise<unknown>, number>();
  /** What a read racing other operations found wrong, reported at the next check. */
  private readFailure: string | null = null;
  private readonly ids: string[];
  private readonly tags: Uint8Array[];

  constructor(seed: number, options: ClusterSimOptions) {
    this.sched = new SimScheduler(seed);
    this.options = options;
    if (options.traceIo === true) this.sched.onRelease = (label) => this.log(`io ${label}`);
    for (let k = 0; k < NODES; k++) {
      const name = `n${k}`;
      const disk = new SimFileSystem(this.sched.ownedBy(name), () => this.clock.nowMs());
      const endpoint = `${name}:9000`;
      const took = new Map<number, Set<number>>();
      for (let s = 0; s < SERIES; s++) took.set(s, new Set());
      this.nodes.push({
        index: k,
        name,
        endpoint,
        disk,
        proc: new SimProcessFs(disk),
        db: null,
        opened: null,
        life: new NodeLife(endpoint),
        state: "down",
        took,
        onWritten: (batch, result) => {
          const failed = new Set(result.errors.map((e) => e.index));
          for (let i = 0; i < batch.count; i++) {
            if (failed.has(i)) continue;
            const s = this.ids.indexOf(batch.seriesIds[batch.series[i]]);
            took.get(s)?.add(batch.timesMs[i]);
          }
        },
      });
    }
    const tagsOf = (s: number): [string, string][] => [
      ["__name__", "sim_metric"],
      ["series", String(s)],
    ];
    this.ids = Array.from({ length: SERIES }, (_, s) => seriesIdString(tagsOf(s)));
    this.tags = Array.from({ length: SERIES }, (_, s) => encodeTags(tagsOf(s)));
    for (let s = 0; s < SERIES; s++) this.model.set(s, new Map());
  }

  private log(line: string): void {
    this.trace.push(`[${this.trace.length}] t=${this.clock.nowMs() - START_MS} ${line}`);
  }

  private fail(what: string): never {
    throw new SimFailure(what);
  }

  /**
   * Ends every node and client, then releases what is still pending (the
   * replica calls a level did not wait for) so that every call ends and
   * no client deadline timer outlives the seed.
   */
  async close(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    for (const n of this.nodes) {
      n.proc.alive = false;
      n.life.end();
    }
    await this.sched.runUntil(() => this.sched.pendingCount === 0, MAX_RELEASES_PER_STEP);
  }

  private loggerOf(node: SimNode): Logger {
    const say = (level: string) => (fields: object, message: string) =>
      this.log(`${node.name} ${level}: ${message} ${JSON.stringify(fields)}`);
    const quiet = () => {};
    const verbose = this.options.verbose === true;
    return {
      debug: verbose ? say("debug") : quiet,
      info: verbose ? say("info") : quiet,
      warn: say("warn"),
      error: say("error"),
    };
  }

  /** Waits, releasing I/O and deliveries in seeded order, for `p`; fails the seed if it hangs. */
  private async settle<T>(p: Promise<T>, what: string): Promise<T> {
    const settled = await this.sched.settle(p, MAX_RELEASES_PER_STEP);
    if (settled === null)
      this.fail(`${what} never finished (a node or the client hung or lost a wake-up)`);
    return settled.value;
  }

  private async drain(): Promise<void> {
    await this.settle(Promise.allSettled([...this.inFlight.keys()]), "in-flight operations");
  }

  private track(p: Promise<unknown>, node = -1): void {
    const q = p.catch(() => undefined).finally(() => this.inFlight.delete(q));
    this.inFlight.set(q, node);
  }

  /** The node that is not serving, if any (the simulation keeps at most one so). */
  private notServing(): SimNode | null {
    return this.nodes.find((n) => n.state !== "up") ?? null;
  }

  // ---- nodes ----------------------------------------------------------------

  /** Opens a node's database on its disk and bootstraps it; it serves once that is done. */
  private async openNode(node: SimNode): Promise<NamespaceOptions> {
    node.state = "starting";
    node.proc = new SimProcessFs(node.disk);
    node.life = new NodeLife(node.endpoint);
    const db = await Database.open({
      dataDir: DATA_DIR,
      clock: this.clock,
      fs: node.proc,
      numShards: NUM_SHARDS,
      tickIntervalMs: 0,
      snapshotIntervalMs: 0,
      compaction: { enabled: true, afterMs: 0, maxSpanMs: 3 * BLOCK_MS },
      commitLog: { strategy: "wait", flushIntervalMs: 0 },
      logger: this.loggerOf(node),
    });
    node.opened = db;
    await db.bootstrapped;
    const progress = db.bootstrapProgress;
    if (progress.state !== "bootstrapped") {
      this.fail(`${node.name} failed to bootstrap: ${progress.error}`);
    }
    let options = db.listNamespaces().find((n) => n.name === NAMESPACE)?.options;
    options ??= await db.createNamespace(NAMESPACE, NAMESPACE_OPTIONS);
    node.db = db;
    node.state = "up";
    this.log(`${node.name} up (bootstrapped)`);
    return options;
  }

  /** Kills a node's process: what its disk had not made durable is lost, calls inside it break. */
  private crashNode(node: SimNode): void {
    this.log(`${node.name} crash`);
    node.db = null;
    node.opened = null;
    node.state = "down";
    node.proc.alive = false;
    this.sched.abandon(node.name);
    node.life.end();
    // Its own operations (ticks) never finish; the client's calls to it broke above.
    for (const [p, owner] of this.inFlight) if (owner === node.index) this.inFlight.delete(p);
    node.disk.crash();
  }

  /** Stops serving a node, then closes it cleanly while other operations run. */
  private startStop(node: SimNode): void {
    const db = node.opened as Database;
    this.log(`${node.name} stop`);
    node.db = null;
    node.state = "stopping";
    this.track(
      db
        .close()
        .then(
          () => this.log(`${node.name} stopped`),
          (e) => this.log(`${node.name} close failed: ${(e as Error).message}`),
        )
        .finally(() => {
          node.proc.alive = false;
          node.life.end();
          node.opened = null;
          node.state = "down";
        }),
    );
  }

  private startRestart(node: SimNode): void {
    this.log(`${node.name} restart`);
    this.track(
      this.openNode(node).catch((e) => {
        if (e instanceof SimFailure) this.readFailure ??= e.message;
        else this.readFailure ??= `${node.name} failed to open: ${(e as Error).message}`;
      }),
    );
  }

  // ---- the run --------------------------------------------------------------

  async run(): Promise<void> {
    this.log("open 3 nodes");
    let options: NamespaceOptions | null = null;
    for (const node of this.nodes) options = await this.settle(this.openNode(node), "open");
    await this.kv.set(
      NAMESPACES_KEY,
      registryOf([{ name: NAMESPACE, options: options as NamespaceOptions }]),
    );
    await this.kv.set(PLACEMENT_KEY, this.placement());
    for (const level of ["majority", "one", "all"] as const) {
      const client = await ClusterClient.open({
        kv: this.kv,
        transportFactory: (endpoint) => {
          const node = this.nodes.find((n) => n.endpoint === endpoint);
          if (node === undefined) throw new Error(`no simulated node at ${endpoint}`);
          return new SimTransport(node, this.sched, `c-${level}`);
        },
        writeConsistency: level,
        readConsistency: "unstrict_majority",
        maxOpsPerBatch: MAX_OPS_PER_BATCH,
        // The queues are flushed by hand (flushQueues): no flush timer ever fires.
        flushIntervalMs: CLIENT_TIMEOUT_MS,
        // A retry waits on a real timer, which would put real time in the order.
        maxWriteAttempts: 1,
        retryBackoffMs: 0,
        writeTimeoutMs: CLIENT_TIMEOUT_MS,
        fetchTimeoutMs: CLIENT_TIMEOUT_MS,
        wallClock: this.clock,
      });
      this.clients.set(level, client);
    }
    for (let step = 0; step < this.options.steps; step++) {
      await this.step(step);
      await this.check(`after step ${step}`);
    }
    const down = this.notServing();
    if (down !== null && down.state === "down") {
      this.startRestart(down);
      await this.drain();
    }
    this.log("final check, every node up");
    await this.check("at the end");
  }

  /** RF 3 over the three nodes, every shard AVAILABLE on each (as after their bootstrap). */
  private placement(): Placement {
    const p = initialPlacement({
      instances: this.nodes.map((n) => ({
        id: `i${n.index}`,
        isolationGroup: `g${n.index}`,
        zone: "embedded",
        weight: 1,
        endpoint: n.endpoint,
        shardSetId: 0,
        hostname: n.name,
        port: 9000,
      })),
      numShards: NUM_SHARDS,
      replicaFactor: NODES,
    });
    for (const inst of Object.values(p.instances)) {
      for (const shard of inst.shards) shard.state = "AVAILABLE";
    }
    return p;
  }

  private async step(step: number): Promise<void> {
    const roll = this.sched.random();
    const out = this.notServing();
    const n = 1 + this.sched.int(3);
    this.log(`step ${step}`);
    if (out === null && roll < 0.12) {
      // A node dies part way through a few operations.
      const victim = this.nodes[this.sched.int(NODES)];
      for (let i = 0; i < n; i++) this.startAction();
      this.flushQueues();
      const releases = this.sched.int(60);
      let k = 0;
      await this.sched.runUntil(() => k++ >= releases, releases + 1);
      this.crashNode(victim);
    } else if (out === null && roll < 0.17) {
      const victim = this.nodes[this.sched.int(NODES)];
      for (let i = 0; i < n; i++) this.startAction();
      this.flushQueues();
      this.startStop(victim);
    } else if (out !== null && out.state === "down" && roll < 0.4) {
      this.startRestart(out);
      for (let i = 0; i < n; i++) this.startAction();
      this.flushQueues();
    } else {
      for (let i = 0; i < n; i++) this.startAction();
      this.flushQueues();
    }
    await this.drain();
  }

  /**
   * Sends what the clients' queues gathered. The queues would send it on a
   * real timer; sending here, after the step's writes were all queued, lets
   * one node batch carry datapoints of several writes.
   */
  private flushQueues(): void {
    for (const c of this.clients.values()) {
      c.flush();
    }
  }

  private startAction(): void {
    const roll = this.sched.random();
    if (roll < 0.5) {
      const r = this.sched.int(10);
      this.startWrite(r < 6 ? "majority" : r < 8 ? "one" : "all");
    } else if (roll < 0.65) {
      const ms = this.sched.int(3) === 0 ? BLOCK_MS : this.sched.int(BUFFER_PAST_MS * 2);
      this.clock.advance(ms);
      this.log(`advance clock ${ms} ms`);
    } else if (roll < 0.8) {
      const node = this.nodes[this.sched.int(NODES)];
      if (node.state === "up") this.startTick(node);
    } else {
      this.startRead(READ_LEVELS[this.sched.int(READ_LEVELS.length)]);
    }
  }

  private startTick(node: SimNode): void {
    const db = node.db as Database;
    this.log(`${node.name} tick`);
    this.track(
      db.tick().then(
        (r) => this.log(`${node.name} tick done ${JSON.stringify(r)}`),
        (e) => this.log(`${node.name} tick failed: ${(e as Error).message}`),
      ),
      node.index,
    );
  }

  /** A batch of recent, cold, repeated and future datapoints through the client of `level`. */
  private startWrite(level: WriteConsistencyLevel): void {
    const client = this.clients.get(level) as ClusterClient;
    const now = this.clock.nowMs();
    const count = 1 + this.sched.int(4);
    const series = new Int32Array(count);
    const timesMs = new Float64Array(count);
    const values = new Float64Array(count);
    const points: Point[] = [];
    const desc: string[] = [];
    for (let i = 0; i < count; i++) {
      const s = this.sched.int(SERIES);
      const perTime = this.model.get(s) as Map<number, Point>;
      const kind = this.sched.int(10);
      const known = [...perTime.keys()];
      let t: number;
      if (kind < 5) t = now - this.sched.int(BUFFER_PAST_MS);
      else if (kind < 7) t = now - this.sched.int(RETENTION_MS - 2 * BLOCK_MS);
      else if (kind < 9 && known.length > 0) t = known[this.sched.int(known.length)];
      else t = now + this.sched.int(BUFFER_FUTURE_MS);
      let point = perTime.get(t);
      if (point === undefined) {
        const value = VALUES[this.sched.int(VALUES.length)];
        point = { value, valueBits: bitsOf(value), acked: 0 };
        perTime.set(t, point);
      }
      series[i] = s;
      timesMs[i] = t;
      values[i] = point.value;
      points.push(point);
      desc.push(`s${s}@${t - START_MS}=${point.value}`);
    }
    const what = `${level} ${desc.join(" ")}`;
    this.log(`write ${what}`);
    const p = client.writeBatch(NAMESPACE, {
      count,
      series,
      timesMs,
      values,
      seriesIds: this.ids,
      seriesTags: this.tags,
    });
    this.track(
      p.then(
        (r) => {
          const failed = new Map(r.errors.map((e) => [e.index, e.error.message]));
          points.forEach((point, i) => {
            if (!failed.has(i)) point.acked = Math.max(point.acked, LEVEL_RANK[level]);
          });
          const why = [...failed.values()].slice(0, 1).join("");
          this.log(
            `write acked ${count - failed.size}/${count} (${what})${why === "" ? "" : `: ${why}`}`,
          );
        },
        (e) => this.log(`write failed (${what}): ${(e as Error).message}`),
      ),
    );
  }

  /** The instants a read at `level` must hold, per series: acknowledged as the level needs, inside retention. */
  private required(level: ReadConsistencyLevel): [number, number][] {
    const need = rankRequiredBy(level);
    const oldest = this.oldestKept();
    const out: [number, number][] = [];
    for (const [s, perTime] of this.model) {
      for (const [t, p] of perTime) if (p.acked >= need && t >= oldest) out.push([s, t]);
    }
    return out;
  }

  /** The oldest instant the model still requires: blocks that may have expired may be gone. */
  private oldestKept(): number {
    const now = this.clock.nowMs();
    return Math.floor((now - RETENTION_MS) / BLOCK_MS) * BLOCK_MS + 2 * BLOCK_MS;
  }

  private fetch(level: ReadConsistencyLevel): Promise<Map<number, Map<number, string>>> {
    const client = this.clients.get("majority") as ClusterClient;
    const endMs = this.clock.nowMs() + 10 * BLOCK_MS;
    return client
      .fetchTagged(NAMESPACE, ALL_SERIES, 0, endMs, {
        maxSeries: 0,
        maxDocsScanned: 0,
        maxSamples: 0,
        readConsistency: level,
      })
      .then((found) => {
        const got = new Map<number, Map<number, string>>();
        for (const f of found) {
          const s = this.ids.indexOf(f.id);
          if (s < 0)
            throw new SimFailure(`a read at ${level} returned series ${f.id}, never written`);
          const perTime = new Map<number, string>();
          for (let i = 0; i < f.count; i++) perTime.set(f.timesMs[i], bitsOf(f.values[i]));
          got.set(s, perTime);
        }
        return got;
      });
  }

  /** What is wrong with a read at `level` that had to hold `required`, or null. */
  private problemOf(
    level: ReadConsistencyLevel,
    got: Map<number, Map<number, string>>,
    required: readonly [number, number][],
  ): string | null {
    for (const [s, perTime] of got) {
      const model = this.model.get(s) as Map<number, Point>;
      for (const [t, bits] of perTime) {
        const p = model.get(t);
        if (p === undefined) {
          return `a read at ${level} returned series ${s} at ${t - START_MS}, never written`;
        }
        if (p.valueBits !== bits) {
          return `a read at ${level} returned ${bits} for series ${s} at ${t - START_MS}, written as ${p.valueBits}`;
        }
      }
    }
    for (const [s, t] of required) {
      if (got.get(s)?.has(t) !== true) {
        const p = this.model.get(s)?.get(t) as Point;
        const at = ["", "one", "majority", "all"][p.acked];
        return `acknowledged datapoint lost: a read at ${level} misses series ${s} at ${t - START_MS} (${p.value}, acknowledged at ${at})`;
      }
    }
    return null;
  }

  /**
   * A read racing the other operations: what was acknowledged before it
   * began must be in it, as its level promises. At most one node is down
   * during it, so the majorities always answer; all may not.
   */
  private startRead(level: ReadConsistencyLevel): void {
    const required = this.required(level);
    const delay = this.sched.int(30);
    this.log(`read ${level} (after ${delay} releases)`);
    const read = async () => {
      for (let i = 0; i < delay; i++) await this.sched.io("read delay");
      return this.fetch(level);
    };
    this.track(
      read().then(
        (got) => {
          const problem = this.problemOf(level, got, required);
          if (problem !== null) this.readFailure ??= problem;
          this.log(
            `read ${level} done (${[...got.values()].reduce((a, m) => a + m.size, 0)} datapoints)`,
          );
        },
        (e) => {
          this.log(`read ${level} failed: ${(e as Error).message}`);
          if (e instanceof SimFailure) this.readFailure ??= e.message;
          else if (level !== "all") {
            this.readFailure ??= `a read at ${level} failed with at most one node down: ${(e as Error).message}`;
          }
        },
      ),
    );
  }

  /**
   * Reads every series from each serving node's own database: each must
   * hold every datapoint it acknowledged, through its crashes and restarts,
   * and nothing never written.
   */
  private async checkNodes(when: string): Promise<void> {
    const oldest = this.oldestKept();
    const endMs = this.clock.nowMs() + 10 * BLOCK_MS;
    for (const node of this.nodes) {
      const db = node.db;
      if (db === null) continue;
      for (let s = 0; s < SERIES; s++) {
        const it = await this.settle(db.fetch(NAMESPACE, this.ids[s], 0, endMs), "node fetch");
        const model = this.model.get(s) as Map<number, Point>;
        const got = new Set<number>();
        while (it.next()) {
          const p = model.get(it.timeMs);
          if (p === undefined || p.valueBits !== bitsOf(it.value)) {
            this.fail(
              `${when}: ${node.name} holds ${it.value} for series ${s} at ${it.timeMs - START_MS}, never written there`,
            );
          }
          got.add(it.timeMs);
        }
        for (const t of node.took.get(s) as Set<number>) {
          if (t >= oldest && !got.has(t)) {
            this.fail(
              `${when}: ${node.name} lost series ${s} at ${t - START_MS}, which its database acknowledged`,
            );
          }
        }
      }
    }
  }

  /** Reads at every level the nodes' state allows and holds each to the model. */
  private async check(when: string): Promise<void> {
    if (this.readFailure !== null) this.fail(`${when}: ${this.readFailure}`);
    await this.checkNodes(when);
    const allUp = this.notServing() === null;
    for (const level of READ_LEVELS) {
      if (level === "all" && !allUp) continue;
      const required = this.required(level);
      let got: Map<number, Map<number, string>>;
      try {
        got = await this.settle(this.fetch(level), `read at ${level}`);
      } catch (e) {
        if (e instanceof SimFailure) throw e;
        this.fail(`${when}: a read at ${level} failed: ${(e as Error).message}`);
      }
      const problem = this.problemOf(level, got, required);
      if (problem !== null) this.fail(`${when}: ${problem}`);
    }
  }
}
