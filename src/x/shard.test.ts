// The shard of a series ID.
import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidShardingError, murmur3_32, seriesIdOf, shardOf } from "./index.js";

const utf8 = new TextEncoder();

test("shardOf is murmur3_32 of the ID bytes modulo the shard count", () => {
  const hello = utf8.encode("hello"); // murmur3 0x248bfa47 = 613153351
  assert.equal(shardOf(hello, 1), 0);
  assert.equal(shardOf(hello, 64), 613153351 % 64);
  assert.equal(shardOf(hello, 4096), 613153351 % 4096);
  assert.equal(shardOf(hello, 0xffffffff), 613153351);
  const id = seriesIdOf([["__name__", "up"]]);
  assert.equal(shardOf(id, 64, 7), murmur3_32(id, 7) % 64);
  assert.equal(shardOf(id, 64), shardOf(id, 64, 0));
});

test("shardOf spreads series IDs evenly over the shards", () => {
  const counts = new Array(64).fill(0);
  for (let i = 0; i < 6400; i++) {
    counts[
      shardOf(
        seriesIdOf([
          ["__name__", "m"],
          ["instance", `host-${i}:9100`],
        ]),
        64,
      )
    ]++;
  }
  for (const c of counts) assert.ok(c > 50 && c < 150, `shard count ${c} of an expected 100`);
});

test("shardOf rejects a shard count or seed it cannot use", () => {
  const id = utf8.encode("x");
  for (const n of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32]) {
    assert.throws(
      () => shardOf(id, n),
      (e: unknown) =>
        e instanceof InvalidShardingError &&
        e.code === "M3TS_ERR_INVALID_SHARDING" &&
        e.field === "numShards" &&
        e.message.startsWith(`numShards ${n} is invalid`),
      `numShards ${n}`,
    );
  }
  for (const seed of [-1, 0.5, 2 ** 32]) {
    assert.throws(
      () => shardOf(id, 8, seed),
      (e: unknown) => e instanceof InvalidShardingError && e.field === "seed",
    );
  }
});
