// What the API needs of the PromQL parser: parse a query, print it back,
// render its tree as JSON, and read a `match[]` series selector into the
// index's matchers (Prometheus's ParseMetricSelectors).

import { type Matcher, newMatcher } from "../../index/index.js";
import type { Expr } from "../ast.js";
import { ParamError } from "./params.js";

/** The parser's functions, handed to the API (src/query/parser's parsePromQL, prettyExpr, exprToJSON). */
export interface PromQLText {
  /** Throws PromQLParseError when the text does not parse. */
  parse(query: string): Expr;
  /** The query printed back as format_query answers it (absent: format_query answers 503). */
  format?(expr: Expr): string;
  /** The tree as parse_query answers it (absent: parse_query answers 503). */
  toJSON?(expr: Expr): unknown;
}

/**
 * The matchers of one series selector (`up{job="x"}`, `{__name__=~"a.*"}`);
 * refuses anything else, and a selector all of whose matchers match the
 * empty value (it would select every series).
 */
export function selectorMatchers(promql: PromQLText, text: string): Matcher[] {
  const expr = promql.parse(text);
  if (expr.kind !== "vectorSelector") {
    throw new ParamError(
      `parse error: ${JSON.stringify(text)} is not a series selector (a metric name and/or {label matchers})`,
    );
  }
  const matchers = expr.matchers.map((m) => newMatcher(m.op, m.name, m.value));
  if (matchers.every((m) => m.matchesEmpty)) {
    throw new ParamError("match[] must contain at least one non-empty matcher");
  }
  return matchers;
}
