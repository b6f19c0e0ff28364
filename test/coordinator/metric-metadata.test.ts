// The metric metadata remote write carries, through the node of `m3ts start`: kept (not
// counted as dropped), counted in the self-metrics, and in the data directory's metadata
// file once the node has stopped, where a restarted node reads it back.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { test } from "node:test";
import { compressSync } from "snappy";
import { startNode } from "../../src/cli/testing.js";
import { encodeWriteRequest, type TestSeries } from "../../src/coordinator/index.js";
import { MetadataPersistence } from "../../src/query/metadata/index.js";
import { silentLogger } from "../../src/x/index.js";
import { nowSeriesTimes, post, startTestNode } from "./support.js";

const V2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request";

async function send(base: string, body: Uint8Array, contentType = "application/x-protobuf") {
  const r = await post(`${base}/api/v1/prom/remote/write`, compressSync(body), {
    "Content-Type": contentType,
    "Content-Encoding": "snappy",
  });
  assert.equal(r.status, 204, r.text);
}

function metric(text: string, name: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.slice(name.length + 1));
}

test("remote write metadata of both versions reaches the store and survives the node's restart", {
  timeout: 60_000,
}, async () => {
  const n = await startTestNode();
  let stopped = false;
  try {
    await send(
      n.base,
      encodeWriteRequest([], {
        version: "1.0",
        familyMetadata: [
          { type: 1, family: "http_requests_total", help: "Number of HTTP requests" },
          { type: 2, family: "node_memory_bytes", help: "Memory in use", unit: "bytes" },
        ],
      }),
    );
    const times = nowSeriesTimes(1);
    const h = { type: 3, help: "RPC latency", unit: "seconds" };
    const v2: TestSeries[] = [
      {
        labels: [
          ["__name__", "rpc_seconds_bucket"],
          ["le", "1"],
        ],
        timesMs: times,
        values: [1],
        metadata: h,
      },
      { labels: [["__name__", "rpc_seconds_count"]], timesMs: times, values: [1], metadata: h },
      // No metric name: its metadata cannot be kept, and is counted as dropped.
      { labels: [["job", "x"]], timesMs: times, values: [1], metadata: { type: 2 } },
    ];
    await send(n.base, encodeWriteRequest(v2, { version: "2.0" }), V2);
    const metrics = await (await fetch(`${n.base}/metrics`)).text();
    assert.equal(metric(metrics, "m3ts_metadata_metrics"), 3);
    assert.equal(metric(metrics, "m3ts_metadata_evicted_metrics"), 0);
    assert.equal(metric(metrics, 'm3ts_coordinator_dropped_total{kind="metadata"}'), 1);

    await n.node.stop();
    stopped = true;
    const reopened = await MetadataPersistence.open({
      dir: n.node.config.dataDir,
      logger: silentLogger,
      saveIntervalMs: 0,
    });
    assert.deepEqual(reopened.store.names(), [
      "http_requests_total",
      "node_memory_bytes",
      "rpc_seconds",
    ]);
    assert.deepEqual(reopened.store.get("rpc_seconds"), [
      { type: "histogram", help: "RPC latency", unit: "seconds" },
    ]);
    assert.deepEqual(reopened.store.get("node_memory_bytes"), [
      { type: "gauge", help: "Memory in use", unit: "bytes" },
    ]);
    await reopened.close();

    // A node started again on the same data directory holds the metadata before any sender resends it.
    const again = await startNode(n.node.config, silentLogger);
    try {
      const { port } = again.coordinator.address;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.equal(metric(text, "m3ts_metadata_metrics"), 3);
    } finally {
      await again.stop();
    }
  } finally {
    if (stopped) rmSync(n.dir, { recursive: true, force: true });
    else await n.stop();
  }
});
