import assert from "node:assert/strict";
import { test } from "node:test";
import type { Expr } from "../ast.js";
import { absentLabels } from "./absent.js";
import {
  AT_50M,
  callFn,
  context,
  rangeSteps,
  readRows,
  selector,
  vec,
} from "./instant-fixtures.js";

test("absent labels come from the equality matchers, as functions.test expects", () => {
  const fmt = (e: Expr) => absentLabels(e).map((l) => `${l.name}=${l.value}`);
  // absent(nonexistent{job="testjob", instance="testinstance", method=~".x"})
  assert.deepEqual(
    fmt(
      selector("nonexistent", [
        ["job", "=", "testjob"],
        ["instance", "=", "testinstance"],
        ["method", "=~", ".x"],
      ]),
    ),
    ["instance=testinstance", "job=testjob"],
  );
  // absent(nonexistent{job="testjob",job="testjob2",foo="bar"}): a label matched twice is left out.
  assert.deepEqual(
    fmt(
      selector("nonexistent", [
        ["job", "=", "testjob"],
        ["job", "=", "testjob2"],
        ["foo", "=", "bar"],
      ]),
    ),
    ["foo=bar"],
  );
  // absent(nonexistent{job="testjob", job!="testjob2", foo="bar"})
  assert.deepEqual(
    fmt(
      selector("nonexistent", [
        ["job", "=", "testjob"],
        ["job", "!=", "testjob2"],
        ["foo", "=", "bar"],
      ]),
    ),
    ["foo=bar"],
  );
  // A negative matcher first, then an equality: the equality wins.
  assert.deepEqual(
    fmt(
      selector(null, [
        ["job", "!=", "a"],
        ["job", "=", "b"],
      ]),
    ),
    ["job=b"],
  );
  // An equality with the empty value gives no label.
  assert.deepEqual(fmt(selector("x", [["job", "=", ""]])), []);
  // Parentheses are looked through; other expressions give no labels.
  const sel = selector("x", [["a", "=", "b"]]);
  assert.deepEqual(fmt({ kind: "paren", expr: sel, pos: sel.pos }), ["a=b"]);
  assert.deepEqual(fmt({ kind: "number", value: 1, pos: sel.pos }), []);
});

test("absent is 1 at the steps without any sample", () => {
  const s = rangeSteps(0, 60_000, 3);
  const sel = selector("x", [["job", "=", "a"]]);
  const input = vec(s, [
    [{ __name__: "x", job: "a", i: "1" }, [1, null, null]],
    [{ __name__: "x", job: "a", i: "2" }, [null, null, 3]],
  ]);
  const ctx = context(s, "absent", [sel]);
  assert.deepEqual(readRows(callFn("absent", [input], ctx)), [
    { labels: '{job="a"}', dropName: false, values: [null, 1, null] },
  ]);
  assert.equal(ctx.accounted, 1);
});

test("absent of a present vector is empty, of an empty one is {} 1", () => {
  const sel = selector("x", []);
  const present = vec(AT_50M, [[{ __name__: "x" }, [Number.NaN]]]);
  assert.deepEqual(readRows(callFn("absent", [present], context(AT_50M, "absent", [sel]))), []);
  const empty = vec(AT_50M, []);
  assert.deepEqual(readRows(callFn("absent", [empty], context(AT_50M, "absent", [sel]))), [
    { labels: "{}", dropName: false, values: [1] },
  ]);
});
