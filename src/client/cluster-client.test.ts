import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  FileKV,
  type Instance,
  NAMESPACES_KEY,
  PLACEMENT_KEY,
  type Placement,
  registryOf,
  type ShardState,
} from "../cluster/index.js";
import { Database } from "../dbnode/storage/index.js";
import type { WriteBatch } from "../dbnode/ts/index.js";
import { newMatcher, QueryLimitError } from "../index/index.js";
import { encodeTags, ManualClock, normalizeTags, seriesIdString, type Tag } from "../x/index.js";
import type { ReadConsistencyLevel } from "./client.js";
import { ClusterClient, type ClusterClientOptions, NoPlacementError } from "./cluster-client.js";
import {
  ReadConsistencyError,
  ShardNotAvailableError,
  WriteConsistencyError,
} from "./consistency.js";
import { HostQueueFullError } from "./host-queue.js";
import { DatabaseTransport } from "./testing-transport.js";
import { shardOfSeries, type Topology } from "./topology.js";

const NOW_MS = 1_700_000_000_000;
const NS = "default";
const ALL = [newMatcher("=~", "__name__", ".*")];

interface Cluster {
  kv: FileKV;
  dbs: Database[];
  nodes: DatabaseTransport[];
  client: ClusterClient;
  numShards: number;
  made: string[];
  close(): Promise<void>;
}

/** Owners of each shard: shard s on nodes s, s+1, ... (mod nodes), `rf` of them. */
function placementOf(
  nodes: number,
  rf: number,
  numShards: number,
  stateOf: (node: number, shard: number) => ShardState = () => "AVAILABLE",
  owners: (shard: number) => number[] = (s) =>
    Array.from({ length: rf }, (_, r) => (s + r) % nodes),
): Placement {
  const instances: Record<string, Instance> = {};
  for (let n = 0; n < nodes; n++) {
    instances[`i${n}`] = {
      id: `i${n}`,
      isolationGroup: `g${n}`,
      zone: "embedded",
      weight: 1,
      endpoint: `n${n}:9000`,
      shards: [],
      shardSetId: 0,
      hostname: `n${n}`,
      port: 9000,
    };
  }
  for (let s = 0; s < numShards; s++) {
    for (const n of owners(s)) {
      instances[`i${n}`].shards.push({
        id: s,
        state: stateOf(n, s),
        sourceId: "",
        cutoverNanos: "0",
        cutoffNanos: "0",
      });
    }
  }
  return {
    instances,
    replicaFactor: rf,
    numShards,
    isSharded: true,
    cutoverTime: "0",
    isMirrored: false,
    maxShardSetId: 0,
  };
}

async function cluster(
  o: {
    nodes?: number;
    rf?: number;
    numShards?: number;
    stateOf?: (node: number, shard: number) => ShardState;
    client?: Partial<ClusterClientOptions>;
    placement?: boolean;
  } = {},
): Promise<Cluster> {
  const nodes = o.nodes ?? 3;
  const rf = o.rf ?? 3;
  const numShards = o.numShards ?? 8;
  const dir = await mkdtemp(join(tmpdir(), "m3ts-cluster-client-"));
  const kv = await FileKV.open(dir);
  const clock = new ManualClock(NOW_MS);
  const dbs: Database[] = [];
  for (let n = 0; n < nodes; n++) {
    const db = await Database.open({ dataDir: null, numShards, tickIntervalMs: 0, clock });
    await db.bootstrapped;
    dbs.push(db);
  }
  let options = null;
  for (const db of dbs) {
    options = await db.createNamespace(NS, {
      retentionPeriodMs: 2 * 86_400_000,
      index: { enabled: true },
      flushEnabled: false,
      snapshotEnabled: false,
    });
  }
  if (options === null) throw new Error("no node");
  await kv.set(NAMESPACES_KEY, registryOf([{ name: NS, options }]));
  if (o.placement !== false) {
    await kv.set(PLACEMENT_KEY, placementOf(nodes, rf, numShards, o.stateOf));
  }
  const nodesByEndpoint = new Map<string, DatabaseTransport>();
  const made: string[] = [];
  const transports = dbs.map((db, n) => new DatabaseTransport(`n${n}:9000`, db));
  for (const t of transports) nodesByEndpoint.set(t.endpoint, t);
  const client = await ClusterClient.open({
    kv,
    transportFactory: (endpoint) => {
      made.push(endpoint);
      const t = nodesByEndpoint.get(endpoint);
      if (t === undefined) throw new Error(`no test node at ${endpoint}`);
      return t;
    },
    flushIntervalMs: 1,
    retryBackoffMs: 1,
    writeTimeoutMs: 2_000,
    fetchTimeoutMs: 2_000,
    ...o.client,
  });
  return {
    kv,
    dbs,
    nodes: transports,
    client,
    numShards,
    made,
    async close() {
      client.close();
      for (const db of dbs) await db.close();
      await kv.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface Point {
  name: string;
  t: number;
  v: number;
}

function batchOf(points: readonly Point[]): WriteBatch {
  const seriesIds: string[] = [];
  const seriesTags: Uint8Array[] = [];
  const refOf = new Map<string, number>();
  const series: number[] = [];
  for (const p of points) {
    const tags: Tag[] = normalizeTags([
      ["__name__", p.name],
      ["job", "test"],
    ]);
    const id = seriesIdString(tags);
    let ref = refOf.get(id);
    if (ref === undefined) {
      ref = seriesIds.length;
      refOf.set(id, ref);
      seriesIds.push(id);
      seriesTags.push(encodeTags(tags));
    }
    series.push(ref);
  }
  return {
    count: points.length,
    series: Int32Array.from(series),
    timesMs: Float64Array.from(points.map((p) => p.t)),
    values: Float64Array.from(points.map((p) => p.v)),
    seriesIds,
    seriesTags,
  };
}

function idOf(name: string): string {
  return seriesIdString(
    normalizeTags([
      ["__name__", name],
      ["job", "test"],
    ]),
  );
}

/** `count` series, one datapoint each at NOW - 1 s. */
function points(count: number, prefix = "m"): Point[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}${i}`,
    t: NOW_MS - 1000,
    v: i,
  }));
}

async function holds(db: Database, id: string): Promise<boolean> {
  const it = await db.fetch(NS, id, NOW_MS - 3_600_000, NOW_MS + 3_600_000);
  return it.next();
}

function fetchAll(c: Cluster, extra: Partial<Parameters<ClusterClient["fetchTagged"]>[4]> = {}) {
  return c.client.fetchTagged(NS, ALL, NOW_MS - 3_600_000, NOW_MS, {
    maxSeries: 0,
    maxDocsScanned: 0,
    maxSamples: 0,
    ...extra,
  });
}

/** Waits until no write is queued or in flight to any node. */
async function settled(c: Cluster): Promise<void> {
  await until(() => c.nodes.every((n) => c.client.queuedOps(n.endpoint) === 0));
}

/** Waits until `cond` holds, a turn of the event loop at a time (the KV's watch fires asynchronously). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(cond(), "condition never held");
}

// ---- writes ------------------------------------------------------------------

test("every datapoint goes to exactly the owners of its shard", async () => {
  const c = await cluster({ nodes: 4, rf: 2, numShards: 8 });
  try {
    const pts = points(40);
    const r = await c.client.writeBatch(NS, batchOf(pts));
    assert.equal(r.written, 40);
    assert.deepEqual(r.errors, []);
    assert.ok(r.refs.every((x) => x === -1));
    const top = c.client.currentTopology() as Topology;
    for (const p of pts) {
      const id = idOf(p.name);
      const shard = shardOfSeries(id, 8);
      assert.equal(shard, c.dbs[0].shardOfId(id), "the client and the node agree on the shard");
      const ownerEndpoints = new Set<string>(top.owners[shard].map((o) => o.endpoint));
      for (let n = 0; n < 4; n++) {
        assert.equal(
          await holds(c.dbs[n], id),
          ownerEndpoints.has(`n${n}:9000`),
          `${p.name} on n${n}`,
        );
      }
    }
  } finally {
    await c.close();
  }
});

test("majority succeeds with one replica down and fails with two, naming the level and the errors", async () => {
  const c = await cluster();
  try {
    c.nodes[2].fault = "down";
    const one = await c.client.writeBatch(NS, batchOf(points(10)));
    assert.equal(one.written, 10);
    assert.deepEqual(one.errors, []);
    // The down replica's share is acknowledged without it, and counted.
    await until(() => c.client.replicaWriteFailures === 10);
    c.nodes[1].fault = "down";
    const two = await c.client.writeBatch(NS, batchOf(points(10, "x")));
    assert.equal(two.written, 0);
    assert.equal(two.errors.length, 10);
    assert.deepEqual(
      two.errors.map((e) => e.index),
      Array.from({ length: 10 }, (_, i) => i),
    );
    for (const { error } of two.errors) {
      assert.ok(error instanceof WriteConsistencyError, String(error));
      assert.equal(error.code, "M3TS_ERR_WRITE_CONSISTENCY");
      assert.equal(error.level, "majority");
      assert.equal(error.successes, 1);
      assert.equal(error.needed, 2);
      assert.deepEqual(error.replicaErrors.map((e) => e.instanceId).sort(), ["i1", "i2"]);
      assert.match(error.message, /majority/);
    }
  } finally {
    await c.close();
  }
});

test("`one` succeeds with two replicas down; `all` fails with one down", async () => {
  const one = await cluster({ client: { writeConsistency: "one" } });
  try {
    one.nodes[0].fault = "down";
    one.nodes[1].fault = "down";
    const r = await one.client.writeBatch(NS, batchOf(points(5)));
    assert.equal(r.written, 5);
  } finally {
    await one.close();
  }
  const all = await cluster({ client: { writeConsistency: "all" } });
  try {
    const ok = await all.client.writeBatch(NS, batchOf(points(5)));
    assert.equal(ok.written, 5);
    all.nodes[1].fault = "down";
    const r = await all.client.writeBatch(NS, batchOf(points(5)));
    assert.equal(r.written, 0);
    const e = r.errors[0].error;
    assert.ok(e instanceof WriteConsistencyError);
    assert.equal(e.level, "all");
    assert.equal(e.successes, 2);
    assert.equal(e.needed, 3);
  } finally {
    await all.close();
  }
});

test("a success from an INITIALIZING replica does not count toward consistency", async () => {
  const c = await cluster({ stateOf: (n) => (n === 2 ? "INITIALIZING" : "AVAILABLE") });
  try {
    c.nodes[1].fault = "down";
    const r = await c.client.writeBatch(NS, batchOf(points(4)));
    assert.equal(
      r.written,
      0,
      "one AVAILABLE success and one INITIALIZING success are not a majority",
    );
    const e = r.errors[0].error;
    assert.ok(e instanceof WriteConsistencyError);
    assert.equal(e.successes, 1);
    assert.ok(
      e.replicaErrors.some(
        (x) => x.error instanceof ShardNotAvailableError && x.instanceId === "i2",
      ),
    );
    // The INITIALIZING replica still took the write.
    assert.ok(await holds(c.dbs[2], idOf("m0")));
  } finally {
    await c.close();
  }
  const counting = await cluster({
    stateOf: (n) => (n === 2 ? "INITIALIZING" : "AVAILABLE"),
    client: { countNonAvailableReplicas: true },
  });
  try {
    counting.nodes[1].fault = "down";
    const r = await counting.client.writeBatch(NS, batchOf(points(4)));
    assert.equal(r.written, 4);
  } finally {
    await counting.close();
  }
});

test("a transiently overloaded node gets its batch again after a backoff", async () => {
  const c = await cluster({ client: { writeConsistency: "all" } });
  try {
    c.nodes[0].overloadedCalls = 2;
    c.nodes[1].overloadedCalls = 1;
    const r = await c.client.writeBatch(NS, batchOf(points(6)));
    assert.equal(r.written, 6);
    assert.equal(c.nodes[0].calls.writeBatch, 3);
    assert.equal(c.nodes[1].calls.writeBatch, 2);
    assert.equal(c.nodes[2].calls.writeBatch, 1);
  } finally {
    await c.close();
  }
  const bounded = await cluster({ client: { writeConsistency: "all", maxWriteAttempts: 2 } });
  try {
    bounded.nodes[0].overloadedCalls = 5;
    const r = await bounded.client.writeBatch(NS, batchOf(points(3)));
    assert.equal(r.written, 0, "attempts are bounded");
    assert.equal(bounded.nodes[0].calls.writeBatch, 2);
    const e = r.errors[0].error;
    assert.ok(e instanceof WriteConsistencyError);
    assert.equal(e.replicaErrors[0].error.code, "M3TS_ERR_NODE_OVERLOADED");
  } finally {
    await bounded.close();
  }
});

test("past a node's queue bound a datapoint fails fast with a retryable error", async () => {
  const c = await cluster({
    client: { maxQueuedOpsPerHost: 4, writeConsistency: "one", writeTimeoutMs: 200 },
  });
  try {
    c.nodes[0].fault = "hang";
    c.nodes[1].fault = "hang";
    c.nodes[2].fault = "hang";
    const first = c.client.writeBatch(NS, batchOf(points(4)));
    assert.equal(c.client.queuedOps("n0:9000"), 4);
    const r = await c.client.writeBatch(NS, batchOf(points(3, "y")));
    assert.equal(r.written, 0);
    assert.equal(r.errors.length, 3);
    for (const { error } of r.errors) {
      assert.ok(error instanceof WriteConsistencyError);
      assert.equal(error.replicaErrors.length, 3);
      assert.ok(error.replicaErrors.every((x) => x.error instanceof HostQueueFullError));
    }
    // The hanging batch ends at its deadline as unavailable, and frees its room.
    const stuck = await first;
    assert.equal(stuck.written, 0);
    assert.ok(stuck.errors[0].error instanceof WriteConsistencyError);
    assert.equal(c.client.queuedOps("n0:9000"), 0);
    for (const t of c.nodes) t.fault = "none";
    assert.equal((await c.client.writeBatch(NS, batchOf(points(3, "z")))).written, 3);
  } finally {
    await c.close();
  }
});

test("a datapoint every replica refuses for the same lasting reason keeps that error", async () => {
  const c = await cluster();
  try {
    const r = await c.client.writeBatch(
      NS,
      batchOf([
        { name: "old", t: NOW_MS - 3_600_000, v: 1 },
        { name: "ok", t: NOW_MS - 1000, v: 1 },
      ]),
    );
    assert.equal(r.written, 1);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].index, 0);
    assert.equal(r.errors[0].error.code, "M3TS_ERR_WRITE_WINDOW");
    await assert.rejects(c.client.writeBatch("nope", batchOf(points(1))), {
      code: "M3TS_ERR_UNKNOWN_NAMESPACE",
    });
  } finally {
    await c.close();
  }
});

test("the write resolves at majority while a slow replica finishes in the background", async () => {
  const c = await cluster();
  try {
    c.nodes[2].delayMs = 50;
    const r = await c.client.writeBatch(NS, batchOf(points(3)));
    assert.equal(r.written, 3);
    assert.equal(await holds(c.dbs[2], idOf("m0")), false, "the slow replica has not written yet");
    await until(() => c.client.queuedOps("n2:9000") === 0);
    assert.equal(await holds(c.dbs[2], idOf("m0")), true);
  } finally {
    await c.close();
  }
});

test("a stale marker's NaN bits survive the cluster's write and read", async () => {
  const c = await cluster();
  try {
    const b = batchOf([{ name: "stale", t: NOW_MS - 1000, v: 0 }]);
    const bits = new DataView((b.values as Float64Array).buffer);
    bits.setUint32(0, 0x00000002, true);
    bits.setUint32(4, 0x7ff00000, true);
    assert.equal((await c.client.writeBatch(NS, b)).written, 1);
    const got = await fetchAll(c);
    assert.equal(got.length, 1);
    const out = new DataView(got[0].values.buffer, got[0].values.byteOffset);
    assert.equal(out.getUint32(0, true), 0x00000002);
    assert.equal(out.getUint32(4, true), 0x7ff00000);
  } finally {
    await c.close();
  }
});

// ---- reads -------------------------------------------------------------------

test("read consistency at each level with 0 to 3 replicas down", async () => {
  const c = await cluster();
  try {
    const pts = points(12);
    assert.equal((await c.client.writeBatch(NS, batchOf(pts))).written, 12);
    // A read at `one` may take any replica's answer: let the third replica's write land first.
    await settled(c);
    const levels: ReadConsistencyLevel[] = [
      "one",
      "unstrict_majority",
      "majority",
      "unstrict_all",
      "all",
    ];
    // expected[down][level]: whether the read answers.
    const expected: Record<number, boolean[]> = {
      0: [true, true, true, true, true],
      1: [true, true, true, true, false],
      2: [true, true, false, true, false],
      3: [false, false, false, false, false],
    };
    for (let down = 0; down <= 3; down++) {
      for (let n = 0; n < 3; n++) c.nodes[n].fault = n < down ? "down" : "none";
      for (let l = 0; l < levels.length; l++) {
        const level = levels[l];
        if (expected[down][l]) {
          const got = await fetchAll(c, { readConsistency: level });
          assert.equal(got.length, 12, `${level} with ${down} down`);
          assert.ok(got.every((s) => s.count === 1));
        } else {
          await assert.rejects(fetchAll(c, { readConsistency: level }), (e: unknown) => {
            assert.ok(e instanceof ReadConsistencyError, `${level} with ${down} down: ${e}`);
            assert.equal(e.code, "M3TS_ERR_READ_CONSISTENCY");
            assert.equal(e.level, level);
            assert.deepEqual(e.shards, [0, 1, 2, 3, 4, 5, 6, 7]);
            return true;
          });
        }
      }
    }
  } finally {
    await c.close();
  }
});

test("only AVAILABLE replicas count toward read consistency", async () => {
  const c = await cluster({ stateOf: (n) => (n === 0 ? "AVAILABLE" : "INITIALIZING") });
  try {
    await c.client.writeBatch(NS, batchOf(points(3)));
    await settled(c);
    assert.equal((await fetchAll(c, { readConsistency: "one" })).length, 3);
    assert.equal((await fetchAll(c, { readConsistency: "unstrict_majority" })).length, 3);
    await assert.rejects(fetchAll(c, { readConsistency: "majority" }), ReadConsistencyError);
    c.nodes[0].fault = "down";
    await assert.rejects(fetchAll(c, { readConsistency: "one" }), ReadConsistencyError);
  } finally {
    await c.close();
  }
});

test("a node that lags the registry's namespaces counts as a failed replica, not a failed read", async () => {
  const c = await cluster();
  try {
    await c.client.writeBatch(NS, batchOf(points(3)));
    await settled(c);
    await c.dbs[2].dropNamespace(NS);
    assert.equal((await fetchAll(c, { readConsistency: "majority" })).length, 3);
    await assert.rejects(fetchAll(c, { readConsistency: "all" }), (e: unknown) => {
      assert.ok(e instanceof ReadConsistencyError);
      assert.equal(e.replicaErrors[0].error.code, "M3TS_ERR_UNKNOWN_NAMESPACE");
      return true;
    });
    // A limit the nodes hit fails the read as on one node.
    await assert.rejects(
      c.client.fetchTagged(NS, ALL, NOW_MS - 1000, NOW_MS, {
        maxSeries: 0,
        maxDocsScanned: 1,
        maxSamples: 0,
      }),
      { code: "M3TS_ERR_QUERY_LIMIT" },
    );
  } finally {
    await c.close();
  }
});

test("a read does not wait for a hanging replica once a majority answered", async () => {
  const c = await cluster({ client: { fetchTimeoutMs: 100 } });
  try {
    await c.client.writeBatch(NS, batchOf(points(3)));
    c.nodes[2].fault = "hang";
    const got = await fetchAll(c);
    assert.equal(got.length, 3);
    await assert.rejects(fetchAll(c, { readConsistency: "all" }), ReadConsistencyError);
  } finally {
    await c.close();
  }
});

test("replicas' identical data is deduplicated and differing values resolve by the strategy", async () => {
  const c = await cluster();
  try {
    await c.client.writeBatch(
      NS,
      batchOf([
        { name: "same", t: NOW_MS - 3000, v: 1 },
        { name: "same", t: NOW_MS - 2000, v: 2 },
      ]),
    );
    const t1 = NOW_MS - 3000;
    const t2 = NOW_MS - 2000;
    const t3 = NOW_MS - 1000;
    const perNode = [
      [
        { name: "diff", t: t1, v: 1 },
        { name: "diff", t: t2, v: 4 },
      ],
      [
        { name: "diff", t: t1, v: 5 },
        { name: "diff", t: t2, v: 4 },
        { name: "diff", t: t3, v: 8 },
      ],
      [
        { name: "diff", t: t1, v: 3 },
        { name: "diff", t: t2, v: 9 },
      ],
    ];
    for (let n = 0; n < 3; n++) await c.dbs[n].writeBatch(NS, batchOf(perNode[n]));
    await settled(c);
    // Every replica's answer is merged: the read waits for all of them.
    const valuesBy = async (s: Parameters<typeof fetchAll>[1]) => {
      const got = await fetchAll(c, { readConsistency: "unstrict_all", ...s });
      const byId = new Map(got.map((x) => [x.id, x]));
      const same = byId.get(idOf("same"));
      const diff = byId.get(idOf("diff"));
      assert.ok(same !== undefined && diff !== undefined);
      assert.deepEqual([...same.timesMs], [t1, t2]);
      assert.deepEqual([...same.values], [1, 2]);
      assert.deepEqual([...diff.timesMs], [t1, t2, t3]);
      return [...diff.values];
    };
    assert.deepEqual(await valuesBy({}), [3, 9, 8], "the default: the last replica (i2) wins");
    assert.deepEqual(await valuesBy({ equalTimestampStrategy: "iterate_last_pushed" }), [3, 9, 8]);
    assert.deepEqual(
      await valuesBy({ equalTimestampStrategy: "iterate_highest_value" }),
      [5, 9, 8],
    );
    assert.deepEqual(await valuesBy({ equalTimestampStrategy: "iterate_lowest_value" }), [1, 4, 8]);
    assert.deepEqual(
      await valuesBy({ equalTimestampStrategy: "iterate_highest_frequency_value" }),
      [3, 4, 8],
    );
  } finally {
    await c.close();
  }
});

test("maxSeries and maxSamples count the merged series and datapoints, not each replica's", async () => {
  const c = await cluster();
  try {
    const pts = points(5).flatMap((p) => [p, { ...p, t: p.t - 1000 }, { ...p, t: p.t - 2000 }]);
    assert.equal((await c.client.writeBatch(NS, batchOf(pts))).written, 15);
    assert.equal((await fetchAll(c, { maxSeries: 5, maxSamples: 15 })).length, 5);
    await assert.rejects(fetchAll(c, { maxSeries: 4 }), { code: "M3TS_ERR_QUERY_LIMIT" });
    await assert.rejects(fetchAll(c, { maxSamples: 14 }), { code: "M3TS_ERR_QUERY_LIMIT" });
    const tags = await c.client.seriesTags(NS, ALL, NOW_MS - 3_600_000, NOW_MS, {
      maxSeries: 5,
      maxDocsScanned: 0,
    });
    assert.equal(tags.length, 5);
    await assert.rejects(
      c.client.seriesTags(NS, ALL, NOW_MS - 3_600_000, NOW_MS, { maxSeries: 4, maxDocsScanned: 0 }),
      { code: "M3TS_ERR_QUERY_LIMIT" },
    );
  } finally {
    await c.close();
  }
});

test("maxSeries counts distinct series over nodes that each hold fewer", async () => {
  const c = await cluster({ nodes: 4, rf: 2, numShards: 8 });
  try {
    await c.client.writeBatch(NS, batchOf(points(20)));
    const perNode = await Promise.all(c.dbs.map((db) => db.seriesCount(NS)));
    assert.ok(
      perNode.every((n) => n < 15),
      `each node holds fewer than the limit: ${perNode}`,
    );
    assert.equal(
      perNode.reduce((a, b) => a + b, 0),
      40,
    );
    assert.equal(
      (await fetchAll(c, { maxSeries: 20 })).length,
      20,
      "replicas are not counted twice",
    );
    await assert.rejects(fetchAll(c, { maxSeries: 15 }), (e: unknown) => {
      assert.ok(e instanceof QueryLimitError);
      assert.equal(e.limit, "maxSeries");
      assert.match(e.message, /20 distinct series/);
      return true;
    });
  } finally {
    await c.close();
  }
});

test("series, label names and label values are the union of the shards' owners", async () => {
  const c = await cluster({ nodes: 4, rf: 2, numShards: 8 });
  try {
    await c.client.writeBatch(NS, batchOf(points(20)));
    const tags = await c.client.seriesTags(NS, ALL, NOW_MS - 3_600_000, NOW_MS, {
      maxSeries: 0,
      maxDocsScanned: 0,
    });
    assert.equal(tags.length, 20);
    assert.deepEqual(
      tags.map((t) => t.id),
      points(20)
        .map((p) => idOf(p.name))
        .sort(),
    );
    assert.deepEqual(
      tags[0].tags.map(([k]) => k),
      ["__name__", "job"],
    );
    assert.deepEqual(await c.client.labelNames(NS, [], NOW_MS - 3_600_000, NOW_MS), [
      "__name__",
      "job",
    ]);
    const names = await c.client.labelValues(NS, "__name__", [], NOW_MS - 3_600_000, NOW_MS);
    assert.deepEqual(
      names,
      points(20)
        .map((p) => p.name)
        .sort(),
    );
  } finally {
    await c.close();
  }
});

// ---- topology ------------------------------------------------------------------

test("a placement change re-routes writes and swaps the transports", async () => {
  const c = await cluster({ nodes: 3, rf: 1, numShards: 4 });
  try {
    assert.deepEqual([...c.made].sort(), ["n0:9000", "n1:9000", "n2:9000"]);
    // Every shard moves to n2; n0 and n1 leave the placement.
    const moved = placementOf(3, 1, 4, undefined, () => [2]);
    delete moved.instances.i0;
    delete moved.instances.i1;
    await c.kv.set(PLACEMENT_KEY, moved);
    await until(() => c.client.currentTopology()?.instances.length === 1);
    assert.ok(c.nodes[0].closed && c.nodes[1].closed && !c.nodes[2].closed);
    const r = await c.client.writeBatch(NS, batchOf(points(8)));
    assert.equal(r.written, 8);
    for (const p of points(8)) {
      assert.equal(await holds(c.dbs[2], idOf(p.name)), true);
      assert.equal(await holds(c.dbs[0], idOf(p.name)), false);
      assert.equal(await holds(c.dbs[1], idOf(p.name)), false);
    }
    assert.equal(c.nodes[0].calls.writeBatch + c.nodes[1].calls.writeBatch, 0);
  } finally {
    await c.close();
  }
});

test("a damaged placement leaves the last good routing in place", async () => {
  const c = await cluster({ nodes: 3, rf: 3, numShards: 4 });
  try {
    const before = c.client.currentTopology();
    const damaged = placementOf(3, 3, 4);
    damaged.instances.i1.shards.push({ ...damaged.instances.i1.shards[0], id: 99 });
    await c.kv.set(PLACEMENT_KEY, damaged);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(c.client.currentTopology(), before);
    const r = await c.client.writeBatch(NS, batchOf(points(8)));
    assert.equal(r.written, 8);
  } finally {
    await c.close();
  }
});

test("state follows the placement; namespaces follow the registry", async () => {
  const c = await cluster({ placement: false });
  try {
    assert.equal(c.client.state(), "bootstrapping");
    assert.match(c.client.failureReason() ?? "", /no placement/);
    await assert.rejects(c.client.writeBatch(NS, batchOf(points(1))), NoPlacementError);
    await c.kv.set(
      PLACEMENT_KEY,
      placementOf(3, 3, 8, () => "INITIALIZING"),
    );
    await until(() => c.client.currentTopology() !== null);
    assert.equal(c.client.state(), "bootstrapping");
    assert.match(c.client.failureReason() ?? "", /8 of 8 shards have no AVAILABLE replica/);
    await c.kv.set(
      PLACEMENT_KEY,
      placementOf(3, 3, 8, (n) => (n === 0 ? "AVAILABLE" : "INITIALIZING")),
    );
    await until(() => c.client.state() === "bootstrapped");
    assert.equal(c.client.failureReason(), null);

    assert.deepEqual(
      c.client.namespaces().map((n) => n.name),
      [NS],
    );
    const other = await c.dbs[0].createNamespace("other", { retentionPeriodMs: 86_400_000 });
    const ns = c.client.namespaces()[0];
    await c.kv.set(NAMESPACES_KEY, registryOf([ns, { name: "other", options: other }]));
    await until(() => c.client.namespaces().length === 2);
    assert.equal(c.client.namespaces()[1].options.retentionPeriodMs, 86_400_000);
  } finally {
    await c.close();
  }
});

// ---- pushdown ----------------------------------------------------------------

test("aggregatePartials asks one AVAILABLE replica per shard, spread, and retries a failed node's shards", async () => {
  const c = await cluster({ numShards: 6 });
  const req = {
    namespace: NS,
    query: "sum(up)",
    startMs: NOW_MS - 60_000,
    endMs: NOW_MS,
    stepMs: 0,
    lookbackMs: 300_000,
    maxSeries: 0,
    maxSamples: 0,
  };
  const shardsOf = (answers: Uint8Array[]) =>
    answers
      .flatMap((a) => (JSON.parse(new TextDecoder().decode(a)) as { shards: number[] }).shards)
      .sort((x, y) => x - y);
  try {
    const answers = await c.client.aggregatePartials(req, Date.now() + 2_000);
    assert.deepEqual(shardsOf(answers), [0, 1, 2, 3, 4, 5], "each shard exactly once");
    assert.deepEqual(
      c.nodes.map((n) => n.aggregateShards.flat().length),
      [2, 2, 2],
      "spread over the nodes",
    );
    c.nodes[1].fault = "down";
    const again = await c.client.aggregatePartials(req, Date.now() + 2_000);
    assert.deepEqual(shardsOf(again), [0, 1, 2, 3, 4, 5]);
    c.nodes[0].fault = "down";
    c.nodes[2].fault = "down";
    await assert.rejects(c.client.aggregatePartials(req, Date.now() + 2_000), ReadConsistencyError);
  } finally {
    await c.close();
  }
});

test("aggregatePartials skips replicas whose shard is not AVAILABLE", async () => {
  const c = await cluster({
    numShards: 4,
    stateOf: (n) => (n === 0 ? "AVAILABLE" : "INITIALIZING"),
  });
  try {
    const answers = await c.client.aggregatePartials(
      {
        namespace: NS,
        query: "sum(up)",
        startMs: NOW_MS,
        endMs: NOW_MS,
        stepMs: 0,
        lookbackMs: 300_000,
        maxSeries: 0,
        maxSamples: 0,
      },
      Date.now() + 2_000,
    );
    assert.equal(answers.length, 1);
    assert.deepEqual(c.nodes[0].aggregateShards, [[0, 1, 2, 3]]);
    assert.equal(c.nodes[1].calls.aggregate + c.nodes[2].calls.aggregate, 0);
  } finally {
    await c.close();
  }
});
