// M3's placement model: the local placement, its GET rendering in jsonpb
// form, the init body's parsing and errors, and creating it once in a KV.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import {
  AdminRequestError,
  ensureLocalPlacement,
  FileKV,
  isLocalPlacement,
  localPlacement,
  MAX_NUM_SHARDS,
  NAMESPACES_KEY,
  PLACEMENT_KEY,
  type Placement,
  placementInitFromJson,
  placementToJson,
} from "./index.js";
import { expectField } from "./testing.js";

const local = { numShards: 64, endpoint: "127.0.0.1:9000", hostname: "localhost", port: 9000 };

test("KV keys are M3's", () => {
  assert.equal(PLACEMENT_KEY, "_sd.placement/default_env/m3db");
  assert.equal(NAMESPACES_KEY, "m3db.node.namespaces");
});

test("the local placement: one m3db_local instance in local/embedded owning every shard, AVAILABLE", () => {
  const p = localPlacement(local);
  assert.deepEqual(Object.keys(p.instances), ["m3db_local"]);
  const i = p.instances.m3db_local;
  assert.equal(i.id, "m3db_local");
  assert.equal(i.isolationGroup, "local");
  assert.equal(i.zone, "embedded");
  assert.equal(i.weight, 1);
  assert.equal(i.endpoint, "127.0.0.1:9000");
  assert.equal(i.hostname, "localhost");
  assert.equal(i.port, 9000);
  assert.equal(p.replicaFactor, 1);
  assert.equal(p.numShards, 64);
  assert.equal(p.isSharded, true);
  assert.equal(p.isMirrored, false);
  assert.deepEqual(
    i.shards.map((s) => s.id),
    Array.from({ length: 64 }, (_, n) => n),
  );
  assert.ok(i.shards.every((s) => s.state === "AVAILABLE" && s.sourceId === ""));
  assert.equal(isLocalPlacement(p), true);
});

test("a placement is local only with exactly one instance m3db_local in group local, zone embedded", () => {
  const base = localPlacement(local);
  const other = (change: Partial<Placement["instances"][string]>): Placement => ({
    ...base,
    instances: { m3db_local: { ...base.instances.m3db_local, ...change } },
  });
  assert.equal(isLocalPlacement(other({ id: "node1" })), false);
  assert.equal(isLocalPlacement(other({ isolationGroup: "rack1" })), false);
  assert.equal(isLocalPlacement(other({ zone: "local" })), false);
  const two: Placement = {
    ...base,
    instances: { ...base.instances, b: { ...base.instances.m3db_local, id: "b" } },
  };
  assert.equal(isLocalPlacement(two), false);
  assert.equal(isLocalPlacement(localPlacement({ ...local, id: "node1" })), false);
});

test("the local placement refuses a shard count outside 1..MAX_NUM_SHARDS", () => {
  for (const n of [0, -1, 1.5, MAX_NUM_SHARDS + 1]) {
    expectField(() => localPlacement({ ...local, numShards: n }), "numShards");
  }
});

test("GET placement renders jsonpb: int64 as strings, enums by name, every field present", () => {
  const body = placementToJson(localPlacement({ ...local, numShards: 2 }), 3);
  assert.deepEqual(JSON.parse(JSON.stringify(body)), {
    placement: {
      instances: {
        m3db_local: {
          id: "m3db_local",
          isolationGroup: "local",
          zone: "embedded",
          weight: 1,
          endpoint: "127.0.0.1:9000",
          shards: [
            {
              id: 0,
              state: "AVAILABLE",
              sourceId: "",
              cutoverNanos: "0",
              cutoffNanos: "0",
              redirectToShardId: null,
            },
            {
              id: 1,
              state: "AVAILABLE",
              sourceId: "",
              cutoverNanos: "0",
              cutoffNanos: "0",
              redirectToShardId: null,
            },
          ],
          shardSetId: 0,
          hostname: "localhost",
          port: 9000,
          metadata: { debugPort: 0 },
          subclusterId: 0,
        },
      },
      replicaFactor: 1,
      numShards: 2,
      isSharded: true,
      cutoverTime: "0",
      isMirrored: false,
      maxShardSetId: 0,
      isSubclustered: false,
      instancesPerSubcluster: 0,
    },
    version: 3,
  });
});

test("GET placement lists instances in key order, as jsonpb writes maps", () => {
  const base = localPlacement(local);
  const i = base.instances.m3db_local;
  const p: Placement = { ...base, instances: { zz: { ...i, id: "zz" }, aa: { ...i, id: "aa" } } };
  assert.deepEqual(Object.keys(placementToJson(p, 1).placement.instances as object), ["aa", "zz"]);
});

test("placement init: M3's body, lowerCamel or proto names, integers as numbers or strings", () => {
  const camel = placementInitFromJson({
    numShards: 64,
    replicationFactor: 1,
    instances: [
      {
        id: "host1",
        isolationGroup: "rack1",
        zone: "embedded",
        weight: 100,
        endpoint: "host1:9000",
        hostname: "host1",
        port: 9000,
      },
    ],
  });
  assert.deepEqual(camel, {
    numShards: 64,
    replicationFactor: 1,
    instances: [
      {
        id: "host1",
        isolationGroup: "rack1",
        zone: "embedded",
        weight: 100,
        endpoint: "host1:9000",
        hostname: "host1",
        port: 9000,
      },
    ],
  });
  const snake = placementInitFromJson({
    num_shards: "64",
    replication_factor: "1",
    instances: [
      {
        id: "host1",
        isolation_group: "rack1",
        zone: "embedded",
        weight: "100",
        endpoint: "host1:9000",
        hostname: "host1",
        port: "9000",
      },
    ],
  });
  assert.deepEqual(snake, camel);
});

test("placement init leaves zero and absent instance fields to the caller's defaults", () => {
  const init = placementInitFromJson({
    numShards: 1,
    replicationFactor: 1,
    instances: [{ id: "a", weight: 0, port: 0, shards: [] }],
    optionOverride: { isSharded: true },
  });
  assert.deepEqual(init.instances, [{ id: "a" }]);
});

test("placement init errors name the field", () => {
  const ok = { numShards: 8, replicationFactor: 1, instances: [{ id: "a" }] };
  expectField(() => placementInitFromJson([]), "body", /JSON object/);
  expectField(
    () => placementInitFromJson({ ...ok, numShards: undefined }),
    "numShards",
    /required/,
  );
  expectField(() => placementInitFromJson({ ...ok, numShards: 0 }), "numShards");
  expectField(() => placementInitFromJson({ ...ok, numShards: "8x" }), "numShards");
  expectField(() => placementInitFromJson({ ...ok, numShards: MAX_NUM_SHARDS + 1 }), "numShards");
  expectField(() => placementInitFromJson({ ...ok, replicationFactor: -1 }), "replicationFactor");
  expectField(() => placementInitFromJson({ ...ok, instances: [] }), "instances", /non-empty/);
  expectField(() => placementInitFromJson({ ...ok, instances: ["a"] }), "instances[0]");
  expectField(() => placementInitFromJson({ ...ok, instances: [{}] }), "instances[0].id");
  expectField(
    () => placementInitFromJson({ ...ok, instances: [{ id: "a" }, { id: "a" }] }),
    "instances[1].id",
  );
  expectField(
    () => placementInitFromJson({ ...ok, instances: [{ id: "a", port: 70000 }] }),
    "instances[0].port",
    /0\.\.65535/,
  );
  expectField(
    () => placementInitFromJson({ ...ok, instances: [{ id: "a", zone: 1 }] }),
    "instances[0].zone",
    /a string/,
  );
  expectField(
    () => placementInitFromJson({ ...ok, instances: [{ id: "a", hots: "x" }] }),
    "instances[0].hots",
    /no such field/,
  );
  expectField(() => placementInitFromJson({ ...ok, numshards: 8 }), "numshards", /no such field/);
  expectField(() => placementInitFromJson({ ...ok, num_shards: 8 }), "num_shards", /twice/);
});

test("placement init on any JSON returns a result or an AdminRequestError", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.jsonValue(),
        fc.record({
          numShards: fc.jsonValue(),
          replicationFactor: fc.jsonValue(),
          instances: fc.array(
            fc.dictionary(
              fc.constantFrom("id", "port", "weight", "zone", "shards", "x"),
              fc.jsonValue(),
            ),
          ),
        }),
      ),
      (body) => {
        try {
          const init = placementInitFromJson(body);
          assert.ok(init.numShards >= 1 && init.instances.length >= 1);
        } catch (e) {
          assert.ok(e instanceof AdminRequestError, String(e));
        }
      },
    ),
    { numRuns: 1000 },
  );
});

test("ensureLocalPlacement creates the placement once; concurrent callers get the same one", async () => {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-placement-"));
  try {
    const kv = await FileKV.open(dir);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => ensureLocalPlacement(kv, { ...local, port: 9000 + i })),
    );
    for (const r of results) {
      assert.equal(r.version, 1);
      assert.deepEqual(r.placement, results[0].placement);
    }
    const stored = await kv.get(PLACEMENT_KEY);
    assert.deepEqual(stored, { value: results[0].placement, version: 1 });
    // An existing placement is returned as it is, not replaced.
    const again = await ensureLocalPlacement(kv, { ...local, numShards: 8 });
    assert.equal(again.placement.numShards, 64);
    await kv.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
