// Vector matching (on/ignoring, group_left/group_right, fill) against
// operators.test, collision.test and fill-modifier.test's expected values.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { BinaryOp } from "../ast.js";
import { EvaluationError } from "../errors.js";
import { _, binary, block, has, type MatchSpec, only, requests, run } from "./testing.js";

test("on() keeps only the on labels, ignoring() drops the ignored ones (operators.test)", () => {
  const canary = only(requests, has("group", "canary"));
  const production = only(requests, has("group", "production"));
  const want = [
    '{instance="0", job="api-server"} => 3',
    '{instance="1", job="api-server"} => 2',
    '{instance="0", job="app-server"} => 1.4',
    '{instance="1", job="app-server"} => 1.3333333333333333',
  ];
  assert.deepEqual(run(binary("/", { on: ["instance", "job"] }), canary, production), want);
  assert.deepEqual(run(binary("/", { ignoring: ["group"] }), canary, production), want);
  const random = block([[{ __name__: "random", foo: "bar" }, [2]]]);
  const metricA = block([[{ __name__: "metricA", baz: "meh" }, [3]]]);
  const metricB = block([[{ __name__: "metricB", baz: "meh" }, [4]]]);
  assert.deepEqual(run(binary("+", { on: [] }), random, metricA), ["{} => 5"]);
  assert.deepEqual(run(binary("+", { ignoring: [] }), metricA, metricB), ['{baz="meh"} => 7']);
});

const nodeVar = block([[{ __name__: "node_var", instance: "abc", job: "node" }, [2]]]);
const nodeRole = block([
  [{ __name__: "node_role", instance: "abc", job: "node", role: "prometheus" }, [1]],
]);
const nodeCpu = block([
  [{ __name__: "node_cpu", instance: "abc", job: "node", mode: "idle" }, [3]],
  [{ __name__: "node_cpu", instance: "abc", job: "node", mode: "user" }, [1]],
  [{ __name__: "node_cpu", instance: "def", job: "node", mode: "idle" }, [8]],
  [{ __name__: "node_cpu", instance: "def", job: "node", mode: "user" }, [2]],
]);

test("group_left and group_right copy include labels from the one side (operators.test)", () => {
  const left = { card: "many-to-one" as const, on: ["instance"], include: ["role"] };
  const right = { card: "one-to-many" as const, on: ["instance"], include: ["role"] };
  const want = ['{instance="abc", job="node", role="prometheus"} => 2'];
  assert.deepEqual(run(binary("*", left), nodeVar, nodeRole), want);
  assert.deepEqual(run(binary("*", right), nodeRole, nodeVar), want);
  assert.deepEqual(
    run(
      binary("*", { card: "many-to-one", ignoring: ["role"], include: ["role"] }),
      nodeVar,
      nodeRole,
    ),
    want,
  );
  assert.deepEqual(run(binary("*", left), nodeCpu, nodeRole), [
    '{instance="abc", job="node", mode="idle", role="prometheus"} => 3',
    '{instance="abc", job="node", mode="user", role="prometheus"} => 1',
  ]);
  const sums = block([
    [{ instance: "abc", job: "node" }, [4]],
    [{ instance: "def", job: "node" }, [10]],
  ]);
  assert.deepEqual(run(binary("/", { card: "many-to-one", on: ["instance"] }), nodeCpu, sums), [
    '{instance="abc", job="node", mode="idle"} => 0.75',
    '{instance="abc", job="node", mode="user"} => 0.25',
    '{instance="def", job="node", mode="idle"} => 0.8',
    '{instance="def", job="node", mode="user"} => 0.2',
  ]);
  // An include label the one side lacks is removed, not copied empty.
  const withDummy = block([
    [{ __name__: "node_cpu", instance: "abc", job: "node", mode: "idle", dummy: "x" }, [3]],
  ]);
  assert.deepEqual(
    run(
      binary("/", { card: "many-to-one", on: ["instance"], include: ["dummy"] }),
      withDummy,
      sums,
    ),
    ['{instance="abc", job="node", mode="idle"} => 0.75'],
  );
});

test("a comparison under group_left keeps the many side's name and copies the include label", () => {
  const threshold = block([
    [{ __name__: "threshold", instance: "abc", job: "node", target: "a@b.com" }, [0]],
  ]);
  const node = binary(">", { card: "many-to-one", on: ["job", "instance"], include: ["target"] });
  assert.deepEqual(run(node, nodeCpu, threshold), [
    'node_cpu{instance="abc", job="node", mode="idle", target="a@b.com"} => 3',
    'node_cpu{instance="abc", job="node", mode="user", target="a@b.com"} => 1',
  ]);
});

test("one-to-one with two left rows of one signature fails even when the comparison drops both", () => {
  const many = block([
    [{ __name__: "many_side", label: "foo", job: "test" }, [0]],
    [{ __name__: "many_side", label: "bar", job: "test" }, [1]],
  ]);
  const one = block([[{ __name__: "one_side", job: "test" }, [1]]]);
  for (const op of [">", ">=", "<="] as BinaryOp[]) {
    assert.throws(
      () => run(binary(op, { on: ["job"] }), many, one),
      (e: Error) =>
        e instanceof EvaluationError &&
        e.message ===
          "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
    );
  }
});

test("duplicates on the one side name the match group and both series, sorted (operators.test)", () => {
  const scalarMetric = block([[{ __name__: "scalar_metric" }, [3]]]);
  const dup = block([
    [{ __name__: "dup_metric", label: "beta" }, [2]],
    [{ __name__: "dup_metric", label: "alpha" }, [1]],
  ]);
  assert.throws(
    () => run(binary(">", { on: [] }), scalarMetric, dup),
    (e: Error) =>
      e.message ===
      'found duplicate series for the match group {} on the right hand-side of the operation: [{__name__="dup_metric", label="alpha"}, {__name__="dup_metric", label="beta"}];many-to-many matching not allowed: matching labels must be unique on one side',
  );
  assert.throws(
    () => run(binary("*", { card: "one-to-many", ignoring: ["label"] }), dup, scalarMetric),
    /match group \{\} on the left hand-side/,
  );
});

test("a duplicate matters only at steps where both sides have samples", () => {
  const lhs = block([[{ job: "x" }, [1, _, 3]]]);
  const rhs = block([
    [{ job: "x", i: "0" }, [10, 20, _]],
    [{ job: "x", i: "1" }, [_, 30, 40]],
  ]);
  assert.deepEqual(run(binary("+", { on: ["job"] }), lhs, rhs), ['{job="x"} => 11 _ 43']);
  const both = block([
    [{ job: "x", i: "0" }, [10, 20, 30]],
    [{ job: "x", i: "1" }, [_, _, 40]],
  ]);
  assert.throws(() => run(binary("+", { on: ["job"] }), lhs, both), /duplicate series/);
});

test("group_left fails when two many-side rows give one result in a match group", () => {
  const lhs = block([
    [{ __name__: "a", x: "1" }, [1]],
    [{ __name__: "b", x: "1" }, [2]],
  ]);
  const rhs = block([[{ x: "1" }, [10]]]);
  assert.throws(
    () => run(binary("+", { card: "many-to-one", on: ["x"] }), lhs, rhs),
    /^EvaluationError: multiple matches for labels: grouping labels must ensure unique matches$|grouping labels must ensure unique matches/,
  );
});

test("two matches with the same result labels at one step are the same-labelset error", () => {
  const lhs = block([
    [{ __name__: "a", x: "1" }, [1]],
    [{ __name__: "b", x: "1" }, [2]],
  ]);
  const rhs = block([
    [{ __name__: "a" }, [10]],
    [{ __name__: "b" }, [20]],
  ]);
  assert.throws(
    () => run(binary("+", { on: ["__name__"] }), lhs, rhs),
    /vector cannot contain metrics with the same labelset/,
  );
});

test("results of different rows at different steps share one row per label set", () => {
  const lhs = block([
    [{ __name__: "a", x: "1" }, [1, _]],
    [{ __name__: "b", x: "1" }, [_, 2]],
  ]);
  const rhs = block([[{ x: "1" }, [10, 10]]]);
  assert.deepEqual(run(binary("+", { on: ["x"] }), lhs, rhs), ['{x="1"} => 11 12']);
});

// fill-modifier.test's first data set.
const leftVector = block([
  [{ __name__: "left_vector", label: "a" }, [10]],
  [{ __name__: "left_vector", label: "b" }, [20]],
  [{ __name__: "left_vector", label: "c" }, [30]],
]);
const rightVector = block([
  [{ __name__: "right_vector", label: "a" }, [100]],
  [{ __name__: "right_vector", label: "b" }, [200]],
  [{ __name__: "right_vector", label: "d" }, [400]],
]);

test("fill modifiers stand in for a missing partner (fill-modifier.test)", () => {
  const fill = (op: BinaryOp, spec: MatchSpec, bool = false) =>
    run(binary(op, spec, bool), leftVector, rightVector);
  assert.deepEqual(fill("+", { fillLeft: 0, fillRight: 0 }), [
    '{label="a"} => 110',
    '{label="b"} => 220',
    '{label="c"} => 30',
    '{label="d"} => 400',
  ]);
  assert.deepEqual(fill("+", { fillLeft: 0 }), [
    '{label="a"} => 110',
    '{label="b"} => 220',
    '{label="d"} => 400',
  ]);
  assert.deepEqual(fill("+", { fillLeft: 5, fillRight: 7 }), [
    '{label="a"} => 110',
    '{label="b"} => 220',
    '{label="c"} => 37',
    '{label="d"} => 405',
  ]);
  assert.deepEqual(fill("!=", { fillLeft: 30, fillRight: 30 }), [
    'left_vector{label="a"} => 10',
    'left_vector{label="b"} => 20',
    '{label="d"} => 30',
  ]);
  // bool keeps the name, marked to be dropped (Prometheus 3's delayed name removal).
  assert.deepEqual(fill(">", { fillLeft: 25, fillRight: 25 }, true), [
    'left_vector{label="a"}! => 0',
    'left_vector{label="b"}! => 0',
    'left_vector{label="c"}! => 1',
    '{label="d"}! => 0',
  ]);
});

test("fill with group_left and group_right (fill-modifier.test)", () => {
  const requests2 = block([
    [{ __name__: "requests", method: "GET", status: "200" }, [100]],
    [{ __name__: "requests", method: "POST", status: "200" }, [200]],
    [{ __name__: "requests", method: "GET", status: "500" }, [10]],
    [{ __name__: "requests", method: "POST", status: "500" }, [20]],
  ]);
  const limits = block([
    [{ __name__: "limits", status: "200" }, [1000]],
    [{ __name__: "limits", status: "404" }, [500]],
    [{ __name__: "limits", status: "500" }, [50]],
  ]);
  assert.deepEqual(
    run(binary("+", { card: "many-to-one", on: ["status"], fillLeft: 0 }), requests2, limits),
    [
      '{method="GET", status="200"} => 1100',
      '{method="POST", status="200"} => 1200',
      '{method="GET", status="500"} => 60',
      '{method="POST", status="500"} => 70',
      '{status="404"} => 500',
    ],
  );
  const cpuInfo = block([
    [{ __name__: "cpu_info", instance: "a", cpu: "0" }, [1]],
    [{ __name__: "cpu_info", instance: "a", cpu: "1" }, [1]],
    [{ __name__: "cpu_info", instance: "b", cpu: "0" }, [1]],
  ]);
  const nodeMeta = block([
    [{ __name__: "node_meta", instance: "a" }, [100]],
    [{ __name__: "node_meta", instance: "c" }, [300]],
  ]);
  const right = (spec: MatchSpec) =>
    run(binary("*", { card: "one-to-many", on: ["instance"], ...spec }), nodeMeta, cpuInfo);
  assert.deepEqual(right({ fillLeft: 1 }), [
    '{cpu="0", instance="a"} => 100',
    '{cpu="1", instance="a"} => 100',
    '{instance="c"} => 300',
  ]);
  assert.deepEqual(right({ fillRight: 0 }), [
    '{cpu="0", instance="a"} => 100',
    '{cpu="1", instance="a"} => 100',
    '{cpu="0", instance="b"} => 0',
  ]);
});

test("fill over a range with intermittent rows (fill-modifier.test)", () => {
  const left = block([
    [{ __name__: "l", label: "a" }, [1, _, 3, _, 5]],
    [{ __name__: "l", label: "b" }, [_, 20, _, 40, _]],
  ]);
  const right = block([
    [{ __name__: "r", label: "a" }, [_, 200, _, 400, _]],
    [{ __name__: "r", label: "b" }, [100, _, 300, _, 500]],
    [{ __name__: "r", label: "c" }, [1000, _, _, 4000, 5000]],
  ]);
  assert.deepEqual(run(binary("+", { fillLeft: 0, fillRight: 0 }), left, right), [
    '{label="a"} => 1 200 3 400 5',
    '{label="b"} => 100 20 300 40 500',
    '{label="c"} => 1000 _ _ 4000 5000',
  ]);
  assert.deepEqual(run(binary("+", { fillRight: 0 }), left, right), [
    '{label="a"} => 1 _ 3 _ 5',
    '{label="b"} => _ 20 _ 40 _',
  ]);
  const lhs = block([[{ __name__: "matched_lhs", key: "a" }, [1, _, 3]]]);
  const rhs = block([
    [{ __name__: "matched_rhs", key: "a" }, [10, 20, 30]],
    [{ __name__: "matched_rhs", key: "b" }, [100, 200, 300]],
  ]);
  assert.deepEqual(run(binary("+", { card: "many-to-one", on: ["key"], fillLeft: 0 }), lhs, rhs), [
    '{key="a"} => 11 20 33',
    '{key="b"} => 100 200 300',
  ]);
  const empty = block([], 1);
  assert.deepEqual(run(binary("+", { fillLeft: 0 }), leftVector, empty), []);
  assert.equal(run(binary("+", { fillRight: 0 }), leftVector, empty).length, 3);
});
