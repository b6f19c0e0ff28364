// Tests of the values written as text: listen addresses, sizes and durations.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ConfigError } from "./config-error.js";
import { load } from "./config-testing.js";
import { parseAddress, parseDuration, parseSize } from "./config-values.js";

const HOUR_MS = 3_600_000;

test("listen addresses: host:port and [v6]:port; any interface when written explicitly", () => {
  assert.deepEqual(
    load('coordinator:\n  listenAddress: "[::1]:9201"\n').coordinator.listenAddress,
    {
      host: "::1",
      port: 9201,
    },
  );
  assert.deepEqual(
    load("coordinator:\n  listenAddress: 0.0.0.0:7201\n").coordinator.listenAddress,
    {
      host: "0.0.0.0",
      port: 7201,
    },
  );
  assert.deepEqual(load("carbon:\n  listenAddress: localhost:2003\n").carbon.listenAddress, {
    host: "localhost",
    port: 2003,
  });
  fc.assert(
    fc.property(
      fc.oneof(fc.ipV4(), fc.domain()),
      fc.ipV6(),
      fc.integer({ min: 1, max: 65535 }),
      (v4, v6, port) => {
        assert.deepEqual(parseAddress(`${v4}:${port}`, "k"), { host: v4, port });
        assert.deepEqual(parseAddress(`[${v6}]:${port}`, "k"), { host: v6, port });
      },
    ),
  );
});

test("sizes: integers, decimal and binary units, fractions of a unit", () => {
  const cases: [unknown, number][] = [
    [4096, 4096],
    ["4096", 4096],
    ["1B", 1],
    ["1KB", 1000],
    ["2MB", 2_000_000],
    ["1GB", 1_000_000_000],
    ["1KiB", 1024],
    ["32MiB", 32 * 1024 * 1024],
    ["1GiB", 1024 * 1024 * 1024],
    ["1.5KiB", 1536],
    [" 8 KiB ", 8192],
  ];
  for (const [text, bytes] of cases) assert.equal(parseSize(text, "k"), bytes, String(text));
  for (const bad of [
    "",
    "1.5B",
    "0",
    "1kib",
    "1 TiB",
    "KiB",
    "1e3",
    "-1",
    "0x10",
    1.5,
    0,
    -1,
    true,
    null,
    {},
  ]) {
    assert.throws(() => parseSize(bad, "k"), ConfigError, String(bad));
  }
  assert.throws(() => parseSize("2KiB", "k", 2000), ConfigError, "above the key's bound");
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1 << 20 }),
      fc.constantFrom(["B", 1], ["KB", 1000], ["KiB", 1024], ["MiB", 1 << 20], ["MB", 1e6]),
      (n, [unit, size]) => {
        const expected = n * (size as number);
        assert.equal(parseSize(`${n}${unit}`, "k"), expected);
        assert.equal(parseSize(expected, "k"), expected);
      },
    ),
  );
});

test("durations: Go syntax in whole milliseconds, bounded below and, if given, above", () => {
  assert.equal(parseDuration("10s", "k"), 10_000);
  assert.equal(parseDuration("2h", "k"), 2 * HOUR_MS);
  assert.equal(parseDuration("1h30m", "k"), 90 * 60_000);
  assert.equal(parseDuration("500ms", "k"), 500);
  assert.equal(parseDuration("0", "k"), 0);
  assert.equal(load("db:\n  commitLog:\n    flushInterval: 0s\n").db.commitLog.flushIntervalMs, 0);
  assert.equal(load("db:\n  snapshotInterval: 90s\n").db.snapshotIntervalMs, 90_000);
  for (const bad of ["", "10", "1d", "1.5us", "abc", "-1s", 10, null]) {
    assert.throws(() => parseDuration(bad, "k"), ConfigError, String(bad));
  }
  assert.throws(() => parseDuration("0s", "k", 1), ConfigError);
  assert.equal(parseDuration("10m", "k", 1, 10 * 60_000), 10 * 60_000);
  assert.throws(
    () => parseDuration("601s", "k", 1, 10 * 60_000),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.key === "k" &&
      e.value === "601s" &&
      /a duration from 1ms to 10m/.test(e.message),
  );
  fc.assert(
    fc.property(fc.nat(1000), fc.nat(59), fc.nat(59), (h, m, s) => {
      assert.equal(parseDuration(`${h}h${m}m${s}s`, "k"), ((h * 60 + m) * 60 + s) * 1000);
    }),
  );
});
