// absent(v): 1 at the steps where v has no sample, labelled with what the
// selector pins down exactly.

import type { Expr } from "../ast.js";
import { emptyVector } from "../block.js";
import { type Labels, METRIC_NAME, makeLabels } from "../labels.js";
import type { FunctionImpl } from "./function-impl.js";
import { newVector, unwrapParens, vectorArg } from "./instant-args.js";

/**
 * The labels of absent()'s result, as Prometheus's createLabelsForAbsentFunction:
 * each equality matcher other than the metric name's, unless the same label is
 * matched twice or by another operator (then it is left out); any expression
 * other than a selector gives no labels.
 */
export function absentLabels(arg: Expr): Labels {
  const e = unwrapParens(arg);
  const selector = e.kind === "matrixSelector" ? e.vector : e;
  if (selector.kind !== "vectorSelector") return [];
  const set = new Map<string, string>();
  const seen = new Set<string>();
  for (const m of selector.matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.op === "=" && !seen.has(m.name)) {
      set.set(m.name, m.value);
      seen.add(m.name);
    } else {
      set.delete(m.name);
    }
  }
  return makeLabels(set);
}

const absent: FunctionImpl = (args, ctx) => {
  const input = vectorArg(args, 0, ctx);
  const count = ctx.steps.count;
  const values = new Float64Array(count);
  const present = new Uint8Array(count);
  let any = false;
  for (let j = 0; j < count; j++) {
    let has = false;
    for (let i = j; i < input.present.length; i += count) {
      if (input.present[i] === 1) {
        has = true;
        break;
      }
    }
    if (!has) {
      present[j] = 1;
      values[j] = 1;
      any = true;
    }
  }
  if (!any) return emptyVector(ctx.steps, []);
  const labels = ctx.call.args.length > 0 ? absentLabels(ctx.call.args[0]) : [];
  return newVector(ctx, [{ labels, dropName: false }], values, present);
};

export const ABSENT_FUNCTIONS: Record<string, FunctionImpl> = { absent };
