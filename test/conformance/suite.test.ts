import assert from "node:assert/strict";
import { test } from "node:test";
import {
  describeVerdict,
  formatKnownFailures,
  judge,
  readIndex,
  readKnownFailures,
  type StatementResult,
  type SuiteResult,
} from "./suite.js";

const INDEX = [
  "file\tline\tkind\ttime\texpects\tnative_histograms\tnh_reason\tfeatures\texpr",
  "a.test\t3\tinstant\t1m\t\tno\t\t\tfoo",
  "a.test\t7\tinstant\t1m\t\tno\t\texperimental:info\tinfo(foo)",
  "a.test\t9\tinstant\t1m\t\tyes\tselects-histogram-series:h\t\th",
  "duration_expression.test\t4\tinstant\t1m\t\tno\t\t\tfoo[1m+1m]",
].join("\n");

test("the index sorts statements into stable, experimental and skipped by scope", () => {
  const s = readIndex(INDEX);
  assert.deepEqual(
    s.map((x) => [x.file, x.line, x.set]),
    [
      ["a.test", 3, "stable"],
      ["a.test", 7, "experimental"],
      ["a.test", 9, "skipped"],
      // Without features, but in a script Prometheus keeps behind a flag.
      ["duration_expression.test", 4, "experimental"],
    ],
  );
  assert.equal(s[1].expr, "info(foo)");
});

function result(file: string, line: number, failure: string | null): StatementResult {
  return { file, line, set: "stable", expr: "x", failure };
}

test("a new failure, a listed statement that passes, and a listed one that is not run all count against", () => {
  const suite: SuiteResult = {
    results: [
      result("a.test", 1, null),
      result("a.test", 2, "expected 1 for foo, got 2\n  expected: ..."),
      result("a.test", 3, null),
      result("a.test", 4, "still broken"),
    ],
    skipped: [],
    samplesWritten: 1,
  };
  const known = new Map([
    ["a.test:3", "was broken"],
    ["a.test:4", "still broken"],
    ["gone.test:1", "no such statement"],
  ]);
  const v = judge(suite, known);
  assert.deepEqual(
    v.newFailures.map((r) => r.line),
    [2],
  );
  assert.deepEqual(
    v.fixed.map((r) => r.line),
    [3],
  );
  assert.deepEqual(v.stale, ["gone.test:1"]);
  assert.ok(v.report.includes("promql.conformance.stable.passed 2"));
  assert.ok(v.report.includes("promql.conformance.stable.total 4"));
  assert.ok(v.report.includes("promql.conformance.experimental.total 0"));
  const text = describeVerdict(v);
  assert.match(text, /a\.test:2 expected 1 for foo, got 2\n {2}expected:/);
  assert.match(text, /now pass; remove them:\n {2}a\.test:3/);
});

test("the list written holds each failure's first line, sorted, and reads back as the same ids", () => {
  const failures = [
    result("b.test", 10, "reason b\ndetails"),
    result("a.test", 20, "reason a2"),
    result("a.test", 3, `${"x".repeat(300)}`),
  ];
  const text = formatKnownFailures(failures);
  const entries = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  assert.deepEqual(
    entries.map((l) => l.split(" ")[0]),
    ["a.test:3", "a.test:20", "b.test:10"],
  );
  assert.equal(entries[2], "b.test:10 reason b");
  assert.ok(entries[0].length < 200);
  const back = readKnownFailures(text);
  assert.deepEqual([...back.keys()], ["a.test:3", "a.test:20", "b.test:10"]);
  assert.equal(back.get("a.test:20"), "reason a2");
});
