import assert from "node:assert/strict";
import { test } from "node:test";
import type { Expr } from "../ast.js";
import { parsePromQL } from "./index.js";

/** The tree's shape with explicit parentheses around every binary and unary operation. */
function shape(e: Expr): string {
  switch (e.kind) {
    case "binary":
      return `(${shape(e.lhs)} ${e.op} ${shape(e.rhs)})`;
    case "unary":
      return `(${e.op}${shape(e.expr)})`;
    case "paren":
      return shape(e.expr);
    case "vectorSelector": {
      const mods = `${e.offset !== 0 ? ` offset ${e.offset}` : ""}${e.at !== null && e.at.kind === "time" ? ` @ ${e.at.ms}` : ""}`;
      return `${e.name}${mods}`;
    }
    case "number":
      return String(e.value);
    default:
      return e.kind;
  }
}

test("a modifier written inside a binary expression binds only to the operand before it", () => {
  const cases: [string, string][] = [
    ["a + b offset 1m * 2", "(a + (b offset 60000 * 2))"],
    ["a + b @ 60 * 0", "(a + (b @ 60000 * 0))"],
    ["a * b offset 1m + 2", "((a * b offset 60000) + 2)"],
    ["a - b offset 1m - c", "((a - b offset 60000) - c)"],
    ["a ^ b offset 1m ^ c", "(a ^ (b offset 60000 ^ c))"],
    ["a or b offset 1m and c > 1", "(a or (b offset 60000 and (c > 1)))"],
    ["a + b offset 1m * c offset 2m ^ d", "(a + (b offset 60000 * (c offset 120000 ^ d)))"],
    ["-a offset 1m ^ 2", "(-(a offset 60000 ^ 2))"],
    ["-a offset 1m * 2", "((-a offset 60000) * 2)"],
    ["a + b * c", "(a + (b * c))"],
  ];
  for (const [q, want] of cases) assert.equal(shape(parsePromQL(q)), want, q);
});
