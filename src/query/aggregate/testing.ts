// Helpers of the aggregation tests: blocks from literal rows, aggregation
// nodes, and rows printed as `labels => v _ v`.
import { Annotations } from "../annotations.js";
import type { Aggregate, AggregateOp } from "../ast.js";
import type { ScalarBlock, Steps, Value, VectorBlock } from "../block.js";
import { formatLabels } from "../labels.js";
import type { OperatorContext } from "../operator-context.js";
import { type LiteralRow, vectorOf } from "../testing.js";
import { evalAggregate } from "./index.js";

export { type Cell, lbls } from "../testing.js";
export const _ = null;

/** A block from rows of labels and per-step values (null: absent). */
export function block(rows: LiteralRow[], dropName = false): VectorBlock {
  const n = rows.length === 0 ? 1 : rows[0][1].length;
  const steps: Steps = { startMs: 0, stepMs: n > 1 ? 60_000 : 0, count: n };
  return vectorOf(steps, rows, dropName);
}

export function scalar(steps: Steps, ...values: number[]): ScalarBlock {
  const v = new Float64Array(steps.count);
  for (let j = 0; j < steps.count; j++) v[j] = values[Math.min(j, values.length - 1)];
  return { type: "scalar", steps, values: v };
}

export function node(
  op: AggregateOp,
  opts: { by?: string[]; without?: string[]; query?: string; paramAt?: number } = {},
): Aggregate {
  const pos = { start: 0, end: 1 };
  return {
    kind: "aggregate",
    op,
    param:
      opts.paramAt === undefined
        ? null
        : { kind: "number", value: 0, pos: { start: opts.paramAt, end: opts.paramAt + 1 } },
    expr: { kind: "number", value: 0, pos },
    grouping: opts.without ?? opts.by ?? [],
    without: opts.without !== undefined,
    pos,
  };
}

export function context(
  query = "",
): OperatorContext & { annotations: Annotations; accounted: number } {
  const ctx = {
    annotations: new Annotations(),
    query,
    accounted: 0,
    accountSamples(count: number) {
      ctx.accounted += count;
    },
  };
  return ctx;
}

/** Rows as "labels => v v _ v" strings, in the block's order. */
export function rowsOf(b: VectorBlock): string[] {
  const n = b.steps.count;
  return b.series.map((s, r) => {
    const cells: string[] = [];
    for (let j = 0; j < n; j++) {
      cells.push(b.present[r * n + j] === 1 ? String(b.values[r * n + j]) : "_");
    }
    return `${formatLabels(s.labels)} => ${cells.join(" ")}`;
  });
}

export function run(op: AggregateOp, input: VectorBlock, opts = {}, param: Value | null = null) {
  return rowsOf(evalAggregate(node(op, opts), input, param, context()));
}

// aggregators.test's first data set at 50m.
export const httpRequests = block([
  [{ __name__: "http_requests", job: "api-server", instance: "0", group: "production" }, [100]],
  [{ __name__: "http_requests", job: "api-server", instance: "1", group: "production" }, [200]],
  [{ __name__: "http_requests", job: "api-server", instance: "0", group: "canary" }, [300]],
  [{ __name__: "http_requests", job: "api-server", instance: "1", group: "canary" }, [400]],
  [{ __name__: "http_requests", job: "app-server", instance: "0", group: "production" }, [500]],
  [{ __name__: "http_requests", job: "app-server", instance: "1", group: "production" }, [600]],
  [{ __name__: "http_requests", job: "app-server", instance: "0", group: "canary" }, [700]],
  [{ __name__: "http_requests", job: "app-server", instance: "1", group: "canary" }, [800]],
]);
