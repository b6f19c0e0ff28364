// M3's admin JSON: the Duration→Nanos rewrite, NamespaceOptions to and from
// jsonpb (round trips, both field spellings), database/create's defaults and
// block-size rules at their boundaries, and errors that name their field.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { AdminRequestError } from "../cluster/index.js";
import {
  DEFAULT_NAMESPACE_OPTIONS,
  type NamespaceOptions,
  resolveNamespaceOptions,
} from "../dbnode/namespace/index.js";
import { formatDurationMs } from "../x/index.js";
import {
  databaseCreateFromJson,
  durationToNanos,
  namespaceAddFromJson,
  namespaceOptionsFromJson,
  namespaceOptionsToJson,
  recommendedBlockSizeMs,
  registryToJson,
} from "./admin-json.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function expectField(fn: () => unknown, field: string, expectation?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AdminRequestError, String(e));
    assert.equal(e.code, "M3TS_ERR_ADMIN_REQUEST");
    assert.equal(e.field, field);
    assert.ok(e.message.startsWith(`${field}:`), e.message);
    if (expectation !== undefined) assert.match(e.message, expectation);
    return true;
  });
}

/** Only AdminRequestError may escape a parser, whatever the input. */
function onlyAdminErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AdminRequestError, `${(e as Error).name}: ${(e as Error).message}`);
  }
}

// ---- durationToNanos ----------------------------------------------------------------

test("Duration keys become Nanos keys at any depth, arrays included; other keys stay", () => {
  const out = durationToNanos({
    name: "ns",
    options: {
      retentionOptions: { retentionPeriodDuration: "48h", blockSizeDuration: "2h" },
      aggregationOptions: {
        aggregations: [{ aggregated: true, attributes: { resolutionDuration: "10s" } }],
      },
      bufferPastNanos: "600000000000",
    },
  });
  assert.deepEqual(out, {
    name: "ns",
    options: {
      retentionOptions: {
        retentionPeriodNanos: String(48n * 3_600_000_000_000n),
        blockSizeNanos: String(2n * 3_600_000_000_000n),
      },
      aggregationOptions: {
        aggregations: [{ aggregated: true, attributes: { resolutionNanos: "10000000000" } }],
      },
      bufferPastNanos: "600000000000",
    },
  });
});

test("a key named __proto__ is kept as data, as JSON.parse made it", () => {
  const out = durationToNanos(JSON.parse('{"__proto__": {"xDuration": "1ms"}}')) as object;
  assert.deepEqual(Object.keys(out), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(JSON.stringify(out), '{"__proto__":{"xNanos":"1000000"}}');
});

test("a number under a Duration key is taken as nanoseconds", () => {
  assert.deepEqual(durationToNanos({ blockSizeDuration: 7_200_000_000_000 }), {
    blockSizeNanos: 7_200_000_000_000,
  });
});

test("like M3, only the first 'Duration' of a key is replaced", () => {
  assert.deepEqual(durationToNanos({ aDurationBDuration: "1s" }), {
    aNanosBDuration: "1000000000",
  });
});

test("Duration rewrite errors name the path", () => {
  expectField(() => durationToNanos({ a: { bDuration: "2 days" } }), "a.bDuration", /duration/);
  expectField(() => durationToNanos({ a: [{ bDuration: true }] }), "a[0].bDuration");
  expectField(() => durationToNanos({ xDuration: null }), "xDuration");
  expectField(
    () => durationToNanos({ blockSizeDuration: "2h", blockSizeNanos: "1" }),
    "blockSizeDuration",
    /not both/,
  );
});

test("any whole-ms duration string becomes its nanoseconds, exactly", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9_000_000_000_000 }), (ms) => {
      const out = durationToNanos({ r: { xDuration: formatDurationMs(ms) } });
      assert.deepEqual(out, { r: { xNanos: (BigInt(ms) * 1_000_000n).toString() } });
    }),
    { numRuns: 1000 },
  );
});

test("durationToNanos on any JSON returns a value or an AdminRequestError", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (json) => onlyAdminErrors(() => durationToNanos(json))),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      fc.dictionary(fc.constantFrom("aDuration", "b", "cDuration"), fc.jsonValue()),
      (json) => onlyAdminErrors(() => durationToNanos({ nested: [json] })),
    ),
    { numRuns: 1000 },
  );
});

// ---- NamespaceOptions ---------------------------------------------------------------

/** Valid resolved options, built to satisfy M3's rules between options. */
const validOptions: fc.Arbitrary<NamespaceOptions> = fc
  .record({
    blockSizeMs: fc.integer({ min: 1, max: 10 * DAY }),
    pastFraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    futureFraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    indexMultiple: fc.integer({ min: 1, max: 4 }),
    retentionExtraMs: fc.integer({ min: 0, max: 1000 * DAY }),
    futureRetention: fc.option(fc.integer({ min: 0, max: 100 * DAY }), { nil: undefined }),
    expiryMs: fc.integer({ min: 0, max: 10 * DAY }),
    flags: fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }),
  })
  .map((r) => {
    const indexBlockMs = r.blockSizeMs * r.indexMultiple;
    return resolveNamespaceOptions({
      blockSizeMs: r.blockSizeMs,
      bufferPastMs: Math.floor(r.pastFraction * r.blockSizeMs),
      bufferFutureMs: Math.floor(r.futureFraction * r.blockSizeMs),
      retentionPeriodMs: indexBlockMs + r.retentionExtraMs,
      futureRetentionPeriodMs:
        r.futureRetention === undefined ? 0 : indexBlockMs + r.futureRetention,
      blockDataExpiryAfterNotAccessedPeriodMs: r.expiryMs,
      blockDataExpiry: r.flags[0],
      bootstrapEnabled: r.flags[1],
      flushEnabled: r.flags[2],
      snapshotEnabled: r.flags[3],
      writesToCommitLog: r.flags[4],
      cleanupEnabled: r.flags[5],
      repairEnabled: r.flags[6],
      coldWritesEnabled: r.flags[7],
      cacheBlocksOnRetrieve: r.flags[8],
      index: { enabled: r.flags[9], blockSizeMs: indexBlockMs },
    });
  });

/** The same JSON with every key in proto snake_case. */
function snakeKeys(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(snakeKeys);
  if (typeof json !== "object" || json === null) return json;
  return Object.fromEntries(
    Object.entries(json).map(([k, v]) => [
      k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      snakeKeys(v),
    ]),
  );
}

/** The same JSON with every decimal-string nanosecond value that fits a double exactly as a number. */
function numericNanos(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(numericNanos);
  if (typeof json !== "object" || json === null) return json;
  return Object.fromEntries(
    Object.entries(json).map(([k, v]) => [
      k,
      typeof v === "string" && /^\d+$/.test(v) && Number.isSafeInteger(Number(v))
        ? Number(v)
        : numericNanos(v),
    ]),
  );
}

test("options → M3's JSON → options is the identity, in lowerCamel, snake_case and numeric nanos", () => {
  fc.assert(
    fc.property(validOptions, fc.constantFrom("camel", "snake", "numbers"), (options, form) => {
      let json: unknown = JSON.parse(JSON.stringify(namespaceOptionsToJson(options)));
      if (form === "snake") json = snakeKeys(json);
      if (form === "numbers") json = numericNanos(json);
      assert.deepEqual(resolveNamespaceOptions(namespaceOptionsFromJson(json)), options);
    }),
    { numRuns: 500 },
  );
});

test("options to JSON: M3's GET shape with int64 nanoseconds as strings", () => {
  const json = namespaceOptionsToJson(DEFAULT_NAMESPACE_OPTIONS);
  assert.deepEqual(json, {
    bootstrapEnabled: true,
    flushEnabled: true,
    writesToCommitLog: true,
    cleanupEnabled: true,
    repairEnabled: false,
    retentionOptions: {
      retentionPeriodNanos: "172800000000000",
      blockSizeNanos: "7200000000000",
      bufferFutureNanos: "120000000000",
      bufferPastNanos: "600000000000",
      blockDataExpiry: true,
      blockDataExpiryAfterNotAccessPeriodNanos: "300000000000",
      futureRetentionPeriodNanos: "0",
    },
    snapshotEnabled: true,
    indexOptions: { enabled: false, blockSizeNanos: "7200000000000" },
    schemaOptions: null,
    coldWritesEnabled: false,
    runtimeOptions: null,
    cacheBlocksOnRetrieve: false,
    aggregationOptions: { aggregations: [{ aggregated: false, attributes: null }] },
    stagingState: { status: "READY" },
    extendedOptions: null,
  });
});

test("options from JSON: absent fields stay absent, so m3ts's defaults fill them", () => {
  assert.deepEqual(namespaceOptionsFromJson({}), {});
  assert.deepEqual(namespaceOptionsFromJson(null), {});
  assert.deepEqual(
    namespaceOptionsFromJson({
      retentionOptions: { retentionPeriodNanos: "86400000000000" },
      indexOptions: { enabled: true },
      cacheBlocksOnRetrieve: null,
    }),
    { retentionPeriodMs: DAY, index: { enabled: true } },
  );
});

test("options from JSON: M3's documented request (after the Duration rewrite) reads as given", () => {
  const body = durationToNanos({
    name: "default",
    options: {
      bootstrapEnabled: true,
      flushEnabled: true,
      writesToCommitLog: true,
      cleanupEnabled: true,
      snapshotEnabled: true,
      repairEnabled: false,
      retentionOptions: {
        retentionPeriodDuration: "48h",
        blockSizeDuration: "2h",
        bufferFutureDuration: "10m",
        bufferPastDuration: "10m",
        blockDataExpiry: true,
        blockDataExpiryAfterNotAccessPeriodDuration: "5m",
      },
      indexOptions: { enabled: true, blockSizeDuration: "2h" },
    },
  });
  assert.deepEqual(namespaceAddFromJson(body), {
    name: "default",
    options: {
      bootstrapEnabled: true,
      flushEnabled: true,
      writesToCommitLog: true,
      cleanupEnabled: true,
      snapshotEnabled: true,
      repairEnabled: false,
      retentionPeriodMs: 48 * HOUR,
      blockSizeMs: 2 * HOUR,
      bufferFutureMs: 10 * MIN,
      bufferPastMs: 10 * MIN,
      blockDataExpiry: true,
      blockDataExpiryAfterNotAccessedPeriodMs: 5 * MIN,
      index: { enabled: true, blockSizeMs: 2 * HOUR },
    },
  });
});

test("options from JSON: errors name the field, the value and what is allowed", () => {
  expectField(
    () => namespaceOptionsFromJson({ retentionOptions: { blockSizeNanos: "1500000" } }),
    "options.retentionOptions.blockSizeNanos",
    /whole number of milliseconds.*"1500000"/,
  );
  expectField(
    () => namespaceOptionsFromJson({ retentionOptions: { blockSizeNanos: 1.5 } }),
    "options.retentionOptions.blockSizeNanos",
  );
  expectField(
    () => namespaceOptionsFromJson({ retentionOptions: { blockSizeNanos: "2h" } }),
    "options.retentionOptions.blockSizeNanos",
    /integer number of nanoseconds/,
  );
  expectField(
    () => namespaceOptionsFromJson({ retentionOptions: { blockSizeNanos: "9223372036854775808" } }),
    "options.retentionOptions.blockSizeNanos",
    /int64/,
  );
  expectField(
    () => namespaceOptionsFromJson({ indexOptions: { blockSizeNanos: "1" } }),
    "options.indexOptions.blockSizeNanos",
  );
  expectField(
    () => namespaceOptionsFromJson({ flushEnabled: "yes" }),
    "options.flushEnabled",
    /true or false/,
  );
  // A field that would not be rewritten (no Duration suffix) is caught, not ignored.
  expectField(
    () => namespaceOptionsFromJson({ retentionOptions: { retentionPeriod: "48h" } }),
    "options.retentionOptions.retentionPeriod",
    /no such field/,
  );
  expectField(() => namespaceOptionsFromJson({ retentionOptions: [] }), "options.retentionOptions");
  expectField(
    () =>
      namespaceOptionsFromJson({ aggregationOptions: { aggregations: [{ aggregated: true }] } }),
    "options.aggregationOptions.aggregations[0].aggregated",
    /aggregated namespaces are not supported yet/,
  );
  expectField(
    () => namespaceOptionsFromJson({ schemaOptions: { deployId: "x" } }),
    "options.schemaOptions",
    /not supported/,
  );
  expectField(
    () => namespaceOptionsFromJson({ stagingState: { status: "DONE" } }),
    "options.stagingState.status",
  );
  expectField(
    () => namespaceOptionsFromJson({ flushEnabled: true, flush_enabled: true }),
    "options.flush_enabled",
  );
});

test("options from JSON on any input returns options or an AdminRequestError", () => {
  const nanos = fc.oneof(
    fc.jsonValue(),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.jsonValue(),
        fc.record(
          {
            retentionOptions: fc.oneof(
              fc.jsonValue(),
              fc.record(
                {
                  retentionPeriodNanos: nanos,
                  blockSizeNanos: nanos,
                  blockDataExpiry: fc.jsonValue(),
                },
                { requiredKeys: [] },
              ),
            ),
            indexOptions: fc.oneof(
              fc.jsonValue(),
              fc.record({ enabled: fc.jsonValue(), blockSizeNanos: nanos }),
            ),
            aggregationOptions: fc.jsonValue(),
            stagingState: fc.jsonValue(),
            flushEnabled: fc.jsonValue(),
          },
          { requiredKeys: [] },
        ),
      ),
      (json) => {
        onlyAdminErrors(() => namespaceOptionsFromJson(json));
        onlyAdminErrors(() => namespaceAddFromJson({ name: "n", options: json }));
      },
    ),
    { numRuns: 1000 },
  );
});

test("registry JSON: M3's GET body, namespaces by name in order", () => {
  const a = resolveNamespaceOptions({ retentionPeriodMs: DAY, blockSizeMs: HOUR });
  const body = registryToJson([
    { name: "zeta", options: DEFAULT_NAMESPACE_OPTIONS },
    { name: "alpha", options: a },
  ]);
  assert.deepEqual(Object.keys(body.registry.namespaces), ["alpha", "zeta"]);
  assert.deepEqual(body.registry.namespaces.alpha, namespaceOptionsToJson(a));
  assert.equal(
    (body.registry.namespaces.alpha.retentionOptions as Record<string, unknown>).blockSizeNanos,
    "3600000000000",
  );
  assert.deepEqual(registryToJson([]), { registry: { namespaces: {} } });
  expectField(
    () =>
      registryToJson([
        { name: "a", options: a },
        { name: "a", options: a },
      ]),
    "registry.namespaces",
  );
});

test("namespace add: name required, unknown top-level fields refused", () => {
  expectField(() => namespaceAddFromJson({ options: {} }), "name", /required/);
  expectField(() => namespaceAddFromJson({ name: 3 }), "name");
  expectField(() => namespaceAddFromJson("x"), "body");
  expectField(() => namespaceAddFromJson({ name: "a", opts: {} }), "opts", /no such field/);
  assert.deepEqual(namespaceAddFromJson({ name: "a" }), { name: "a", options: {} });
});

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

test("database/create refuses clusters, hosts and aggregated namespaces, naming the field", () => {
  expectField(
    () => databaseCreateFromJson({ type: "cluster", namespaceName: "a" }),
    "type",
    /only local databases are supported on this node for now/,
  );
  expectField(
    () =>
      databaseCreateFromJson({
        namespaceName: "a",
        hosts: [{ id: "h1", address: "h1", port: 9000 }],
      }),
    "hosts",
    /only local databases are supported on this node for now/,
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
            hosts: fc.jsonValue(),
          },
          { requiredKeys: [] },
        ),
      ),
      (body) =>
        onlyAdminErrors(() => {
          const r = databaseCreateFromJson(body);
          assert.equal(r.type, "local");
          assert.ok((r.options.blockSizeMs as number) > 0);
        }),
    ),
    { numRuns: 2000 },
  );
});
