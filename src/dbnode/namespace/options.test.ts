// Namespace options: M3's defaults, every validation rule at and just past its
// boundary, the update rule, and names.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_NAMESPACE_OPTIONS,
  ImmutableNamespaceOptionError,
  InvalidNamespaceOptionError,
  MAX_NAMESPACE_DURATION_MS,
  type NamespaceOptionRule,
  type NamespaceOptions,
  type NamespaceOptionsInput,
  namespaceOptionsUpdate,
  resolveNamespaceOptions,
  UPDATABLE_NAMESPACE_OPTIONS,
  validateNamespaceName,
  validateNamespaceOptions,
} from "./index.js";

const H = 3_600_000;
const M = 60_000;

/** Asserts resolveNamespaceOptions(input) fails on `option` with a message matching `message`. */
function rejects(input: unknown, option: string, message: RegExp) {
  assert.throws(
    () => resolveNamespaceOptions(input as NamespaceOptionsInput),
    (e: unknown) => {
      assert.ok(
        e instanceof InvalidNamespaceOptionError,
        `not an InvalidNamespaceOptionError: ${e}`,
      );
      assert.equal(e.code, "M3TS_ERR_NAMESPACE_OPTION");
      assert.equal(e.option, option, e.message);
      assert.match(e.message, message);
      return true;
    },
    JSON.stringify(input),
  );
}

test("the defaults are M3's", () => {
  assert.deepEqual(DEFAULT_NAMESPACE_OPTIONS, {
    retentionPeriodMs: 48 * H,
    blockSizeMs: 2 * H,
    bufferPastMs: 10 * M,
    bufferFutureMs: 2 * M,
    futureRetentionPeriodMs: 0,
    blockDataExpiry: true,
    blockDataExpiryAfterNotAccessedPeriodMs: 5 * M,
    bootstrapEnabled: true,
    flushEnabled: true,
    snapshotEnabled: true,
    writesToCommitLog: true,
    cleanupEnabled: true,
    repairEnabled: false,
    coldWritesEnabled: false,
    cacheBlocksOnRetrieve: false,
    fileFormat: "m3ts",
    index: { enabled: false, blockSizeMs: 2 * H },
  });
  validateNamespaceOptions(DEFAULT_NAMESPACE_OPTIONS);
  assert.ok(Object.isFrozen(DEFAULT_NAMESPACE_OPTIONS));
  assert.ok(Object.isFrozen(DEFAULT_NAMESPACE_OPTIONS.index));
});

test("resolveNamespaceOptions fills what is not given and freezes the result", () => {
  assert.deepEqual(resolveNamespaceOptions(), DEFAULT_NAMESPACE_OPTIONS);
  assert.deepEqual(resolveNamespaceOptions({}), DEFAULT_NAMESPACE_OPTIONS);
  const o = resolveNamespaceOptions({
    retentionPeriodMs: 24 * H,
    blockSizeMs: H,
    coldWritesEnabled: true,
    index: { enabled: true },
  });
  assert.equal(o.retentionPeriodMs, 24 * H);
  assert.equal(o.blockSizeMs, H);
  assert.equal(o.coldWritesEnabled, true);
  assert.deepEqual(o.index, { enabled: true, blockSizeMs: 2 * H });
  assert.equal(o.bufferPastMs, 10 * M);
  assert.ok(Object.isFrozen(o) && Object.isFrozen(o.index));
  const explicitUndefined = resolveNamespaceOptions({ blockSizeMs: undefined });
  assert.equal(explicitUndefined.blockSizeMs, 2 * H);
});

test("resolveNamespaceOptions rejects option names it does not know", () => {
  rejects({ retentionPeriod: "48h" }, "retentionPeriod", /is not a namespace option; known/);
  rejects({ index: { blockSize: 1 } }, "index.blockSize", /is not an index option/);
  rejects({ index: true }, "index", /must be an object/);
  rejects(null, "options", /must be an object/);
  rejects([], "options", /must be an object/);
});

test("durations must be integer milliseconds in 0..int64 ns", () => {
  for (const option of [
    "retentionPeriodMs",
    "bufferPastMs",
    "bufferFutureMs",
    "futureRetentionPeriodMs",
    "blockDataExpiryAfterNotAccessedPeriodMs",
  ]) {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "48h", null, true]) {
      rejects({ [option]: bad }, option, /must be an integer number of milliseconds in 0\.\./);
    }
  }
  rejects({ retentionPeriodMs: "48h" }, "retentionPeriodMs", /"48h" .*parseDurationMs/);
  rejects({ index: { blockSizeMs: -1 } }, "index.blockSizeMs", /must be an integer/);
  // The top of the range: M3 stores int64 nanoseconds.
  assert.equal(MAX_NAMESPACE_DURATION_MS, 9_223_372_036_854);
  const longest = resolveNamespaceOptions({ retentionPeriodMs: MAX_NAMESPACE_DURATION_MS });
  assert.equal(longest.retentionPeriodMs, MAX_NAMESPACE_DURATION_MS);
  rejects(
    { retentionPeriodMs: MAX_NAMESPACE_DURATION_MS + 1 },
    "retentionPeriodMs",
    /^retentionPeriodMs 9223372036855 must be an integer number of milliseconds in 0\.\.9223372036854$/,
  );
});

test("flags must be booleans", () => {
  for (const option of ["blockDataExpiry", "flushEnabled", "coldWritesEnabled", "repairEnabled"]) {
    rejects({ [option]: "true" }, option, new RegExp(`^${option} "true" must be true or false$`));
    rejects({ [option]: 1 }, option, /must be true or false/);
  }
  rejects({ index: { enabled: "yes" } }, "index.enabled", /must be true or false/);
});

test("blockSizeMs must be greater than 0", () => {
  rejects({ blockSizeMs: 0 }, "blockSizeMs", /^blockSizeMs 0 must be greater than 0$/);
  const o = resolveNamespaceOptions({
    blockSizeMs: 1,
    bufferPastMs: 0,
    bufferFutureMs: 0,
    retentionPeriodMs: 1,
  });
  assert.equal(o.blockSizeMs, 1);
});

test("bufferFutureMs must be less than blockSizeMs", () => {
  assert.equal(resolveNamespaceOptions({ bufferFutureMs: 2 * H - 1 }).bufferFutureMs, 2 * H - 1);
  rejects(
    { bufferFutureMs: 2 * H },
    "bufferFutureMs",
    /^bufferFutureMs 7200000 must be less than blockSizeMs 7200000$/,
  );
  assert.equal(resolveNamespaceOptions({ bufferFutureMs: 0 }).bufferFutureMs, 0);
});

test("bufferPastMs must be less than blockSizeMs", () => {
  assert.equal(resolveNamespaceOptions({ bufferPastMs: 2 * H - 1 }).bufferPastMs, 2 * H - 1);
  rejects(
    { bufferPastMs: 2 * H },
    "bufferPastMs",
    /^bufferPastMs 7200000 must be less than blockSizeMs 7200000$/,
  );
  rejects(
    { blockSizeMs: 10 * M },
    "bufferPastMs",
    /bufferPastMs 600000 must be less than blockSizeMs 600000/,
  );
  assert.equal(resolveNamespaceOptions({ bufferPastMs: 0 }).bufferPastMs, 0);
});

test("retentionPeriodMs must be at least blockSizeMs", () => {
  assert.equal(resolveNamespaceOptions({ retentionPeriodMs: 2 * H }).retentionPeriodMs, 2 * H);
  rejects(
    { retentionPeriodMs: 2 * H - 1 },
    "retentionPeriodMs",
    /^retentionPeriodMs 7199999 must be at least blockSizeMs 7200000$/,
  );
});

test("index.blockSizeMs must be greater than 0 when the index is enabled", () => {
  // With the index off, its block size is not checked against anything.
  assert.equal(resolveNamespaceOptions({ index: { blockSizeMs: 0 } }).index.blockSizeMs, 0);
  assert.equal(resolveNamespaceOptions({ index: { blockSizeMs: 3 * H } }).index.blockSizeMs, 3 * H);
  rejects(
    { index: { enabled: true, blockSizeMs: 0 } },
    "index.blockSizeMs",
    /^index\.blockSizeMs 0 must be greater than 0 when the index is enabled$/,
  );
});

test("retentionPeriodMs must be at least index.blockSizeMs when the index is enabled", () => {
  const base = { blockSizeMs: H, index: { enabled: true, blockSizeMs: 4 * H } };
  assert.equal(
    resolveNamespaceOptions({ ...base, retentionPeriodMs: 4 * H }).retentionPeriodMs,
    4 * H,
  );
  rejects(
    { ...base, retentionPeriodMs: 4 * H - 1 },
    "retentionPeriodMs",
    /^retentionPeriodMs 14399999 must be at least index\.blockSizeMs 14400000 when the index is enabled$/,
  );
});

test("futureRetentionPeriodMs must be 0 or at least index.blockSizeMs when the index is enabled", () => {
  const base = { index: { enabled: true, blockSizeMs: 4 * H } };
  assert.equal(
    resolveNamespaceOptions({ ...base, futureRetentionPeriodMs: 0 }).futureRetentionPeriodMs,
    0,
  );
  assert.equal(
    resolveNamespaceOptions({ ...base, futureRetentionPeriodMs: 4 * H }).futureRetentionPeriodMs,
    4 * H,
  );
  rejects(
    { ...base, futureRetentionPeriodMs: 4 * H - 1 },
    "futureRetentionPeriodMs",
    /^futureRetentionPeriodMs 14399999 must be 0 or at least index\.blockSizeMs 14400000/,
  );
  rejects(
    { ...base, futureRetentionPeriodMs: 1 },
    "futureRetentionPeriodMs",
    /must be 0 or at least/,
  );
  // Without the index, any future retention is fine.
  assert.equal(resolveNamespaceOptions({ futureRetentionPeriodMs: 1 }).futureRetentionPeriodMs, 1);
});

test("index.blockSizeMs must be a multiple of blockSizeMs when the index is enabled", () => {
  const base = { blockSizeMs: H, retentionPeriodMs: 48 * H };
  for (const multiple of [H, 2 * H, 24 * H]) {
    const o = resolveNamespaceOptions({ ...base, index: { enabled: true, blockSizeMs: multiple } });
    assert.equal(o.index.blockSizeMs, multiple);
  }
  rejects(
    { ...base, index: { enabled: true, blockSizeMs: H + 1 } },
    "index.blockSizeMs",
    /^index\.blockSizeMs 3600001 must be a multiple of blockSizeMs 3600000$/,
  );
  rejects(
    { ...base, index: { enabled: true, blockSizeMs: 2 * H - 1 } },
    "index.blockSizeMs",
    /must be a multiple of blockSizeMs/,
  );
  rejects(
    { blockSizeMs: 2 * H, index: { enabled: true, blockSizeMs: H } },
    "index.blockSizeMs",
    /^index\.blockSizeMs 3600000 must be a multiple of blockSizeMs 7200000$/,
  );
});

test("the coordinator's local database shape validates (24h retention, 1h blocks, index on)", () => {
  const o = resolveNamespaceOptions({
    retentionPeriodMs: 24 * H,
    blockSizeMs: H,
    repairEnabled: false,
    index: { enabled: true, blockSizeMs: H },
  });
  assert.equal(o.index.enabled, true);
});

test("validateNamespaceOptions checks options built by hand", () => {
  const good: NamespaceOptions = { ...DEFAULT_NAMESPACE_OPTIONS };
  validateNamespaceOptions(good);
  assert.throws(
    () => validateNamespaceOptions({ ...good, bufferPastMs: -5 }),
    (e: unknown) => e instanceof InvalidNamespaceOptionError && e.option === "bufferPastMs",
  );
  assert.throws(
    () => validateNamespaceOptions({ ...good, index: undefined } as unknown as NamespaceOptions),
    (e: unknown) => e instanceof InvalidNamespaceOptionError && e.option === "index",
  );
});

// ---- updates ------------------------------------------------------------------------

test("an update may change the retention period, as in M3", () => {
  assert.deepEqual(UPDATABLE_NAMESPACE_OPTIONS, ["retentionPeriodMs", "fileFormat"]);
  const current = resolveNamespaceOptions({ coldWritesEnabled: true });
  const next = namespaceOptionsUpdate(current, { retentionPeriodMs: 30 * 24 * H });
  assert.equal(next.retentionPeriodMs, 30 * 24 * H);
  assert.deepEqual({ ...next, retentionPeriodMs: current.retentionPeriodMs }, current);
  assert.ok(Object.isFrozen(next));
  assert.equal(current.retentionPeriodMs, 48 * H, "the current options are not changed");
});

test("an update may repeat other options with their current values", () => {
  const current = resolveNamespaceOptions({
    blockSizeMs: H,
    index: { enabled: true, blockSizeMs: H },
  });
  const next = namespaceOptionsUpdate(current, {
    retentionPeriodMs: 72 * H,
    blockSizeMs: H,
    coldWritesEnabled: false,
    index: { enabled: true, blockSizeMs: H },
  });
  assert.equal(next.retentionPeriodMs, 72 * H);
  assert.deepEqual(namespaceOptionsUpdate(current, {}), current);
});

test("an update refuses to change any other option, naming it and both values", () => {
  const current = resolveNamespaceOptions({ index: { enabled: true } });
  const changes: [NamespaceOptionsInput, string, unknown, unknown][] = [
    [{ blockSizeMs: H }, "blockSizeMs", 2 * H, H],
    [{ bufferPastMs: 5 * M }, "bufferPastMs", 10 * M, 5 * M],
    [{ bufferFutureMs: M }, "bufferFutureMs", 2 * M, M],
    [{ futureRetentionPeriodMs: 4 * H }, "futureRetentionPeriodMs", 0, 4 * H],
    [{ coldWritesEnabled: true }, "coldWritesEnabled", false, true],
    [{ writesToCommitLog: false }, "writesToCommitLog", true, false],
    [{ cacheBlocksOnRetrieve: true }, "cacheBlocksOnRetrieve", false, true],
    [{ index: { blockSizeMs: 4 * H } }, "index.blockSizeMs", 2 * H, 4 * H],
    [{ index: { enabled: false } }, "index.enabled", true, false],
  ];
  for (const [input, option, from, to] of changes) {
    assert.throws(
      () => namespaceOptionsUpdate(current, input),
      (e: unknown) => {
        assert.ok(e instanceof ImmutableNamespaceOptionError, `${e}`);
        assert.equal(e.code, "M3TS_ERR_NAMESPACE_OPTION_IMMUTABLE");
        assert.equal(e.option, option);
        assert.equal(e.current, from);
        assert.equal(e.requested, to);
        assert.match(
          e.message,
          new RegExp(
            `^${option.replace(".", "\\.")} cannot change on an existing namespace \\(${from} -> ${to}\\): only retentionPeriodMs, fileFormat may change`,
          ),
        );
        return true;
      },
      option,
    );
  }
});

test("an update is validated: the retention period stays at least a block", () => {
  const current = resolveNamespaceOptions();
  assert.equal(
    namespaceOptionsUpdate(current, { retentionPeriodMs: 2 * H }).retentionPeriodMs,
    2 * H,
  );
  assert.throws(
    () => namespaceOptionsUpdate(current, { retentionPeriodMs: 2 * H - 1 }),
    (e: unknown) =>
      e instanceof InvalidNamespaceOptionError &&
      e.message === "retentionPeriodMs 7199999 must be at least blockSizeMs 7200000",
  );
  assert.throws(
    () => namespaceOptionsUpdate(current, { retentionPeriod: 1 } as NamespaceOptionsInput),
    (e: unknown) => e instanceof InvalidNamespaceOptionError && e.option === "retentionPeriod",
  );
  const indexed = resolveNamespaceOptions({ index: { enabled: true, blockSizeMs: 4 * H } });
  assert.throws(
    () => namespaceOptionsUpdate(indexed, { retentionPeriodMs: 3 * H }),
    (e: unknown) =>
      e instanceof InvalidNamespaceOptionError && /index\.blockSizeMs/.test(e.message),
  );
});

// ---- names --------------------------------------------------------------------------

test("namespace names are 1..255 characters of [A-Za-z0-9_.-], not . or ..", () => {
  for (const ok of ["default", "metrics_10s.agg", "a", "A-Z_0.9", "...", "x".repeat(255)]) {
    validateNamespaceName(ok);
  }
  const bad: [unknown, RegExp][] = [
    ["", /^name "" must be a non-empty string$/],
    [undefined, /must be a non-empty string/],
    ["x".repeat(256), /is 256 characters long; the limit is 255/],
    ["a/b", /^name "a\/b" may hold only letters/],
    ["a b", /may hold only/],
    ["ns\n", /may hold only/],
    ["naïve", /may hold only/],
    [".", /must not be "\." or "\.\."/],
    ["..", /must not be/],
  ];
  for (const [name, message] of bad) {
    assert.throws(
      () => validateNamespaceName(name as string),
      (e: unknown) =>
        e instanceof InvalidNamespaceOptionError &&
        e.code === "M3TS_ERR_NAMESPACE_OPTION" &&
        e.option === "name" &&
        message.test(e.message),
      JSON.stringify(name),
    );
  }
});

// ---- the rule as fields ---------------------------------------------------------------

/** The error `fn` throws, which must be an InvalidNamespaceOptionError. */
function invalid(fn: () => unknown): InvalidNamespaceOptionError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InvalidNamespaceOptionError, `not an InvalidNamespaceOptionError: ${e}`);
    return e;
  }
  assert.fail("nothing thrown");
}

test("an InvalidNamespaceOptionError carries the option, the value and the rule as fields", () => {
  const relation = (
    relation: string,
    bound: number,
    boundOption: string | null,
    whenIndexEnabled = false,
  ) => ({ kind: "relation", relation, bound, boundOption, whenIndexEnabled });
  const indexed = { enabled: true, blockSizeMs: 4 * H };
  const cases: [unknown, string, unknown, NamespaceOptionRule | Record<string, unknown>][] = [
    [null, "options", null, { kind: "type", expected: "an object of option values" }],
    [
      { retentionPeriod: 1 },
      "retentionPeriod",
      1,
      {
        kind: "unknown",
        section: "namespace",
        known: [
          "retentionPeriodMs",
          "blockSizeMs",
          "bufferPastMs",
          "bufferFutureMs",
          "futureRetentionPeriodMs",
          "blockDataExpiryAfterNotAccessedPeriodMs",
          "blockDataExpiry",
          "bootstrapEnabled",
          "flushEnabled",
          "snapshotEnabled",
          "writesToCommitLog",
          "cleanupEnabled",
          "repairEnabled",
          "coldWritesEnabled",
          "cacheBlocksOnRetrieve",
          "fileFormat",
          "index",
        ],
      },
    ],
    [{ index: 1 }, "index", 1, { kind: "type", expected: "an object" }],
    [
      { index: { size: 1 } },
      "index.size",
      1,
      { kind: "unknown", section: "index", known: ["index.enabled", "index.blockSizeMs"] },
    ],
    [
      { bufferPastMs: -1 },
      "bufferPastMs",
      -1,
      { kind: "range", minMs: 0, maxMs: 9_223_372_036_854 },
    ],
    [{ flushEnabled: "no" }, "flushEnabled", "no", { kind: "type", expected: "true or false" }],
    [
      { fileFormat: "parquet" as never },
      "fileFormat",
      "parquet",
      { kind: "type", expected: 'one of "m3ts", "m3"' },
    ],
    [{ blockSizeMs: 0 }, "blockSizeMs", 0, relation("greater than", 0, null)],
    [
      { bufferFutureMs: 2 * H },
      "bufferFutureMs",
      2 * H,
      relation("less than", 2 * H, "blockSizeMs"),
    ],
    [{ bufferPastMs: 2 * H }, "bufferPastMs", 2 * H, relation("less than", 2 * H, "blockSizeMs")],
    [{ retentionPeriodMs: H }, "retentionPeriodMs", H, relation("at least", 2 * H, "blockSizeMs")],
    [
      { index: { enabled: true, blockSizeMs: 0 } },
      "index.blockSizeMs",
      0,
      relation("greater than", 0, null, true),
    ],
    [
      { blockSizeMs: H, retentionPeriodMs: 3 * H, index: indexed },
      "retentionPeriodMs",
      3 * H,
      relation("at least", 4 * H, "index.blockSizeMs", true),
    ],
    [
      { futureRetentionPeriodMs: H, index: indexed },
      "futureRetentionPeriodMs",
      H,
      relation("0 or at least", 4 * H, "index.blockSizeMs", true),
    ],
    [
      { index: { enabled: true, blockSizeMs: 3 * H } },
      "index.blockSizeMs",
      3 * H,
      relation("a multiple of", 2 * H, "blockSizeMs"),
    ],
  ];
  for (const [input, option, value, rule] of cases) {
    const e = invalid(() => resolveNamespaceOptions(input as NamespaceOptionsInput));
    assert.equal(e.option, option, e.message);
    assert.equal(e.value, value, e.message);
    assert.deepEqual(e.rule, rule, e.message);
  }
  const names: [string, NamespaceOptionRule][] = [
    ["", { kind: "type", expected: "a non-empty string" }],
    ["x".repeat(256), { kind: "length", length: 256, limit: 255 }],
    ["a/b", { kind: "characters", allowed: "letters A-Z and a-z, digits, '_', '.' and '-'" }],
    ["..", { kind: "reserved", reserved: [".", ".."] }],
  ];
  for (const [name, rule] of names) {
    const e = invalid(() => validateNamespaceName(name));
    assert.equal(e.option, "name");
    assert.equal(e.value, name);
    assert.deepEqual(e.rule, rule, e.message);
  }
});

test("an ImmutableNamespaceOptionError carries the options that may change as a field", () => {
  const current = resolveNamespaceOptions();
  assert.throws(
    () => namespaceOptionsUpdate(current, { blockSizeMs: H }),
    (e: unknown) =>
      e instanceof ImmutableNamespaceOptionError &&
      e.option === "blockSizeMs" &&
      e.updatable === UPDATABLE_NAMESPACE_OPTIONS,
  );
});
