// The shape of a PromQL function implementation the engine calls.

import type { Call } from "../ast.js";
import type { Steps, Value } from "../block.js";
import type { OperatorContext } from "../operator-context.js";

export interface FunctionCallContext extends OperatorContext {
  /** The call being evaluated: absent() reads its selector, annotations cite its position. */
  readonly call: Call;
  /** The steps the call is evaluated at. */
  readonly steps: Steps;
  /** The query's lookback delta (anchored and smoothed range selectors reach back by it); 5 m when absent. */
  readonly lookbackMs?: number;
}

/**
 * Evaluates one call. `args` are the evaluated arguments in order: a range
 * vector argument arrives as a MatrixBlock (stale markers already removed from
 * its samples), a scalar as a ScalarBlock over the same steps, a string as a
 * StringValue. Returns a VectorBlock or a ScalarBlock over `ctx.steps`.
 */
export type FunctionImpl = (args: Value[], ctx: FunctionCallContext) => Value;
