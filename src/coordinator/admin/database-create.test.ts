// M3's database/create: defaults, the block-size rules at their boundaries,
// and refusals that name their field.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { expectField, onlyAdminErrors } from "../../cluster/testing.js";
import {
  databaseCreateFromJson,
  powerOfTwoAtLeast,
  recommendedBlockSizeMs,
} from "./database-create.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

// ---- database/create ----------------------------------------------------------------

function createdBlockMs(body: Record<string, unknown>): number {
  const r = databaseCreateFromJson({ namespaceName: "default", ...body });
  assert.equal(r.options.index?.blockSizeMs, r.options.blockSizeMs);
  return r.options.blockSizeMs as number;
}

test("database/create defaults: local, 24h retention, 1h blocks, index on at the block size, repair off, cold writes on", () => {
  assert.deepEqual(databaseCreateFromJson({ type: "local", namespaceName: "default" }), {
    type: "local",
    namespaceName: "default",
    options: {
      retentionPeriodMs: DAY,
      blockSizeMs: HOUR,
      repairEnabled: false,
      coldWritesEnabled: true,
      index: { enabled: true, blockSizeMs: HOUR },
    },
  });
  // No type means local here; snake_case names are jsonpb too.
  assert.deepEqual(
    databaseCreateFromJson({ namespace_name: "m", retention_time: "48h", num_shards: 16 }),
    {
      type: "local",
      namespaceName: "m",
      numShards: 16,
      options: {
        retentionPeriodMs: 48 * HOUR,
        blockSizeMs: 2 * HOUR,
        repairEnabled: false,
        coldWritesEnabled: true,
        index: { enabled: true, blockSizeMs: 2 * HOUR },
      },
    },
  );
});

test("database/create block size by retention, at each boundary of M3's table", () => {
  const cases: [string, number][] = [
    ["1h", 30 * MIN],
    ["12h", 30 * MIN],
    ["12h0m0.001s", HOUR],
    ["24h", HOUR],
    ["24h0m0.001s", 2 * HOUR],
    ["168h", 2 * HOUR],
    ["168h0m0.001s", 12 * HOUR],
    ["720h", 12 * HOUR],
    ["720h0m0.001s", DAY],
    ["8760h", DAY],
    ["87600h", DAY],
  ];
  for (const [retentionTime, blockMs] of cases) {
    assert.equal(createdBlockMs({ retentionTime }), blockMs, retentionTime);
  }
  assert.equal(recommendedBlockSizeMs(12 * HOUR), 30 * MIN);
  assert.equal(recommendedBlockSizeMs(12 * HOUR + 1), HOUR);
});

test("database/create block size from expected datapoints per hour: 720 a block, 5-minute floor, within [30m, 24h]", () => {
  const cases: [number | string, number][] = [
    [720, HOUR], // 720 points at 720/h: exactly 1h
    [360, 2 * HOUR],
    [600, 70 * MIN], // 72m → 70m
    [1000, 40 * MIN], // 43.2m → 40m
    [100, 430 * MIN], // 7h12m → 7h10m
    [1440, 30 * MIN],
    [1441, 30 * MIN], // 29.98m, raised to the 30m floor
    [100_000, 30 * MIN],
    [30, DAY], // exactly 24h
    [29, DAY], // 24.8h, capped at 24h
    [1, DAY],
    ["720", HOUR], // int64 as a jsonpb string
  ];
  for (const [perHour, blockMs] of cases) {
    assert.equal(
      createdBlockMs({
        retentionTime: "2160h",
        blockSize: { expectedSeriesDatapointsPerHour: perHour },
      }),
      blockMs,
      String(perHour),
    );
  }
  // 0 is proto3's "not set": the retention table decides.
  assert.equal(
    createdBlockMs({ retentionTime: "48h", blockSize: { expectedSeriesDatapointsPerHour: 0 } }),
    2 * HOUR,
  );
});

test("database/create: an explicit block size wins over datapoints per hour and the table", () => {
  assert.equal(
    createdBlockMs({
      retentionTime: "48h",
      blockSize: { time: "3h", expectedSeriesDatapointsPerHour: 720 },
    }),
    3 * HOUR,
  );
});

test("database/create on a single node refuses clusters, hosts and aggregated namespaces, naming the field", () => {
  expectField(
    () => databaseCreateFromJson({ type: "cluster", namespaceName: "a" }),
    "type",
    /this node runs alone \(m3ts start\)/,
  );
  expectField(
    () =>
      databaseCreateFromJson({
        namespaceName: "a",
        hosts: [{ id: "h1", address: "h1", port: 9000 }],
      }),
    "hosts",
    /this node runs alone/,
  );
  expectField(
    () =>
      databaseCreateFromJson({
        namespaceName: "a",
        aggregatedNamespace: { name: "agg", resolution: "1m", retentionTime: "720h" },
      }),
    "aggregatedNamespace",
    /aggregated namespaces are not supported yet/,
  );
  // An empty hosts list is no cluster.
  assert.equal(databaseCreateFromJson({ namespaceName: "a", hosts: [] }).type, "local");
});

test("database/create errors name the field", () => {
  expectField(() => databaseCreateFromJson({}), "namespaceName", /required/);
  expectField(() => databaseCreateFromJson(null), "body");
  expectField(() => databaseCreateFromJson({ namespaceName: "a", type: "remote" }), "type");
  expectField(
    () => databaseCreateFromJson({ namespaceName: "a", retentionTime: "2d" }),
    "retentionTime",
    /"2d"/,
  );
  expectField(
    () => databaseCreateFromJson({ namespaceName: "a", retentionTime: "-1h" }),
    "retentionTime",
    /positive/,
  );
  expectField(
    () => databaseCreateFromJson({ namespaceName: "a", retentionTime: 86400 }),
    "retentionTime",
  );
  expectField(
    () => databaseCreateFromJson({ namespaceName: "a", blockSize: { time: "soon" } }),
    "blockSize.time",
  );
  expectField(
    () =>
      databaseCreateFromJson({
        namespaceName: "a",
        blockSize: { expectedSeriesDatapointsPerHour: -5 },
      }),
    "blockSize.expectedSeriesDatapointsPerHour",
  );
  expectField(
    () => databaseCreateFromJson({ namespaceName: "a", blockSize: { size: "2h" } }),
    "blockSize.size",
  );
  expectField(() => databaseCreateFromJson({ namespaceName: "a", numShards: -1 }), "numShards");
  expectField(
    () => databaseCreateFromJson({ namespaceName: "a", replicationFactor: 3 }),
    "replicationFactor",
    /one replica/,
  );
  expectField(
    () => databaseCreateFromJson({ namespaceName: "a", retention: "48h" }),
    "retention",
    /no such field/,
  );
});

test("database/create on any input returns a request or an AdminRequestError", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.jsonValue(),
        fc.record(
          {
            namespaceName: fc.oneof(fc.string(), fc.jsonValue()),
            type: fc.oneof(fc.constantFrom("local", "cluster", ""), fc.jsonValue()),
            retentionTime: fc.oneof(
              fc.constantFrom("48h", "1ms", "0", "-2h", "1.5h"),
              fc.jsonValue(),
            ),
            blockSize: fc.oneof(
              fc.jsonValue(),
              fc.record(
                {
                  time: fc.jsonValue(),
                  expectedSeriesDatapointsPerHour: fc.oneof(fc.integer(), fc.jsonValue()),
                },
                { requiredKeys: [] },
              ),
            ),
            numShards: fc.jsonValue(),
            hosts: fc.oneof(
              fc.jsonValue(),
              fc.array(
                fc.record(
                  {
                    id: fc.oneof(fc.string(), fc.jsonValue()),
                    address: fc.oneof(fc.constantFrom("10.0.0.1", ""), fc.jsonValue()),
                    port: fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.jsonValue()),
                    isolationGroup: fc.oneof(fc.string(), fc.jsonValue()),
                    weight: fc.oneof(fc.integer(), fc.jsonValue()),
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 4 },
              ),
            ),
          },
          { requiredKeys: [] },
        ),
      ),
      (body) => {
        onlyAdminErrors(() => {
          const r = databaseCreateFromJson(body);
          assert.equal(r.type, "local");
          assert.ok((r.options.blockSizeMs as number) > 0);
        });
        onlyAdminErrors(() => {
          const r = databaseCreateFromJson(body, "cluster");
          assert.equal(r.type, "cluster");
        });
      },
    ),
    { numRuns: 2000 },
  );
});

// ---- database/create type cluster ---------------------------------------------------

test("cluster database/create: M3's defaults, RF 3, shards the power of two ≥ 64 × hosts, host fields in jsonpb names", () => {
  const r = databaseCreateFromJson(
    {
      type: "cluster",
      namespace_name: "metrics",
      hosts: [
        { id: " h1 ", address: "10.0.0.1", port: 9000, isolation_group: "rack-a", zone: "z1" },
        { id: "h2", address: "10.0.0.2", port: "9001", isolationGroup: "rack-b", weight: 2 },
        { id: "h3", address: "10.0.0.3", port: 9002 },
      ],
    },
    "cluster",
  );
  assert.equal(r.type, "cluster");
  if (r.type !== "cluster") return;
  assert.equal(r.namespaceName, "metrics");
  assert.equal(r.replicationFactor, 3);
  assert.equal(r.numShards, 256); // 3 × 64 = 192 → 256
  assert.equal(r.options.blockSizeMs, HOUR);
  assert.deepEqual(r.instances, [
    {
      id: "h1",
      isolationGroup: "rack-a",
      zone: "z1",
      weight: 1,
      endpoint: "10.0.0.1:9000",
      shardSetId: 0,
      hostname: "10.0.0.1",
      port: 9000,
    },
    {
      id: "h2",
      isolationGroup: "rack-b",
      zone: "embedded",
      weight: 2,
      endpoint: "10.0.0.2:9001",
      shardSetId: 0,
      hostname: "10.0.0.2",
      port: 9001,
    },
    {
      id: "h3",
      isolationGroup: "local",
      zone: "embedded",
      weight: 1,
      endpoint: "10.0.0.3:9002",
      shardSetId: 0,
      hostname: "10.0.0.3",
      port: 9002,
    },
  ]);
  const given = databaseCreateFromJson(
    {
      type: "cluster",
      namespaceName: "m",
      numShards: 32,
      replicationFactor: 1,
      hosts: [{ id: "h", address: "a", port: 1 }],
    },
    "cluster",
  );
  assert.deepEqual(given.type === "cluster" && [given.numShards, given.replicationFactor], [32, 1]);
  // No hosts: only the namespace (the placement must exist already).
  const bare = databaseCreateFromJson({ type: "cluster", namespaceName: "m" }, "cluster");
  assert.deepEqual(bare.type === "cluster" && [bare.instances, bare.numShards], [[], undefined]);
  assert.deepEqual(
    [1, 2, 3, 64, 65, 192, 1024].map(powerOfTwoAtLeast),
    [1, 2, 4, 64, 128, 256, 1024],
  );
});

test("cluster database/create refuses local databases and bad hosts, naming the field", () => {
  expectField(
    () => databaseCreateFromJson({ type: "local", namespaceName: "a" }, "cluster"),
    "type",
    /this coordinator serves a cluster/,
  );
  expectField(() => databaseCreateFromJson({ namespaceName: "a" }, "cluster"), "type", /required/);
  const withHost = (h: unknown) =>
    databaseCreateFromJson({ type: "cluster", namespaceName: "a", hosts: [h] }, "cluster");
  expectField(() => withHost({ address: "a", port: 1 }), "hosts[0].id", /required/);
  expectField(() => withHost({ id: "h", port: 1 }), "hosts[0].address", /required/);
  expectField(() => withHost({ id: "h", address: "a" }), "hosts[0].port", /required/);
  expectField(() => withHost({ id: "h", address: "a", port: 70000 }), "hosts[0].port");
  expectField(
    () => withHost({ id: "h", address: "a", port: 1, rack: "r" }),
    "hosts[0].rack",
    /no such field/,
  );
  expectField(
    () => withHost({ id: "h", address: "a", port: 1, isolationGroup: 3 }),
    "hosts[0].isolationGroup",
  );
  expectField(() => withHost("h1"), "hosts[0]", /JSON object/);
  expectField(
    () =>
      databaseCreateFromJson(
        {
          type: "cluster",
          namespaceName: "a",
          hosts: [
            { id: "h", address: "a", port: 1 },
            { id: "h", address: "b", port: 1 },
          ],
        },
        "cluster",
      ),
    "hosts[1].id",
    /no other host/,
  );
  expectField(
    () => databaseCreateFromJson({ type: "cluster", namespaceName: "a", hosts: {} }, "cluster"),
    "hosts",
  );
});
