// sort, sort_desc, sort_by_label and sort_by_label_desc: they reorder the rows
// of an instant query's result. A range query's result is ordered by labels
// anyway, so there sort and sort_desc leave the rows as they are and warn.

import { rowsWithSamples, type SeriesMeta, type VectorBlock } from "../block.js";
import { compareLabels, getLabel } from "../labels.js";
import { positionOf } from "../operator-context.js";
import type { FunctionCallContext, FunctionImpl } from "./function-impl.js";
import { newVector, stringArg, vectorArg } from "./instant-args.js";

const SORT_IN_RANGE_QUERY =
  "PromQL warning: sort is ineffective for range queries since results are always ordered by labels";

const CHUNK = /\d+|\D+/g;
const MAX_INT64 = 9223372036854775807n;

function chunks(s: string): string[] {
  return s.match(CHUNK) ?? [];
}

/** A run of ASCII digits as Go's strconv.Atoi reads it, or undefined past int64. */
function digitsValue(chunk: string): bigint | undefined {
  if (chunk.charCodeAt(0) < 48 || chunk.charCodeAt(0) > 57) return undefined;
  const v = BigInt(chunk);
  return v > MAX_INT64 ? undefined : v;
}

/**
 * Whether `a` comes before `b` in the natural order Prometheus sorts label
 * values by (github.com/facette/natsort): the strings are cut into runs of
 * digits and of non-digits; two digit runs compare as integers, anything else
 * as strings; a string that runs out of chunks first while equal comes first.
 * As in that library, an empty string comes before nothing (it is never "less").
 */
export function naturalLess(a: string, b: string): boolean {
  const ca = chunks(a);
  const cb = chunks(b);
  for (let i = 0; i < ca.length; i++) {
    if (i >= cb.length) return false;
    const na = digitsValue(ca[i]);
    const nb = digitsValue(cb[i]);
    const equal = na !== undefined && nb !== undefined ? na === nb : ca[i] === cb[i];
    if (!equal) {
      if (na !== undefined && nb !== undefined) return na < nb;
      return ca[i] < cb[i];
    }
    if (i === ca.length - 1) return true;
    if (i === cb.length - 1) return false;
  }
  return false;
}

/** Rows in a new order; the samples move with their rows. */
function reorder(ctx: FunctionCallContext, input: VectorBlock, order: number[]): VectorBlock {
  const n = input.steps.count;
  const values = new Float64Array(input.values.length);
  const present = new Uint8Array(input.present.length);
  const series: SeriesMeta[] = [];
  order.forEach((r, i) => {
    series.push(input.series[r]);
    values.set(input.values.subarray(r * n, (r + 1) * n), i * n);
    present.set(input.present.subarray(r * n, (r + 1) * n), i * n);
  });
  return newVector(ctx, series, values, present);
}

function warnInRangeQuery(ctx: FunctionCallContext): void {
  if (ctx.steps.count > 1) {
    ctx.annotations.warn(`${SORT_IN_RANGE_QUERY} ${positionOf(ctx.query, ctx.call.pos)}`);
  }
}

/** sort and sort_desc: by the value at the (single) step; NaN last in both directions. */
function byValue(descending: boolean): FunctionImpl {
  return (args, ctx) => {
    const input = vectorArg(args, 0, ctx);
    warnInRangeQuery(ctx);
    const rows = rowsWithSamples(input);
    if (ctx.steps.count === 1) {
      const v = input.values;
      rows.sort((x, y) => {
        const a = v[x];
        const b = v[y];
        if (Number.isNaN(a) || Number.isNaN(b))
          return (Number.isNaN(a) ? 1 : 0) - (Number.isNaN(b) ? 1 : 0);
        return descending ? b - a || 0 : a - b || 0;
      });
    }
    return reorder(ctx, input, rows);
  };
}

/** sort_by_label and sort_by_label_desc: natural order of the named labels, then the whole label set. */
function byLabels(descending: boolean): FunctionImpl {
  return (args, ctx) => {
    const input = vectorArg(args, 0, ctx);
    warnInRangeQuery(ctx);
    const names: string[] = [];
    for (let i = 1; i < args.length; i++) names.push(stringArg(args, i, ctx));
    const rows = rowsWithSamples(input);
    const sign = descending ? -1 : 1;
    rows.sort((x, y) => {
      const a = input.series[x].labels;
      const b = input.series[y].labels;
      for (const name of names) {
        const va = getLabel(a, name);
        const vb = getLabel(b, name);
        if (va === vb) continue;
        return naturalLess(va, vb) ? -sign : sign;
      }
      return sign * compareLabels(a, b);
    });
    return reorder(ctx, input, rows);
  };
}

export const SORT_FUNCTIONS: Record<string, FunctionImpl> = {
  sort: byValue(false),
  sort_desc: byValue(true),
  sort_by_label: byLabels(false),
  sort_by_label_desc: byLabels(true),
};
