// Durations of selectors and subqueries: plain milliseconds, or the
// experimental duration expressions resolved against the query's times.

import type { Duration, DurationExpr } from "../ast.js";
import { EvaluationError } from "../errors.js";

/** Resolution of a subquery without a step: Prometheus's default evaluation interval. */
export const DEFAULT_SUBQUERY_STEP_MS = 60_000;

/** The query-wide times a duration expression may refer to. */
export interface QueryTimes {
  startMs: number;
  endMs: number;
  /** The query step; 0 for an instant query. */
  stepMs: number;
}

/** Milliseconds of a duration. */
export function durationMs(d: Duration, times: QueryTimes): number {
  if (typeof d === "number") return d;
  const seconds = evalSeconds(d, times);
  if (!Number.isFinite(seconds)) {
    throw new EvaluationError(`duration expression evaluates to ${seconds}, not a finite duration`);
  }
  return Math.round(seconds * 1000);
}

function evalSeconds(d: DurationExpr, times: QueryTimes): number {
  switch (d.kind) {
    case "durationLiteral":
      return d.ms / 1000;
    case "durationNumber":
      return d.seconds;
    case "durationUnary":
      return d.op === "-" ? -evalSeconds(d.expr, times) : evalSeconds(d.expr, times);
    case "durationBinary": {
      const a = evalSeconds(d.lhs, times);
      const b = evalSeconds(d.rhs, times);
      switch (d.op) {
        case "+":
          return a + b;
        case "-":
          return a - b;
        case "*":
          return a * b;
        case "/":
          if (b === 0) throw new EvaluationError("division by zero in duration expression");
          return a / b;
        case "%":
          if (b === 0) throw new EvaluationError("modulo by zero in duration expression");
          return a % b;
        case "^":
          return a ** b;
      }
      break;
    }
    case "durationCall": {
      const args = d.args.map((a) => evalSeconds(a, times));
      switch (d.func) {
        case "step":
          return times.stepMs / 1000;
        case "range":
          return (times.endMs - times.startMs) / 1000;
        case "start":
          return times.startMs / 1000;
        case "end":
          return times.endMs / 1000;
        case "min_of":
          return Math.min(...args);
        case "max_of":
          return Math.max(...args);
      }
    }
  }
  throw new EvaluationError("unknown duration expression");
}
