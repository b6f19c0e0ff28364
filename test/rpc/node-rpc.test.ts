// The node RPC end to end: a node server over a real in-memory Database and
// the gRPC transport on loopback, with every refusal the transport turns
// back into a typed error.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  GrpcNodeTransport,
  type NodeFetchRequest,
  NodeOverloadedError,
  type NodeSeries,
  NodeUnavailableError,
  RemoteNodeError,
} from "../../src/client/index.js";
import { MultiStreamIterator } from "../../src/codec/index.js";
import { type NodeServer, startNodeServer } from "../../src/dbnode/server/index.js";
import { Database } from "../../src/dbnode/storage/index.js";
import type { WriteBatch } from "../../src/dbnode/ts/index.js";
import { newMatcher } from "../../src/index/index.js";
import { RpcMessageError } from "../../src/rpc/index.js";
import {
  decodeTags,
  encodeTags,
  ManualClock,
  normalizeTags,
  seriesIdString,
} from "../../src/x/index.js";
import { makeTestCertificates, type TestCertificates } from "./tls-fixture.js";

const NOW_MS = 1_700_000_000_000;
const NUM_SHARDS = 8;
const NS = "metrics";
const SERIES = 24;
const POINTS = 30;
const STEP_MS = 10_000;
const START_MS = NOW_MS - POINTS * STEP_MS;
const CALL_MS = 10_000;

async function openDb(): Promise<Database> {
  const db = await Database.open({
    dataDir: null,
    numShards: NUM_SHARDS,
    tickIntervalMs: 0,
    clock: new ManualClock(NOW_MS),
  });
  await db.bootstrapped;
  await db.createNamespace(NS, {
    retentionPeriodMs: 48 * 3_600_000,
    coldWritesEnabled: true,
    index: { enabled: true },
    flushEnabled: false,
    snapshotEnabled: false,
  });
  return db;
}

/** SERIES series × POINTS datapoints; every seventh value is Prometheus's stale marker. */
function makeBatch(): WriteBatch {
  const seriesIds: string[] = [];
  const seriesTags: Uint8Array[] = [];
  for (let s = 0; s < SERIES; s++) {
    const tags = normalizeTags([
      ["__name__", "rpc_test"],
      ["instance", `host-${s}`],
      ["label", s % 2 === 0 ? "even" : "ünïcode"],
    ]);
    seriesIds.push(seriesIdString(tags));
    seriesTags.push(encodeTags(tags));
  }
  const count = SERIES * POINTS;
  const series = new Uint32Array(count);
  const timesMs = new Float64Array(count);
  const values = new Float64Array(count);
  const bits = new DataView(values.buffer);
  for (let i = 0; i < count; i++) {
    series[i] = i % SERIES;
    timesMs[i] = START_MS + Math.floor(i / SERIES) * STEP_MS;
    if (i % 7 === 3) {
      bits.setUint32(i * 8, 0x00000002, true);
      bits.setUint32(i * 8 + 4, 0x7ff00000, true);
    } else {
      values[i] = (i * 1.5) % 97;
    }
  }
  return { count, series, timesMs, values, seriesIds, seriesTags };
}

/** Each series' datapoints as [timeMs, value bits as hex], by ID. */
function expected(b: WriteBatch): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const view = new DataView((b.values as Float64Array).buffer);
  for (let i = 0; i < b.count; i++) {
    const id = b.seriesIds[b.series[i]];
    const hex = view.getBigUint64(i * 8, true).toString(16);
    out.set(id, [...(out.get(id) ?? []), `${b.timesMs[i]}:${hex}`]);
  }
  return out;
}

function decoded(series: readonly NodeSeries[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const it = new MultiStreamIterator();
  const scratch = new DataView(new ArrayBuffer(8));
  for (const s of series) {
    it.reset(s.data);
    const points: string[] = [];
    while (it.next()) {
      scratch.setFloat64(0, it.value, true);
      points.push(`${it.timeMs}:${scratch.getBigUint64(0, true).toString(16)}`);
    }
    assert.equal(it.error, null);
    out.set(s.id, points);
  }
  return out;
}

function fetchReq(shards: readonly number[] | null, namespace = NS): NodeFetchRequest {
  return {
    namespace,
    matchers: [newMatcher("=", "__name__", "rpc_test")],
    startMs: START_MS,
    endMs: NOW_MS,
    shards,
    limits: { maxSeries: 0, maxDocsScanned: 0, maxSamples: 0 },
  };
}

const deadline = () => Date.now() + CALL_MS;

async function rejectsWith<E extends Error>(
  p: Promise<unknown>,
  type: new (...args: never[]) => E,
  check: (e: E) => void = () => {},
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    check(e as E);
    return true;
  });
}

describe("node RPC over loopback gRPC", () => {
  let db: Database;
  let server: NodeServer;
  let node: GrpcNodeTransport;
  const batch = makeBatch();

  before(async () => {
    db = await openDb();
    server = await startNodeServer({ db, port: 0 });
    node = new GrpcNodeTransport(`127.0.0.1:${server.port}`);
    const res = await node.writeBatch(NS, batch, deadline());
    assert.equal(res.written, batch.count);
    assert.deepEqual(res.errors, []);
    assert.equal(res.refs.length, SERIES);
  });

  after(async () => {
    node.close();
    await server.close();
    await db.close();
  });

  test("a write then a fetch gives back every datapoint, stale markers bit for bit", async () => {
    const series = await node.fetchTagged(fetchReq(null), deadline());
    assert.equal(series.length, SERIES);
    assert.deepEqual(decoded(series), expected(batch));
    const tagsById = new Map(batch.seriesIds.map((id, s) => [id, batch.seriesTags?.[s]]));
    for (const s of series) assert.deepEqual(s.encodedTags, tagsById.get(s.id));
  });

  test("the range's end is inclusive and its start cuts the series", async () => {
    const lastMs = START_MS + (POINTS - 1) * STEP_MS;
    const req = { ...fetchReq(null), startMs: lastMs, endMs: lastMs };
    const got = decoded(await node.fetchTagged(req, deadline()));
    assert.equal(got.size, SERIES);
    for (const points of got.values()) assert.ok(points.some((p) => p.startsWith(`${lastMs}:`)));
  });

  test("a shard filter returns exactly the series of those shards", async () => {
    const seen = new Set<string>();
    for (let shard = 0; shard < NUM_SHARDS; shard++) {
      const got = await node.fetchTagged(fetchReq([shard]), deadline());
      for (const s of got) {
        assert.equal(db.shardOfId(s.id), shard);
        seen.add(s.id);
      }
      const tags = await node.seriesTags(
        NS,
        fetchReq(null).matchers,
        START_MS,
        NOW_MS,
        { maxSeries: 0, maxDocsScanned: 0 },
        [shard],
        deadline(),
      );
      assert.deepEqual(tags.map((t) => t.id).sort(), got.map((s) => s.id).sort());
    }
    assert.equal(seen.size, SERIES);
    assert.deepEqual(await node.fetchTagged(fetchReq([]), deadline()), []);
  });

  test("limits fail the fetch with the node's typed error", async () => {
    const req = fetchReq(null);
    await rejectsWith(
      node.fetchTagged({ ...req, limits: { ...req.limits, maxSeries: 3 } }, deadline()),
      RemoteNodeError,
      (e) => assert.equal(e.code, "M3TS_ERR_QUERY_LIMIT"),
    );
    await rejectsWith(
      node.fetchTagged({ ...req, limits: { ...req.limits, maxSamples: 10 } }, deadline()),
      RemoteNodeError,
      (e) => assert.equal(e.code, "M3TS_ERR_QUERY_LIMIT"),
    );
    // Under the bound the same fetch answers in full.
    const all = await node.fetchTagged(
      { ...req, limits: { ...req.limits, maxSamples: SERIES * POINTS } },
      deadline(),
    );
    assert.equal(all.length, SERIES);
  });

  test("series tags, label names and values, and health come over the wire", async () => {
    const ms = [newMatcher("=", "label", "ünïcode")];
    const tags = await node.seriesTags(
      NS,
      ms,
      START_MS,
      NOW_MS,
      { maxSeries: 0, maxDocsScanned: 0 },
      null,
      deadline(),
    );
    assert.equal(tags.length, SERIES / 2);
    for (const t of tags)
      assert.ok(decodeTags(t.encodedTags).some(([n, v]) => n === "label" && v === "ünïcode"));
    assert.deepEqual(await node.labelNames(NS, [], START_MS, NOW_MS, deadline()), [
      "__name__",
      "instance",
      "label",
    ]);
    assert.deepEqual(await node.labelValues(NS, "label", [], START_MS, NOW_MS, deadline()), [
      "even",
      "ünïcode",
    ]);
    assert.deepEqual(await node.health(deadline()), { state: "bootstrapped", failureReason: null });
  });

  test("an unknown namespace comes back as RemoteNodeError with the node's code", async () => {
    const check = (e: RemoteNodeError) => {
      assert.equal(e.code, "M3TS_ERR_UNKNOWN_NAMESPACE");
      assert.equal(e.endpoint, node.endpoint);
      assert.match(e.message, /namespace "nope" does not exist/);
    };
    await rejectsWith(node.fetchTagged(fetchReq(null, "nope"), deadline()), RemoteNodeError, check);
    await rejectsWith(node.writeBatch("nope", batch, deadline()), RemoteNodeError, check);
  });

  test("an invalid matcher is refused by the node as its own typed error", async () => {
    const bad = { name: "a", type: "=~", value: "(" } as unknown as ReturnType<typeof newMatcher>;
    await rejectsWith(
      node.labelNames(NS, [bad], START_MS, NOW_MS, deadline()),
      RemoteNodeError,
      (e) => assert.equal(e.code, "M3TS_ERR_INVALID_MATCHER"),
    );
  });

  test("a node without an aggregate evaluator says so", async () => {
    await rejectsWith(
      node.aggregate(
        {
          namespace: NS,
          query: "sum(x)",
          startMs: 0,
          endMs: 1,
          stepMs: 0,
          lookbackMs: 1,
          maxSeries: 0,
          maxSamples: 0,
          shards: [0],
        },
        deadline(),
      ),
      RemoteNodeError,
      (e) => assert.equal(e.code, "M3TS_ERR_PUSHDOWN_UNSUPPORTED"),
    );
  });
});

describe("a node that owns some shards", () => {
  test("refuses, datapoint by datapoint, the writes for shards it does not own", async () => {
    const db = await openDb();
    const owned = (shard: number) => shard % 2 === 0;
    const server = await startNodeServer({ db, port: 0, ownsShard: owned });
    const node = new GrpcNodeTransport(`127.0.0.1:${server.port}`);
    try {
      const batch = makeBatch();
      const res = await node.writeBatch(NS, batch, deadline());
      const refusedIdx: number[] = [];
      for (let i = 0; i < batch.count; i++) {
        if (!owned(db.shardOfId(batch.seriesIds[batch.series[i]]))) refusedIdx.push(i);
      }
      assert.ok(refusedIdx.length > 0 && refusedIdx.length < batch.count);
      assert.deepEqual(
        res.errors.map((e) => e.index),
        refusedIdx,
      );
      for (const { error } of res.errors) {
        assert.ok(error instanceof RemoteNodeError);
        assert.equal(error.code, "M3TS_ERR_SHARD_NOT_OWNED");
      }
      assert.equal(res.written, batch.count - refusedIdx.length);
      for (let s = 0; s < SERIES; s++) {
        assert.equal(res.refs[s] >= 0, owned(db.shardOfId(batch.seriesIds[s])), `series ${s}`);
      }
      // What was accepted reads back whole, and nothing of the other shards exists.
      const got = decoded(await node.fetchTagged(fetchReq(null), deadline()));
      const want = new Map([...expected(batch)].filter(([id]) => owned(db.shardOfId(id))));
      assert.deepEqual(got, want);
    } finally {
      node.close();
      await server.close();
      await db.close();
    }
  });
});

describe("a node under pressure or past a deadline", () => {
  let db: Database;
  let server: NodeServer;
  let node: GrpcNodeTransport;
  let release: () => void = () => {};
  let held: Promise<void> = Promise.resolve();
  const aggregate = {
    namespace: NS,
    query: "sum(rpc_test)",
    startMs: START_MS,
    endMs: NOW_MS,
    stepMs: 0,
    lookbackMs: 300_000,
    maxSeries: 0,
    maxSamples: 0,
    shards: [0, 1],
  };

  before(async () => {
    db = await openDb();
    server = await startNodeServer({
      db,
      port: 0,
      limits: { maxCallsInFlight: 1, maxBytesInFlight: 4096 },
      // Holds its call until the test releases it: a call in flight for as long as the test needs.
      evaluateAggregate: async (req) => {
        await held;
        return new TextEncoder().encode(`partial of ${req.query} over ${req.shards.join(",")}`);
      },
    });
    node = new GrpcNodeTransport(`127.0.0.1:${server.port}`);
  });

  after(async () => {
    release();
    node.close();
    await server.close();
    await db.close();
  });

  function hold(): void {
    held = new Promise((resolve) => {
      release = resolve;
    });
  }

  test("a call past the bound on calls in flight is refused at once as overloaded", async () => {
    hold();
    const first = node.aggregate(aggregate, deadline());
    // The first call is admitted once the node answers health with overload.
    let refused: unknown = null;
    for (let i = 0; i < 200 && refused === null; i++) {
      refused = await node.health(deadline()).then(
        () => null,
        (e: unknown) => e,
      );
    }
    assert.ok(refused instanceof NodeOverloadedError, String(refused));
    assert.match(refused.message, /maxCallsInFlight is 1/);
    release();
    assert.equal(new TextDecoder().decode(await first), "partial of sum(rpc_test) over 0,1");
    // Once the call is done the node takes calls again.
    assert.equal((await node.health(deadline())).state, "bootstrapped");
  });

  test("a call past its deadline fails as unavailable, and the node goes on", async () => {
    hold();
    await rejectsWith(node.aggregate(aggregate, Date.now() + 50), NodeUnavailableError, (e) =>
      assert.match(e.message, /DEADLINE_EXCEEDED/),
    );
    release();
    // The abandoned call still ends on the node and frees its slot.
    let health = null;
    for (let i = 0; i < 200 && health === null; i++) {
      health = await node.health(deadline()).catch(() => null);
    }
    assert.equal(health?.state, "bootstrapped");
  });
});

describe("the bound on bytes in flight", () => {
  test("refuses a request that would take the node past it", async () => {
    const db = await openDb();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await startNodeServer({
      db,
      port: 0,
      limits: { maxCallsInFlight: 10, maxBytesInFlight: 2048 },
      evaluateAggregate: async () => {
        await held;
        return new Uint8Array([1]);
      },
    });
    const node = new GrpcNodeTransport(`127.0.0.1:${server.port}`);
    try {
      const agg = {
        ...fetchReq(null),
        query: "sum(x)",
        stepMs: 0,
        lookbackMs: 1,
        maxSeries: 0,
        maxSamples: 0,
        shards: [0],
      };
      const first = node.aggregate(agg, deadline());
      let refused: unknown = null;
      for (let i = 0; i < 200 && refused === null; i++) {
        refused = await node.writeBatch(NS, makeBatch(), deadline()).then(
          () => null,
          (e: unknown) => e,
        );
      }
      assert.ok(refused instanceof NodeOverloadedError, String(refused));
      assert.match(refused.message, /maxBytesInFlight is 2048/);
      release();
      assert.deepEqual([...(await first)], [1]);
    } finally {
      release();
      node.close();
      await server.close();
      await db.close();
    }
  });
});

describe("a stopped node", () => {
  test("is unavailable to the transport, and serves again once it is back", async () => {
    const db = await openDb();
    const first = await startNodeServer({ db, port: 0 });
    const port = first.port;
    const node = new GrpcNodeTransport(`127.0.0.1:${port}`, { maxReconnectBackoffMs: 200 });
    try {
      assert.equal((await node.health(deadline())).state, "bootstrapped");
      await first.close();
      await rejectsWith(node.health(deadline()), NodeUnavailableError, (e) =>
        assert.equal(e.endpoint, `127.0.0.1:${port}`),
      );
      const again = await startNodeServer({ db, port });
      try {
        // The same channel reconnects on its own, within its reconnect backoff.
        let health = null;
        for (let i = 0; i < 100 && health === null; i++) {
          health = await node.health(deadline()).catch(async (e: unknown) => {
            assert.ok(e instanceof NodeUnavailableError, String(e));
            await new Promise((resolve) => setTimeout(resolve, 50));
            return null;
          });
        }
        assert.equal(health?.state, "bootstrapped");
      } finally {
        await again.close();
      }
    } finally {
      node.close();
      await db.close();
    }
  });
});

describe("a request the wire cannot carry", () => {
  test("is refused by the transport with the codec's typed error, before it is sent", async () => {
    const node = new GrpcNodeTransport("127.0.0.1:1");
    try {
      const batch = { count: 1, series: [-1], timesMs: [1], values: [1], seriesIds: ["a"] };
      await rejectsWith(node.writeBatch(NS, batch, deadline()), RpcMessageError);
    } finally {
      node.close();
    }
  });
});

describe("TLS with a test CA", () => {
  let certs: TestCertificates;
  let db: Database;
  let server: NodeServer;

  before(async () => {
    certs = makeTestCertificates();
    db = await openDb();
    server = await startNodeServer({
      db,
      port: 0,
      tls: { caFile: certs.caFile, certFile: certs.serverCertFile, keyFile: certs.serverKeyFile },
    });
  });

  after(async () => {
    await server.close();
    await db.close();
    certs.remove();
  });

  test("a client with the CA and its own certificate writes and reads", async () => {
    const node = new GrpcNodeTransport(`127.0.0.1:${server.port}`, {
      tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
    });
    try {
      const batch = makeBatch();
      assert.equal((await node.writeBatch(NS, batch, deadline())).written, batch.count);
      assert.deepEqual(
        decoded(await node.fetchTagged(fetchReq(null), deadline())),
        expected(batch),
      );
    } finally {
      node.close();
    }
  });

  test("a plaintext client or one without a client certificate is turned away", async () => {
    const plain = new GrpcNodeTransport(`127.0.0.1:${server.port}`);
    const anonymous = new GrpcNodeTransport(`127.0.0.1:${server.port}`, {
      tls: { caFile: certs.caFile },
    });
    try {
      await rejectsWith(plain.health(deadline()), NodeUnavailableError);
      await rejectsWith(anonymous.health(deadline()), NodeUnavailableError);
    } finally {
      plain.close();
      anonymous.close();
    }
  });
});
