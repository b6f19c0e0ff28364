import assert from "node:assert/strict";
import { test } from "node:test";
import type { Value, VectorBlock } from "../block.js";
import { EvaluationError } from "../errors.js";
import { AT_50M, callFn, context, rangeSteps, readRows, str, vec } from "./instant-fixtures.js";
import { expandTemplate, isValidLabelName } from "./label-functions.js";

// functions.test's "Tests for label_replace".
const TESTMETRIC = vec(AT_50M, [
  [{ __name__: "testmetric", src: "source-value-10", dst: "original-destination-value" }, [0]],
  [{ __name__: "testmetric", src: "source-value-20", dst: "original-destination-value" }, [1]],
]);

function replace(input: VectorBlock, dst: string, repl: string, src: string, regex: string) {
  const args: Value[] = [input, str(dst), str(repl), str(src), str(regex)];
  return readRows(callFn("label_replace", args, context(input.steps, "label_replace")));
}

function labelsOf(rows: ReturnType<typeof readRows>): string[] {
  return rows.map((r) => r.labels);
}

test("label_replace does a full-string match and replace", () => {
  const rows = replace(TESTMETRIC, "dst", "destination-value-$1", "src", "source-value-(.*)");
  assert.deepEqual(labelsOf(rows), [
    'testmetric{dst="destination-value-10", src="source-value-10"}',
    'testmetric{dst="destination-value-20", src="source-value-20"}',
  ]);
  assert.deepEqual(
    rows.map((r) => r.values[0]),
    [0, 1],
  );
});

const UNCHANGED = [
  'testmetric{dst="original-destination-value", src="source-value-10"}',
  'testmetric{dst="original-destination-value", src="source-value-20"}',
];

test("label_replace does not match a substring", () => {
  assert.deepEqual(
    labelsOf(replace(TESTMETRIC, "dst", "destination-value-$1", "src", "value-(.*)")),
    UNCHANGED,
  );
});

test("label_replace with several capture groups", () => {
  assert.deepEqual(labelsOf(replace(TESTMETRIC, "dst", "$1-value-$2", "src", "(.*)-value-(.*)")), [
    'testmetric{dst="source-value-10", src="source-value-10"}',
    'testmetric{dst="source-value-20", src="source-value-20"}',
  ]);
});

test("label_replace leaves dst alone when src is missing and does not match, sets it when it matches", () => {
  assert.deepEqual(
    labelsOf(replace(TESTMETRIC, "dst", "value-$1", "nonexistent-src", "source-value-(.*)")),
    UNCHANGED,
  );
  assert.deepEqual(labelsOf(replace(TESTMETRIC, "dst", "value-$1", "nonexistent-src", "(.*)")), [
    'testmetric{dst="value-", src="source-value-10"}',
    'testmetric{dst="value-", src="source-value-20"}',
  ]);
  assert.deepEqual(
    labelsOf(replace(TESTMETRIC, "dst", "value-$1", "src", "non-matching-regex")),
    UNCHANGED,
  );
});

test("label_replace drops a label set to the empty value", () => {
  assert.deepEqual(labelsOf(replace(TESTMETRIC, "dst", "", "dst", ".*")), [
    'testmetric{src="source-value-10"}',
    'testmetric{src="source-value-20"}',
  ]);
});

test("label_replace's dot matches a newline (the regex is (?s:...))", () => {
  const v = vec(AT_50M, [[{ a: "x\ny" }, [1]]]);
  assert.deepEqual(labelsOf(replace(v, "b", "$1", "a", "x(.)y")), ['{a="x\\ny", b="\\n"}']);
});

test("label_replace fails on an invalid regex, an invalid destination, duplicate output", () => {
  assert.throws(
    () => replace(TESTMETRIC, "dst", "value-$1", "src", "(.*"),
    (e) =>
      e instanceof EvaluationError &&
      e.message === "invalid regular expression in label_replace(): (.*",
  );
  assert.throws(
    () => replace(TESTMETRIC, "\ufffd", "", "src", "(.*)"),
    (e) =>
      e instanceof EvaluationError &&
      e.message === "invalid destination label name in label_replace(): \ufffd",
  );
  assert.throws(
    () => replace(TESTMETRIC, "src", "", "", ""),
    (e) =>
      e instanceof EvaluationError &&
      e.message === "vector cannot contain metrics with the same labelset",
  );
});

test("label_replace merges rows that end up equal when their samples do not overlap", () => {
  // functions.test: series{label="a", idx="1"} 2 _ and series{label="a", idx="2"} _ 4, every 20m.
  const s = rangeSteps(0, 1_200_000, 2);
  const series = vec(s, [
    [{ __name__: "series", label: "a", idx: "1" }, [2, null]],
    [{ __name__: "series", label: "a", idx: "2" }, [null, 4]],
  ]);
  const rows = replace(series, "idx", "replaced", "idx", ".*");
  assert.deepEqual(rows, [
    { labels: 'series{idx="replaced", label="a"}', dropName: false, values: [2, 4] },
  ]);
  const overlap = vec(AT_50M, [
    [{ __name__: "overlap", label: "a", idx: "1" }, [1]],
    [{ __name__: "overlap", label: "a", idx: "2" }, [2]],
  ]);
  assert.throws(() => replace(overlap, "idx", "same", "idx", ".*"), EvaluationError);
});

test("label_replace keeps or clears the pending name drop as name_label_dropping.test expects", () => {
  const rate = vec(AT_50M, [[{ __name__: "metric_total", env: "1" }, [0.2]]]);
  rate.series[0].dropName = true;
  const other = replace(rate, "my_name", "rate_$1", "__name__", "(.+)");
  assert.deepEqual(other, [
    { labels: 'metric_total{env="1", my_name="rate_metric_total"}', dropName: true, values: [0.2] },
  ]);
  const name = replace(rate, "__name__", "rate_$1", "__name__", "(.+)");
  assert.deepEqual(name, [
    { labels: 'rate_metric_total{env="1"}', dropName: false, values: [0.2] },
  ]);
  const noMatch = replace(rate, "__name__", "x", "env", "2");
  assert.equal(noMatch[0].dropName, true, "no match, no change");
});

// functions.test's "Tests for label_join".
const JOIN = vec(AT_50M, [
  [
    { __name__: "testmetric", src: "a", src1: "b", src2: "c", dst: "original-destination-value" },
    [0],
  ],
  [
    { __name__: "testmetric", src: "d", src1: "e", src2: "f", dst: "original-destination-value" },
    [1],
  ],
]);

function join(input: VectorBlock, dst: string, sep: string, ...srcs: string[]) {
  const args: Value[] = [input, str(dst), str(sep), ...srcs.map(str)];
  return readRows(callFn("label_join", args, context(input.steps, "label_join")));
}

test("label_join joins the source values in order, missing ones as empty", () => {
  assert.deepEqual(labelsOf(join(JOIN, "dst", "-", "src", "src1", "src2")), [
    'testmetric{dst="a-b-c", src="a", src1="b", src2="c"}',
    'testmetric{dst="d-e-f", src="d", src1="e", src2="f"}',
  ]);
  assert.deepEqual(labelsOf(join(JOIN, "dst", "-", "src", "src3", "src1")), [
    'testmetric{dst="a--b", src="a", src1="b", src2="c"}',
    'testmetric{dst="d--e", src="d", src1="e", src2="f"}',
  ]);
});

test("label_join with an empty result or no sources removes dst", () => {
  const expected = [
    'testmetric{src="a", src1="b", src2="c"}',
    'testmetric{src="d", src1="e", src2="f"}',
  ];
  assert.deepEqual(labelsOf(join(JOIN, "dst", "", "emptysrc", "emptysrc1", "emptysrc2")), expected);
  assert.deepEqual(labelsOf(join(JOIN, "dst", ", ")), expected);
});

test("label_join fails on duplicate output and on invalid names", () => {
  const dup = vec(AT_50M, [
    [{ __name__: "dup", label: "a", this: "a" }, [1]],
    [{ __name__: "dup", label: "b", this: "a" }, [1]],
  ]);
  assert.throws(() => join(dup, "label", "", "this"), {
    message: "vector cannot contain metrics with the same labelset",
  });
  assert.throws(() => join(JOIN, "", "-", "src"), {
    message: "invalid destination label name in label_join(): ",
  });
  assert.throws(() => join(JOIN, "dst", "-", "\ud800"), {
    message: "invalid source label name in label_join(): \ud800",
  });
});

test("label_join can set the metric name, which then stays", () => {
  const rate = vec(AT_50M, [[{ __name__: "metric_total", env: "1" }, [0.2]]]);
  rate.series[0].dropName = true;
  assert.deepEqual(join(rate, "__name__", "_", "__name__", "env"), [
    { labels: 'metric_total_1{env="1"}', dropName: false, values: [0.2] },
  ]);
});

test("expandTemplate follows Go's regexp.Expand", () => {
  const m = ["abc", "a", "b", undefined];
  const groups = { first: "a", none: undefined };
  assert.equal(expandTemplate("$1-$2", m, groups), "a-b");
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's expansion syntax, not a JavaScript template
  assert.equal(expandTemplate("${1}x", m, groups), "ax");
  assert.equal(expandTemplate("$1x", m, groups), "", "$1x names group 1x");
  assert.equal(expandTemplate("$3|$9|$01", m, groups), "||", "unmatched, missing, leading zero");
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's expansion syntax, not a JavaScript template
  assert.equal(expandTemplate("$first/${first}/$none/$other", m, groups), "a/a//");
  assert.equal(expandTemplate("$$1 costs $", m, groups), "$1 costs $");
  assert.equal(expandTemplate("${1", m, groups), "${1", "an unclosed brace is text");
  assert.equal(expandTemplate("$-", m, groups), "$-");
  assert.equal(
    expandTemplate("$é", m, { é: "e" }),
    "e",
    "letters beyond ASCII are name characters",
  );
  assert.equal(expandTemplate("$0", m, groups), "abc");
});

test("label names: empty or not valid UTF-8 are invalid", () => {
  assert.ok(isValidLabelName("job"));
  assert.ok(isValidLabelName("métier.name"), "Prometheus 3 accepts UTF-8 names");
  assert.ok(!isValidLabelName(""));
  assert.ok(!isValidLabelName("a\udc00"));
});
