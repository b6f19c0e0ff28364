// Tests of the namespaces: list: M3's rules restated from the error's fields
// under the entry's keys, and the reference page held to the entry's table.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { DEFAULT_NAMESPACE_OPTIONS } from "../dbnode/namespace/index.js";
import { defaultConfig } from "./config.js";
import { ConfigError } from "./config-error.js";
import { load } from "./config-testing.js";
import { NAMESPACE_ENTRY, NAMESPACES } from "./namespace-entries.js";
import { checkConfig, leafPaths } from "./schema.js";

const reference = readFileSync(
  new URL("../../../docs/reference/configuration.md", import.meta.url),
  "utf8",
);

/** The ConfigError loading `entry` (YAML lines of one namespace entry) raises. */
function entryError(entry: string[]): ConfigError {
  try {
    load(["namespaces:", ...entry.map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`))].join("\n"));
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${e}`);
    return e;
  }
  assert.fail(`loaded: ${entry.join("; ")}`);
}

test("each of M3's namespace rules is restated under the entry's key, with durations as written", () => {
  const cases: [string[], string, unknown, string][] = [
    [["name: a", "blockSize: 0s"], "blockSize", "0s", "a value that is greater than 0"],
    [
      ["name: a", "bufferFuture: 2h"],
      "bufferFuture",
      "2h",
      "a value that is less than blockSize 2h",
    ],
    [
      ["name: a", "blockSize: 30m", "bufferPast: 30m"],
      "bufferPast",
      "30m",
      "a value that is less than blockSize 30m",
    ],
    [["name: a", "retention: 1h"], "retention", "1h", "a value that is at least blockSize 2h"],
    [
      ["name: a", "index:", "  blockSize: 0s"],
      "index.blockSize",
      "0s",
      "a value that is greater than 0 when the index is enabled",
    ],
    [
      ["name: a", "retention: 4h", "index:", "  blockSize: 6h"],
      "retention",
      "4h",
      "a value that is at least index.blockSize 6h when the index is enabled",
    ],
    [
      ["name: a", "futureRetentionPeriod: 1h"],
      "futureRetentionPeriod",
      "1h",
      "a value that is 0 or at least index.blockSize 2h when the index is enabled",
    ],
    [
      ["name: a", "blockSize: 4h", "index:", "  blockSize: 6h"],
      "index.blockSize",
      "6h",
      "a value that is a multiple of blockSize 4h",
    ],
    // The index block follows the data block unless written; the value shown is the one in force.
    [
      ["name: a", "blockSize: 72h"],
      "retention",
      "48h (default)",
      "a value that is at least blockSize 72h",
    ],
  ];
  for (const [entry, key, value, expected] of cases) {
    const e = entryError(entry);
    assert.deepEqual(
      { key: e.key, value: e.value, expected: e.expected },
      { key: `namespaces[0].${key}`, value, expected },
      entry.join("; "),
    );
    assert.equal(
      e.message,
      `namespaces[0].${key}: expected ${expected}, got ${JSON.stringify(value)}`,
    );
  }
  // With the index off, its rules do not apply.
  const off = load(
    "namespaces:\n  - name: a\n    futureRetentionPeriod: 1h\n    index:\n      enabled: false\n",
  );
  assert.equal(off.namespaces[0].options.futureRetentionPeriodMs, 3_600_000);
});

test("the entry's table names every namespace option once", () => {
  const flatten = (o: object, prefix = ""): string[] =>
    Object.entries(o).flatMap(([k, v]) =>
      typeof v === "object" ? flatten(v, `${prefix}${k}.`) : [`${prefix}${k}`],
    );
  const configured = leafPaths(NAMESPACE_ENTRY.options.fields).map((p) => p.config);
  assert.deepEqual([...configured].sort(), flatten(DEFAULT_NAMESPACE_OPTIONS).sort());
});

test("the reference page's namespace table gives each key the kind the entry's table has", () => {
  const shown: Record<string, string> = {
    duration: "duration",
    bool: "bool",
    string: "string",
    enum: "`m3ts`, `m3`",
  };
  for (const p of leafPaths({ namespaces: NAMESPACES })) {
    const row = reference.split("\n").find((l) => l.startsWith(`| \`${p.file}\` `));
    assert.ok(row !== undefined, `${p.file} has no row`);
    const type = row.split("|")[2].trim();
    assert.equal(type, shown[p.spec.kind], `${p.file}: the page says ${type}`);
  }
});

test("the reference page's default namespace is the one the table configures", () => {
  const section = reference.slice(reference.indexOf("## `namespaces`"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block !== undefined, "no default namespace on the page");
  const written = parseYaml(block) as { namespaces: unknown[] };
  assert.deepEqual(written.namespaces, NAMESPACES.default);
  assert.deepEqual(
    checkConfig({ namespaces: NAMESPACES }, written).namespaces,
    defaultConfig().namespaces,
  );
});
