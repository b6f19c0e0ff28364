// M3's admin API (namespaces, database/create, placement) and the node's
// status endpoints (health, ready, metrics, the route table's 404 and 405).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { nowSeriesTimes, post, remoteWrite, startTestNode, type TestNode } from "./support.js";

describe("admin API and status endpoints", () => {
  let n: TestNode;
  before(async () => {
    n = await startTestNode();
  });
  after(async () => {
    await n.stop();
  });

  test("health, ready, metrics, routes; unknown routes are 404 and wrong methods 405", async () => {
    const health = await fetch(`${n.base}/health`);
    assert.equal(health.status, 200);
    assert.ok("uptime" in ((await health.json()) as object));
    const ready = await fetch(`${n.base}/ready`);
    assert.equal(ready.status, 200);
    const readyBody = (await ready.json()) as { readyWrites: { id: string }[] };
    assert.deepEqual(
      readyBody.readyWrites.map((x) => x.id),
      ["default"],
    );
    await remoteWrite(n.base, [
      { labels: [["__name__", "m"]], timesMs: nowSeriesTimes(1), values: [1] },
    ]);
    const metrics = await (await fetch(`${n.base}/metrics`)).text();
    for (const name of [
      "m3ts_coordinator_samples_received_total",
      "m3ts_coordinator_samples_written_total",
      "m3ts_coordinator_write_seconds_bucket",
      "m3ts_db_series",
      "m3ts_db_commitlog_queue_bytes",
      "m3ts_db_bootstrap_state 1",
    ]) {
      assert.ok(metrics.includes(name), name);
    }
    assert.match(metrics, /m3ts_coordinator_samples_written_total\{protocol="prometheus"\} [1-9]/);
    assert.equal((await fetch(`${n.base}/nope`)).status, 404);
    const wrong = await fetch(`${n.base}/api/v1/prom/remote/write`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "POST");
  });

  test("namespaces: list, add (409 when it exists, 400 naming a bad option), delete (404 when unknown)", async () => {
    const list = (await (await fetch(`${n.base}/api/v1/services/m3db/namespace`)).json()) as {
      registry: {
        namespaces: Record<string, { retentionOptions: { retentionPeriodNanos: string } }>;
      };
    };
    assert.equal(
      list.registry.namespaces.default.retentionOptions.retentionPeriodNanos,
      String(48 * 3600 * 1e9),
    );
    const add = await post(
      `${n.base}/api/v1/services/m3db/namespace`,
      JSON.stringify({
        name: "metrics_long",
        options: {
          retentionOptions: { retentionPeriodDuration: "720h", blockSizeDuration: "12h" },
          indexOptions: { enabled: true, blockSizeDuration: "12h" },
        },
      }),
    );
    assert.equal(add.status, 200, add.text);
    await n.node.settled();
    const created = n.node.db.listNamespaces().find((ns) => ns.name === "metrics_long");
    assert.equal(created?.options.retentionPeriodMs, 720 * 3600_000);
    const again = await post(
      `${n.base}/api/v1/services/m3db/namespace`,
      JSON.stringify({ name: "metrics_long", options: {} }),
    );
    assert.equal(again.status, 409, again.text);
    const bad = await post(
      `${n.base}/api/v1/services/m3db/namespace`,
      JSON.stringify({
        name: "bad_ns",
        options: { retentionOptions: { blockSizeDuration: "banana" } },
      }),
    );
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /blockSize/);
    const del = await fetch(`${n.base}/api/v1/services/m3db/namespace/metrics_long`, {
      method: "DELETE",
    });
    assert.equal(del.status, 200);
    await n.node.settled();
    assert.equal(
      n.node.db.listNamespaces().some((ns) => ns.name === "metrics_long"),
      false,
    );
    const missing = await fetch(`${n.base}/api/v1/services/m3db/namespace/metrics_long`, {
      method: "DELETE",
    });
    assert.equal(missing.status, 404);
  });

  test("database/create makes a namespace and the local placement; placement init twice is 409", async () => {
    const res = await post(
      `${n.base}/api/v1/database/create`,
      JSON.stringify({ type: "local", namespaceName: "created", retentionTime: "12h" }),
    );
    assert.equal(res.status, 200, res.text);
    const body = JSON.parse(res.text) as {
      namespace: {
        registry: { namespaces: Record<string, { retentionOptions: { blockSizeNanos: string } }> };
      };
      placement: {
        placement: {
          instances: Record<string, { isolationGroup: string; zone: string }>;
          numShards: number;
        };
      };
    };
    assert.equal(
      body.namespace.registry.namespaces.created.retentionOptions.blockSizeNanos,
      String(30 * 60 * 1e9),
    );
    // The node applies the registry change on its own schedule.
    await n.node.settled();
    const created = n.node.db.listNamespaces().find((ns) => ns.name === "created");
    assert.equal(
      created?.options.coldWritesEnabled,
      true,
      "database/create namespaces take cold writes",
    );
    assert.equal(body.placement.placement.instances.m3db_local.isolationGroup, "local");
    assert.equal(body.placement.placement.instances.m3db_local.zone, "embedded");
    const get = await fetch(`${n.base}/api/v1/services/m3db/placement`);
    assert.equal(get.status, 200);
    const again = await post(
      `${n.base}/api/v1/database/create`,
      JSON.stringify({ type: "local", namespaceName: "created" }),
    );
    assert.equal(again.status, 400);
    assert.match(again.text, /already exists/);
    const init = await post(
      `${n.base}/api/v1/services/m3db/placement/init`,
      JSON.stringify({
        numShards: 64,
        replicationFactor: 1,
        instances: [{ id: "m3db_local", endpoint: "127.0.0.1:9000" }],
      }),
    );
    assert.equal(init.status, 409, init.text);
    const missingName = await post(
      `${n.base}/api/v1/database/create`,
      JSON.stringify({ type: "local" }),
    );
    assert.equal(missingName.status, 400);
    assert.match(missingName.text, /namespaceName/);
  });
});
