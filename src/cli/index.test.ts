// Tests of the m3ts command line, in process and through bin/m3ts.js.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { COMMANDS, commandHelp } from "./commands.js";
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

// ---- through the real entry point ------------------------------------------------

const BIN = fileURLToPath(new URL("../../../bin/m3ts.js", import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs bin/m3ts.js in a fresh empty directory; a node that started would not exit, and is killed. */
function m3ts(...args: string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
  cwd: string;
} {
  const cwd = mkdtempSync(join(tmpdir(), "m3ts-cli-"));
  dirs.push(cwd);
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, cwd };
}

test("m3ts start --help and -h print start's usage, one line per flag, and start nothing", () => {
  for (const flag of ["--help", "-h"]) {
    const r = m3ts("start", flag);
    assert.equal(r.status, 0, `${flag}: ${r.stderr}`);
    assert.equal(r.stderr, "");
    assert.ok(
      r.stdout.startsWith("Usage: m3ts start [--config FILE] [--data-dir DIR]\n"),
      r.stdout,
    );
    const lines = r.stdout.split("\n");
    const flagLines = lines.slice(lines.indexOf("Flags:") + 1).filter((l) => l !== "");
    assert.equal(flagLines.length, COMMANDS.start.flags.length);
    for (const f of COMMANDS.start.flags) {
      const line = flagLines.find((l) => l.includes(f.name));
      assert.ok(line?.includes(f.doc), `${f.name} has no line of its own with its meaning`);
    }
    assert.deepEqual(readdirSync(r.cwd), [], "no ./data or anything else was created");
  }
});

test("help wins over the other flags: no configuration is read, no data directory made", () => {
  const r = m3ts("start", "--config", "/nonexistent/m3ts.yml", "--data-dir", "made-by-start", "-h");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trimEnd(), commandHelp("start"));
  assert.deepEqual(readdirSync(r.cwd), []);
});

test("every command answers --help with its own usage, as m3ts help <command> does", () => {
  for (const name of Object.keys(COMMANDS) as (keyof typeof COMMANDS)[]) {
    const r = m3ts(name, "--help");
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    assert.equal(r.stdout.trimEnd(), commandHelp(name), name);
    assert.equal(m3ts("help", name).stdout, r.stdout, `m3ts help ${name}`);
  }
});

test("m3ts --help lists the commands; an unknown command or flag is a usage error, exit 2", () => {
  const overview = m3ts("--help");
  assert.equal(overview.status, 0);
  assert.match(overview.stdout, /^m3ts \d+\.\d+\.\d+\n\nUsage: m3ts <command>/);
  for (const name of Object.keys(COMMANDS))
    assert.match(overview.stdout, new RegExp(`^  ${name}\\b`, "m"));
  const unknown = m3ts("frobnicate");
  assert.equal(unknown.status, 2);
  assert.match(unknown.stdout, /unknown command "frobnicate"/);
  const flag = m3ts("start", "--bogus");
  assert.equal(flag.status, 2);
  assert.match(flag.stdout, /^m3ts start: unknown argument "--bogus"\nUsage: m3ts start /);
  // A flag missing its value is a usage error, not a crash.
  const missing = m3ts("start", "--config");
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, "");
  assert.match(missing.stdout, /--config needs a value \(FILE\)/);
  assert.deepEqual(readdirSync(missing.cwd), []);
});

test("m3ts start refuses a query.timeout past 10m as a configuration error, exit 2, before starting", () => {
  const dir = mkdtempSync(join(tmpdir(), "m3ts-cli-conf-"));
  dirs.push(dir);
  const file = join(dir, "m3ts.yml");
  writeFileSync(file, `dataDir: ${join(dir, "data")}\nquery:\n  timeout: 11m\n`);
  const r = m3ts("start", "--config", file);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, "");
  assert.match(
    r.stdout,
    /^m3ts start: query\.timeout: expected a duration from 1ms to 10m .*, got "11m"\n$/,
  );
  assert.deepEqual(readdirSync(dir), ["m3ts.yml"]);
});
