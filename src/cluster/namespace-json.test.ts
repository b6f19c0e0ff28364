// NamespaceOptions to and from M3's jsonpb form: round trips in both field
// spellings, M3's documented shapes, the registry body, namespace add, and
// errors that name their field.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  DEFAULT_NAMESPACE_OPTIONS,
  type NamespaceOptions,
  resolveNamespaceOptions,
} from "../dbnode/namespace/index.js";
import { durationToNanos } from "./jsonpb.js";
import {
  namespaceAddFromJson,
  namespaceOptionsFromJson,
  namespaceOptionsToJson,
  registryToJson,
} from "./namespace-json.js";
import { expectField, onlyAdminErrors } from "./testing.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

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
    fileFormat: "m3ts",
  });
});

test("options from JSON: fileFormat is m3ts's own field, checked against the formats", () => {
  assert.deepEqual(namespaceOptionsFromJson({ fileFormat: "m3" }), { fileFormat: "m3" });
  assert.throws(
    () => namespaceOptionsFromJson({ fileFormat: "tsz" }),
    (e: unknown) =>
      e instanceof Error &&
      /options\.fileFormat/.test(e.message) &&
      /"m3ts" or "m3"/.test(e.message),
  );
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
