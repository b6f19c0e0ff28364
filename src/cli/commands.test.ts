// Tests of the command table's argument parsing and the help it prints.
import assert from "node:assert/strict";
import { test } from "node:test";
import { COMMANDS, commandHelp, overview, parseArgs, usageLine } from "./commands.js";

const start = (...args: string[]) => parseArgs(COMMANDS.start, args);

test("flags take the next argument or =value; -f is --config", () => {
  assert.deepEqual(start("--config", "a.yml", "--data-dir=/d"), {
    kind: "run",
    flags: { "--config": "a.yml", "--data-dir": "/d" },
    operands: [],
  });
  assert.deepEqual(start("-f", "b.yml"), {
    kind: "run",
    flags: { "--config": "b.yml" },
    operands: [],
  });
  assert.deepEqual(start("--config="), { kind: "run", flags: { "--config": "" }, operands: [] });
  assert.deepEqual(start(), { kind: "run", flags: {}, operands: [] });
});

test("--help or -h wherever a flag may stand wins over everything else", () => {
  for (const args of [
    ["--help"],
    ["-h"],
    ["--config", "a.yml", "--help"],
    ["--bogus", "-h"],
    ["extra", "--help"],
  ]) {
    assert.deepEqual(start(...args), { kind: "help" }, args.join(" "));
  }
  // As a flag's value or after --, it is not a flag.
  assert.deepEqual(start("--config", "--help"), {
    kind: "run",
    flags: { "--config": "--help" },
    operands: [],
  });
  assert.deepEqual(parseArgs(COMMANDS.verify, ["--", "-h"]), {
    kind: "run",
    flags: {},
    operands: ["-h"],
  });
});

test("usage errors name the argument", () => {
  const cases: [string, string[], string][] = [
    ["start", ["--bogus"], 'unknown argument "--bogus"'],
    ["start", ["--config"], "--config needs a value (FILE)"],
    ["start", ["x"], 'unexpected argument "x"'],
    ["verify", [], "missing DIR"],
    ["verify", ["a", "b"], 'unexpected argument "b"'],
    ["version", ["--config", "x"], 'unknown argument "--config"'],
  ];
  for (const [name, args, problem] of cases) {
    assert.deepEqual(
      parseArgs(COMMANDS[name as keyof typeof COMMANDS], args),
      { kind: "error", problem },
      `${name} ${args.join(" ")}`,
    );
  }
  assert.deepEqual(parseArgs(COMMANDS.help, []), { kind: "run", flags: {}, operands: [] });
});

test("a command's help is its usage line, what it does, and one line per flag", () => {
  assert.equal(usageLine("start"), "Usage: m3ts start [--config FILE] [--data-dir DIR]");
  assert.equal(usageLine("verify"), "Usage: m3ts verify DIR");
  const help = commandHelp("start").split("\n");
  assert.equal(help[0], usageLine("start"));
  const flagLines = help.slice(help.indexOf("Flags:") + 1);
  assert.deepEqual(flagLines, [
    "  -f, --config FILE   YAML configuration; without one every key takes its default",
    "      --data-dir DIR  data directory, in place of the configuration's dataDir (default ./data)",
    "  -h, --help          print this help and exit",
  ]);
  for (const name of Object.keys(COMMANDS))
    assert.match(overview(), new RegExp(`^  ${name}\\b`, "m"));
});
