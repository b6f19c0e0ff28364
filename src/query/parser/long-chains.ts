// Long chains of binary operators ("a or b or c or ..." with hundreds of
// terms): lezer's parser stops building left-associative nodes after a few
// hundred in a row, Prometheus's does not. Such a chain is cut at its
// top-level operators, each operand is parsed on its own and the operators
// are combined here by Prometheus's precedences.

import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import type { Binary, Expr } from "../ast.js";
import { TreeBuilder } from "./convert.js";
import { BuildFailure, type ParseFeatures } from "./failure.js";
import type { Token } from "./lexer.js";
import { walkExpr } from "./walk.js";

/** Below this many top-level operators lezer copes and its answer stands. */
const MIN_CHAIN_OPERATORS = 100;

const PRECEDENCE: Record<string, number> = {
  or: 1,
  and: 2,
  unless: 2,
  "==": 3,
  "!=": 3,
  "<": 3,
  ">": 3,
  "<=": 3,
  ">=": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
  "%": 5,
  atan2: 5,
  "^": 6,
};

const ENDS_OPERAND = new Set(["identifier", "metricIdentifier", "number", "duration", "string"]);

interface OperatorSpan {
  text: string;
  prec: number;
  pos: number;
}

/** Skips a parenthesised group starting at i; returns the index after it. */
function skipGroup(tokens: Token[], i: number): number {
  if (tokens[i]?.text !== "(") return i;
  let depth = 0;
  for (let j = i; j < tokens.length; j++) {
    const t = (tokens[j] as Token).text;
    if (t === "(") depth++;
    else if (t === ")") {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return tokens.length;
}

/**
 * The tree of a query that is a long chain of top-level binary operators,
 * or null when it is not one. parse reads each operand.
 */
export function parseLongChain(
  query: string,
  tokens: Token[],
  features: ParseFeatures,
  parse: (text: string) => Expr,
): Expr | null {
  const end = tokens[tokens.length - 1]?.kind === "eof" ? tokens.length - 1 : tokens.length;
  const operands: Array<[number, number]> = [];
  const operators: OperatorSpan[] = [];
  let depth = 0;
  let operandStart = 0;
  for (let i = 0; i < end; i++) {
    const t = tokens[i] as Token;
    if (t.text === "(" || t.text === "[" || t.text === "{") depth++;
    else if (t.text === ")" || t.text === "]" || t.text === "}") depth--;
    if (depth !== 0 || i === operandStart) continue;
    const prec = PRECEDENCE[t.text.toLowerCase()];
    const prev = tokens[i - 1] as Token;
    const infix =
      ENDS_OPERAND.has(prev.kind) || prev.text === ")" || prev.text === "]" || prev.text === "}";
    if (prec === undefined || !infix) continue;
    // The operator's modifiers: bool, on/ignoring (...), group_left/right (...), fill (...).
    let j = i + 1;
    while (j < end) {
      const w = (tokens[j] as Token).text.toLowerCase();
      if (w === "bool") j++;
      else if (w === "on" || w === "ignoring" || w === "group_left" || w === "group_right")
        j = skipGroup(tokens, j + 1);
      else if ((tokens[j] as Token).kind === "keyword" && w.startsWith("fill"))
        j = skipGroup(tokens, j + 1);
      else break;
    }
    const last = tokens[j - 1] as Token;
    operands.push([operandStart, i]);
    operators.push({ text: query.slice(t.pos, last.pos + last.text.length), prec, pos: t.pos });
    operandStart = j;
    i = j - 1;
  }
  if (operators.length < MIN_CHAIN_OPERATORS || operandStart >= end) return null;
  operands.push([operandStart, end]);

  const exprs: Expr[] = [];
  for (let k = 0; k < operands.length; k++) {
    const [from, to] = operands[k] as [number, number];
    const first = tokens[from] as Token;
    const lastTok = tokens[to - 1] as Token;
    // A sign before "^" binds looser than it in Prometheus; leave such chains alone.
    if ((first.text === "-" || first.text === "+") && operators[k]?.text === "^") return null;
    const start = first.pos;
    const text = query.slice(start, lastTok.pos + lastTok.text.length);
    let expr: Expr;
    try {
      expr = parse(text);
    } catch (e) {
      if (e instanceof BuildFailure) throw new BuildFailure(e.pos + start, e.message);
      throw e;
    }
    walkExpr(expr, (node) => {
      node.pos = { start: node.pos.start + start, end: node.pos.end + start };
      if (node.kind === "matrixSelector") {
        node.vector.pos = {
          start: node.vector.pos.start + start,
          end: node.vector.pos.end + start,
        };
      }
      return node.kind !== "matrixSelector";
    });
    exprs.push(expr);
  }

  // Precedence climbing; "^" is right-associative, the rest left.
  let next = 0;
  const operand = (): Expr => exprs[next] as Expr;
  const climb = (lhs: Expr, minPrec: number): Expr => {
    let left = lhs;
    while (next < operators.length && (operators[next] as OperatorSpan).prec >= minPrec) {
      const op = operators[next] as OperatorSpan;
      next++;
      let right = operand();
      while (next < operators.length) {
        const ahead = operators[next] as OperatorSpan;
        if (ahead.prec > op.prec || (ahead.prec === op.prec && ahead.text === "^")) {
          right = climb(right, ahead.prec);
        } else break;
      }
      left = combine(left, op, right, features);
    }
    return left;
  };
  return climb(operand(), 0);
}

/** A binary node of op between lhs and rhs, its modifiers read by lezer from "0 <op> 0". */
function combine(lhs: Expr, op: OperatorSpan, rhs: Expr, features: ParseFeatures): Expr {
  const text = `0 ${op.text} 0`;
  const top = parser.parse(text).topNode.firstChild as SyntaxNode;
  let shape: Binary;
  try {
    shape = new TreeBuilder(text, features).expr(top) as Binary;
  } catch (e) {
    if (e instanceof BuildFailure) throw new BuildFailure(op.pos, e.message);
    throw e;
  }
  return { ...shape, lhs, rhs, pos: { start: lhs.pos.start, end: rhs.pos.end } };
}
