import assert from "node:assert/strict";
import { test } from "node:test";
import { localPlacement } from "../cluster/index.js";
import { murmur3_32 } from "../x/index.js";
import { shardOfSeries, shardsByEndpoint, topologyOf } from "./topology.js";

test("a placement's shards map to their owners, ordered by instance ID", () => {
  const p = localPlacement({
    numShards: 4,
    endpoint: "a:9000",
    hostname: "a",
    port: 9000,
    id: "b",
  });
  const other = localPlacement({
    numShards: 4,
    endpoint: "z:9000",
    hostname: "z",
    port: 9000,
    id: "a",
  });
  p.instances.a = other.instances.a;
  p.instances.a.shards = p.instances.a.shards
    .slice(1, 3)
    .map((s) => ({ ...s, state: "INITIALIZING" }));
  p.replicaFactor = 2;
  const top = topologyOf(p);
  assert.equal(top.numShards, 4);
  assert.equal(top.replicaFactor, 2);
  assert.deepEqual(
    top.instances.map((i) => i.instanceId),
    ["a", "b"],
  );
  assert.deepEqual(
    top.owners[1].map((o) => [o.instanceId, o.endpoint, o.state]),
    [
      ["a", "z:9000", "INITIALIZING"],
      ["b", "a:9000", "AVAILABLE"],
    ],
  );
  assert.deepEqual(
    top.owners[0].map((o) => o.instanceId),
    ["b"],
  );
  assert.deepEqual(
    shardsByEndpoint(top),
    new Map([
      ["z:9000", [1, 2]],
      ["a:9000", [0, 1, 2, 3]],
    ]),
  );
});

test("a series' shard is murmur3 of its UTF-8 bytes with seed 0, modulo the shard count", () => {
  const id = "__name__=up,job=é";
  assert.equal(shardOfSeries(id, 64), murmur3_32(new TextEncoder().encode(id), 0) % 64);
});
