// A node marking its shards AVAILABLE by check-and-set: concurrent markers
// keep each other's changes, only this instance's INITIALIZING shards flip,
// contention is bounded; and the routing views of a placement.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  FileKV,
  InvalidPlacementError,
  initialPlacement,
  instanceShards,
  type KV,
  KVVersionMismatchError,
  markShardsAvailable,
  PLACEMENT_KEY,
  type Placement,
  PlacementContendedError,
  PlacementInstanceMissingError,
  shardOwners,
} from "./index.js";

function threeNodes(numShards = 8): Placement {
  return initialPlacement({
    instances: ["a", "b", "c"].map((id) => ({
      id,
      isolationGroup: `rack-${id}`,
      zone: "embedded",
      weight: 1,
      endpoint: `${id}:9000`,
      shardSetId: 0,
      hostname: id,
      port: 9000,
    })),
    numShards,
    replicaFactor: 3,
  });
}

function states(p: Placement, id: string): string[] {
  return instanceShards(p, id).map((s) => s.state);
}

async function withKV(fn: (kv: FileKV) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-mark-"));
  const kv = await FileKV.open(dir);
  try {
    await fn(kv);
  } finally {
    await kv.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The KV with its checkAndSet calls counted. */
function counting(kv: KV): { kv: KV; cas: () => number } {
  let calls = 0;
  const wrapped: KV = {
    get: (k) => kv.get(k),
    set: (k, v) => kv.set(k, v),
    checkAndSet: (k, version, v) => {
      calls++;
      return kv.checkAndSet(k, version, v);
    },
    setIfNotExists: (k, v) => kv.setIfNotExists(k, v),
    delete: (k) => kv.delete(k),
    watch: (k, f) => kv.watch(k, f),
    close: () => kv.close(),
  };
  return { kv: wrapped, cas: () => calls };
}

test("two nodes marking at once on the file KV both succeed and neither loses the other's change", () =>
  withKV(async (file) => {
    const v1 = await file.setIfNotExists(PLACEMENT_KEY, threeNodes());
    const { kv, cas } = counting(file);
    const [a, b] = await Promise.all([
      markShardsAvailable(kv, PLACEMENT_KEY, "a"),
      markShardsAvailable(kv, PLACEMENT_KEY, "b"),
    ]);
    assert.deepEqual(a.marked, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(b.marked, [0, 1, 2, 3, 4, 5, 6, 7]);
    // Both read version 1; one check-and-set lost and was retried on a fresh read.
    assert.equal(cas(), 3);
    assert.deepEqual([a.version, b.version].sort(), [v1 + 1, v1 + 2]);
    const got = await file.get(PLACEMENT_KEY);
    assert.equal(got?.version, v1 + 2);
    const p = got?.value as Placement;
    assert.ok(states(p, "a").every((s) => s === "AVAILABLE"));
    assert.ok(states(p, "b").every((s) => s === "AVAILABLE"));
    assert.ok(states(p, "c").every((s) => s === "INITIALIZING"));
  }));

test("only the given shards of this instance flip; other states and instances are left as they are", () =>
  withKV(async (kv) => {
    const p = threeNodes(4);
    p.instances.a.shards[3].state = "LEAVING";
    const v1 = await kv.setIfNotExists(PLACEMENT_KEY, p);
    const r = await markShardsAvailable(kv, PLACEMENT_KEY, "a", [1, 3, 9]);
    assert.deepEqual(r.marked, [1]);
    assert.equal(r.version, v1 + 1);
    const after = (await kv.get(PLACEMENT_KEY))?.value as Placement;
    assert.deepEqual(states(after, "a"), ["INITIALIZING", "AVAILABLE", "INITIALIZING", "LEAVING"]);
    assert.deepEqual(states(after, "b"), [
      "INITIALIZING",
      "INITIALIZING",
      "INITIALIZING",
      "INITIALIZING",
    ]);
    // Nothing left to flip among those: nothing is written.
    const again = await markShardsAvailable(kv, PLACEMENT_KEY, "a", [1, 3]);
    assert.deepEqual(again.marked, []);
    assert.equal(again.version, v1 + 1);
    assert.equal((await kv.get(PLACEMENT_KEY))?.version, v1 + 1);
  }));

test("a placement without this instance, or none at all, is a typed error naming the instance", () =>
  withKV(async (kv) => {
    await assert.rejects(markShardsAvailable(kv, PLACEMENT_KEY, "a"), (e: unknown) => {
      assert.ok(e instanceof PlacementInstanceMissingError);
      assert.match(e.message, /"a".*there is no placement/);
      return true;
    });
    await kv.set("not-a-placement", 7);
    await assert.rejects(markShardsAvailable(kv, "not-a-placement", "a"), /holds no placement/);
    await kv.setIfNotExists(PLACEMENT_KEY, threeNodes());
    await assert.rejects(markShardsAvailable(kv, PLACEMENT_KEY, "d"), (e: unknown) => {
      assert.ok(e instanceof PlacementInstanceMissingError);
      assert.equal(e.code, "M3TS_ERR_PLACEMENT_INSTANCE_MISSING");
      assert.match(e.message, /no such instance \(it has a, b, c\)/);
      return true;
    });
  }));

test("a placement changing under every attempt gives up after maxAttempts with a typed error", async () => {
  let reads = 0;
  const placement = threeNodes();
  const racing: KV = {
    get: async () => ({ value: structuredClone(placement), version: ++reads }),
    set: async () => 0,
    checkAndSet: async (k, expected) => {
      throw new KVVersionMismatchError(k, expected, expected + 1);
    },
    setIfNotExists: async () => 0,
    delete: async () => null,
    watch: () => () => {},
    close: async () => {},
  };
  await assert.rejects(
    markShardsAvailable(racing, PLACEMENT_KEY, "a", undefined, { maxAttempts: 5 }),
    (e: unknown) => {
      assert.ok(e instanceof PlacementContendedError);
      assert.equal(e.attempts, 5);
      assert.match(e.message, /changed under each of 5 check-and-set attempts/);
      return true;
    },
  );
  assert.equal(reads, 5);
});

test("shardOwners lists each shard's replicas with endpoint and state; instanceShards an instance's", () => {
  const p = threeNodes(2);
  p.instances.b.shards[1].state = "AVAILABLE";
  assert.deepEqual(shardOwners(p), [
    [
      { instanceId: "a", endpoint: "a:9000", state: "INITIALIZING" },
      { instanceId: "b", endpoint: "b:9000", state: "INITIALIZING" },
      { instanceId: "c", endpoint: "c:9000", state: "INITIALIZING" },
    ],
    [
      { instanceId: "a", endpoint: "a:9000", state: "INITIALIZING" },
      { instanceId: "b", endpoint: "b:9000", state: "AVAILABLE" },
      { instanceId: "c", endpoint: "c:9000", state: "INITIALIZING" },
    ],
  ]);
  assert.deepEqual(
    instanceShards(p, "b").map((s) => [s.id, s.state]),
    [
      [0, "INITIALIZING"],
      [1, "AVAILABLE"],
    ],
  );
  assert.deepEqual(instanceShards(p, "nope"), []);
  const twice = structuredClone(p);
  twice.instances.b.shards.push({ ...twice.instances.b.shards[0] });
  assert.throws(() => shardOwners(twice), InvalidPlacementError);
  assert.throws(() => shardOwners(twice), /"b" holds shard 0 twice/);
  p.instances.c.shards.push({ ...p.instances.c.shards[0], id: 2 });
  assert.throws(() => shardOwners(p), /"c" holds shard 2, outside 0\.\.1/);
});
