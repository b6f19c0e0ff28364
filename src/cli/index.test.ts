import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { main, version } from "./index.js";

const pkgVersion = JSON.parse(
  readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
).version;

test("version prints the package version", async () => {
  const lines: string[] = [];
  const code = await main(["version"], (l) => lines.push(l));
  assert.equal(code, 0);
  assert.deepEqual(lines, [`m3ts ${pkgVersion}`]);
  assert.equal(version(), pkgVersion);
});

test("no arguments prints version and usage", async () => {
  const lines: string[] = [];
  const code = await main([], (l) => lines.push(l));
  assert.equal(code, 0);
  assert.match(lines.join("\n"), /^m3ts \d+\.\d+\.\d+\n\nUsage: m3ts <command>/);
});

test("an unknown command is an error that names it", async () => {
  const lines: string[] = [];
  const code = await main(["frobnicate"], (l) => lines.push(l));
  assert.equal(code, 2);
  assert.match(lines[0], /unknown command "frobnicate"/);
});
