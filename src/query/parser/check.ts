// Prometheus's type checks on a built tree (its checkAST): argument types of
// functions and aggregations, operand types of binary and unary operators,
// vector matching rules, and the selector's non-empty matcher rule.

import type { Binary, Expr, ValueType } from "../ast.js";
import { BuildFailure } from "./convert.js";
import { FUNCTION_SIGNATURES } from "./functions.js";

const COMPARISON = new Set(["==", "!=", ">", "<", ">=", "<="]);
const SET_OPS = new Set(["and", "or", "unless"]);

/** The type Prometheus gives an expression. */
export function typeOf(expr: Expr): ValueType {
  switch (expr.kind) {
    case "number":
      return "scalar";
    case "string":
      return "string";
    case "vectorSelector":
    case "aggregate":
      return "vector";
    case "matrixSelector":
    case "subquery":
      return "matrix";
    case "call":
      return FUNCTION_SIGNATURES.get(expr.func)?.returnType ?? "vector";
    case "binary":
      return typeOf(expr.lhs) === "scalar" && typeOf(expr.rhs) === "scalar" ? "scalar" : "vector";
    case "unary":
    case "paren":
      return typeOf(expr.expr);
  }
}

/** Prometheus's name for a type in error messages. */
export function documentedType(t: ValueType): string {
  switch (t) {
    case "vector":
      return "instant vector";
    case "matrix":
      return "range vector";
    default:
      return t;
  }
}

function fail(pos: number, message: string): never {
  throw new BuildFailure(pos, message);
}

/** Checks the tree and returns its type; throws the first error Prometheus would report. */
export function checkExpr(expr: Expr, text: string): ValueType {
  const t = typeOf(expr);
  switch (expr.kind) {
    case "aggregate": {
      expectType(expr.expr, "vector", "aggregation expression", text);
      const op = expr.op;
      if (expr.param !== null) {
        const want = op === "count_values" ? "string" : "scalar";
        expectType(expr.param, want, "aggregation parameter", text);
      }
      break;
    }
    case "binary":
      checkBinary(expr, text);
      break;
    case "call":
      checkCall(expr, text);
      break;
    case "paren":
      checkExpr(expr.expr, text);
      break;
    case "unary": {
      const inner = checkExpr(expr.expr, text);
      if (inner !== "scalar" && inner !== "vector") {
        fail(
          expr.pos.start,
          `unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(documentedType(inner))}`,
        );
      }
      break;
    }
    case "subquery": {
      const inner = checkExpr(expr.expr, text);
      if (inner !== "vector")
        fail(expr.pos.start, `subquery is only allowed on instant vector, got ${inner} instead`);
      break;
    }
    case "matrixSelector":
      checkExpr(expr.vector, text);
      break;
    case "vectorSelector":
      if (expr.name === null && !expr.matchers.some((m) => !matchesEmpty(m.op, m.value))) {
        fail(expr.pos.start, "vector selector must contain at least one non-empty matcher");
      }
      break;
    default:
      break;
  }
  return t;
}

function expectType(e: Expr, want: ValueType, context: string, text: string): void {
  const t = checkExpr(e, text);
  if (t !== want) {
    fail(
      e.pos.start,
      `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`,
    );
  }
}

function matchesEmpty(op: string, value: string): boolean {
  switch (op) {
    case "=":
      return value === "";
    case "!=":
      return value !== "";
    case "=~":
      return new RegExp(`^(?:${value})$`, "s").test("");
    default:
      return !new RegExp(`^(?:${value})$`, "s").test("");
  }
}

function checkBinary(n: Binary, text: string): void {
  const lt = checkExpr(n.lhs, text);
  const rt = checkExpr(n.rhs, text);
  const opPos = (): number => {
    let p = n.lhs.pos.end;
    while (p < text.length && /\s/.test(text[p] as string)) p++;
    return p;
  };
  const isComparison = COMPARISON.has(n.op);
  const isSet = SET_OPS.has(n.op);
  if (n.returnBool && !isComparison)
    fail(opPos(), "bool modifier can only be used on comparison operators");
  if (isComparison && !n.returnBool && lt === "scalar" && rt === "scalar") {
    fail(opPos(), "comparisons between scalars must use BOOL modifier");
  }
  const m = n.matching;
  if (m !== null) {
    if (isSet && m.card === "one-to-one") m.card = "many-to-many";
    if (m.on) {
      for (const l of m.labels) {
        if (m.include.includes(l))
          fail(opPos(), `label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`);
      }
    }
  }
  if (lt !== "scalar" && lt !== "vector") {
    fail(n.lhs.pos.start, "binary expression must contain only scalar and instant vector types");
  }
  if (rt !== "scalar" && rt !== "vector") {
    fail(n.rhs.pos.start, "binary expression must contain only scalar and instant vector types");
  }
  if ((lt !== "vector" || rt !== "vector") && m !== null) {
    if (m.labels.length > 0 || m.on)
      fail(n.pos.start, "vector matching only allowed between instant vectors");
    if (m.fillLeft !== null || m.fillRight !== null) {
      fail(n.pos.start, "filling in missing series only allowed between instant vectors");
    }
    n.matching = null;
  } else if (isSet && m !== null) {
    if (m.card === "one-to-many" || m.card === "many-to-one") {
      fail(n.pos.start, `no grouping allowed for ${JSON.stringify(n.op)} operation`);
    }
    if (m.fillLeft !== null || m.fillRight !== null) {
      fail(n.pos.start, "filling in missing series not allowed for set operators");
    }
  }
  if ((lt === "scalar" || rt === "scalar") && isSet) {
    fail(
      n.pos.start,
      `set operator ${JSON.stringify(n.op)} not allowed in binary scalar expression`,
    );
  }
}

function checkCall(n: Expr & { kind: "call" }, text: string): void {
  const sig = FUNCTION_SIGNATURES.get(n.func);
  if (sig === undefined) fail(n.pos.start, `unknown function with name ${JSON.stringify(n.func)}`);
  const nargs = sig.argTypes.length;
  const name = JSON.stringify(n.func);
  if (sig.variadic === 0) {
    if (nargs !== n.args.length)
      fail(n.pos.start, `expected ${nargs} argument(s) in call to ${name}, got ${n.args.length}`);
  } else {
    const min = nargs - 1;
    if (min > n.args.length) {
      fail(
        n.pos.start,
        `expected at least ${min} argument(s) in call to ${name}, got ${n.args.length}`,
      );
    }
    const max = min + sig.variadic;
    if (sig.variadic > 0 && max < n.args.length) {
      fail(
        n.pos.start,
        `expected at most ${max} argument(s) in call to ${name}, got ${n.args.length}`,
      );
    }
  }
  if (n.func === "info" && n.args.length > 1) {
    const second = n.args[1] as Expr;
    if (typeOf(second) !== "vector") {
      fail(
        n.pos.start,
        `expected type instant vector in call to function ${name}, got ${documentedType(typeOf(second))}`,
      );
    }
    if (second.kind === "vectorSelector" && second.name !== null) {
      fail(second.pos.start, "expected label selectors only, got vector selector instead");
    }
    if (second.kind !== "vectorSelector") fail(second.pos.start, "expected label selectors only");
  }
  for (let i = 0; i < n.args.length; i++) {
    let k = i;
    if (k >= nargs) {
      if (sig.variadic === 0) break;
      k = nargs - 1;
    }
    const arg = n.args[i] as Expr;
    // info's second argument may be a selector of labels only: no name, any matchers.
    const t = n.func === "info" && i === 1 ? typeOf(arg) : checkExpr(arg, text);
    const want = sig.argTypes[k] as ValueType;
    if (t !== want) {
      fail(
        arg.pos.start,
        `expected type ${documentedType(want)} in call to function ${name}, got ${documentedType(t)}`,
      );
    }
  }
}
