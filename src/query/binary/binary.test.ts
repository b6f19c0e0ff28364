// Binary operators against hand-computed tables and the expected values of
// Prometheus's operators.test, collision.test and fill-modifier.test.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Annotations } from "../annotations.js";
import type { Binary, BinaryOp, Cardinality, VectorMatching } from "../ast.js";
import type { ScalarBlock, Steps, Value, VectorBlock } from "../block.js";
import { EvaluationError } from "../errors.js";
import { formatLabels, type Labels, makeLabels } from "../labels.js";
import type { OperatorContext } from "../operator-context.js";
import { evalBinary } from "./index.js";

const _ = null;
type Cell = number | null;
const NaN_ = Number.NaN;
const Inf = Number.POSITIVE_INFINITY;

function lbls(spec: Record<string, string>): Labels {
  return makeLabels(Object.entries(spec));
}

function stepsOf(n: number): Steps {
  return { startMs: 0, stepMs: n > 1 ? 60_000 : 0, count: n };
}

function block(
  rows: [Record<string, string>, Cell[]][],
  n = rows[0]?.[1].length ?? 1,
): VectorBlock {
  const values = new Float64Array(rows.length * n);
  const present = new Uint8Array(rows.length * n);
  rows.forEach(([, cells], r) => {
    cells.forEach((v, j) => {
      if (v === null) return;
      values[r * n + j] = v;
      present[r * n + j] = 1;
    });
  });
  return {
    type: "vector",
    steps: stepsOf(n),
    series: rows.map(([l]) => ({ labels: lbls(l), dropName: false })),
    values,
    present,
  };
}

function scalar(n: number, ...values: number[]): ScalarBlock {
  const v = new Float64Array(n);
  for (let j = 0; j < n; j++) v[j] = values[Math.min(j, values.length - 1)];
  return { type: "scalar", steps: stepsOf(n), values: v };
}

interface MatchSpec {
  card?: Cardinality;
  on?: string[];
  ignoring?: string[];
  include?: string[];
  fillLeft?: number;
  fillRight?: number;
}

function binary(op: BinaryOp, spec: MatchSpec | null = {}, returnBool = false): Binary {
  const pos = { start: 0, end: 1 };
  const setOp = op === "and" || op === "or" || op === "unless";
  const matching: VectorMatching | null =
    spec === null
      ? null
      : {
          card: spec.card ?? (setOp ? "many-to-many" : "one-to-one"),
          on: spec.on !== undefined,
          labels: spec.on ?? spec.ignoring ?? [],
          include: spec.include ?? [],
          fillLeft: spec.fillLeft ?? null,
          fillRight: spec.fillRight ?? null,
        };
  const operand = { kind: "number" as const, value: 0, pos };
  return { kind: "binary", op, lhs: operand, rhs: operand, returnBool, matching, pos };
}

function context(): OperatorContext {
  return { annotations: new Annotations(), query: "", accountSamples() {} };
}

function show(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}

/** Rows as `labels => v _ v` (a trailing "!" marks dropName), in the block's order. */
function rowsOf(value: Value): string[] {
  assert.equal(value.type, "vector");
  const b = value as VectorBlock;
  const n = b.steps.count;
  return b.series.map((s, r) => {
    const cells: string[] = [];
    for (let j = 0; j < n; j++) {
      cells.push(b.present[r * n + j] === 1 ? show(b.values[r * n + j]) : "_");
    }
    return `${formatLabels(s.labels)}${s.dropName ? "!" : ""} => ${cells.join(" ")}`;
  });
}

function run(node: Binary, lhs: Value, rhs: Value): string[] {
  return rowsOf(evalBinary(node, lhs, rhs, context()));
}

function scalarOf(node: Binary, a: number, b: number): number {
  const out = evalBinary(node, scalar(1, a), scalar(1, b), context());
  assert.equal(out.type, "scalar");
  return (out as ScalarBlock).values[0];
}

test("scalar with scalar: arithmetic as Go computes it, comparisons give 0 or 1", () => {
  const s = (op: BinaryOp, a: number, b: number) => scalarOf(binary(op, null, true), a, b);
  assert.equal(s("-", 2, 3), -1);
  assert.equal(s("/", 1, 0), Inf);
  assert.equal(s("/", -1, 0), -Inf);
  assert.ok(Number.isNaN(s("/", 0, 0)));
  assert.equal(s("^", 2, 9), 512);
  assert.equal(s("atan2", 10, 20), 0.4636476090008061);
  assert.ok(Number.isNaN(s("atan2", 10, NaN_)));
  assert.equal(s("==", 0, 1), 0);
  assert.equal(s("==", 1, 1), 1);
  assert.equal(s(">=", NaN_, NaN_), 0);
  // Go's math.Mod: the sign of the dividend, NaN for a zero divisor or infinite dividend.
  assert.equal(s("%", 1000, 3), 1);
  assert.equal(s("%", -7, 3), -1);
  assert.ok(Object.is(s("%", -6, 3), -0));
  assert.ok(Number.isNaN(s("%", 5, 0)));
  assert.ok(Number.isNaN(s("%", Inf, 2)));
  assert.equal(s("%", 5, Inf), 5);
  // Go's math.Pow: 1 to any power is 1, and so is -1 to an infinite one.
  assert.equal(s("^", 1, NaN_), 1);
  assert.equal(s("^", 1, Inf), 1);
  assert.equal(s("^", -1, -Inf), 1);
  assert.ok(Number.isNaN(s("^", NaN_, 1)));
  assert.equal(s("^", NaN_, 0), 1);
});

// operators.test's left_floats and right_floats at 0..60m step 6m.
const leftFloats = block([
  [{ __name__: "left_floats" }, [1, 2, _, _, 3, _, 4, 5, NaN_, Inf, -Inf]],
]);
const rightFloats = block([
  [{ __name__: "right_floats" }, [4, _, _, 5, 3, 7, -1, 20, NaN_, Inf, -Inf]],
]);

test("vector with scalar: comparisons filter and keep the vector's value and name", () => {
  const cmp = (op: BinaryOp, s: number, left = false, bool = false) =>
    left
      ? run(binary(op, null, bool), scalar(11, s), leftFloats)
      : run(binary(op, null, bool), leftFloats, scalar(11, s));
  assert.deepEqual(cmp("==", 3), ["left_floats{} => _ _ _ _ 3 _ _ _ _ _ _"]);
  assert.deepEqual(cmp("!=", 3), ["left_floats{} => 1 2 _ _ _ _ 4 5 NaN Infinity -Infinity"]);
  assert.deepEqual(cmp(">=", 3), ["left_floats{} => _ _ _ _ 3 _ 4 5 _ Infinity _"]);
  assert.deepEqual(cmp("<", 3, true), ["left_floats{} => _ _ _ _ _ _ 4 5 _ Infinity _"]);
  assert.deepEqual(cmp(">=", 3, true), ["left_floats{} => 1 2 _ _ 3 _ _ _ _ _ -Infinity"]);
  assert.deepEqual(cmp("==", NaN_), []);
  assert.deepEqual(cmp("==", 3, false, true), ["left_floats{}! => 0 0 _ _ 1 _ 0 0 0 0 0"]);
  assert.deepEqual(cmp("==", Inf, true, true), ["left_floats{}! => 0 0 _ _ 0 _ 0 0 0 1 0"]);
});

test("vector with scalar: arithmetic marks the name to be dropped, scalar on either side", () => {
  const cpu = block([
    [{ __name__: "node_cpu", instance: "abc", mode: "idle" }, [3]],
    [{ __name__: "node_cpu", instance: "abc", mode: "user" }, [1]],
  ]);
  assert.deepEqual(run(binary("+", null), cpu, scalar(1, 2)), [
    'node_cpu{instance="abc", mode="idle"}! => 5',
    'node_cpu{instance="abc", mode="user"}! => 3',
  ]);
  assert.deepEqual(run(binary("-", null), scalar(1, 2), cpu), [
    'node_cpu{instance="abc", mode="idle"}! => -1',
    'node_cpu{instance="abc", mode="user"}! => 1',
  ]);
  assert.deepEqual(run(binary("/", null), cpu, scalar(1, 0)), [
    'node_cpu{instance="abc", mode="idle"}! => Infinity',
    'node_cpu{instance="abc", mode="user"}! => Infinity',
  ]);
  assert.deepEqual(run(binary("%", null), cpu, scalar(1, 2)), [
    'node_cpu{instance="abc", mode="idle"}! => 1',
    'node_cpu{instance="abc", mode="user"}! => 1',
  ]);
  assert.deepEqual(run(binary("^", null), cpu, scalar(1, 2)), [
    'node_cpu{instance="abc", mode="idle"}! => 9',
    'node_cpu{instance="abc", mode="user"}! => 1',
  ]);
});

test("vector with vector, one-to-one: comparisons per step keep the left's labels (operators.test)", () => {
  const c = (op: BinaryOp, bool = false) => run(binary(op, {}, bool), leftFloats, rightFloats);
  assert.deepEqual(c("=="), ["left_floats{} => _ _ _ _ 3 _ _ _ _ Infinity -Infinity"]);
  assert.deepEqual(c("==", true), ["left_floats{}! => 0 _ _ _ 1 _ 0 0 0 1 1"]);
  assert.deepEqual(c("!="), ["left_floats{} => 1 _ _ _ _ _ 4 5 NaN _ _"]);
  assert.deepEqual(c(">"), ["left_floats{} => _ _ _ _ _ _ 4 _ _ _ _"]);
  assert.deepEqual(c("<", true), ["left_floats{}! => 1 _ _ _ 0 _ 0 1 0 0 0"]);
  assert.deepEqual(c("<="), ["left_floats{} => 1 _ _ _ 3 _ _ 5 _ Infinity -Infinity"]);
  assert.deepEqual(c("+"), ["{} => 5 _ _ _ 6 _ 3 25 NaN Infinity -Infinity"]);
});

const requests = block([
  [
    { __name__: "http_requests_total", job: "api-server", instance: "0", group: "production" },
    [100],
  ],
  [
    { __name__: "http_requests_total", job: "api-server", instance: "1", group: "production" },
    [200],
  ],
  [{ __name__: "http_requests_total", job: "api-server", instance: "0", group: "canary" }, [300]],
  [{ __name__: "http_requests_total", job: "api-server", instance: "1", group: "canary" }, [400]],
  [
    { __name__: "http_requests_total", job: "app-server", instance: "0", group: "production" },
    [500],
  ],
  [
    { __name__: "http_requests_total", job: "app-server", instance: "1", group: "production" },
    [600],
  ],
  [{ __name__: "http_requests_total", job: "app-server", instance: "0", group: "canary" }, [700]],
  [{ __name__: "http_requests_total", job: "app-server", instance: "1", group: "canary" }, [800]],
]);

function only(b: VectorBlock, keep: (labels: Labels) => boolean): VectorBlock {
  const rows = b.series.flatMap((s, r) => (keep(s.labels) ? [r] : []));
  return {
    ...b,
    series: rows.map((r) => b.series[r]),
    values: Float64Array.from(rows, (r) => b.values[r]),
    present: Uint8Array.from(rows, (r) => b.present[r]),
  };
}

const has = (name: string, value: string) => (l: Labels) =>
  l.some((x) => x.name === name && x.value === value);

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

test("and, unless and or match on signatures per step (operators.test)", () => {
  const canary = only(requests, has("group", "canary"));
  const instance0 = only(requests, has("instance", "0"));
  assert.deepEqual(run(binary("and", {}), canary, instance0), [
    'http_requests_total{group="canary", instance="0", job="api-server"} => 300',
    'http_requests_total{group="canary", instance="0", job="app-server"} => 700',
  ]);
  assert.deepEqual(run(binary("unless", {}), canary, instance0), [
    'http_requests_total{group="canary", instance="1", job="api-server"} => 400',
    'http_requests_total{group="canary", instance="1", job="app-server"} => 800',
  ]);
  assert.deepEqual(run(binary("unless", { on: ["job"] }), canary, instance0), []);
  assert.deepEqual(run(binary("and", { on: ["dummy"] }), canary, block([[{}, [1]]])).length, 4);
  const plusOne = evalBinary(binary("+", null), canary, scalar(1, 1), context());
  const instance1 = only(requests, has("instance", "1"));
  assert.deepEqual(run(binary("or", {}), plusOne, instance1), [
    'http_requests_total{group="canary", instance="0", job="api-server"}! => 301',
    'http_requests_total{group="canary", instance="1", job="api-server"}! => 401',
    'http_requests_total{group="canary", instance="0", job="app-server"}! => 701',
    'http_requests_total{group="canary", instance="1", job="app-server"}! => 801',
    'http_requests_total{group="production", instance="1", job="api-server"} => 200',
    'http_requests_total{group="production", instance="1", job="app-server"} => 600',
  ]);
  const rhs = block([
    ...requests.series.map((s, r): [Record<string, string>, Cell[]] => [
      Object.fromEntries(s.labels.map((l) => [l.name, l.value])),
      [requests.values[r]],
    ]),
    [{ __name__: "vector_matching_a", l: "x" }, [10]],
    [{ __name__: "vector_matching_a", l: "y" }, [20]],
  ]);
  assert.deepEqual(run(binary("or", { on: ["instance"] }), plusOne, rhs).slice(4), [
    'vector_matching_a{l="x"} => 10',
    'vector_matching_a{l="y"} => 20',
  ]);
});

test("or over a range: right rows fill the steps the left lacks, one row per label set", () => {
  const a = block([[{ __name__: "metric_a" }, [-1, _, _]]]);
  const b = block([[{ __name__: "metric_b" }, [-3, -4, _]]]);
  assert.deepEqual(run(binary("or", {}), a, b), ["metric_a{} => -1 _ _", "metric_b{} => _ -4 _"]);
  const x = block([[{ __name__: "x" }, [1, _, 3]]]);
  const y = block([[{ __name__: "x" }, [5, 6, _]]]);
  assert.deepEqual(run(binary("or", {}), x, y), ["x{} => 1 6 3"]);
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
