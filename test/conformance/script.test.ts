import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type EvalCmd,
  expectsFailure,
  expectsOrder,
  parseNumberLine,
  parsePromDuration,
  parseScript,
} from "./script.js";
import { readIndex } from "./suite.js";

const testdata = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "test",
  "conformance",
  "testdata",
);

function evals(text: string): EvalCmd[] {
  return parseScript(text).filter((c): c is EvalCmd => c.kind === "eval");
}

test("durations as Prometheus writes them", () => {
  assert.equal(parsePromDuration("0"), 0);
  assert.equal(parsePromDuration("5m"), 300_000);
  assert.equal(parsePromDuration("1m30s"), 90_000);
  assert.equal(parsePromDuration("10s53ms"), 10_053);
  assert.equal(parsePromDuration("1d"), 86_400_000);
  assert.throws(() => parsePromDuration("1.5m"), /not a valid duration/);
  assert.throws(() => parsePromDuration(""), /not a valid duration/);
});

test("load, clear and eval commands with their lines", () => {
  const cmds = parseScript(
    [
      "# a comment",
      "load 5m",
      '  http_requests{job="api"} 0+10x10',
      "  # a comment inside a block is a blank line",
      "",
      "clear",
      "eval instant at 50m sum(http_requests)",
      "  {} 100",
    ].join("\n"),
  );
  assert.deepEqual(
    cmds.map((c) => [c.kind, c.line]),
    [
      ["load", 2],
      ["clear", 6],
      ["eval", 7],
    ],
  );
  const load = cmds[0];
  assert.ok(load.kind === "load");
  assert.equal(load.intervalMs, 300_000);
  assert.equal(load.series[0].values.length, 11);
  const ev = cmds[2] as EvalCmd;
  assert.equal(ev.evalMs, 3_000_000);
  assert.equal(ev.expr, "sum(http_requests)");
  assert.deepEqual([...ev.expected.values()][0].values, [{ kind: "float", value: 100 }]);
});

test("a range eval keeps start, end and step; a bare number expects a scalar", () => {
  const [r, s] = evals(
    [
      "eval range from 0 to 10m step 5m foo",
      "  foo 1 2 3",
      "",
      "eval instant at 1m 1 + 2",
      "  3",
    ].join("\n"),
  );
  assert.equal(r.isRange, true);
  assert.deepEqual([r.startMs, r.endMs, r.stepMs], [0, 600_000, 300_000]);
  assert.deepEqual(s.expectedScalar, { kind: "float", value: 3 });
  assert.equal(s.expected.size, 0);
});

test("expect lines: fail with msg or regex, warn/info with messages, no_warn, no_info, ordered", () => {
  const [a, b, c] = evals(
    [
      "eval instant at 1m foo",
      "  expect fail msg: bad thing happened",
      "",
      "eval instant at 1m foo",
      "  expect warn regex: PromQL warning: .* \\(1:1\\)",
      "  expect info msg: PromQL info: x",
      "",
      "eval instant at 1m topk(1, foo)",
      "  expect ordered",
      "  expect no_info",
      "  foo 1",
    ].join("\n"),
  );
  assert.ok(expectsFailure(a));
  assert.deepEqual(a.expect.fail, [{ kind: "msg", text: "bad thing happened" }]);
  assert.equal(b.expect.warn[0].kind, "regex");
  assert.deepEqual(b.expect.info, [{ kind: "msg", text: "PromQL info: x" }]);
  assert.ok(!expectsFailure(b));
  assert.ok(expectsOrder(c));
  assert.ok(c.expect.noInfo);
  assert.equal([...c.expected.values()][0].pos, 1);
});

test("old-style eval_fail, eval_warn, eval_info, eval_ordered and expected_fail_message", () => {
  const [f, w, i, o] = evals(
    [
      "eval_fail instant at 0 foo",
      "  expected_fail_message boom",
      "",
      "eval_warn instant at 0 foo",
      "",
      "eval_info range from 0 to 1m step 1m foo",
      "",
      "eval_ordered instant at 0 foo",
    ].join("\n"),
  );
  assert.ok(f.fail && f.failMessage === "boom");
  assert.ok(w.warn && !w.fail);
  assert.ok(i.info && i.isRange);
  assert.ok(o.ordered);
});

test("expect range vector sets the expected points' times; expect string a string", () => {
  const [rv, str] = evals(
    [
      "eval instant at 1m some_metric[1m]",
      "  expect range vector from 10s to 1m step 10s",
      '  some_metric{env="a"} 2 3 4 5 6',
      "",
      'eval instant at 50m ("Foo")',
      '  expect string "Foo"',
    ].join("\n"),
  );
  assert.deepEqual([rv.startMs, rv.endMs, rv.stepMs, rv.evalMs], [10_000, 60_000, 10_000, 60_000]);
  assert.ok(rv.excludeFromRangeQuery);
  assert.equal([...rv.expected.values()][0].values.length, 5);
  assert.equal(str.expectedString, "Foo");
  assert.ok(str.excludeFromRangeQuery);
});

test("several values for an instant eval without expect range vector are refused", () => {
  assert.throws(
    () => parseScript("eval instant at 1m foo\n  foo 1 2"),
    /line 2: expecting multiple/,
  );
  assert.throws(() => parseScript("bogus"), /line 1: invalid command/);
  assert.throws(
    () => parseScript("eval instant at 1m foo\n  expect warn\n  expect no_warn"),
    /warn and no_warn/,
  );
});

test("numbers on their own as Go's ParseInt and ParseFloat read them", () => {
  assert.equal(parseNumberLine("3"), 3);
  assert.equal(parseNumberLine("-1.5e3"), -1500);
  assert.equal(parseNumberLine("0x10"), 16);
  assert.equal(parseNumberLine("+Inf"), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(parseNumberLine("NaN") ?? 0));
  assert.equal(parseNumberLine("{} 3"), null);
  assert.equal(parseNumberLine("foo"), null);
});

test("every script of testdata reads, and its evals are exactly the lines evals-index.tsv lists", () => {
  const index = readIndex(readFileSync(join(testdata, "evals-index.tsv"), "utf8"));
  const files = readdirSync(testdata).filter((f) => f.endsWith(".test"));
  assert.ok(files.length >= 20);
  for (const file of files) {
    const lines = evals(readFileSync(join(testdata, file), "utf8")).map((e) => e.line);
    const listed = index.filter((s) => s.file === file).map((s) => s.line);
    assert.deepEqual(lines, listed, file);
  }
});
