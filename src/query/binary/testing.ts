// Helpers of the binary operator tests: blocks from literal rows, operator
// nodes, and rows printed as `labels => v _ v` ("!" marks dropName).
import assert from "node:assert/strict";
import { Annotations } from "../annotations.js";
import type { Binary, BinaryOp, Cardinality, VectorMatching } from "../ast.js";
import type { ScalarBlock, Steps, Value, VectorBlock } from "../block.js";
import { formatLabels, type Labels } from "../labels.js";
import type { OperatorContext } from "../operator-context.js";
import { type LiteralRow, vectorOf } from "../testing.js";
import { evalBinary } from "./index.js";

export { type Cell, lbls } from "../testing.js";
export const _ = null;
export const NaN_ = Number.NaN;
export const Inf = Number.POSITIVE_INFINITY;

export function stepsOf(n: number): Steps {
  return { startMs: 0, stepMs: n > 1 ? 60_000 : 0, count: n };
}

export function block(rows: LiteralRow[], n = rows[0]?.[1].length ?? 1): VectorBlock {
  return vectorOf(stepsOf(n), rows);
}

export function scalar(n: number, ...values: number[]): ScalarBlock {
  const v = new Float64Array(n);
  for (let j = 0; j < n; j++) v[j] = values[Math.min(j, values.length - 1)];
  return { type: "scalar", steps: stepsOf(n), values: v };
}

export interface MatchSpec {
  card?: Cardinality;
  on?: string[];
  ignoring?: string[];
  include?: string[];
  fillLeft?: number;
  fillRight?: number;
}

export function binary(op: BinaryOp, spec: MatchSpec | null = {}, returnBool = false): Binary {
  const pos = { start: 0, end: 1 };
  const setOp = op === "and" || op === "or" || op === "unless";
  const matching: VectorMatching | null =
    spec === null
      ? null
      : {
          card: spec.card ?? (setOp ? "many-to-many" : "one-to-one"),
          on: spec.on !== undefined,
          labels: spec.on ?? spec.ignoring ?? [],
          include: spec.include ?? [],
          fillLeft: spec.fillLeft ?? null,
          fillRight: spec.fillRight ?? null,
        };
  const operand = { kind: "number" as const, value: 0, pos };
  return { kind: "binary", op, lhs: operand, rhs: operand, returnBool, matching, pos };
}

export function context(): OperatorContext {
  return { annotations: new Annotations(), query: "", accountSamples() {} };
}

export function show(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}

/** Rows as `labels => v _ v` (a trailing "!" marks dropName), in the block's order. */
export function rowsOf(value: Value): string[] {
  assert.equal(value.type, "vector");
  const b = value as VectorBlock;
  const n = b.steps.count;
  return b.series.map((s, r) => {
    const cells: string[] = [];
    for (let j = 0; j < n; j++) {
      cells.push(b.present[r * n + j] === 1 ? show(b.values[r * n + j]) : "_");
    }
    return `${formatLabels(s.labels)}${s.dropName ? "!" : ""} => ${cells.join(" ")}`;
  });
}

export function run(node: Binary, lhs: Value, rhs: Value): string[] {
  return rowsOf(evalBinary(node, lhs, rhs, context()));
}

export function scalarOf(node: Binary, a: number, b: number): number {
  const out = evalBinary(node, scalar(1, a), scalar(1, b), context());
  assert.equal(out.type, "scalar");
  return (out as ScalarBlock).values[0];
}

export const requests = block([
  [
    { __name__: "http_requests_total", job: "api-server", instance: "0", group: "production" },
    [100],
  ],
  [
    { __name__: "http_requests_total", job: "api-server", instance: "1", group: "production" },
    [200],
  ],
  [{ __name__: "http_requests_total", job: "api-server", instance: "0", group: "canary" }, [300]],
  [{ __name__: "http_requests_total", job: "api-server", instance: "1", group: "canary" }, [400]],
  [
    { __name__: "http_requests_total", job: "app-server", instance: "0", group: "production" },
    [500],
  ],
  [
    { __name__: "http_requests_total", job: "app-server", instance: "1", group: "production" },
    [600],
  ],
  [{ __name__: "http_requests_total", job: "app-server", instance: "0", group: "canary" }, [700]],
  [{ __name__: "http_requests_total", job: "app-server", instance: "1", group: "canary" }, [800]],
]);

export function only(b: VectorBlock, keep: (labels: Labels) => boolean): VectorBlock {
  const rows = b.series.flatMap((s, r) => (keep(s.labels) ? [r] : []));
  return {
    ...b,
    series: rows.map((r) => b.series[r]),
    values: Float64Array.from(rows, (r) => b.values[r]),
    present: Uint8Array.from(rows, (r) => b.present[r]),
  };
}

export const has = (name: string, value: string) => (l: Labels) =>
  l.some((x) => x.name === name && x.value === value);
