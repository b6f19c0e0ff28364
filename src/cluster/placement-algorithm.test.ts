// A new cluster placement: RF owners per shard in RF distinct isolation
// groups, loads by weight within one shard of the ideal, deterministic, every
// shard INITIALIZING; and the refusals, each naming what was wrong.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  InvalidPlacementInputError,
  initialPlacement,
  MAX_NUM_SHARDS,
  NotEnoughIsolationGroupsError,
  type Placement,
  type PlacementInstanceInput,
  shardOwners,
} from "./index.js";

function host(id: string, isolationGroup: string, weight = 1): PlacementInstanceInput {
  return {
    id,
    isolationGroup,
    zone: "embedded",
    weight,
    endpoint: `${id}:9000`,
    shardSetId: 0,
    hostname: id,
    port: 9000,
  };
}

function loads(p: Placement): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, i] of Object.entries(p.instances)) out[id] = i.shards.length;
  return out;
}

test("three hosts in three groups at RF 3: each holds every shard, all INITIALIZING", () => {
  const p = initialPlacement({
    instances: [host("c", "rack-c"), host("a", "rack-a"), host("b", "rack-b")],
    numShards: 64,
    replicaFactor: 3,
  });
  assert.equal(p.numShards, 64);
  assert.equal(p.replicaFactor, 3);
  assert.equal(p.isSharded, true);
  assert.deepEqual(Object.keys(p.instances), ["a", "b", "c"]);
  for (const i of Object.values(p.instances)) {
    assert.deepEqual(
      i.shards.map((s) => s.id),
      Array.from({ length: 64 }, (_, k) => k),
    );
    assert.ok(i.shards.every((s) => s.state === "INITIALIZING" && s.sourceId === ""));
  }
  assert.equal(p.instances.a.endpoint, "a:9000");
  assert.equal(p.instances.b.isolationGroup, "rack-b");
});

test("six hosts, two a group, RF 3 over 64 shards: 32 each, every shard in the three groups", () => {
  const p = initialPlacement({
    instances: ["a1", "a2", "b1", "b2", "c1", "c2"].map((id) => host(id, id[0])),
    numShards: 64,
    replicaFactor: 3,
  });
  assert.deepEqual(loads(p), { a1: 32, a2: 32, b1: 32, b2: 32, c1: 32, c2: 32 });
  for (const owners of shardOwners(p)) {
    assert.deepEqual(owners.map((o) => o.instanceId[0]).sort(), ["a", "b", "c"]);
  }
});

test("weights share a group's load; a heavy group is capped at one replica of each shard", () => {
  // RF 1: weights alone decide (1:3 of 64).
  assert.deepEqual(
    loads(
      initialPlacement({
        instances: [host("x", "g1", 1), host("y", "g2", 3)],
        numShards: 64,
        replicaFactor: 1,
      }),
    ),
    { x: 16, y: 48 },
  );
  // RF 2 over groups of weight 6 and 2: g1's share (96) passes 64 shards, so
  // it holds each shard once (split 1:2 by weight) and g2 holds each once too.
  assert.deepEqual(
    loads(
      initialPlacement({
        instances: [host("p", "g1", 2), host("q", "g1", 4), host("r", "g2", 2)],
        numShards: 64,
        replicaFactor: 2,
      }),
    ),
    { p: 21, q: 43, r: 64 },
  );
});

test("rounding up never takes a capped group past one replica of each shard", () => {
  // RF 2, 10 shards: g2 (weight 11 of 15) is capped at 10; its ideals 3.64,
  // 2.73, 3.64 round up only twice, and the third unit goes to g1 or g0.
  const p = initialPlacement({
    instances: [
      host("h0", "g0", 2),
      host("h1", "g1", 1),
      host("h2", "g2", 4),
      host("h3", "g0", 1),
      host("h4", "g2", 3),
      host("h5", "g2", 4),
    ],
    numShards: 10,
    replicaFactor: 2,
  });
  assert.deepEqual(loads(p), { h0: 5, h1: 3, h2: 4, h3: 2, h4: 3, h5: 3 });
  for (const owners of shardOwners(p)) {
    assert.equal(new Set(owners.map((o) => p.instances[o.instanceId].isolationGroup)).size, 2);
  }
});

test("fewer isolation groups than RF is refused, naming the hosts and their groups", () => {
  assert.throws(
    () =>
      initialPlacement({
        instances: [host("h1", "local"), host("h2", "local"), host("h3", "rack-2")],
        numShards: 64,
        replicaFactor: 3,
      }),
    (e: unknown) => {
      assert.ok(e instanceof NotEnoughIsolationGroupsError);
      assert.equal(e.code, "M3TS_ERR_PLACEMENT_ISOLATION_GROUPS");
      assert.deepEqual(e.groups, { local: ["h1", "h2"], "rack-2": ["h3"] });
      assert.match(
        e.message,
        /replication factor 3 needs instances in at least 3 isolation groups/,
      );
      assert.match(e.message, /"local": h1, h2; "rack-2": h3/);
      return true;
    },
  );
});

test("bad input is refused, naming the field", () => {
  const ok = { instances: [host("a", "g")], numShards: 8, replicaFactor: 1 };
  const cases: [Partial<typeof ok>, string, RegExp][] = [
    [{ numShards: 0 }, "numShards", /1\.\.65536/],
    [{ numShards: MAX_NUM_SHARDS + 1 }, "numShards", /got 65537/],
    [{ numShards: 1.5 }, "numShards", /integer/],
    [{ replicaFactor: 0 }, "replicationFactor", /at least 1/],
    [{ instances: [] }, "instances", /none/],
    [
      { instances: [host("a", "g"), host("a", "h")] },
      "instances[1].id",
      /"a" is given more than once/,
    ],
    [{ instances: [host("", "g")] }, "instances[0].id", /non-empty/],
    [{ instances: [host("a", "g", 0)] }, "instances[0].weight", /got 0/],
  ];
  for (const [change, field, message] of cases) {
    assert.throws(
      () => initialPlacement({ ...ok, ...change }),
      (e: unknown) => {
        assert.ok(e instanceof InvalidPlacementInputError, String(e));
        assert.equal(e.code, "M3TS_ERR_PLACEMENT_INPUT");
        assert.equal(e.field, field);
        assert.match(e.message, message);
        return true;
      },
      field,
    );
  }
});

// ---- properties ---------------------------------------------------------------------

/**
 * The ideal each instance's load is held to, computed here independently of
 * the code under test (by bisection, in floating point). A group can hold
 * each shard at most once, so group g's share is min(numShards, c × W_g) with
 * c chosen so the shares sum to numShards × RF; an instance's ideal is its
 * group's share times its weight over the group's weight. When no group
 * reaches the cap (every group's weight share × RF ≤ 1, e.g. balanced
 * groups), this is exactly numShards × RF × w / W.
 */
function idealByBisection(
  instances: readonly PlacementInstanceInput[],
  numShards: number,
  rf: number,
): Map<string, number> {
  const groupWeight = new Map<string, number>();
  for (const i of instances) {
    groupWeight.set(i.isolationGroup, (groupWeight.get(i.isolationGroup) ?? 0) + i.weight);
  }
  const total = numShards * rf;
  const shares = (c: number) =>
    [...groupWeight.values()].reduce((s, w) => s + Math.min(numShards, c * w), 0);
  let lo = 0;
  let hi = total;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (shares(mid) < total) lo = mid;
    else hi = mid;
  }
  const out = new Map<string, number>();
  for (const i of instances) {
    const wg = groupWeight.get(i.isolationGroup) as number;
    out.set(i.id, (Math.min(numShards, hi * wg) * i.weight) / wg);
  }
  return out;
}

const arbitraryRequest = fc
  .record({
    hosts: fc.array(
      fc.record({ group: fc.integer({ min: 0, max: 5 }), weight: fc.integer({ min: 1, max: 4 }) }),
      {
        minLength: 1,
        maxLength: 12,
      },
    ),
    numShards: fc.integer({ min: 1, max: 256 }),
    replicaFactor: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ hosts, numShards, replicaFactor }) => ({
    instances: hosts.map((h, k) => host(`host-${k}`, `group-${h.group}`, h.weight)),
    numShards,
    replicaFactor,
  }));

test("property: every shard has RF owners in RF distinct groups; loads within one shard of the ideal", () => {
  fc.assert(
    fc.property(arbitraryRequest, (req) => {
      const groups = new Set(req.instances.map((i) => i.isolationGroup));
      if (groups.size < req.replicaFactor) {
        assert.throws(() => initialPlacement(req), NotEnoughIsolationGroupsError);
        return;
      }
      const p = initialPlacement(req);
      const owners = shardOwners(p);
      assert.equal(owners.length, req.numShards);
      for (const shard of owners) {
        assert.equal(shard.length, req.replicaFactor);
        const ownerGroups = new Set(shard.map((o) => p.instances[o.instanceId].isolationGroup));
        assert.equal(ownerGroups.size, req.replicaFactor);
        assert.ok(shard.every((o) => o.state === "INITIALIZING"));
      }
      const ideal = idealByBisection(req.instances, req.numShards, req.replicaFactor);
      const totalWeight = req.instances.reduce((s, i) => s + i.weight, 0);
      const uncapped = [...groups].every(
        (g) =>
          req.instances.filter((i) => i.isolationGroup === g).reduce((s, i) => s + i.weight, 0) *
            req.replicaFactor <=
          totalWeight,
      );
      for (const i of req.instances) {
        const load = p.instances[i.id].shards.length;
        const want = ideal.get(i.id) as number;
        assert.ok(Math.abs(load - want) < 1 + 1e-9, `${i.id}: load ${load}, ideal ${want}`);
        if (uncapped) {
          // Exactly: |load - N·RF·w/W| < 1.
          const R = req.numShards * req.replicaFactor;
          assert.ok(Math.abs(load * totalWeight - R * i.weight) < totalWeight, `${i.id} uncapped`);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test("property: the same instances in any order give the same placement", () => {
  fc.assert(
    fc.property(
      arbitraryRequest.filter(
        (r) => new Set(r.instances.map((i) => i.isolationGroup)).size >= r.replicaFactor,
      ),
      fc.integer(),
      (req, seed) => {
        const shuffled = [...req.instances];
        let s = seed >>> 0;
        for (let k = shuffled.length - 1; k > 0; k--) {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          const j = s % (k + 1);
          [shuffled[k], shuffled[j]] = [shuffled[j], shuffled[k]];
        }
        const a = initialPlacement(req);
        assert.deepEqual(initialPlacement(req), a);
        assert.deepEqual(
          JSON.stringify(initialPlacement({ ...req, instances: shuffled })),
          JSON.stringify(a),
        );
      },
    ),
    { numRuns: 200 },
  );
});
