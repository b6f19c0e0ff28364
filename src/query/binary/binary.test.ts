// Binary operators with scalars, and one-to-one comparisons over a range,
// against hand-computed tables and operators.test's expected values.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { BinaryOp } from "../ast.js";
import { evalBinary } from "./index.js";
import { _, binary, block, context, Inf, NaN_, run, scalar, scalarOf } from "./testing.js";

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

test("a comparison without bool keeps the left row's dropName; arithmetic drops the name at once", () => {
  const rate = block([[{ __name__: "x", job: "a" }, [5]]]);
  rate.series[0].dropName = true;
  const other = block([[{ __name__: "y", job: "a" }, [1]]]);
  assert.deepEqual(run(binary(">", {}), rate, other), ['x{job="a"}! => 5']);
  assert.deepEqual(run(binary(">", {}), other, rate), []);
  assert.deepEqual(run(binary("-", {}), rate, other), ['{job="a"} => 4']);
  const typed = block([[{ __name__: "x", __type__: "gauge", __unit__: "s", job: "a" }, [5]]]);
  assert.deepEqual(run(binary("*", { card: "many-to-one", on: ["job"] }), typed, other), [
    '{job="a"} => 5',
  ]);
});

test("operands must be vectors or scalars over the same steps", () => {
  const v = block([[{ job: "a" }, [1, 2]]]);
  assert.throws(() => evalBinary(binary("+", null), v, scalar(3, 1), context()), /different steps/);
  assert.throws(() => evalBinary(binary("and", null), v, scalar(2, 1), context()), /set operator/);
  assert.throws(
    () => evalBinary(binary("+", null), v, { type: "string", value: "s" }, context()),
    /not defined between vector and string/,
  );
});

test("many-to-many matching is for the set operators only", () => {
  const v = block([[{ job: "a" }, [1]]]);
  assert.throws(
    () => evalBinary(binary("+", { card: "many-to-many" }), v, v, context()),
    /cannot use many-to-many matching/,
  );
  assert.throws(
    () => evalBinary(binary("and", { card: "one-to-one" }), v, v, context()),
    /cannot use one-to-one matching/,
  );
});
