// Visiting a tree: every node in depth-first order, and parentheses peeled off.

import type { Expr } from "../ast.js";

/** The direct children of a node, in the order they are written. */
export function childrenOf(expr: Expr): Expr[] {
  switch (expr.kind) {
    case "aggregate":
      return expr.param === null ? [expr.expr] : [expr.param, expr.expr];
    case "binary":
      return [expr.lhs, expr.rhs];
    case "call":
      return expr.args;
    case "matrixSelector":
      return [expr.vector];
    case "subquery":
    case "unary":
    case "paren":
      return [expr.expr];
    default:
      return [];
  }
}

/**
 * Calls fn on every node, parents before children, with the path of
 * ancestors (nearest last). Returning false from fn skips that node's children.
 */
export function walkExpr(
  expr: Expr,
  fn: (node: Expr, ancestors: readonly Expr[]) => boolean | undefined,
): void {
  const path: Expr[] = [];
  const visit = (node: Expr): void => {
    if (fn(node, path) === false) return;
    path.push(node);
    for (const c of childrenOf(node)) visit(c);
    path.pop();
  };
  visit(expr);
}

/** The expression inside any number of parentheses. */
export function unwrapParens(expr: Expr): Expr {
  let e = expr;
  while (e.kind === "paren") e = e.expr;
  return e;
}
