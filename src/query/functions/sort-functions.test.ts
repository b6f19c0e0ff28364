import assert from "node:assert/strict";
import { test } from "node:test";
import type { Value, VectorBlock } from "../block.js";
import { AT_50M, callFn, context, rangeSteps, readRows, str, vec } from "./instant-fixtures.js";
import { naturalLess } from "./sort-functions.js";

const h = (job: string, instance: string, group: string) => ({
  __name__: "http_requests",
  group,
  instance,
  job,
});

// functions.test's "Tests for sort_by_label" load, at 50m.
const HTTP = vec(AT_50M, [
  [h("api-server", "0", "production"), [100]],
  [h("api-server", "1", "production"), [200]],
  [h("api-server", "0", "canary"), [300]],
  [h("api-server", "1", "canary"), [400]],
  [h("api-server", "2", "canary"), [Number.NaN]],
  [h("app-server", "0", "production"), [500]],
  [h("app-server", "1", "production"), [600]],
  [h("app-server", "0", "canary"), [700]],
  [h("app-server", "1", "canary"), [800]],
  [h("api-server", "2", "production"), [100]],
]);

function sorted(name: string, input: VectorBlock, ...labels: string[]) {
  const args: Value[] = [input, ...labels.map(str)];
  return readRows(callFn(name, args, context(input.steps, name)));
}

/** `group/instance/job` of each row, short enough to read against functions.test. */
function keys(rows: ReturnType<typeof readRows>): string[] {
  return rows.map((r) => {
    const m = /group="([^"]*)", instance="([^"]*)", job="([^"]*)"/.exec(r.labels);
    return m === null ? r.labels : `${m[1]}/${m[2]}/${m[3]}`;
  });
}

test("sort orders by value with NaN last", () => {
  const rows = sorted("sort", HTTP);
  assert.deepEqual(
    rows.map((r) => r.values[0]),
    [100, 100, 200, 300, 400, 500, 600, 700, 800, Number.NaN],
  );
  assert.ok(rows.every((r) => !r.dropName));
});

test("sort_desc orders by value descending with NaN last", () => {
  assert.deepEqual(
    sorted("sort_desc", HTTP).map((r) => r.values[0]),
    [800, 700, 600, 500, 400, 300, 200, 100, 100, Number.NaN],
  );
});

test("sort_by_label sorts by the labels in turn, then by the whole label set", () => {
  assert.deepEqual(keys(sorted("sort_by_label", HTTP, "instance")), [
    "canary/0/api-server",
    "canary/0/app-server",
    "production/0/api-server",
    "production/0/app-server",
    "canary/1/api-server",
    "canary/1/app-server",
    "production/1/api-server",
    "production/1/app-server",
    "canary/2/api-server",
    "production/2/api-server",
  ]);
  assert.deepEqual(keys(sorted("sort_by_label", HTTP, "job", "instance", "group")), [
    "canary/0/api-server",
    "production/0/api-server",
    "canary/1/api-server",
    "production/1/api-server",
    "canary/2/api-server",
    "production/2/api-server",
    "canary/0/app-server",
    "production/0/app-server",
    "canary/1/app-server",
    "production/1/app-server",
  ]);
});

test("sort_by_label_desc reverses both the labels' and the label set's order", () => {
  assert.deepEqual(keys(sorted("sort_by_label_desc", HTTP, "instance")), [
    "production/2/api-server",
    "canary/2/api-server",
    "production/1/app-server",
    "production/1/api-server",
    "canary/1/app-server",
    "canary/1/api-server",
    "production/0/app-server",
    "production/0/api-server",
    "canary/0/app-server",
    "canary/0/api-server",
  ]);
});

test("sort_by_label uses natural order for numbers inside values", () => {
  const cpus = ["0", "1", "2", "3", "10", "11", "12", "20", "21", "100"];
  const shuffled = [...cpus].reverse();
  const v = vec(
    AT_50M,
    shuffled.map((cpu) => [{ __name__: "cpu_time_total", cpu, job: "cpu" }, [100]]),
  );
  const rows = sorted("sort_by_label", v, "cpu");
  assert.deepEqual(
    rows.map((r) => /cpu="(\d+)"/.exec(r.labels)?.[1]),
    cpus,
  );
  const uname = vec(AT_50M, [
    [{ instance: "4m600", release: "1.2.3" }, [100]],
    [{ instance: "4m5", release: "1.11.3" }, [100]],
    [{ instance: "4m1000", release: "1.111.3" }, [100]],
  ]);
  const inst = (rows: ReturnType<typeof readRows>) =>
    rows.map((r) => /instance="([^"]*)"/.exec(r.labels)?.[1]);
  assert.deepEqual(inst(sorted("sort_by_label", uname, "instance")), ["4m5", "4m600", "4m1000"]);
  assert.deepEqual(inst(sorted("sort_by_label", uname, "release")), ["4m600", "4m5", "4m1000"]);
});

test("naturalLess compares digit runs as integers and the rest as strings", () => {
  assert.ok(naturalLess("a2", "a10"));
  assert.ok(!naturalLess("a10", "a2"));
  assert.ok(naturalLess("a", "b"));
  assert.ok(naturalLess("1.2.3", "1.11.3"));
  assert.ok(naturalLess("x01", "x1y"), "01 equals 1, then x01 runs out first");
  assert.ok(!naturalLess("x1y", "x01"));
  assert.ok(naturalLess("9", "a"), "a digit run against text compares as strings");
  assert.ok(naturalLess("10000000000000000000", "9"), "too big for Atoi, so compared as text");
  assert.ok(!naturalLess("", "a"));
  assert.ok(!naturalLess("a", ""));
});

test("sorting in a range query warns and keeps the rows", () => {
  const s = rangeSteps(0, 60_000, 2);
  const v = vec(s, [
    [{ a: "2" }, [2, 2]],
    [{ a: "1" }, [1, 1]],
  ]);
  const ctx = context(s, "sort", [], "sort(x)", { start: 0, end: 7 });
  const rows = readRows(callFn("sort", [v], ctx));
  assert.deepEqual(
    rows.map((r) => r.labels),
    ['{a="2"}', '{a="1"}'],
  );
  assert.deepEqual(ctx.annotations.warnings, [
    "PromQL warning: sort is ineffective for range queries since results are always ordered by labels (1:1)",
  ]);
});

test("sort leaves out rows without samples", () => {
  const v = vec(AT_50M, [
    [{ a: "1" }, [null]],
    [{ a: "2" }, [3]],
  ]);
  const ctx = context(AT_50M, "sort");
  assert.deepEqual(
    readRows(callFn("sort", [v], ctx)).map((r) => r.labels),
    ['{a="2"}'],
  );
  assert.equal(ctx.accounted, 1);
});
