import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ConfigError, defaultConfig, loadConfig, schemaKeys } from "./config.js";

const reference = readFileSync(
  new URL("../../../docs/reference/configuration.md", import.meta.url),
  "utf8",
);

test("with no file every key has its default, one indexed namespace and loopback addresses", () => {
  const c = defaultConfig();
  assert.equal(c.dataDir, "./data");
  assert.deepEqual(c.coordinator.listenAddress, { host: "127.0.0.1", port: 7201 });
  assert.deepEqual(c.carbon.listenAddress, { host: "127.0.0.1", port: 7204 });
  assert.equal(c.coordinator.maxBodyBytes, 32 << 20);
  assert.equal(c.db.commitLog.strategy, "wait");
  assert.equal(c.db.commitLog.flushIntervalMs, null);
  assert.equal(c.db.tickIntervalMs, 10_000);
  assert.deepEqual(
    c.namespaces.map((n) => [n.name, n.options.retentionPeriodMs, n.options.index?.enabled]),
    [["default", 48 * 3_600_000, true]],
  );
});

test("a partial section keeps the defaults of the keys it leaves out; --data-dir wins", () => {
  const c = loadConfig({
    text: "dataDir: /x\ndb:\n  commitLog:\n    strategy: behind\n",
    env: {},
    dataDir: "/override",
  });
  assert.equal(c.dataDir, "/override");
  assert.equal(c.db.commitLog.strategy, "behind");
  assert.equal(c.db.numShards, 64);
  assert.equal(c.db.cache.policy, "lru");
});

test("errors name the key, the value and what is expected", () => {
  const cases: [string, string, RegExp][] = [
    [
      "db:\n  commitLog:\n    strategy: fast\n",
      "db.commitLog.strategy",
      /expected one of "wait", "behind", got "fast"/,
    ],
    [
      "coordinator:\n  listenAdress: x\n",
      "coordinator.listenAdress",
      /did you mean listenAddress\?/,
    ],
    [
      "coordinator:\n  listenAddress: 127.0.0.1:99999\n",
      "coordinator.listenAddress",
      /port from 1 to 65535/,
    ],
    ["coordinator:\n  maxBodyBytes: 3 elephants\n", "coordinator.maxBodyBytes", /size in bytes/],
    ["db:\n  tickInterval: 5\n", "db.tickInterval", /duration/],
    ["db:\n  numShards: 0\n", "db.numShards", /integer from 1 to 4096/],
    ["carbon:\n  enabled: yes please\n", "carbon.enabled", /true or false/],
    ["namespaces:\n  - name: a\n  - name: a\n", "namespaces[1].name", /not used by another/],
    [
      "namespaces:\n  - name: a\n    retention: 1h\n    blockSize: 2h\n",
      "namespaces[0]",
      /retention|blockSize/,
    ],
    [
      "namespaces:\n  - name: a\n    retension: 1h\n",
      "namespaces[0].retension",
      /did you mean retention\?/,
    ],
  ];
  for (const [text, key, message] of cases) {
    assert.throws(
      () => loadConfig({ text, env: {} }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.key.startsWith(key) &&
        message.test(e.message) &&
        e.message.startsWith(e.key),
      text,
    );
  }
});

test("YAML syntax errors give the line and column", () => {
  assert.throws(
    () => loadConfig({ text: "db:\n  numShards: [1,\n", env: {}, file: "m3ts.yml" }),
    (e: unknown) => e instanceof ConfigError && /^m3ts\.yml:\d+:\d+/.test(e.key),
  );
});

// biome-ignore-start lint/suspicious/noTemplateCurlyInString: configuration text holds ${NAME} references
test("environment variables expand in values, with defaults, $$ and typed whole references", () => {
  const c = loadConfig({
    text: [
      "dataDir: ${DATA:/fallback}/m3ts$$x",
      "carbon:",
      "  enabled: ${CARBON}",
      "coordinator:",
      '  listenAddress: "127.0.0.1:${PORT}"',
      "  maxInflightWriteRequests: ${INFLIGHT:12}",
    ].join("\n"),
    env: { CARBON: "false", PORT: "9201" },
  });
  assert.equal(c.dataDir, "/fallback/m3ts$x");
  assert.equal(c.carbon.enabled, false);
  assert.equal(c.coordinator.listenAddress.port, 9201);
  assert.equal(c.coordinator.maxInflightWriteRequests, 12);
  assert.throws(
    () => loadConfig({ text: "dataDir: ${NOPE}\n", env: {} }),
    (e: unknown) => e instanceof ConfigError && e.key === "dataDir" && /NOPE/.test(e.message),
  );
});
// biome-ignore-end lint/suspicious/noTemplateCurlyInString: configuration text holds ${NAME} references

test("the reference page documents every key, and its example loads to the values it shows", () => {
  for (const key of schemaKeys())
    assert.ok(reference.includes(`\`${key}\``), `${key} is not documented`);
  const example = /## A complete example\n\n```yaml\n([\s\S]*?)```/.exec(reference)?.[1];
  assert.ok(example !== undefined);
  const c = loadConfig({ text: example, env: {} });
  assert.equal(c.dataDir, "/var/lib/m3ts");
  assert.equal(c.carbon.enabled, true);
  assert.equal(c.db.commitLog.flushIntervalMs, 2);
  assert.equal(c.db.commitLog.flushMaxBytes, 512 * 1024);
  assert.equal(c.coordinator.remoteRead.maxBytesInFrame, 1 << 20);
  assert.equal(c.db.snapshotIntervalMs, 60_000);
  assert.equal(c.namespaces[0].options.retentionPeriodMs, 720 * 3_600_000);
  assert.equal(c.namespaces[0].options.index?.blockSizeMs, 12 * 3_600_000);
});
