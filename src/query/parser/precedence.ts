// Operator precedence where lezer-promql's grammar leaves it loose: the
// grammar (made for highlighting) applies a postfix modifier (offset, @,
// a range or a subquery) to the whole binary expression before it, so
// `a + b offset 1m * 2` arrives as `(a + b offset 1m) * 2`. The converter
// moves the modifier onto `b`; this rebinds the operator that followed to
// where Prometheus's grammar puts it: `a + ((b offset 1m) * 2)`.

import type { BinaryOp, Expr } from "../ast.js";

/** Prometheus's binding strength of each binary operator (higher binds tighter). */
function precedence(op: BinaryOp): number {
  switch (op) {
    case "or":
      return 1;
    case "and":
    case "unless":
      return 2;
    case "==":
    case "!=":
    case ">":
    case "<":
    case ">=":
    case "<=":
      return 3;
    case "+":
    case "-":
      return 4;
    case "*":
    case "/":
    case "%":
    case "atan2":
      return 5;
    case "^":
      return 6;
  }
}

/** Whether `outer`, written after an expression ending in `inner`'s right operand, takes that operand. */
function bindsTighter(outer: BinaryOp, inner: BinaryOp): boolean {
  const a = precedence(outer);
  const b = precedence(inner);
  // ^ is right-associative: a ^ b ^ c is a ^ (b ^ c).
  return a > b || (a === b && outer === "^");
}

/**
 * Rebinds `expr`, a binary expression whose left operand came from a postfix
 * modifier applied across a looser binary expression.
 */
export function rebindAfterPostfix(expr: Expr): Expr {
  if (expr.kind !== "binary") return expr;
  const left = expr.lhs;
  if (left.kind === "binary" && bindsTighter(expr.op, left.op)) {
    const taken = rebindAfterPostfix({
      ...expr,
      lhs: left.rhs,
      pos: { start: left.rhs.pos.start, end: expr.pos.end },
    });
    return { ...left, rhs: taken, pos: { start: left.pos.start, end: expr.pos.end } };
  }
  // A unary sign binds looser than ^ only: -a offset 1m ^ 2 is -((a offset 1m) ^ 2).
  if (left.kind === "unary" && expr.op === "^") {
    const taken = rebindAfterPostfix({
      ...expr,
      lhs: left.expr,
      pos: { start: left.expr.pos.start, end: expr.pos.end },
    });
    return { ...left, expr: taken, pos: { start: left.pos.start, end: expr.pos.end } };
  }
  return expr;
}
