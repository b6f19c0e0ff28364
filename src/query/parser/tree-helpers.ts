// Small helpers shared by the tree-building files.

import type { SyntaxNode } from "@lezer/common";
import type { Expr } from "../ast.js";

/** The child nodes of a lezer node, in order. */
export function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c !== null; c = c.nextSibling) out.push(c);
  return out;
}

/** Whether a lezer node is an expression (lezer-promql's Expr group). */
export function isExprNode(node: SyntaxNode): boolean {
  return node.type.is("Expr");
}

/** A unary operator, folded into a number literal as Prometheus folds it. */
export function makeUnary(op: "-" | "+", inner: Expr, start: number, end: number): Expr {
  // Prometheus folds a sign into a number literal: "-1" is the number -1.
  if (inner.kind === "number") {
    return { kind: "number", value: op === "-" ? -inner.value : inner.value, pos: { start, end } };
  }
  return { kind: "unary", op, expr: inner, pos: { start, end } };
}
