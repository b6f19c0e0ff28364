// The arithmetic and comparison of two floats, as Go computes them for
// Prometheus: % is math.Mod (the same as JavaScript's % on every input), ^ is
// math.Pow, whose results differ from Math.pow where the base is 1, or -1
// with an infinite exponent (Go gives 1, JavaScript NaN).

import type { ArithmeticOp, BinaryOp, ComparisonOp } from "../ast.js";

export type Arithmetic = (a: number, b: number) => number;
export type Comparison = (a: number, b: number) => boolean;

/** Go's math.Pow. */
export function goPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY)) return 1;
  return x ** y;
}

const ARITHMETIC: Record<ArithmeticOp, Arithmetic> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "%": (a, b) => a % b,
  "^": goPow,
  atan2: Math.atan2,
};

const COMPARISON: Record<ComparisonOp, Comparison> = {
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
  ">": (a, b) => a > b,
  "<": (a, b) => a < b,
  ">=": (a, b) => a >= b,
  "<=": (a, b) => a <= b,
};

export function isArithmetic(op: BinaryOp): op is ArithmeticOp {
  return op in ARITHMETIC;
}

export function isComparison(op: BinaryOp): op is ComparisonOp {
  return op in COMPARISON;
}

export function arithmeticOf(op: ArithmeticOp): Arithmetic {
  return ARITHMETIC[op];
}

export function comparisonOf(op: ComparisonOp): Comparison {
  return COMPARISON[op];
}
