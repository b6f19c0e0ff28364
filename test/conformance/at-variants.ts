// The step-invariance check of promqltest: an instant query is run again
// with `@ <its time>` on every selector and subquery (those inside a
// subquery excepted, since the subquery's own `@` fixes them), at other
// evaluation times, and must give the same answer each time. Prometheus
// re-prints the tree; here the `@` is written into the query text at the end
// of each node, which the node's position range gives.

import type { Expr } from "../../src/query/index.js";
import { parsePromQL } from "../../src/query/parser/index.js";

/** Functions whose result depends on the evaluation time itself (Prometheus's AtModifierUnsafeFunctions). */
const AT_UNSAFE_FUNCTIONS: ReadonlySet<string> = new Set([
  "days_in_month",
  "day_of_month",
  "day_of_week",
  "day_of_year",
  "end",
  "hour",
  "minute",
  "month",
  "year",
  "predict_linear",
  "range",
  "start",
  "step",
  "time",
  "timestamp",
]);

export interface AtVariant {
  expr: string;
  evalMs: number;
}

interface Walk {
  /** Offsets in the query text where ` @ t` goes. */
  inserts: number[];
  /** A function makes the query depend on its evaluation time: no variants. */
  unsafe: boolean;
  /** An `@ start()`/`@ end()` (which Prometheus would replace, and text insertion cannot): no variants. */
  startOrEnd: boolean;
}

function walk(e: Expr, w: Walk): void {
  switch (e.kind) {
    case "vectorSelector":
      if (e.at === null) w.inserts.push(e.pos.end);
      else if (e.at.kind !== "time") w.startOrEnd = true;
      return;
    case "matrixSelector":
      if (e.vector.at === null) w.inserts.push(e.pos.end);
      else if (e.vector.at.kind !== "time") w.startOrEnd = true;
      return;
    case "subquery":
      // Nothing inside is changed or inspected: with its own `@` the
      // subquery fixes the times of everything in it (as promqltest skips
      // every node below a subquery that has one).
      if (e.at === null) w.inserts.push(e.pos.end);
      else if (e.at.kind !== "time") w.startOrEnd = true;
      return;
    case "call":
      if (AT_UNSAFE_FUNCTIONS.has(e.func)) w.unsafe = true;
      for (const a of e.args) walk(a, w);
      return;
    case "aggregate":
      if (e.param !== null) walk(e.param, w);
      walk(e.expr, w);
      return;
    case "binary":
      walk(e.lhs, w);
      walk(e.rhs, w);
      return;
    case "unary":
    case "paren":
      walk(e.expr, w);
      return;
    default:
      return;
  }
}

/**
 * The queries promqltest also runs for an instant eval of `expr` at `tMs`:
 * `@ t` on every selector, evaluated at -10t, 0, t/5, t and 10t (at -1 s,
 * 0 and 1 s when t is 0). None when the query does not parse here, uses a
 * time-dependent function, or uses `@ start()`/`@ end()`.
 */
export function atVariants(expr: string, tMs: number): AtVariant[] {
  let tree: Expr;
  try {
    tree = parsePromQL(expr);
  } catch {
    return [];
  }
  const w: Walk = { inserts: [], unsafe: false, startOrEnd: false };
  walk(tree, w);
  if (w.unsafe || w.startOrEnd) return [];
  const at = ` @ ${(tMs / 1000).toFixed(3)}`;
  let text = expr;
  for (const pos of [...w.inserts].sort((a, b) => b - a)) {
    text = `${text.slice(0, pos)}${at}${text.slice(pos)}`;
  }
  const times = tMs === 0 ? [-1000, 0, 1000] : [-10 * tMs, 0, Math.trunc(tMs / 5), tMs, 10 * tMs];
  return times.map((evalMs) => ({ expr: text, evalMs }));
}
