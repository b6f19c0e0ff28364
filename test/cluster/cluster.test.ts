// A real cluster on loopback: etcd, three `m3ts dbnode` processes at RF=3,
// and two `m3ts coordinator`s (majority writes, and `one` writes). Senders
// write through the coordinator while dbnodes are SIGKILLed and brought
// back and while etcd restarts; every acknowledged sample must read back.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { compressSync } from "snappy";
import { GrpcNodeTransport } from "../../src/client/index.js";
import { MultiStreamIterator } from "../../src/codec/index.js";
import { encodeWriteRequest } from "../../src/coordinator/index.js";
import { newMatcher } from "../../src/index/index.js";
import { decodeTags } from "../../src/x/index.js";
import {
  type ClusterProcess,
  killProcess,
  restartProcess,
  startCoordinatorProcess,
  startDbnodeProcess,
  stopProcess,
} from "../support/cluster.js";
import { type EtcdProcess, startEtcd } from "../support/etcd.js";
import { waitForOk } from "../support/processes.js";
import { remoteRead } from "../support/remote-read-client.js";

const SERIES = 20;
const SAMPLES_PER_REQUEST = 4;
const NUM_SHARDS = 8;
const METRIC = "cluster_probe";
/** Longest a coordinator may take to reconnect to a restarted dbnode (its channel's backoff is at most 2 s). */
const RECONNECT_MS = 10_000;

interface Acked {
  /** Acknowledged samples by series number: time → value. */
  bySeries: Map<number, number>[];
  count: number;
}

function newAcked(): Acked {
  return { bySeries: Array.from({ length: SERIES }, () => new Map()), count: 0 };
}

let nextTick = 0;
let nextValue = 1;
const baseMs = Date.now() - 60_000;

/** One remote write of SERIES × SAMPLES_PER_REQUEST fresh samples; records them in `acked` if acknowledged. */
async function writeOnce(
  base: string,
  ...into: Acked[]
): Promise<{ status: number; body: string }> {
  const tick = nextTick;
  nextTick += SAMPLES_PER_REQUEST;
  const series = Array.from({ length: SERIES }, (_, s) => ({
    labels: [
      ["__name__", METRIC],
      ["s", String(s)],
    ] as [string, string][],
    timesMs: Array.from({ length: SAMPLES_PER_REQUEST }, (_, i) => baseMs + tick + i),
    values: Array.from({ length: SAMPLES_PER_REQUEST }, () => nextValue++),
  }));
  const res = await fetch(`${base}/api/v1/prom/remote/write`, {
    method: "POST",
    headers: { "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" },
    body: compressSync(encodeWriteRequest(series)),
  });
  const body = await res.text();
  if (res.status === 200 || res.status === 204) {
    for (const acked of into) {
      for (const s of series) {
        const m = acked.bySeries[Number(s.labels[1][1])];
        for (let i = 0; i < s.timesMs.length; i++) m.set(s.timesMs[i], s.values[i]);
        acked.count += s.timesMs.length;
      }
    }
  }
  return { status: res.status, body };
}

/** Senders writing until stopped; every failed request is kept. */
function startLoad(base: string, acked: Acked, senders = 2) {
  const state = { on: true, requests: 0, failures: [] as { status: number; body: string }[] };
  const loops = Array.from({ length: senders }, async () => {
    while (state.on) {
      try {
        const r = await writeOnce(base, acked);
        state.requests++;
        if (r.status !== 200 && r.status !== 204) state.failures.push(r);
      } catch (e) {
        state.failures.push({ status: 0, body: (e as Error).message });
      }
    }
  });
  return {
    state,
    stop: async () => {
      state.on = false;
      await Promise.all(loops);
      return state;
    },
  };
}

/** Reads every probe series through the coordinator and checks each acknowledged sample. */
async function assertAllRead(base: string, acked: Acked, headers: Record<string, string> = {}) {
  const [series] = await remoteRead(
    `${base}/api/v1/read`,
    [
      {
        startMs: baseMs - 1,
        endMs: Date.now() + 120_000,
        matchers: [{ type: "=", name: "__name__", value: METRIC }],
      },
    ],
    headers,
  );
  const stored = new Map<number, Map<number, number>>();
  for (const s of series) {
    const m = new Map<number, number>();
    for (let i = 0; i < s.timesMs.length; i++) m.set(s.timesMs[i], s.values[i]);
    stored.set(Number(s.labels.s), m);
  }
  let missing = 0;
  let wrong = 0;
  for (let s = 0; s < SERIES; s++) {
    for (const [t, v] of acked.bySeries[s]) {
      const got = stored.get(s)?.get(t);
      if (got === undefined) missing++;
      else if (got !== v) wrong++;
    }
  }
  assert.equal(missing, 0, `${missing} of ${acked.count} acknowledged samples missing`);
  assert.equal(wrong, 0, `${wrong} acknowledged samples read back with another value`);
}

/** What one dbnode holds of the probe, read straight from its node RPC. */
async function nodeHolds(node: ClusterProcess): Promise<Map<number, Map<number, number>>> {
  const transport = new GrpcNodeTransport(`127.0.0.1:${node.rpcPort}`);
  try {
    const got = await transport.fetchTagged(
      {
        namespace: "default",
        matchers: [newMatcher("=", "__name__", METRIC)],
        startMs: baseMs - 1,
        endMs: Date.now() + 120_000,
        shards: null,
        limits: { maxSeries: 0, maxDocsScanned: 0, maxSamples: 0 },
      },
      Date.now() + 10_000,
    );
    const out = new Map<number, Map<number, number>>();
    const it = new MultiStreamIterator();
    for (const s of got) {
      const m = new Map<number, number>();
      it.reset(s.data);
      while (it.next()) m.set(it.timeMs, it.value);
      const label = decodeTags(s.encodedTags).find(([name]) => name === "s");
      out.set(Number(label?.[1]), m);
    }
    return out;
  } finally {
    transport.close();
  }
}

/** Retries `check` while it fails with a retryable (503) read, for at most RECONNECT_MS. */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + RECONNECT_MS;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (!/remote read: 503/.test((e as Error).message) || Date.now() > deadline) throw e;
      await sleep(100);
    }
  }
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

test("an RF=3 cluster keeps every acknowledged write through node kills and an etcd restart", {
  timeout: 180_000,
}, async () => {
  const root = mkdtempSync(join(tmpdir(), "m3ts-cluster-"));
  let etcd: EtcdProcess | null = null;
  const procs: ClusterProcess[] = [];
  try {
    etcd = await startEtcd();
    const endpoints = etcd.endpoints;
    const nodes: ClusterProcess[] = [];
    for (const id of ["node-a", "node-b", "node-c"]) {
      const n = await startDbnodeProcess(root, id, endpoints);
      nodes.push(n);
      procs.push(n);
    }
    const coord = await startCoordinatorProcess(root, "coordinator", endpoints);
    const coordOne = await startCoordinatorProcess(root, "coordinator-one", endpoints, {
      clusterYaml: "  writeConsistency: one",
    });
    const coordAll = await startCoordinatorProcess(root, "coordinator-all", endpoints, {
      clusterYaml: "  writeConsistency: all",
    });
    procs.push(coord, coordOne, coordAll);

    // M3's database/create for a cluster: the hosts, their isolation groups, RF 3.
    const created = await fetch(`${coord.base}/api/v1/database/create`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        type: "cluster",
        namespaceName: "default",
        retentionTime: "48h",
        numShards: NUM_SHARDS,
        replicationFactor: 3,
        hosts: nodes.map((n, i) => ({
          id: n.name,
          isolationGroup: `group-${i}`,
          zone: "embedded",
          weight: 100,
          address: "127.0.0.1",
          port: n.rpcPort,
        })),
      }),
    });
    assert.equal(created.status, 200, await created.text());
    for (const n of nodes) await waitForOk(`${n.base}/ready`, n.child, 60_000);
    await waitForOk(`${coord.base}/ready`, coord.child, 60_000);
    await waitForOk(`${coordOne.base}/ready`, coordOne.child, 60_000);
    await waitForOk(`${coordAll.base}/ready`, coordAll.child, 60_000);
    const placement = (await (
      await fetch(`${coord.base}/api/v1/services/m3db/placement`)
    ).json()) as {
      placement: { instances: Record<string, unknown> };
    };
    for (const inst of Object.values(placement.placement.instances) as {
      shards: { state: string }[];
    }[]) {
      assert.equal(
        inst.shards.length,
        NUM_SHARDS,
        "RF 3 over 3 hosts: every host owns every shard",
      );
      assert.ok(
        inst.shards.every((s) => s.state === "AVAILABLE"),
        "bootstrapped shards are Available",
      );
    }

    // 1. Majority writes under load; one dbnode SIGKILLed: writes keep being acknowledged.
    const acked = newAcked();
    let load = startLoad(coord.base, acked);
    await sleep(500);
    const [a, b, c] = nodes;
    // Written at `all` before the kill: node-c acknowledged these itself.
    const ackedByAll = newAcked();
    for (let i = 0; i < 3; i++) {
      const r = await writeOnce(coordAll.base, acked, ackedByAll);
      assert.ok(r.status === 200 || r.status === 204, r.body);
    }
    await killProcess(c);
    await sleep(1500);
    let state = await load.stop();
    assert.deepEqual(state.failures, [], "no write failed with one of three replicas down");
    // What node-c missed is counted at the coordinator.
    const metrics = await (await fetch(`${coord.base}/metrics`)).text();
    const missed = Number(/^m3ts_client_replica_write_failures_total (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(missed > 0, `replica write failures: ${missed}`);
    assert.ok(state.requests > 4);
    // Reads keep answering with every acknowledged sample.
    await assertAllRead(coord.base, acked);
    const q = await fetch(
      `${coord.base}/api/v1/query?query=${encodeURIComponent(`count(${METRIC})`)}`,
    );
    assert.equal(q.status, 200);
    const qBody = (await q.json()) as { data: { result: { value: [number, string] }[] } };
    assert.equal(qBody.data.result[0].value[1], String(SERIES));

    // Back again: it bootstraps from its own filesets and commit log and serves.
    await restartProcess(c, root, "/ready");
    const held = await nodeHolds(c);
    for (let s = 0; s < SERIES; s++) {
      for (const [t, v] of ackedByAll.bySeries[s]) {
        assert.equal(held.get(s)?.get(t), v, `node-c lost s=${s} t=${t}, which it acknowledged`);
      }
    }
    // The coordinator's channel to node-c reconnects with a backoff: a read
    // at `all` is answered 503 (retryable) until it has, then in full.
    await eventually(() =>
      assertAllRead(coord.base, acked, { "M3-Read-Consistency-Level": "all" }),
    );

    // 2. Two of three down: majority writes fail with a retryable 503, `one` writes succeed.
    await killProcess(b);
    await killProcess(c);
    const refused = await writeOnce(coord.base, newAcked());
    assert.equal(refused.status, 503, refused.body);
    assert.match(refused.body, /consistency/i);
    const accepted = await writeOnce(coordOne.base, acked);
    assert.ok(accepted.status === 200 || accepted.status === 204, accepted.body);
    await restartProcess(b, root, "/ready");
    await restartProcess(c, root, "/ready");
    await waitForOk(`${coord.base}/ready`, coord.child, 30_000);
    // The `one` write may be on node-a alone: read every replica.
    await eventually(() =>
      assertAllRead(coord.base, acked, { "M3-Read-Consistency-Level": "all" }),
    );

    // 3. etcd restarted under load: the nodes and the coordinator ride it out.
    load = startLoad(coord.base, acked);
    await sleep(300);
    await etcd.stop();
    await sleep(1000);
    await etcd.restart();
    await sleep(500);
    state = await load.stop();
    assert.deepEqual(state.failures, [], "writes need no etcd once the placement is known");
    // The watches came back: a namespace added now reaches every node.
    const added = await fetch(`${coord.base}/api/v1/services/m3db/namespace`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "after_restart", options: { indexOptions: { enabled: true } } }),
    });
    assert.equal(added.status, 200, await added.text());
    for (const n of [a, b, c]) {
      const deadline = Date.now() + 20_000;
      let lastError = "";
      for (;;) {
        const transport = new GrpcNodeTransport(`127.0.0.1:${n.rpcPort}`);
        const ok = await transport
          .fetchTagged(
            {
              namespace: "after_restart",
              matchers: [newMatcher("=", "__name__", METRIC)],
              startMs: 0,
              endMs: Date.now(),
              shards: null,
              limits: { maxSeries: 0, maxDocsScanned: 0, maxSamples: 0 },
            },
            Date.now() + 5_000,
          )
          .then(
            () => true,
            (e: { code?: string }) => {
              // Until the node has the namespace its fetch fails with M3TS_ERR_UNKNOWN_NAMESPACE.
              lastError = `${e.code}: ${(e as Error).message}`;
              return false;
            },
          );
        transport.close();
        if (ok) break;
        assert.ok(
          Date.now() < deadline,
          `${n.name} never created the namespace after etcd restarted (${lastError})`,
        );
        await sleep(200);
      }
    }
    // The `one` write may be on node-a alone: read every replica.
    await eventually(() =>
      assertAllRead(coord.base, acked, { "M3-Read-Consistency-Level": "all" }),
    );

    for (const p of procs) assert.equal(await stopProcess(p), 0, `${p.name} stopped cleanly`);
  } catch (e) {
    for (const p of procs) console.log(`--- ${p.name} ---\n${p.log().slice(-3000)}`);
    throw e;
  } finally {
    for (const p of procs) await killProcess(p).catch(() => {});
    await etcd?.cleanup().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  }
});
