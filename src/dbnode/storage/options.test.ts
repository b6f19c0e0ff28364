import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Registry } from "prom-client";
import { DEFAULT_MAX_TAGS, M3tsError, MAX_TAGS_ENCODABLE, nodeFileSystem } from "../../x/index.js";
import { InvalidCacheOptionError } from "./block-cache.js";
import { Database, DatabaseOptionError } from "./index.js";
import { OPTION_RANGES, resolveDatabaseOptions } from "./options.js";
import { tempDir } from "./testing.js";

test("options not given take their defaults", () => {
  const o = resolveDatabaseOptions({ dataDir: null });
  assert.equal(o.dataDir, null);
  assert.equal(o.fs, nodeFileSystem);
  assert.equal(o.numShards, 64);
  assert.equal(o.shardSeed, 0);
  assert.equal(o.maxIdBytes, 16 * 1024);
  assert.equal(o.maxTags, DEFAULT_MAX_TAGS);
  assert.equal(o.tickSeriesBatchSize, 512);
  assert.equal(o.tickIntervalMs, 10_000);
  assert.equal(o.snapshotIntervalMs, 60_000);
  assert.equal(o.maxOpenFiles, 512);
  assert.deepEqual(o.commitLog, { strategy: "wait" });
  assert.deepEqual(o.cache, { policy: "lru", maxBlocks: 65_536, recentlyReadExpiryMs: 300_000 });
  assert.ok(o.metrics instanceof Registry);
});

test("options given are kept, the bounds of each range included", () => {
  for (const [option, range] of Object.entries(OPTION_RANGES)) {
    for (const value of [range.min, range.max]) {
      const o = resolveDatabaseOptions({ dataDir: null, [option]: value });
      assert.equal(o[option as keyof typeof OPTION_RANGES], value, option);
    }
  }
  assert.equal(OPTION_RANGES.maxTags.max, MAX_TAGS_ENCODABLE);
  assert.equal(OPTION_RANGES.tickIntervalMs.min, 0, "0 runs no background tick");
  assert.equal(OPTION_RANGES.snapshotIntervalMs.min, 0, "0 snapshots on every flush run");
});

test("each option out of range is refused with its name, value and range", () => {
  const cases: [keyof typeof OPTION_RANGES, unknown][] = [
    ["numShards", 0],
    ["numShards", 1.5],
    ["numShards", 2 ** 32],
    ["shardSeed", -1],
    ["shardSeed", 2 ** 32],
    ["maxIdBytes", 0],
    ["maxIdBytes", Number.POSITIVE_INFINITY],
    ["maxIdBytes", 1024 * 1024 + 1],
    ["maxTags", 0],
    ["maxTags", MAX_TAGS_ENCODABLE + 1],
    ["tickSeriesBatchSize", 0],
    ["tickSeriesBatchSize", -512],
    ["tickIntervalMs", -1],
    ["tickIntervalMs", 2 ** 31],
    ["tickIntervalMs", Number.NaN],
    ["snapshotIntervalMs", -1],
    ["snapshotIntervalMs", 0.5],
    ["maxOpenFiles", 0],
    ["maxOpenFiles", "128"],
  ];
  for (const [option, value] of cases) {
    const { min, max } = OPTION_RANGES[option];
    assert.throws(
      () => resolveDatabaseOptions({ dataDir: null, [option]: value }),
      (e: unknown) => {
        assert.ok(e instanceof DatabaseOptionError, `${option} = ${String(value)}`);
        assert.ok(e instanceof M3tsError);
        assert.equal(e.code, "M3TS_ERR_DATABASE_OPTION");
        assert.equal(e.option, option);
        assert.equal(Object.is(e.value, value), true, `${option} = ${String(value)}`);
        assert.equal(e.min, min);
        assert.equal(e.max, max);
        assert.ok(e.message.includes(option), e.message);
        assert.ok(e.message.includes(`${min}..${max}`), e.message);
        return true;
      },
    );
  }
});

test("the message names the option, the value as given and the range", () => {
  const e = new DatabaseOptionError("maxOpenFiles", "128", 1, 10);
  assert.equal(
    e.message,
    'database option maxOpenFiles = "128" is invalid: it must be an integer in 1..10',
  );
});

test("Database.open rejects a bad option before it touches the data directory", async () => {
  const dataDir = join(await tempDir(), "data");
  await assert.rejects(
    Database.open({ dataDir, tickIntervalMs: -1 }),
    (e: unknown) => e instanceof DatabaseOptionError && e.option === "tickIntervalMs",
  );
  await assert.rejects(
    Database.open({ dataDir, numShards: 0 }),
    (e: unknown) => e instanceof DatabaseOptionError && e.option === "numShards",
  );
  await assert.rejects(
    Database.open({ dataDir: null, cache: { maxBlocks: 0 } }),
    InvalidCacheOptionError,
  );
  assert.equal(existsSync(dataDir), false);
});
