// Operators, calls and aggregations from lezer's tree: the operator's
// modifiers (bool, on/ignoring, group_left/right, fill), argument counts of
// aggregations, and the sign lezer reads into a number before "^".

import type { SyntaxNode } from "@lezer/common";
import type { AggregateOp, BinaryOp, Expr, VectorMatching } from "../ast.js";
import { goQuote } from "../go-format.js";
import type { TreeBuilder } from "./convert.js";
import { FUNCTION_SIGNATURES } from "./functions.js";
import { rebindAfterPostfix } from "./precedence.js";
import { children, isExprNode, makeUnary } from "./tree-helpers.js";

const BINARY_OPS: Record<string, BinaryOp> = {
  Pow: "^",
  Mul: "*",
  Div: "/",
  Mod: "%",
  Atan2: "atan2",
  Add: "+",
  Sub: "-",
  Eql: "==",
  Gte: ">=",
  Gtr: ">",
  Lte: "<=",
  Lss: "<",
  Neq: "!=",
  And: "and",
  Unless: "unless",
  Or: "or",
};

function isValidUtf8(s: string): boolean {
  return !s.includes("\ufffd");
}

export function buildBinary(b: TreeBuilder, node: SyntaxNode): Expr {
  const parts = children(node);
  const exprs = parts.filter(isExprNode);
  const trim = parts.find((p) => p.name === "TrimUpper" || p.name === "TrimLower");
  if (trim !== undefined) {
    b.fail(
      trim.from,
      `operator ${goQuote(b.src(trim))} trims native histograms, which are not supported: samples are floats`,
    );
  }
  const opNode = parts.find((p) => BINARY_OPS[p.name] !== undefined) as SyntaxNode;
  const op = BINARY_OPS[opNode.name] as BinaryOp;
  const lhsNode = exprs[0] as SyntaxNode;
  const rhsNode = exprs[1] as SyntaxNode;
  let returnBool = false;
  const matching: VectorMatching = {
    card: "one-to-one",
    on: false,
    labels: [],
    include: [],
    fillLeft: null,
    fillRight: null,
  };
  let hasMatching = false;
  for (const p of parts) {
    if (p.name === "BoolModifier") returnBool = true;
    else if (p.name === "MatchingModifierClause") {
      hasMatching = true;
      const mc = children(p);
      let seenGroup = false;
      for (const c of mc) {
        if (c.name === "On") matching.on = true;
        else if (c.name === "GroupLeft" || c.name === "GroupRight") {
          matching.card = c.name === "GroupLeft" ? "many-to-one" : "one-to-many";
          seenGroup = true;
        } else if (c.name === "GroupingLabels") {
          if (seenGroup) matching.include = buildGroupingLabels(b, c);
          else matching.labels = buildGroupingLabels(b, c);
        }
      }
    } else if (p.name === "FillModifier") {
      if (!b.features.fillModifiers) {
        b.fail(lhsNode.from, "binop fill modifiers are experimental and not enabled");
      }
      for (const clause of children(p)) {
        const lit = children(clause).find((c) => c.name === "NumberDurationLiteral") as SyntaxNode;
        const v = (b.number(lit) as { value: number }).value;
        if (clause.name === "FillClause") {
          matching.fillLeft = v;
          matching.fillRight = v;
        } else if (clause.name === "FillLeftClause") matching.fillLeft = v;
        else matching.fillRight = v;
      }
    }
  }
  void hasMatching;
  // lezer reads a sign into a number literal ("-1"); Prometheus reads it as a
  // unary operator of multiplicative precedence, so "-1 ^ 2" is -(1 ^ 2).
  const lhsText = b.src(lhsNode);
  if (
    op === "^" &&
    lhsNode.name === "NumberDurationLiteral" &&
    (lhsText[0] === "-" || lhsText[0] === "+")
  ) {
    const unsigned = b.expr(lhsNode) as {
      kind: "number";
      value: number;
      pos: { start: number; end: number };
    };
    const signNeg = lhsText[0] === "-";
    const numStart = lhsNode.from + 1 + (lhsText.length - 1 - lhsText.slice(1).trimStart().length);
    const base: Expr = {
      kind: "number",
      value: signNeg ? -unsigned.value : unsigned.value,
      pos: { start: numStart, end: lhsNode.to },
    };
    const rhs = b.expr(rhsNode);
    const inner: Expr = {
      kind: "binary",
      op,
      lhs: base,
      rhs,
      returnBool,
      matching,
      pos: { start: numStart, end: node.to },
    };
    return makeUnary(signNeg ? "-" : "+", inner, node.from, node.to);
  }
  const lhs = b.expr(lhsNode);
  const rhs = b.expr(rhsNode);
  const out: Expr = {
    kind: "binary",
    op,
    lhs,
    rhs,
    returnBool,
    matching,
    pos: { start: node.from, end: node.to },
  };
  return POSTFIX_NODES.has(lhsNode.name) ? rebindAfterPostfix(out) : out;
}

/** lezer-promql's nodes of a postfix modifier, which its grammar applies across binary operators. */
const POSTFIX_NODES = new Set([
  "OffsetExpr",
  "StepInvariantExpr",
  "MatrixSelector",
  "SubqueryExpr",
  "AnchoredExpr",
  "SmoothedExpr",
]);

export function buildGroupingLabels(b: TreeBuilder, node: SyntaxNode): string[] {
  const out: string[] = [];
  for (const c of children(node)) {
    if (c.name === "LabelName") out.push(b.src(c));
    else if (c.name === "QuotedLabelName") {
      const s = b.string((c.firstChild ?? c) as SyntaxNode);
      if (s === "" || !isValidUtf8(s))
        b.fail(c.from, `invalid label name for grouping: ${goQuote(s)}`);
      out.push(s);
    }
  }
  return out;
}

export function buildCall(b: TreeBuilder, node: SyntaxNode): Expr {
  const parts = children(node);
  const ident = parts[0] as SyntaxNode;
  const body = parts[1] as SyntaxNode;
  const args = children(body)
    .filter(isExprNode)
    .map((a) => b.expr(a));
  checkTrailingComma(b, body);
  const func = b.src(ident);
  if (!b.features.experimentalFunctions && FUNCTION_SIGNATURES.get(func)?.experimental === true) {
    b.fail(ident.from, `function ${goQuote(func)} is not enabled`);
  }
  return { kind: "call", func, args, pos: { start: node.from, end: node.to } };
}

function checkTrailingComma(b: TreeBuilder, body: SyntaxNode): void {
  // Scans back from the closing parenthesis over white space only.
  let p = body.to - 2;
  while (p > body.from && /\s/.test(b.text[p] as string)) p--;
  if (p > body.from && b.text[p] === ",")
    b.fail(p, "trailing commas not allowed in function call args");
}

export function buildAggregate(b: TreeBuilder, node: SyntaxNode): Expr {
  const parts = children(node);
  const op = b.src(parts[0] as SyntaxNode).toLowerCase() as AggregateOp;
  let grouping: string[] = [];
  let without = false;
  let body: SyntaxNode | null = null;
  for (const p of parts) {
    if (p.name === "AggregateModifier") {
      without = (p.firstChild as SyntaxNode).name === "Without";
      const labels = children(p).find((c) => c.name === "GroupingLabels");
      grouping = labels === undefined ? [] : buildGroupingLabels(b, labels);
    } else if (p.name === "FunctionCallBody") body = p;
  }
  const bodyNode = body as SyntaxNode;
  const args = children(bodyNode)
    .filter(isExprNode)
    .map((a) => b.expr(a));
  const pos = { start: node.from, end: node.to };
  checkTrailingComma(b, bodyNode);
  if (args.length === 0) b.fail(node.from, "no arguments for aggregate expression provided");
  const withParam =
    op === "topk" ||
    op === "bottomk" ||
    op === "count_values" ||
    op === "quantile" ||
    op === "limitk" ||
    op === "limit_ratio";
  if (!b.features.experimentalFunctions && (op === "limitk" || op === "limit_ratio")) {
    b.fail(
      node.from,
      `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`,
    );
  }
  const want = withParam ? 2 : 1;
  if (args.length !== want) {
    b.fail(
      node.from,
      `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`,
    );
  }
  return {
    kind: "aggregate",
    op,
    param: withParam ? (args[0] as Expr) : null,
    expr: args[want - 1] as Expr,
    grouping,
    without,
    pos,
  };
}
