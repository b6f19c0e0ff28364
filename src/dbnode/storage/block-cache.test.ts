import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  BlockCache,
  type BlockCacheOptions,
  CACHE_POLICIES,
  InvalidCacheOptionError,
  resolveCacheOptions,
} from "./block-cache.js";

function bytes(n: number, fill = 1): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

test("resolveCacheOptions defaults to lru, 65536 blocks and a 5 minute expiry", () => {
  assert.deepEqual(resolveCacheOptions(), {
    policy: "lru",
    maxBlocks: 65_536,
    recentlyReadExpiryMs: 300_000,
  });
  assert.deepEqual(resolveCacheOptions({ policy: "all", maxBlocks: 3 }), {
    policy: "all",
    maxBlocks: 3,
    recentlyReadExpiryMs: 300_000,
  });
  assert.deepEqual(CACHE_POLICIES, ["none", "all", "recently_read", "lru"]);
});

test("resolveCacheOptions rejects each invalid option, naming it", () => {
  const bad: [BlockCacheOptions, string, unknown][] = [
    [{ policy: "wired" as never }, "policy", "wired"],
    [{ maxBlocks: 0 }, "maxBlocks", 0],
    [{ maxBlocks: -5 }, "maxBlocks", -5],
    [{ maxBlocks: 1.5 }, "maxBlocks", 1.5],
    [{ maxBlocks: Number.NaN }, "maxBlocks", Number.NaN],
    [{ maxBlocks: 2 ** 53 }, "maxBlocks", 2 ** 53],
    [{ recentlyReadExpiryMs: 0 }, "recentlyReadExpiryMs", 0],
    [{ recentlyReadExpiryMs: Number.POSITIVE_INFINITY }, "recentlyReadExpiryMs", Infinity],
  ];
  for (const [input, option, value] of bad) {
    assert.throws(
      () => resolveCacheOptions(input),
      (err: unknown) => {
        assert.ok(err instanceof InvalidCacheOptionError);
        assert.equal(err.code, "M3TS_ERR_INVALID_CACHE_OPTION");
        assert.equal(err.option, option);
        assert.equal(err.value, value);
        assert.match(err.message, new RegExp(option));
        return true;
      },
      `${option} = ${String(value)}`,
    );
  }
  assert.throws(() => new BlockCache({ maxBlocks: -1 }), InvalidCacheOptionError);
  assert.match(
    new InvalidCacheOptionError("policy", "wired", "must be one of none, all").message,
    /policy = "wired".*must be one of none, all/,
  );
});

test("none never stores and counts every get as a miss", () => {
  const cache = new BlockCache({ policy: "none" });
  assert.equal(cache.cachesReads, false);
  assert.equal(cache.cachesEverything, false);
  cache.put("v1", "a", bytes(4), 0);
  assert.equal(cache.get("v1", "a", 1), undefined);
  assert.equal(cache.size, 0);
  assert.equal(cache.bytes, 0);
  assert.equal(cache.misses, 1);
  assert.equal(cache.hits, 0);
});

test("all keeps every block past any count and never expires", () => {
  const cache = new BlockCache({ policy: "all", maxBlocks: 2, recentlyReadExpiryMs: 10 });
  assert.equal(cache.cachesEverything, true);
  assert.equal(cache.cachesReads, false);
  for (let i = 0; i < 100; i++) cache.put("v1", `s${i}`, bytes(3), i);
  assert.equal(cache.size, 100);
  assert.equal(cache.bytes, 300);
  assert.equal(cache.expire(1_000_000), 0);
  assert.equal(cache.evictions, 0);
  assert.deepEqual(cache.get("v1", "s0", 2_000_000), bytes(3));
});

test("lru evicts exactly the least recently used, a get refreshing an entry", () => {
  const cache = new BlockCache({ policy: "lru", maxBlocks: 3 });
  assert.equal(cache.cachesReads, true);
  assert.equal(cache.cachesEverything, false);
  cache.put("v1", "a", bytes(1), 0);
  cache.put("v1", "b", bytes(2), 1);
  cache.put("v1", "c", bytes(3), 2);
  assert.ok(cache.get("v1", "a", 3)); // a is now the most recent; b the least
  cache.put("v1", "d", bytes(4), 4);
  assert.equal(cache.size, 3);
  assert.equal(cache.evictions, 1);
  assert.equal(cache.get("v1", "b", 5), undefined);
  assert.equal(cache.bytes, 1 + 3 + 4);
  cache.put("v2", "e", bytes(5), 6); // c is now the least recently used
  assert.equal(cache.evictions, 2);
  assert.equal(cache.get("v1", "c", 7), undefined);
  for (const id of ["a", "d"]) assert.ok(cache.get("v1", id, 8), id);
  assert.ok(cache.get("v2", "e", 9));
  assert.equal(cache.size, 3);
  assert.equal(cache.bytes, 1 + 4 + 5);
  assert.equal(cache.expire(1e12), 0);
});

test("recently_read drops only entries not read within the expiry, a read refreshing", () => {
  const cache = new BlockCache({ policy: "recently_read", recentlyReadExpiryMs: 100 });
  assert.equal(cache.cachesReads, true);
  cache.put("v1", "a", bytes(1), 0);
  cache.put("v1", "b", bytes(2), 10);
  cache.put("v1", "c", bytes(4), 20);
  assert.ok(cache.get("v1", "a", 50)); // a last read at 50, b put at 10, c at 20
  assert.equal(cache.expire(109), 0); // b is 99 ms old: kept
  assert.equal(cache.expire(110), 1); // b is 100 ms old: dropped
  assert.equal(cache.get("v1", "b", 110), undefined);
  assert.equal(cache.expire(149), 1); // c (put at 20) goes, a (read at 50) stays
  assert.equal(cache.size, 1);
  assert.equal(cache.bytes, 1);
  assert.ok(cache.get("v1", "a", 149));
  assert.equal(cache.expire(248), 0);
  assert.equal(cache.expire(249), 1);
  assert.equal(cache.size, 0);
  assert.equal(cache.bytes, 0);
});

test("recently_read keeps an entry read with a clock that stepped back", () => {
  const cache = new BlockCache({ policy: "recently_read", recentlyReadExpiryMs: 100 });
  cache.put("v1", "a", bytes(1), 0);
  cache.put("v1", "b", bytes(1), 200);
  assert.ok(cache.get("v1", "a", 150)); // earlier than b's put: treated as read at 200
  assert.equal(cache.expire(299), 0);
  assert.equal(cache.expire(300), 2);
});

test("dropVolume drops only that volume's entries and fixes size and bytes", () => {
  for (const policy of ["all", "recently_read", "lru"] as const) {
    const cache = new BlockCache({ policy });
    cache.put("v1", "a", bytes(1), 0);
    cache.put("v2", "a", bytes(2), 0);
    cache.put("v1", "b", bytes(4), 0);
    cache.put("v3", "c", bytes(8), 0);
    assert.equal(cache.dropVolume("v1"), 2, policy);
    assert.equal(cache.dropVolume("v1"), 0, policy);
    assert.equal(cache.dropVolume("nope"), 0, policy);
    assert.equal(cache.size, 2, policy);
    assert.equal(cache.bytes, 10, policy);
    assert.equal(cache.get("v1", "a", 1), undefined, policy);
    assert.deepEqual(cache.get("v2", "a", 1), bytes(2), policy);
    assert.deepEqual(cache.get("v3", "c", 1), bytes(8), policy);
  }
});

test("put replacing an entry keeps size and bytes right", () => {
  const cache = new BlockCache({ policy: "lru", maxBlocks: 2 });
  cache.put("v1", "a", bytes(10, 1), 0);
  cache.put("v1", "b", bytes(1), 1);
  cache.put("v1", "a", bytes(3, 7), 2);
  assert.equal(cache.size, 2);
  assert.equal(cache.bytes, 4);
  assert.equal(cache.evictions, 0);
  assert.deepEqual(cache.get("v1", "a", 3), bytes(3, 7));
  // The replacement made a the most recent, so a third block evicts b.
  cache.put("v1", "c", bytes(1), 4);
  assert.equal(cache.get("v1", "b", 5), undefined);
  assert.equal(cache.dropVolume("v1"), 2);
  assert.equal(cache.bytes, 0);
});

test("get counts hits and misses", () => {
  const cache = new BlockCache();
  cache.put("v1", "a", bytes(1), 0);
  cache.get("v1", "a", 1);
  cache.get("v1", "a", 2);
  cache.get("v1", "b", 3);
  cache.get("v2", "a", 4);
  cache.get("v2", "a", 5);
  assert.equal(cache.hits, 2);
  assert.equal(cache.misses, 3);
});

type Op =
  | { kind: "put"; volume: string; series: string; length: number }
  | { kind: "get"; volume: string; series: string }
  | { kind: "drop"; volume: string };

test("property: lru stays within maxBlocks, counts bytes and matches a reference model", () => {
  const volume = fc.constantFrom("v1", "v2", "v3");
  const series = fc.constantFrom("a", "b", "c", "d", "e");
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant("put" as const),
      volume,
      series,
      length: fc.integer({ min: 0, max: 16 }),
    }),
    fc.record({ kind: fc.constant("get" as const), volume, series }),
    fc.record({ kind: fc.constant("drop" as const), volume }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 200 }), (max, ops) => {
      const cache = new BlockCache({ policy: "lru", maxBlocks: max });
      // Reference: an array of [volume, series, stream], least recently used first.
      let model: [string, string, Uint8Array][] = [];
      let evictions = 0;
      let now = 0;
      for (const o of ops) {
        now++;
        const at = model.findIndex(
          ([v, s]) => v === o.volume && (o.kind === "drop" || s === o.series),
        );
        if (o.kind === "put") {
          const stream = bytes(o.length, now & 0xff);
          cache.put(o.volume, o.series, stream, now);
          if (at >= 0) model.splice(at, 1);
          model.push([o.volume, o.series, stream]);
          if (model.length > max) {
            model.shift();
            evictions++;
          }
        } else if (o.kind === "get") {
          const got = cache.get(o.volume, o.series, now);
          if (at >= 0) {
            const [entry] = model.splice(at, 1);
            model.push(entry);
            assert.equal(got, entry[2]);
          } else {
            assert.equal(got, undefined);
          }
        } else {
          const before = model.length;
          model = model.filter(([v]) => v !== o.volume);
          assert.equal(cache.dropVolume(o.volume), before - model.length);
        }
        assert.ok(cache.size <= max);
        assert.equal(cache.size, model.length);
        assert.equal(
          cache.bytes,
          model.reduce((sum, [, , s]) => sum + s.byteLength, 0),
        );
        assert.equal(cache.evictions, evictions);
      }
    }),
  );
});
