// Partial aggregation: the input rows split in two at random, each half's
// state computed apart, merged, and finalized, give what one pass gives.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Annotations } from "../annotations.js";
import type { Aggregate } from "../ast.js";
import type { ScalarBlock, SeriesMeta, Steps, VectorBlock } from "../block.js";
import { labelsKey, makeLabels } from "../labels.js";
import type { OperatorContext } from "../operator-context.js";
import {
  evalAggregate,
  finalizeAggregate,
  mergePartials,
  type PartialAggregate,
  type PartialOp,
  partialAggregate,
} from "./index.js";

const EXACT: PartialOp[] = ["min", "max", "count", "group", "topk", "bottomk", "quantile"];
const CLOSE: PartialOp[] = ["sum", "avg", "stddev", "stdvar"];

function context(): OperatorContext {
  return { annotations: new Annotations(), query: "", accountSamples() {} };
}

function node(op: PartialOp, grouping: string[], without: boolean): Aggregate {
  const pos = { start: 0, end: 1 };
  return {
    kind: "aggregate",
    op,
    param:
      op === "topk" || op === "bottomk" || op === "quantile"
        ? { kind: "number", value: 0, pos }
        : null,
    expr: { kind: "number", value: 0, pos },
    grouping,
    without,
    pos,
  };
}

interface Case {
  steps: number;
  rows: { job: string; zone: string; dropName: boolean; cells: (number | null)[] }[];
  k: number[];
  phi: number[];
  split: boolean[];
  grouping: string[];
  without: boolean;
}

const sample = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: -4000, max: 4000 }).map((i) => i / 8) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, Number.NaN, Infinity, -Infinity) },
);

const caseArb: fc.Arbitrary<Case> = fc.integer({ min: 1, max: 4 }).chain((steps) =>
  fc.record({
    steps: fc.constant(steps),
    rows: fc.array(
      fc.record({
        job: fc.constantFrom("a", "b", "c"),
        zone: fc.constantFrom("x", "y"),
        dropName: fc.boolean(),
        cells: fc.array(fc.option(sample, { nil: null, freq: 4 }), {
          minLength: steps,
          maxLength: steps,
        }),
      }),
      { maxLength: 14 },
    ),
    k: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: steps, maxLength: steps }),
    phi: fc.array(fc.constantFrom(0, 0.1, 0.25, 0.5, 0.9, 1), {
      minLength: steps,
      maxLength: steps,
    }),
    split: fc.array(fc.boolean(), { minLength: 14, maxLength: 14 }),
    grouping: fc.constantFrom([], ["job"], ["zone"], ["job", "zone"], ["__name__"]),
    without: fc.boolean(),
  }),
);

function blockOf(c: Case, keep: (i: number) => boolean): VectorBlock {
  const steps: Steps = { startMs: 1000, stepMs: 15_000, count: c.steps };
  const picked = c.rows.map((r, i) => ({ r, i })).filter(({ i }) => keep(i));
  const values = new Float64Array(picked.length * c.steps);
  const present = new Uint8Array(picked.length * c.steps);
  const series: SeriesMeta[] = [];
  picked.forEach(({ r, i }, row) => {
    const name = i % 3 === 0 ? "m1" : "m2";
    series.push({
      labels: makeLabels([
        ["__name__", name],
        ["i", String(i)],
        ["job", r.job],
        ["zone", r.zone],
      ]),
      dropName: r.dropName,
    });
    r.cells.forEach((v, j) => {
      if (v === null) return;
      values[row * c.steps + j] = v;
      present[row * c.steps + j] = 1;
    });
  });
  return { type: "vector", steps, series, values, present };
}

function paramOf(c: Case, op: PartialOp): ScalarBlock | null {
  const steps: Steps = { startMs: 1000, stepMs: 15_000, count: c.steps };
  if (op === "topk" || op === "bottomk")
    return { type: "scalar", steps, values: Float64Array.from(c.k) };
  if (op === "quantile") return { type: "scalar", steps, values: Float64Array.from(c.phi) };
  return null;
}

/** A block as labels key -> dropName and per-step value (undefined: absent). */
function canonical(
  b: VectorBlock,
): Map<string, { dropName: boolean; cells: (number | undefined)[] }> {
  const n = b.steps.count;
  const out = new Map<string, { dropName: boolean; cells: (number | undefined)[] }>();
  b.series.forEach((s, r) => {
    const cells: (number | undefined)[] = [];
    for (let j = 0; j < n; j++) cells.push(b.present[r * n + j] ? b.values[r * n + j] : undefined);
    assert.ok(!out.has(labelsKey(s.labels)), "one row per label set");
    out.set(labelsKey(s.labels), { dropName: s.dropName, cells });
  });
  return out;
}

function close(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
}

function assertSame(op: PartialOp, merged: VectorBlock, whole: VectorBlock): void {
  const m = canonical(merged);
  const w = canonical(whole);
  assert.deepEqual([...m.keys()].sort(), [...w.keys()].sort(), `${op}: the same rows`);
  for (const [key, want] of w) {
    const got = m.get(key);
    assert.ok(got !== undefined);
    assert.equal(got.dropName, want.dropName, `${op}: dropName of ${key}`);
    if (EXACT.includes(op)) {
      // deepStrictEqual compares numbers with Object.is: -0, 0 and NaN are told apart.
      assert.deepStrictEqual(got.cells, want.cells, `${op}: ${key}`);
    } else {
      want.cells.forEach((v, j) => {
        assert.ok(close(got.cells[j], v), `${op}: ${key} step ${j}: ${got.cells[j]} vs ${v}`);
      });
    }
  }
}

test("a split in two, merged, equals one pass for every operator with a partial state", () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const whole = blockOf(c, () => true);
      const left = blockOf(c, (i) => c.split[i]);
      const right = blockOf(c, (i) => !c.split[i]);
      for (const op of [...EXACT, ...CLOSE]) {
        const n = node(op, c.grouping, c.without);
        const param = paramOf(c, op);
        const one = evalAggregate(n, whole, param, context());
        const a = partialAggregate(n, left, param, context());
        const b = partialAggregate(n, right, param, context());
        assertSame(op, finalizeAggregate(mergePartials(a, b)), one);
        assertSame(op, finalizeAggregate(mergePartials(b, a)), one);
      }
    }),
    { numRuns: 300 },
  );
});

test("merging is associative over three parts and a state survives a JSON-like copy", () => {
  fc.assert(
    fc.property(
      caseArb,
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 14, maxLength: 14 }),
      (c, part) => {
        const whole = blockOf(c, () => true);
        for (const op of ["sum", "quantile", "topk", "stddev"] as PartialOp[]) {
          const n = node(op, c.grouping, c.without);
          const param = paramOf(c, op);
          const parts = [0, 1, 2].map((p) =>
            copy(
              partialAggregate(
                n,
                blockOf(c, (i) => part[i] === p),
                param,
                context(),
              ),
            ),
          );
          const merged = mergePartials(mergePartials(parts[0], parts[1]), parts[2]);
          assertSame(op, finalizeAggregate(merged), evalAggregate(n, whole, param, context()));
        }
      },
    ),
    { numRuns: 100 },
  );
});

/** A deep copy through plain arrays, as a state sent over a network would be rebuilt. */
function copy(p: PartialAggregate): PartialAggregate {
  const plain = structuredClone(p);
  return { ...plain, steps: { ...p.steps } };
}

test("partial states of different operators or steps do not merge", () => {
  const c: Case = {
    steps: 1,
    rows: [{ job: "a", zone: "x", dropName: false, cells: [1] }],
    k: [1],
    phi: [0.5],
    split: [true],
    grouping: [],
    without: false,
  };
  const b = blockOf(c, () => true);
  const sum = partialAggregate(node("sum", [], false), b, null, context());
  const max = partialAggregate(node("max", [], false), b, null, context());
  assert.throws(() => mergePartials(sum, max), /different operators sum and max/);
  const byJob = partialAggregate(node("sum", ["job"], false), b, null, context());
  assert.throws(() => mergePartials(sum, byJob), /different groupings/);
});

test("avg halves whose sum overflows merge through the incremental mean", () => {
  const big = 9.988465674311579e307;
  const c: Case = {
    steps: 1,
    rows: [big, big, big, big].map((v) => ({ job: "a", zone: "x", dropName: false, cells: [v] })),
    k: [1],
    phi: [0.5],
    split: [true, true, false, false],
    grouping: [],
    without: false,
  };
  const n = node("avg", [], false);
  const a = partialAggregate(
    n,
    blockOf(c, (i) => c.split[i]),
    null,
    context(),
  );
  const b = partialAggregate(
    n,
    blockOf(c, (i) => !c.split[i]),
    null,
    context(),
  );
  const out = finalizeAggregate(mergePartials(a, b));
  assert.equal(out.values[0], big);
});
