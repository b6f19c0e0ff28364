// Tests of the configuration loader: defaults, every kind of error, namespaces,
// the reference page against the schema, and fuzzing of the whole load.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { resolveNamespaceOptions } from "../dbnode/namespace/index.js";
import { defaultConfig, loadConfig, schemaKeys } from "./config.js";
import { ConfigError } from "./config-error.js";
import { SCHEMA } from "./config-schema.js";
import { load, throwsConfigError } from "./config-testing.js";
import type { Spec } from "./schema.js";

const HOUR_MS = 3_600_000;
const MiB = 1024 * 1024;

const reference = readFileSync(
  new URL("../../../docs/reference/configuration.md", import.meta.url),
  "utf8",
);

test("with no file every key has the default the brief gives, with loopback addresses", () => {
  assert.deepEqual(defaultConfig(), {
    dataDir: "./data",
    logging: { level: "info" },
    coordinator: {
      listenAddress: { host: "127.0.0.1", port: 7201 },
      maxBodyBytes: 32 * MiB,
      maxInflightWriteRequests: 64,
      maxPendingWriteSamples: 4_000_000,
      maxSeriesCacheBytes: 256 * 1024 * 1024,
      remoteRead: {
        maxSeries: 100_000,
        maxDocsScanned: 0,
        maxSamples: 50_000_000,
        maxBytesInFrame: MiB,
      },
      writeNamespace: "default",
    },
    query: {
      lookbackDeltaMs: 300_000,
      timeoutMs: 30_000,
      maxSeries: 100_000,
      requireExhaustive: true,
      maxSamples: 50_000_000,
      maxConcurrent: 20,
      maxQueued: 100,
      logFile: null,
    },
    carbon: { enabled: true, listenAddress: { host: "127.0.0.1", port: 7204 }, maxLineBytes: 4096 },
    cluster: {
      env: "default_env",
      etcd: { endpoints: "127.0.0.1:2379", caFile: null, certFile: null, keyFile: null },
      tls: { caFile: null, certFile: null, keyFile: null },
      writeConsistency: "majority",
      readConsistency: "unstrict_majority",
    },
    dbnode: {
      hostID: null,
      listenAddress: { host: "127.0.0.1", port: 9000 },
      httpListenAddress: { host: "127.0.0.1", port: 9002 },
    },
    db: {
      numShards: 64,
      commitLog: { strategy: "wait", flushIntervalMs: null, flushMaxBytes: null },
      cache: { policy: "lru", maxBlocks: 65_536 },
      tickIntervalMs: 10_000,
      snapshotIntervalMs: 60_000,
      maxOpenFiles: 512,
      compaction: { enabled: true, afterMs: 7_200_000, maxSpanMs: null },
    },
    namespaces: [
      {
        name: "default",
        options: {
          retentionPeriodMs: 48 * HOUR_MS,
          blockSizeMs: 2 * HOUR_MS,
          coldWritesEnabled: true,
          index: { enabled: true, blockSizeMs: 2 * HOUR_MS },
        },
      },
    ],
  });
  assert.deepEqual(load(""), defaultConfig(), "an empty file is the defaults");
  assert.deepEqual(load("# only a comment\n"), defaultConfig());
  assert.deepEqual(loadConfig({ env: {} }), defaultConfig(), "no file at all");
});

test("m3ts start's default namespace: 48h retention, 2h blocks, M3's buffers, indexed, cold writes on", () => {
  const [ns] = defaultConfig().namespaces;
  assert.equal(ns.name, "default");
  const o = resolveNamespaceOptions(ns.options);
  assert.equal(o.retentionPeriodMs, 48 * HOUR_MS);
  assert.equal(o.blockSizeMs, 2 * HOUR_MS);
  assert.equal(o.bufferPastMs, 10 * 60_000);
  assert.equal(o.bufferFutureMs, 2 * 60_000);
  assert.deepEqual(o.index, { enabled: true, blockSizeMs: 2 * HOUR_MS });
  // Writes older than bufferPast but within retention are accepted, so a
  // Prometheus catching up after an outage is not answered 400.
  assert.equal(o.coldWritesEnabled, true);
  assert.equal(o.flushEnabled, true);
  assert.equal(o.snapshotEnabled, true);
  assert.equal(o.writesToCommitLog, true);
  assert.equal(o.bootstrapEnabled, true);
  assert.equal(o.cleanupEnabled, true);
});

test("defaultConfig returns a fresh object each time", () => {
  const a = defaultConfig();
  a.coordinator.listenAddress.port = 1;
  a.namespaces.length = 0;
  assert.equal(defaultConfig().coordinator.listenAddress.port, 7201);
  assert.equal(defaultConfig().namespaces.length, 1);
});

test("a partial section keeps the defaults of the keys it leaves out; --data-dir wins", () => {
  const c = loadConfig({
    text: "dataDir: /x\ndb:\n  commitLog:\n    strategy: behind\ncoordinator:\n  remoteRead:\n    maxSeries: 5\n",
    env: {},
    dataDir: "/override",
  });
  assert.equal(c.dataDir, "/override");
  assert.equal(c.db.commitLog.strategy, "behind");
  assert.equal(c.db.commitLog.flushIntervalMs, null);
  assert.equal(c.db.numShards, 64);
  assert.equal(c.db.cache.policy, "lru");
  assert.equal(c.coordinator.remoteRead.maxSeries, 5);
  assert.equal(c.coordinator.remoteRead.maxSamples, 50_000_000);
  assert.equal(c.coordinator.maxBodyBytes, 32 * MiB);
  assert.equal(load("dataDir: /x\n").dataDir, "/x");
  // A section written with no keys (YAML null) is all defaults.
  assert.deepEqual(load("db:\ncoordinator:\n").db, defaultConfig().db);
});

test("every kind of error names the key, the value and what is expected", () => {
  const cases: [string, string, RegExp][] = [
    [
      "db:\n  commitLog:\n    strategy: fast\n",
      "db.commitLog.strategy",
      /expected one of "wait", "behind", got "fast"/,
    ],
    ["logging:\n  level: loud\n", "logging.level", /"debug", "info", "warn", "error".*"loud"/],
    ["db:\n  cache:\n    policy: mru\n", "db.cache.policy", /"recently_read", "lru", got "mru"/],
    [
      "coordinator:\n  listenAdress: x\n",
      "coordinator.listenAdress",
      /did you mean listenAddress\?/,
    ],
    ["datadir: /x\n", "datadir", /did you mean dataDir\?/],
    [
      "bogus: 1\n",
      "bogus",
      /keys here: dataDir, logging, coordinator, query, carbon, cluster, dbnode, db, namespaces/,
    ],
    ["db:\n  nested:\n    deep: 1\n", "db.nested", /keys here: numShards, commitLog/],
    ["__proto__: 1\n", "__proto__", /known key/],
    ["coordinator:\n  toString: 1\n", "coordinator.toString", /known key/],
    ["db: 5\n", "db", /a mapping of keys to values, got 5/],
    ["db:\n  - numShards\n", "db", /a mapping/],
    ["7\n", "configuration", /a mapping/],
    [
      "coordinator:\n  listenAddress: 127.0.0.1:99999\n",
      "coordinator.listenAddress",
      /port from 1 to 65535, got "127.0.0.1:99999"/,
    ],
    [
      "coordinator:\n  listenAddress: 127.0.0.1:0\n",
      "coordinator.listenAddress",
      /port from 1 to 65535/,
    ],
    ["coordinator:\n  listenAddress: 7201\n", "coordinator.listenAddress", /host:port.*got 7201/],
    ["carbon:\n  listenAddress: ::1:7204\n", "carbon.listenAddress", /\[::1\]:7201/],
    [
      "coordinator:\n  maxBodyBytes: 3 elephants\n",
      "coordinator.maxBodyBytes",
      /size in bytes.*got "3 elephants"/,
    ],
    ["coordinator:\n  maxBodyBytes: 2GiB\n", "coordinator.maxBodyBytes", /from 1 to 1073741824/],
    ["coordinator:\n  maxBodyBytes: 0\n", "coordinator.maxBodyBytes", /from 1 to/],
    ["carbon:\n  maxLineBytes: -5\n", "carbon.maxLineBytes", /size in bytes/],
    ["db:\n  tickInterval: 5\n", "db.tickInterval", /duration.*got 5/],
    ["db:\n  tickInterval: 0s\n", "db.tickInterval", /at least 1ms/],
    ["query:\n  timeout: 11m\n", "query.timeout", /duration from 1ms to 10m .*got "11m"/],
    ["query:\n  timeout: 10m1ms\n", "query.timeout", /from 1ms to 10m/],
    ["db:\n  snapshotInterval: 1d\n", "db.snapshotInterval", /duration.*got "1d"/],
    ["db:\n  commitLog:\n    flushInterval: -1s\n", "db.commitLog.flushInterval", /duration/],
    ["db:\n  numShards: 0\n", "db.numShards", /integer from 1 to 4096, got 0/],
    ["db:\n  numShards: 1.5\n", "db.numShards", /integer/],
    ['db:\n  numShards: "64"\n', "db.numShards", /integer.*got "64"/],
    ["carbon:\n  enabled: yes please\n", "carbon.enabled", /true or false/],
    ["dataDir: ''\n", "dataDir", /non-empty string/],
    ["dataDir: [a]\n", "dataDir", /non-empty string/],
    ["namespaces: default\n", "namespaces", /a list of namespaces/],
    [
      "namespaces:\n  - name: a\n  - name: a\n",
      "namespaces[1].name",
      /not used by another namespace, got "a"/,
    ],
    ["namespaces:\n  - retention: 2h\n", "namespaces[0].name", /namespace name.*got nothing/],
    ["namespaces:\n  - name: a/b\n", "namespaces[0].name", /A-Z, a-z, 0-9.*got "a\/b"/],
    ["namespaces:\n  - name: ..\n", "namespaces[0].name", /other than/],
    [
      "namespaces:\n  - name: a\n    retension: 1h\n",
      "namespaces[0].retension",
      /did you mean retention\?/,
    ],
    [
      "namespaces:\n  - name: a\n    index:\n      size: 1h\n",
      "namespaces[0].index.size",
      /keys here: enabled, blockSize/,
    ],
    ["namespaces:\n  - name: a\n    retention: forever\n", "namespaces[0].retention", /duration/],
    [
      "namespaces:\n  - name: a\n    coldWritesEnabled: maybe\n",
      "namespaces[0].coldWritesEnabled",
      /true or false/,
    ],
    [
      "namespaces:\n  - name: a\n    index:\n      enabled: 1\n",
      "namespaces[0].index.enabled",
      /true or false/,
    ],
    // M3's namespace rules, reported under the file's key names and in its units.
    [
      "namespaces:\n  - name: a\n    retention: 1h\n",
      "namespaces[0].retention",
      /at least blockSize 2h, got "1h"/,
    ],
    [
      "namespaces:\n  - name: a\n    blockSize: 1h\n    bufferPast: 1h\n",
      "namespaces[0].bufferPast",
      /less than blockSize 1h, got "1h"/,
    ],
    [
      "namespaces:\n  - name: a\n    index:\n      blockSize: 3h\n",
      "namespaces[0].index.blockSize",
      /multiple of blockSize 2h, got "3h"/,
    ],
    [
      "namespaces:\n  - name: a\n    blockSize: 72h\n",
      "namespaces[0].retention",
      /at least blockSize 72h, got "48h \(default\)"/,
    ],
  ];
  for (const [text, key, message] of cases) throwsConfigError(() => load(text), key, message, text);
});

test("a ConfigError carries key, value and expected as fields", () => {
  try {
    load("db:\n  commitLog:\n    strategy: fast\n");
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.key, "db.commitLog.strategy");
    assert.equal(e.value, "fast");
    assert.equal(e.expected, 'one of "wait", "behind"');
  }
});

test("a file is read from disk; a missing file is a ConfigError naming it", () => {
  const dir = mkdtempSync(join(tmpdir(), "m3ts-config-"));
  try {
    const file = join(dir, "m3ts.yml");
    writeFileSync(file, "db:\n  numShards: 8\n");
    assert.equal(loadConfig({ file, env: {} }).db.numShards, 8);
    const missing = join(dir, "nope.yml");
    assert.throws(
      () => loadConfig({ file: missing, env: {} }),
      (e: unknown) =>
        e instanceof ConfigError && e.value === missing && e.message.includes(missing),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("configured namespaces: M3 defaults, the index on unless told, its block the data block", () => {
  const c = load(
    [
      "namespaces:",
      "  - name: short",
      "    retention: 6h",
      "    blockSize: 1h",
      "    coldWritesEnabled: true",
      "  - name: plain",
      "    index:",
      "      enabled: false",
    ].join("\n"),
  );
  assert.deepEqual(c.namespaces, [
    {
      name: "short",
      options: {
        retentionPeriodMs: 6 * HOUR_MS,
        blockSizeMs: HOUR_MS,
        coldWritesEnabled: true,
        index: { enabled: true, blockSizeMs: HOUR_MS },
      },
    },
    { name: "plain", options: { index: { enabled: false } } },
  ]);
  assert.deepEqual(load("namespaces: []\n").namespaces, []);
});

/** The default as the reference page shows it; the schema writes defaults as the file would. */
function documentedDefault(spec: Spec): string | undefined {
  if (spec.kind === "section" || spec.kind === "inline" || spec.kind === "list") return undefined;
  if (spec.default === null || spec.default === undefined) return undefined;
  return String(spec.default);
}

test("the reference page documents every key of the schema with its default", () => {
  const keys = schemaKeys();
  assert.ok(keys.includes("db.commitLog.strategy") && keys.includes("namespaces[].retention"));
  for (const key of keys) assert.ok(reference.includes(`\`${key}\``), `${key} is not documented`);
  const walk = (fields: Record<string, Spec>, prefix: string) => {
    for (const [k, spec] of Object.entries(fields)) {
      const key = prefix === "" ? k : `${prefix}.${k}`;
      if (spec.kind === "section") {
        walk(spec.fields, key);
        continue;
      }
      const row = reference.split("\n").find((l) => l.startsWith(`| \`${key}\` `));
      assert.ok(row !== undefined, `${key} has no row in a table`);
      const shown = documentedDefault(spec);
      if (shown !== undefined)
        assert.ok(row.includes(`\`${shown}\``), `${key}: default ${shown} not in ${row}`);
    }
  };
  walk(SCHEMA, "");
});

test("the reference page's example sets every key and loads to the values it shows", () => {
  const example = /## A complete example\n\n```yaml\n([\s\S]*?)```/.exec(reference)?.[1];
  assert.ok(example !== undefined, "no example on the page");
  const raw = parseYaml(example) as Record<string, unknown>;
  for (const key of schemaKeys().filter((k) => !k.startsWith("namespaces"))) {
    let v: unknown = raw;
    for (const part of key.split(".")) v = (v as Record<string, unknown> | undefined)?.[part];
    assert.ok(v !== undefined, `the example does not set ${key}`);
  }
  const c = loadConfig({ text: example, env: {} });
  assert.equal(c.dataDir, "/var/lib/m3ts");
  assert.equal(c.logging.level, "info");
  assert.deepEqual(c.coordinator.listenAddress, { host: "127.0.0.1", port: 7201 });
  assert.equal(c.coordinator.maxBodyBytes, 32 * MiB);
  assert.equal(c.coordinator.remoteRead.maxBytesInFrame, MiB);
  assert.equal(c.carbon.enabled, true, "the carbon flag's default with M3TS_CARBON unset");
  assert.equal(c.carbon.maxLineBytes, 4096);
  assert.equal(c.query.timeoutMs, 30_000);
  assert.equal(c.query.logFile, "/var/log/m3ts/queries.log");
  assert.equal(c.db.commitLog.strategy, "wait");
  assert.equal(c.db.commitLog.flushIntervalMs, 2);
  assert.equal(c.db.commitLog.flushMaxBytes, 512 * 1024);
  assert.equal(c.db.tickIntervalMs, 10_000);
  assert.equal(c.db.snapshotIntervalMs, 60_000);
  assert.deepEqual(c.namespaces, [
    {
      name: "default",
      options: {
        retentionPeriodMs: 720 * HOUR_MS,
        blockSizeMs: 12 * HOUR_MS,
        bufferPastMs: 10 * 60_000,
        bufferFutureMs: 2 * 60_000,
        fileFormat: "m3ts",
        index: { enabled: true, blockSizeMs: 12 * HOUR_MS },
      },
    },
  ]);
  assert.equal(loadConfig({ text: example, env: { M3TS_CARBON: "false" } }).carbon.enabled, false);
  // The example spells out the defaults apart from dataDir and the namespace.
  const d = defaultConfig();
  assert.deepEqual([c.coordinator, c.carbon, c.logging], [d.coordinator, d.carbon, d.logging]);
  assert.equal(c.db.compaction.maxSpanMs, 72 * HOUR_MS);
  assert.deepEqual({ ...c.db, commitLog: d.db.commitLog, compaction: d.db.compaction }, d.db);
});

/** Loads text and returns normally or throws a ConfigError; anything else fails the property. */
function loadsOrConfigError(text: string, env: Record<string, string> = {}): void {
  try {
    loadConfig({ text, env });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
  }
}

test("fuzz: arbitrary text gives a configuration or a ConfigError, never another error", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (t) => loadsOrConfigError(t)),
    { numRuns: 500 },
  );
  const alphabet = fc.constantFrom(
    ..."ab: -[]{}\n\"'&*!|>$#,?%@`".split(""),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference in configuration text
    "${X}",
    "$$",
    "${",
    "db:",
    "  ",
  );
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 80 }), (parts) =>
      loadsOrConfigError(parts.join(""), { X: "1" }),
    ),
    { numRuns: 1000 },
  );
});

test("fuzz: any YAML value at any key gives a configuration or a ConfigError", () => {
  const key = fc.constantFrom(
    ...schemaKeys().filter((k) => !k.startsWith("namespaces")),
    "namespaces",
    "x.y",
  );
  fc.assert(
    fc.property(key, fc.jsonValue({ maxDepth: 3 }), (k, value) => {
      const doc: Record<string, unknown> = {};
      let at = doc;
      const parts = k.split(".");
      for (const p of parts.slice(0, -1)) {
        const next: Record<string, unknown> = {};
        at[p] = next;
        at = next;
      }
      at[parts[parts.length - 1]] = value;
      loadsOrConfigError(stringifyYaml(doc));
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      fc.array(
        fc.dictionary(
          fc.constantFrom("name", "retention", "blockSize", "index", "bufferPast", "q"),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        { maxLength: 3 },
      ),
      (entries) => loadsOrConfigError(stringifyYaml({ namespaces: entries })),
    ),
    { numRuns: 500 },
  );
});

test("fuzz: every truncation of the reference example loads or gives a ConfigError", () => {
  const example = /## A complete example\n\n```yaml\n([\s\S]*?)```/.exec(reference)?.[1] ?? "";
  for (let n = 0; n <= example.length; n++) loadsOrConfigError(example.slice(0, n));
});
