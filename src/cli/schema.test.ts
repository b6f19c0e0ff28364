// Tests of the schema machinery on a small table of its own: the type it
// computes (checked when the tests compile), and the walk's handling of
// defaults, optional and required keys, renamed keys, inline keys and lists.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "./config-error.js";
import type { Equal } from "./config-testing.js";
import type { ListenAddress } from "./config-values.js";
import {
  type ConfigOf,
  checkConfig,
  inline,
  leaf,
  leafPaths,
  list,
  section,
  type ValueOf,
} from "./schema.js";

const refined: { entry: unknown; raw: unknown; path: string }[] = [];

const TABLE = {
  dir: leaf({ kind: "string", default: "./x" }, "a directory"),
  mode: leaf({ kind: "enum", values: ["a", "b"], default: "a" }, "a mode"),
  limits: section("limits", {
    size: leaf({ kind: "size", max: 1 << 20, default: "4KiB" }, "a size"),
    every: leaf({ kind: "duration", min: 1, default: null, as: "everyMs" }, "a pause"),
  }),
  listen: leaf({ kind: "address", default: "127.0.0.1:1" }, "an address"),
  items: list({
    doc: "items",
    noun: "item",
    entry: {
      id: leaf({ kind: "string", required: true, unique: true }, "the item's id"),
      options: inline({
        count: leaf({ kind: "int", min: 0, max: 9 }, "a count"),
        on: leaf({ kind: "bool", default: false }, "a flag"),
      }),
    },
    default: [{ id: "first", count: 1 }],
    refine(entry, raw, path) {
      refined.push({ entry: structuredClone(entry), raw, path });
    },
  }),
};

// The computed type, checked at compile time: a wrong derivation fails the build.
type Checked = ConfigOf<typeof TABLE>;
type Expected = {
  dir: string;
  mode: "a" | "b";
  limits: { size: number; everyMs: number | null };
  listen: ListenAddress;
  items: { id: string; options: { count?: number; on: boolean } }[];
};
const typeIsDerived: Equal<Checked, Expected> = true;
const leafValues: [
  Equal<ValueOf<typeof TABLE.mode>, "a" | "b">,
  Equal<ValueOf<typeof TABLE.limits.fields.every>, number | null>,
] = [true, true];

test("the type computed from a table is the configuration the walk builds", () => {
  assert.ok(typeIsDerived && leafValues.every(Boolean));
  const c: Expected = checkConfig(TABLE, {});
  assert.deepEqual(c, {
    dir: "./x",
    mode: "a",
    limits: { size: 4096, everyMs: null },
    listen: { host: "127.0.0.1", port: 1 },
    items: [{ id: "first", options: { count: 1, on: false } }],
  });
});

test("an optional key left out is absent from the result, not undefined", () => {
  const c = checkConfig(TABLE, { items: [{ id: "x" }] });
  assert.deepEqual(c.items, [{ id: "x", options: { on: false } }]);
  assert.ok(!Object.hasOwn(c.items[0].options, "count"));
});

test("a renamed key is read under its file name and written under its configuration name", () => {
  const c = checkConfig(TABLE, { limits: { every: "2s" } });
  assert.equal(c.limits.everyMs, 2000);
  assert.throws(
    () => checkConfig(TABLE, { limits: { everyMs: 5 } }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.key === "limits.everyMs" &&
      e.expected.includes("did you mean every?"),
  );
});

test("inline keys are written beside their neighbours and grouped once checked", () => {
  const c = checkConfig(TABLE, { items: [{ id: "x", count: 3, on: true }] });
  assert.deepEqual(c.items, [{ id: "x", options: { count: 3, on: true } }]);
  assert.throws(
    () => checkConfig(TABLE, { items: [{ id: "x", options: { count: 3 } }] }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.key === "items[0].options" &&
      e.expected.endsWith("keys here: id, count, on"),
  );
  assert.deepEqual(
    leafPaths(TABLE).map((p) => [p.file, p.config]),
    [
      ["dir", "dir"],
      ["mode", "mode"],
      ["limits.size", "limits.size"],
      ["limits.every", "limits.everyMs"],
      ["listen", "listen"],
      ["items[].id", "items[].id"],
      ["items[].count", "items[].options.count"],
      ["items[].on", "items[].options.on"],
    ],
  );
});

test("a required key's absence and a unique key's repeat are errors naming the entry", () => {
  const fails = (raw: unknown, key: string, value: unknown, expected: string) =>
    assert.throws(
      () => checkConfig(TABLE, raw),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.deepEqual([e.key, e.value, e.expected], [key, value, expected]);
        return true;
      },
    );
  fails({ items: [{ count: 1 }] }, "items[0].id", undefined, "a non-empty string");
  fails({ items: [{ id: null }] }, "items[0].id", null, "a non-empty string");
  fails(
    { items: [{ id: "a" }, { id: "b" }, { id: "a" }] },
    "items[2].id",
    "a",
    "an id not used by another item",
  );
  fails({ items: "a" }, "items", "a", "a list of items");
  fails({ items: [7] }, "items[0]", 7, "a mapping of keys to values");
});

test("a list's default entries are checked like written ones, and refine sees each checked entry", () => {
  refined.length = 0;
  checkConfig(TABLE, { items: null });
  assert.deepEqual(refined, [
    {
      entry: { id: "first", options: { count: 1, on: false } },
      raw: { id: "first", count: 1 },
      path: "items[0]",
    },
  ]);
  refined.length = 0;
  checkConfig(TABLE, { items: [] });
  assert.deepEqual(refined, []);
});

test("a default is checked like a written value, so a bad one cannot slip through", () => {
  const bad = { n: leaf({ kind: "int", min: 1, max: 2, default: 3 }, "a number") };
  assert.throws(
    () => checkConfig(bad, {}),
    (e: unknown) => e instanceof ConfigError && e.key === "n" && e.value === 3,
  );
});
