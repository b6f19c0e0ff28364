// Tests of reading the file's text: YAML errors with their position, aliases,
// and the expansion of environment references.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "./config.js";
import { ConfigError } from "./config-error.js";
import { load, throwsConfigError } from "./config-testing.js";

const HOUR_MS = 3_600_000;

test("YAML syntax errors and duplicate keys give the file, line and column", () => {
  throwsConfigError(
    () => loadConfig({ text: "db:\n  numShards: [1,\n", env: {}, file: "m3ts.yml" }),
    "m3ts.yml:",
    /valid YAML/,
  );
  assert.throws(
    () => loadConfig({ text: "db:\n  numShards: 1\n  numShards: 2\n", env: {}, file: "m3ts.yml" }),
    (e: unknown) =>
      e instanceof ConfigError && e.key === "m3ts.yml:3:3" && /valid YAML/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ text: "a: 1\n---\nb: 2\n", env: {}, file: "two.yml" }),
    (e: unknown) => e instanceof ConfigError && /^two\.yml:2:\d+$/.test(e.key),
  );
});

// biome-ignore-start lint/suspicious/noTemplateCurlyInString: configuration text holds ${NAME} references
test("environment variables expand in values, with defaults, $$ and typed whole references", () => {
  const c = loadConfig({
    text: [
      "dataDir: ${DATA:/fallback}/m3ts$$x$y",
      "carbon:",
      "  enabled: ${CARBON}",
      "coordinator:",
      '  listenAddress: "${HOST:127.0.0.1}:${PORT}"',
      "  maxInflightWriteRequests: ${INFLIGHT:12}",
      "  writeNamespace: ${NS}",
      "namespaces:",
      "  - name: ${NS}",
      "    retention: ${RETENTION:72h}",
    ].join("\n"),
    env: { CARBON: "false", PORT: "9201", NS: "metrics", DATA: undefined },
  });
  assert.equal(c.dataDir, "/fallback/m3ts$x$y");
  assert.equal(c.carbon.enabled, false);
  assert.deepEqual(c.coordinator.listenAddress, { host: "127.0.0.1", port: 9201 });
  assert.equal(c.coordinator.maxInflightWriteRequests, 12);
  assert.equal(c.coordinator.writeNamespace, "metrics");
  assert.equal(c.namespaces[0].name, "metrics");
  assert.equal(c.namespaces[0].options.retentionPeriodMs, 72 * HOUR_MS);
  // An empty default is a value, not a missing variable.
  assert.equal(loadConfig({ text: "dataDir: /a${SUFFIX:}\n", env: {} }).dataDir, "/a");
  // A set variable wins over the default, even when empty.
  assert.equal(loadConfig({ text: "dataDir: /a${S:x}\n", env: { S: "" } }).dataDir, "/a");
  // A variable's text is not expanded again.
  assert.equal(loadConfig({ text: "dataDir: ${D}\n", env: { D: "${E}" } }).dataDir, "${E}");
});

test("an unset variable without a default names the variable and the key", () => {
  throwsConfigError(() => load("dataDir: ${NOPE}\n"), "dataDir", /NOPE/);
  throwsConfigError(
    () => load("db:\n  commitLog:\n    strategy: ${STRATEGY}\n"),
    "db.commitLog.strategy",
    /STRATEGY/,
  );
  throwsConfigError(
    () => load("namespaces:\n  - name: a\n    retention: ${RET}\n"),
    "namespaces[0].retention",
    /RET/,
  );
  // An expanded value is validated like a written one.
  throwsConfigError(
    () => loadConfig({ text: "db:\n  commitLog:\n    strategy: ${S}\n", env: { S: "fast" } }),
    "db.commitLog.strategy",
    /got "fast"/,
  );
});
// biome-ignore-end lint/suspicious/noTemplateCurlyInString: configuration text holds ${NAME} references

test("a self-referencing YAML alias is refused, not followed forever", () => {
  throwsConfigError(() => load("dataDir: &a [*a]\n"), "dataDir", /nesting/);
});

test("an alias with no anchor and an alias bomb are ConfigErrors naming the file", () => {
  assert.throws(
    () => loadConfig({ text: "dataDir: *a\n", env: {}, file: "m3ts.yml" }),
    (e: unknown) => e instanceof ConfigError && e.key === "m3ts.yml:1:10" && /\*a/.test(e.message),
  );
  let bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 9; i++)
    bomb += `a${i}: &a${i} [${Array(10)
      .fill(`*a${i - 1}`)
      .join(", ")}]\n`;
  assert.throws(
    () => loadConfig({ text: bomb, env: {}, file: "m3ts.yml" }),
    (e: unknown) => e instanceof ConfigError && e.key === "m3ts.yml" && /alias/.test(e.message),
  );
});
