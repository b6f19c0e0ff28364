// The tree as Prometheus's /api/v1/parse_query returns it (the shape of its
// web/api/v1 translateAST): one object per node with a "type" field.

import type { AtModifier, Duration, DurationExpr, Expr, LabelMatcherNode } from "../ast.js";
import { formatFloatFixed as formatFloat } from "../go-format.js";
import { FUNCTION_SIGNATURES } from "./functions.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function matchers(ms: LabelMatcherNode[]): Json {
  return ms.map((m) => ({ name: m.name, value: m.value, type: m.op }));
}

function timestamp(at: AtModifier | null): Json {
  return at !== null && at.kind === "time" ? at.ms : null;
}

function startOrEnd(at: AtModifier | null): Json {
  return at === null || at.kind === "time" ? null : at.kind;
}

function durationMs(d: Duration): number {
  return typeof d === "number" ? d : 0;
}

function durationJSON(d: Duration): Json {
  return typeof d === "number" ? null : durationExprJSON(d);
}

function durationExprJSON(d: DurationExpr): Json {
  switch (d.kind) {
    case "durationLiteral":
      return { type: "numberLiteral", val: formatFloat(d.ms / 1000), duration: true };
    case "durationNumber":
      return { type: "numberLiteral", val: formatFloat(d.seconds), duration: false };
    case "durationCall":
      return {
        type: "durationExpr",
        op: d.func,
        lhs: d.args[0] === undefined ? null : durationExprJSON(d.args[0]),
        rhs: d.args[1] === undefined ? null : durationExprJSON(d.args[1]),
        wrapped: false,
      };
    case "durationUnary":
      return {
        type: "durationExpr",
        op: d.op,
        lhs: null,
        rhs: durationExprJSON(d.expr),
        wrapped: false,
      };
    case "durationBinary":
      return {
        type: "durationExpr",
        op: d.op,
        lhs: durationExprJSON(d.lhs),
        rhs: durationExprJSON(d.rhs),
        wrapped: false,
      };
  }
}

/** The parse_query tree of an expression. */
export function exprToJSON(expr: Expr): unknown {
  return toJSON(expr);
}

function toJSON(expr: Expr): Json {
  switch (expr.kind) {
    case "aggregate":
      return {
        type: "aggregation",
        op: expr.op,
        expr: toJSON(expr.expr),
        param: expr.param === null ? null : toJSON(expr.param),
        grouping: expr.grouping,
        without: expr.without,
      };
    case "binary": {
      const m = expr.matching;
      return {
        type: "binaryExpr",
        op: expr.op,
        lhs: toJSON(expr.lhs),
        rhs: toJSON(expr.rhs),
        matching:
          m === null
            ? null
            : {
                card: m.card,
                labels: m.labels,
                on: m.on,
                include: m.include,
                fillValues: { lhs: m.fillLeft, rhs: m.fillRight },
              },
        bool: expr.returnBool,
      };
    }
    case "call": {
      const sig = FUNCTION_SIGNATURES.get(expr.func);
      return {
        type: "call",
        func: {
          name: expr.func,
          argTypes: sig === undefined ? [] : sig.argTypes,
          variadic: sig === undefined ? 0 : sig.variadic,
          returnType: sig === undefined ? "vector" : sig.returnType,
        },
        args: expr.args.map(toJSON),
      };
    }
    case "matrixSelector": {
      const vs = expr.vector;
      return {
        type: "matrixSelector",
        name: vs.name ?? "",
        range: durationMs(expr.range),
        rangeExpr: durationJSON(expr.range),
        offset: durationMs(vs.offset),
        offsetExpr: durationJSON(vs.offset),
        matchers: matchers(vs.matchers),
        timestamp: timestamp(vs.at),
        startOrEnd: startOrEnd(vs.at),
        anchored: vs.anchored,
        smoothed: vs.smoothed,
      };
    }
    case "subquery":
      return {
        type: "subquery",
        expr: toJSON(expr.expr),
        range: durationMs(expr.range),
        rangeExpr: durationJSON(expr.range),
        offset: durationMs(expr.offset),
        offsetExpr: durationJSON(expr.offset),
        step: durationMs(expr.step),
        stepExpr: durationJSON(expr.step),
        timestamp: timestamp(expr.at),
        startOrEnd: startOrEnd(expr.at),
      };
    case "number":
      return { type: "numberLiteral", val: formatFloat(expr.value) };
    case "paren":
      return { type: "parenExpr", expr: toJSON(expr.expr) };
    case "string":
      return { type: "stringLiteral", val: expr.value };
    case "unary":
      return { type: "unaryExpr", op: expr.op, expr: toJSON(expr.expr) };
    case "vectorSelector":
      return {
        type: "vectorSelector",
        name: expr.name ?? "",
        offset: durationMs(expr.offset),
        offsetExpr: durationJSON(expr.offset),
        matchers: matchers(expr.matchers),
        timestamp: timestamp(expr.at),
        startOrEnd: startOrEnd(expr.at),
        anchored: expr.anchored,
        smoothed: expr.smoothed,
      };
  }
}
