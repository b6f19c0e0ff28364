// M3's GET remote read (M3-NOTES part B §3.2): `?query=<PromQL>&start=&end=`
// turns every selector of the expression into one remote read query, its
// time window widened by the selector's range, offset and subqueries, so a
// client can fetch the raw samples a PromQL query would read.

import type { IncomingMessage } from "node:http";
import type { Expr } from "../ast.js";
import { readForm } from "./form.js";
import { invalidParam, ParamError, parseTime } from "./params.js";
import type { PromQLText } from "./promql-text.js";

/** One remote read query, in the shape the coordinator's remote read answers. */
export interface PromQLReadQuery {
  startMs: number;
  endMs: number;
  matchers: { type: "=" | "!=" | "=~" | "!~"; name: string; value: string }[];
  hints: null;
}

interface Window {
  startMs: number;
  endMs: number;
}

function literalMs(d: unknown, what: string): number {
  if (typeof d === "number") return d;
  throw new ParamError(`${what} given by an expression is not supported by remote read`);
}

/** Appends a read query for every selector under `expr`, evaluated over `w`. */
function collect(
  expr: Expr,
  w: Window,
  times: Window,
  lookbackMs: number,
  out: PromQLReadQuery[],
): void {
  const at = (
    a: { kind: "time"; ms: number } | { kind: "start" } | { kind: "end" } | null,
  ): Window => {
    if (a === null) return w;
    const t = a.kind === "time" ? a.ms : a.kind === "start" ? times.startMs : times.endMs;
    return { startMs: t, endMs: t };
  };
  switch (expr.kind) {
    case "vectorSelector": {
      const base = at(expr.at);
      const offset = literalMs(expr.offset, "an offset");
      out.push({
        startMs: base.startMs - offset - lookbackMs,
        endMs: base.endMs - offset,
        matchers: expr.matchers.map((m) => ({ type: m.op, name: m.name, value: m.value })),
        hints: null,
      });
      return;
    }
    case "matrixSelector": {
      const v = expr.vector;
      const base = at(v.at);
      const offset = literalMs(v.offset, "an offset");
      out.push({
        startMs: base.startMs - offset - literalMs(expr.range, "a range"),
        endMs: base.endMs - offset,
        matchers: v.matchers.map((m) => ({ type: m.op, name: m.name, value: m.value })),
        hints: null,
      });
      return;
    }
    case "subquery": {
      const base = at(expr.at);
      const offset = literalMs(expr.offset, "an offset");
      const inner = {
        startMs: base.startMs - offset - literalMs(expr.range, "a range"),
        endMs: base.endMs - offset,
      };
      collect(expr.expr, inner, times, lookbackMs, out);
      return;
    }
    case "call":
      for (const a of expr.args) collect(a, w, times, lookbackMs, out);
      return;
    case "aggregate":
      if (expr.param !== null) collect(expr.param, w, times, lookbackMs, out);
      collect(expr.expr, w, times, lookbackMs, out);
      return;
    case "binary":
      collect(expr.lhs, w, times, lookbackMs, out);
      collect(expr.rhs, w, times, lookbackMs, out);
      return;
    case "unary":
    case "paren":
      collect(expr.expr, w, times, lookbackMs, out);
      return;
    case "number":
    case "string":
      return;
  }
}

/** The read queries of an expression evaluated over [startMs, endMs]. */
export function readQueriesOf(
  expr: Expr,
  startMs: number,
  endMs: number,
  lookbackMs: number,
): PromQLReadQuery[] {
  const out: PromQLReadQuery[] = [];
  const w = { startMs, endMs };
  collect(expr, w, w, lookbackMs, out);
  return out;
}

/**
 * The read queries of a GET remote read request: `query` (required), `start`
 * and `end` (unix seconds or RFC 3339; end defaults to now, start to end).
 */
export async function promqlReadQueries(
  req: IncomingMessage,
  promql: PromQLText,
  lookbackMs: number,
  nowMs: number,
): Promise<PromQLReadQuery[]> {
  const form = await readForm(req, 64 * 1024);
  const query = form.get("query");
  if (query === null || query === "") {
    throw invalidParam("query", "a GET remote read needs a PromQL query in the query parameter");
  }
  const time = (name: string, fallback: number): number => {
    const v = form.get(name);
    if (v === null || v === "") return fallback;
    try {
      return parseTime(v);
    } catch (e) {
      throw invalidParam(name, (e as Error).message);
    }
  };
  const endMs = time("end", nowMs);
  const startMs = time("start", endMs);
  if (endMs < startMs) throw invalidParam("end", "end timestamp must not be before start time");
  let expr: Expr;
  try {
    expr = promql.parse(query);
  } catch (e) {
    throw invalidParam("query", (e as Error).message);
  }
  return readQueriesOf(expr, startMs, endMs, lookbackMs);
}
