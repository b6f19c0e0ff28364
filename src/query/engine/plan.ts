// Which raw samples a query needs: every selector with the time range it
// reads, found by walking the tree with the span of times each node is
// evaluated at (offset, `@`, ranges and subqueries widen or move it).

import type { AtModifier, Expr, LabelMatcherNode, VectorSelector } from "../ast.js";
import { durationMs, type QueryTimes } from "./durations.js";
import { firstSelector, infoFetchMatchers } from "./info.js";

/** One fetch: the node it is for (a selector, or an info() call), its matchers, and [startMs, endMs] (both included). */
export interface SelectorFetch {
  key: object;
  matchers: readonly LabelMatcherNode[];
  startMs: number;
  endMs: number;
}

/** The evaluation time an `@` pins a node to, or null. */
export function atTimeMs(at: AtModifier | null, times: QueryTimes): number | null {
  if (at === null) return null;
  if (at.kind === "time") return at.ms;
  return at.kind === "start" ? times.startMs : times.endMs;
}

/**
 * Every selector of `expr`, with the range of samples it needs, for
 * evaluations in [fromMs, toMs]; none under the nodes of `skip` (aggregations
 * evaluated elsewhere).
 */
export function planFetches(
  expr: Expr,
  times: QueryTimes,
  lookbackMs: number,
  subqueryStepMs: number,
  skip: ReadonlySet<Expr> = new Set(),
): SelectorFetch[] {
  const out: SelectorFetch[] = [];
  const visit = (node: Expr, fromMs: number, toMs: number): void => {
    switch (node.kind) {
      case "number":
      case "string":
        return;
      case "paren":
      case "unary":
        visit(node.expr, fromMs, toMs);
        return;
      case "vectorSelector": {
        const [lo, hi] = refSpan(node, fromMs, toMs, times);
        out.push({ key: node, matchers: node.matchers, startMs: lo - lookbackMs, endMs: hi });
        return;
      }
      case "matrixSelector": {
        const [lo, hi] = refSpan(node.vector, fromMs, toMs, times);
        const { anchored, smoothed } = node.vector;
        out.push({
          key: node.vector,
          matchers: node.vector.matchers,
          startMs: lo - durationMs(node.range, times) - (anchored || smoothed ? lookbackMs : 0),
          endMs: hi + (smoothed ? lookbackMs : 0),
        });
        return;
      }
      case "subquery": {
        const offset = durationMs(node.offset, times);
        const at = atTimeMs(node.at, times);
        const lo = (at ?? fromMs) - offset;
        const hi = (at ?? toMs) - offset;
        const step = durationMs(node.step, times) || subqueryStepMs;
        visit(node.expr, lo - durationMs(node.range, times) - step, hi);
        return;
      }
      case "call": {
        if (node.func === "info") {
          // The second argument is not read as a selector: it picks the info series.
          visit(node.args[0], fromMs, toMs);
          const sel = firstSelector(node.args[0]);
          const [lo, hi] = sel === null ? [fromMs, toMs] : refSpan(sel, fromMs, toMs, times);
          out.push({
            key: node,
            matchers: infoFetchMatchers(node),
            startMs: lo - lookbackMs,
            endMs: hi,
          });
          return;
        }
        for (const a of node.args) visit(a, fromMs, toMs);
        return;
      }
      case "aggregate":
        if (skip.has(node)) return;
        if (node.param !== null) visit(node.param, fromMs, toMs);
        visit(node.expr, fromMs, toMs);
        return;
      case "binary":
        visit(node.lhs, fromMs, toMs);
        visit(node.rhs, fromMs, toMs);
        return;
    }
  };
  visit(expr, times.startMs, times.endMs);
  return out;
}

function refSpan(
  sel: VectorSelector,
  fromMs: number,
  toMs: number,
  times: QueryTimes,
): [number, number] {
  const offset = durationMs(sel.offset, times);
  const at = atTimeMs(sel.at, times);
  return at === null ? [fromMs - offset, toMs - offset] : [at - offset, at - offset];
}
