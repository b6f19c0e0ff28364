// EtcdKV on a real etcd (test/support/etcd.ts): the KV contract, M3's keys
// as a raw etcd client reads them, watches across an etcd restart and past
// a compaction, the typed error of an unreachable etcd, TLS with client
// certificates, and a process that exits once the KV is closed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Etcd3, type Watcher } from "etcd3";
import { type EtcdProcess, startEtcd } from "../../test/support/etcd.js";
import { freeLoopbackPort } from "../../test/support/processes.js";
import { makeTestCertificates, type TestCertificates } from "../../test/support/tls.js";
import {
  EtcdKV,
  type EtcdKVOptions,
  EtcdKVOptionsError,
  etcdKeyOf,
  KVClosedError,
  KVInvalidValueError,
  KVUnavailableError,
  type KVValue,
  KVVersionMismatchError,
  NAMESPACES_KEY,
  PLACEMENT_KEY,
} from "./index.js";
import { kvContract, waitForDeliveries } from "./kv-contract.js";

let etcd: EtcdProcess;
let raw: Etcd3;
let envs = 0;
/** A fresh environment per test: its keys share nothing with another test's. */
const freshEnv = () => `test_env_${++envs}`;

before(async () => {
  etcd = await startEtcd();
  raw = new Etcd3({ hosts: [...etcd.endpoints] });
});

after(async () => {
  raw?.close();
  await etcd?.cleanup();
});

const open = (o: Partial<EtcdKVOptions> = {}) =>
  EtcdKV.open({ endpoints: etcd.endpoints, env: freshEnv(), ...o });

kvContract("EtcdKV", async () => {
  const env = freshEnv();
  return {
    kv: await EtcdKV.open({ endpoints: etcd.endpoints, env }),
    reopen: () => EtcdKV.open({ endpoints: etcd.endpoints, env }),
    cleanup: async () => {},
  };
});

test("etcdKeyOf puts placements under _sd.placement/<env>/ and other keys under _kv/<env>/", () => {
  assert.equal(etcdKeyOf("default_env", PLACEMENT_KEY), "_sd.placement/default_env/m3db");
  assert.equal(etcdKeyOf("prod", PLACEMENT_KEY), "_sd.placement/prod/m3db");
  assert.equal(
    etcdKeyOf("prod", "_sd.placement/default_env/m3aggregator"),
    "_sd.placement/prod/m3aggregator",
  );
  assert.equal(etcdKeyOf("default_env", NAMESPACES_KEY), "_kv/default_env/m3db.node.namespaces");
  assert.equal(
    etcdKeyOf("prod", "m3db.client.write-consistency-level"),
    "_kv/prod/m3db.client.write-consistency-level",
  );
  // Only the two-segment placement shape is a placement key.
  assert.equal(etcdKeyOf("e", "_sd.placement/m3db"), "_kv/e/_sd.placement/m3db");
});

test("M3's keys land where M3 keeps them, as JSON, at etcd's own per-key version", async () => {
  for (const env of ["default_env", "staging"]) {
    const kv = await EtcdKV.open({ endpoints: etcd.endpoints, env });
    try {
      await kv.set(PLACEMENT_KEY, { numShards: 64 });
      await kv.set(PLACEMENT_KEY, { numShards: 128 });
      await kv.set(NAMESPACES_KEY, { namespaces: {} });
      const placement = await raw.get(`_sd.placement/${env}/m3db`).exec();
      assert.equal(placement.kvs.length, 1);
      assert.deepEqual(JSON.parse(placement.kvs[0].value.toString()), { numShards: 128 });
      assert.equal(placement.kvs[0].version, "2");
      const namespaces = await raw.get(`_kv/${env}/m3db.node.namespaces`).string();
      assert.deepEqual(JSON.parse(namespaces ?? "null"), { namespaces: {} });
      // Nothing under the logical names themselves.
      assert.equal(await raw.get(NAMESPACES_KEY).exists(), false);
      // A change made straight in etcd is what the KV reads.
      await raw.put(`_kv/${env}/m3db.node.namespaces`).value('{"namespaces":{"a":{}}}');
      assert.deepEqual(await kv.get(NAMESPACES_KEY), {
        value: { namespaces: { a: {} } },
        version: 2,
      });
    } finally {
      await kv.close();
    }
  }
});

test("check-and-set races between two clients: exactly one wins", async () => {
  const env = freshEnv();
  const a = await EtcdKV.open({ endpoints: etcd.endpoints, env });
  const b = await EtcdKV.open({ endpoints: etcd.endpoints, env });
  try {
    await a.set("k", "start");
    const seen: (KVValue | null)[] = [];
    a.watch("k", (v) => seen.push(v));
    const results = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => a.checkAndSet("k", 1, `a${i}`)),
      ...Array.from({ length: 10 }, (_, i) => b.checkAndSet("k", 1, `b${i}`)),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(r.reason instanceof KVVersionMismatchError);
    }
    const got = (await b.get("k")) as KVValue;
    assert.equal(got.version, 2);
    // The other client's change reaches a's watcher too.
    await waitForDeliveries(seen, 1);
    assert.deepEqual(seen, [got]);
  } finally {
    await a.close();
    await b.close();
  }
});

test("a value in etcd that is not JSON is a KVInvalidValueError on read and skipped by a watch", async () => {
  const errors: Error[] = [];
  const kv = await open({ onWatchError: (_key, e) => errors.push(e) });
  try {
    const seen: (KVValue | null)[] = [];
    kv.watch("k", (v) => seen.push(v));
    await raw.put(etcdKeyOf(kv.env, "k")).value(Buffer.from([0x0a, 0x02, 0xff]));
    await assert.rejects(kv.get("k"), (e: unknown) => {
      assert.ok(e instanceof KVInvalidValueError);
      assert.match(e.message, /_kv\/test_env_\d+\/k.*3 bytes that are not JSON/);
      return true;
    });
    await kv.set("k", "fine");
    await waitForDeliveries(seen, 1);
    assert.deepEqual(seen, [{ value: "fine", version: 2 }]);
    await raw.put(etcdKeyOf(kv.env, "k")).value("not json");
    await assert.rejects(kv.delete("k"), /was deleted; it holds 8 bytes that are not JSON/);
    assert.equal(await kv.get("k"), null);
    await waitForDeliveries(seen, 2);
    assert.deepEqual(seen, [{ value: "fine", version: 2 }, null]);
    assert.equal(errors.length, 2);
    assert.ok(errors.every((e) => e instanceof KVInvalidValueError));
  } finally {
    await kv.close();
  }
});

test("a watch whose history was compacted away delivers the current value, then watches on", async () => {
  const kv = await open();
  try {
    await kv.set("k", "seen");
    const key = etcdKeyOf(kv.env, "k");
    // Changes this KV has not seen, then the history compacted past them.
    await raw.put(key).value('"unseen 1"');
    const last = await raw.put(key).value('"unseen 2"');
    await raw.kv.compact({ revision: last.header.revision, physical: true });
    const seen: (KVValue | null)[] = [];
    kv.watch("k", (v) => seen.push(v));
    await waitForDeliveries(seen, 1);
    await kv.set("k", "next");
    await waitForDeliveries(seen, 2);
    assert.deepEqual(seen, [
      { value: "unseen 2", version: 3 },
      { value: "next", version: 4 },
    ]);
  } finally {
    await kv.close();
  }
});

test("options that cannot work are EtcdKVOptionsError naming the option", async () => {
  const cases: [Partial<EtcdKVOptions>, string][] = [
    [{ endpoints: [] }, "endpoints"],
    [{ endpoints: ["127.0.0.1:2379/path"] }, "endpoints"],
    [{ endpoints: ["http://127.0.0.1:2379", "https://127.0.0.1:2380"] }, "endpoints"],
    [{ env: "" }, "env"],
    [{ env: "a/b" }, "env"],
    [{ callTimeoutMs: 0 }, "callTimeoutMs"],
    [{ dialTimeoutMs: Number.NaN }, "dialTimeoutMs"],
    [{ tls: { caFile: "/nonexistent/ca.crt" } }, "tls.caFile"],
    [{ tls: { caFile: "/dev/null", certFile: "/dev/null" } }, "tls"],
  ];
  for (const [o, option] of cases) {
    await assert.rejects(open(o), (e: unknown) => {
      assert.ok(e instanceof EtcdKVOptionsError, String(e));
      assert.equal(e.code, "M3TS_ERR_KV_OPTIONS");
      assert.equal(e.option, option);
      return true;
    });
  }
});

test("an etcd nobody listens on: open fails in time with KVUnavailableError naming the endpoint", async () => {
  const endpoint = `127.0.0.1:${await freeLoopbackPort()}`;
  await assert.rejects(EtcdKV.open({ endpoints: [endpoint], dialTimeoutMs: 300 }), (e: unknown) => {
    assert.ok(e instanceof KVUnavailableError, String(e));
    assert.equal(e.code, "M3TS_ERR_KV_UNAVAILABLE");
    assert.equal(e.retryable, true);
    assert.deepEqual(e.endpoints, [endpoint]);
    assert.ok(e.message.includes(endpoint), e.message);
    return true;
  });
});

test("etcd restarted: calls fail typed while it is down, then a watch and a waiting change ride it out", async () => {
  const kv = await open();
  const quick = await EtcdKV.open({ endpoints: etcd.endpoints, env: kv.env, callTimeoutMs: 200 });
  try {
    const seen: (KVValue | null)[] = [];
    kv.watch("k", (v) => seen.push(v));
    await kv.set("k", 1);
    await waitForDeliveries(seen, 1);

    await etcd.stop();
    await assert.rejects(quick.get("k"), (e: unknown) => {
      assert.ok(e instanceof KVUnavailableError, String(e));
      assert.equal(e.outcomeUnknown, false);
      assert.equal(e.operation, "read");
      assert.ok(e.message.includes(etcd.endpoints[0]), e.message);
      return true;
    });
    await assert.rejects(quick.set("k", "lost"), (e: unknown) => {
      assert.ok(e instanceof KVUnavailableError, String(e));
      assert.equal(e.outcomeUnknown, true);
      return true;
    });
    // Asked while etcd is down, acknowledged once it is back (within its deadline).
    const waiting = kv.set("k", 2);
    await etcd.restart();
    assert.equal(await waiting, 2);
    // Another writer's changes, whether or not the watch has reconnected yet.
    await raw.put(etcdKeyOf(kv.env, "k")).value("3");
    await kv.delete("k");
    await kv.set("k", 5);
    await waitForDeliveries(seen, 5);
    assert.deepEqual(seen, [
      { value: 1, version: 1 },
      { value: 2, version: 2 },
      { value: 3, version: 3 },
      null,
      { value: 5, version: 1 },
    ]);

    // Once more with changes only after the restart.
    await etcd.restart();
    await kv.set("k", 6);
    await waitForDeliveries(seen, 6);
    assert.deepEqual(seen[5], { value: 6, version: 2 });
    assert.equal(seen.length, 6);
  } finally {
    await quick.close();
    await kv.close();
  }
});

test("a watch whose stream dies before etcd replayed its backlog still gets all of it", async () => {
  const kv = await open();
  try {
    await kv.get("k");
    const key = etcdKeyOf(kv.env, "k");
    for (let i = 1; i <= 5; i++) await raw.put(key).value(String(i));
    // etcd answers a watch's creation at once and replays older events on
    // its next sync (every 100 ms): kill it in between, by reaching into
    // the KV for the moment its stream is created. etcd3 on its own would
    // resume after the creation's revision and skip the backlog.
    const inner = kv as unknown as { attach(w: { watcher: Watcher | null }): void };
    const attach = inner.attach.bind(kv);
    let killed: Promise<void> | null = null;
    inner.attach = (w) => {
      attach(w);
      if (killed === null)
        w.watcher?.once("connected", () => {
          killed = etcd.kill();
        });
    };
    const seen: (KVValue | null)[] = [];
    kv.watch("k", (v) => seen.push(v));
    while (killed === null) await new Promise((resolve) => setTimeout(resolve, 5));
    await killed;
    await etcd.restart();
    await kv.set("k", 6);
    await waitForDeliveries(seen, 6);
    assert.deepEqual(
      seen.map((v) => v?.value),
      [1, 2, 3, 4, 5, 6],
    );
  } finally {
    await kv.close();
  }
});

test("after close, reads are KVClosedError too", async () => {
  const kv = await open();
  await kv.close();
  await assert.rejects(kv.get("k"), KVClosedError);
});

test("a process that closes its EtcdKV exits by itself, watches and all", () => {
  const module = fileURLToPath(new URL("./index.js", import.meta.url));
  const script = `
    import { EtcdKV } from ${JSON.stringify(module)};
    const kv = await EtcdKV.open({ endpoints: ${JSON.stringify(etcd.endpoints)}, env: "exit_env" });
    let got = null;
    kv.watch("k", (v) => { got = v; });
    kv.watch("j", () => {});
    await kv.set("k", "v");
    while (got === null) await new Promise((r) => setTimeout(r, 5));
    await kv.close();
    console.log(JSON.stringify(got));
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(r.signal, null, `killed after 20 s: the process stayed alive\n${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { value: "v", version: 1 });
});

test("TLS: a client with the CA and a client certificate works; without either it is refused", async () => {
  const certs: TestCertificates = makeTestCertificates();
  const secure = await startEtcd({ tls: certs });
  try {
    const kv = await EtcdKV.open({
      endpoints: secure.endpoints,
      tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
    });
    try {
      const seen: (KVValue | null)[] = [];
      kv.watch(PLACEMENT_KEY, (v) => seen.push(v));
      assert.equal(await kv.set(PLACEMENT_KEY, { numShards: 8 }), 1);
      assert.deepEqual(await kv.get(PLACEMENT_KEY), { value: { numShards: 8 }, version: 1 });
      await waitForDeliveries(seen, 1);
    } finally {
      await kv.close();
    }
    const refused = async (tls: EtcdKVOptions["tls"], why: RegExp) =>
      assert.rejects(
        EtcdKV.open({ endpoints: secure.endpoints, dialTimeoutMs: 300, tls }),
        (e: unknown) => {
          assert.ok(e instanceof KVUnavailableError, String(e));
          assert.match(e.message, why);
          return true;
        },
      );
    // Trusting the system CAs only: etcd's certificate does not verify.
    await refused(undefined, /unable to verify/);
    // The CA but no client certificate: etcd's --client-cert-auth refuses the handshake.
    await refused({ caFile: certs.caFile }, /bad certificate/);
  } finally {
    await secure.cleanup();
    certs.cleanup();
  }
});
