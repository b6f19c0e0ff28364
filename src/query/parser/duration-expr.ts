// Duration expressions ([5m + step()], offset min_of(1m, range())) from
// lezer's tree, and the value of those made of literals only.

import type { SyntaxNode } from "@lezer/common";
import type { DurationExpr } from "../ast.js";
import { BuildFailure } from "./failure.js";
import { parseDurationMs, parseNumber } from "./literals.js";
import { children } from "./tree-helpers.js";

const DURATION_OPS: Record<string, "+" | "-" | "*" | "/" | "%" | "^"> = {
  Add: "+",
  Sub: "-",
  Mul: "*",
  Div: "/",
  Mod: "%",
  Pow: "^",
};

/** A duration expression of lezer's tree ([...], offset ...) as our DurationExpr; text is the query. */
export function buildDurationExpr(node: SyntaxNode, text: string): DurationExpr {
  const src = (n: SyntaxNode): string => text.slice(n.from, n.to);
  const fail = (pos: number, message: string): never => {
    throw new BuildFailure(pos, message);
  };
  const build = (n: SyntaxNode): DurationExpr => buildDurationExpr(n, text);
  const parts = children(node);
  const first = parts[0] as SyntaxNode;
  switch (first.name) {
    case "NumberDurationLiteralInDurationContext": {
      const literal = src(first);
      const n = parseNumber(literal);
      if (n !== null) return { kind: "durationNumber", seconds: n };
      const d = parseDurationMs(literal);
      if (typeof d !== "number") return fail(first.from, d.error);
      return { kind: "durationLiteral", ms: d };
    }
    case "UnaryOp": {
      // A unary plus changes nothing; Prometheus drops it too.
      const inner = build(parts[1] as SyntaxNode);
      return src(first) === "-" ? { kind: "durationUnary", op: "-", expr: inner } : inner;
    }
    case "DurationStep":
      return { kind: "durationCall", func: "step", args: [] };
    case "DurationRange":
      return { kind: "durationCall", func: "range", args: [] };
    case "DurationMinOf":
    case "DurationMaxOf":
      return {
        kind: "durationCall",
        func: first.name === "DurationMinOf" ? "min_of" : "max_of",
        args: parts.slice(1).map(build),
      };
    case "DurationExpr":
    case "OffsetDurationExpr": {
      if (parts.length === 1) return build(first);
      const opNode = parts[1] as SyntaxNode;
      const op = DURATION_OPS[opNode.name] as "+" | "-" | "*" | "/" | "%" | "^";
      const lhs = build(first);
      const rhs = build(parts[2] as SyntaxNode);
      if ((op === "/" || op === "%") && foldDuration(rhs) === 0) {
        fail(opNode.from, op === "/" ? "division by zero" : "modulo by zero");
      }
      return { kind: "durationBinary", op, lhs, rhs };
    }
    default:
      return fail(first.from, `unexpected ${first.name} in duration expression`);
  }
}

/** The value in seconds of a duration expression made of literals and signs only, else null. */
export function foldDuration(d: DurationExpr): number | null {
  switch (d.kind) {
    case "durationLiteral":
      return d.ms / 1000;
    case "durationNumber":
      return d.seconds;
    case "durationUnary": {
      const v = foldDuration(d.expr);
      if (v === null) return null;
      return d.op === "-" ? -v : v;
    }
    default:
      return null;
  }
}
