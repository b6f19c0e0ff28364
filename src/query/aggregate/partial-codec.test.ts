// The partial state's binary form: every state partialAggregate can build
// survives encode and decode bit for bit, a node's answer keeps its counts
// and annotations, bytes that are not a state are refused with a typed error
// naming the problem, and a state cut to some of its steps finalizes as the
// aggregation over those steps alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Annotations } from "../annotations.js";
import type { Aggregate } from "../ast.js";
import type { ScalarBlock, SeriesMeta, Steps, VectorBlock } from "../block.js";
import { makeLabels } from "../labels.js";
import type { OperatorContext } from "../operator-context.js";
import {
  concatPartials,
  decodePartial,
  decodePartialAnswer,
  encodePartial,
  encodePartialAnswer,
  evalAggregate,
  finalizeAggregate,
  PARTIAL_OPS,
  type PartialAggregate,
  PartialDecodeError,
  type PartialOp,
  partialAggregate,
  slicePartial,
} from "./index.js";

const OPS = [...PARTIAL_OPS] as PartialOp[];

function context(): OperatorContext {
  return { annotations: new Annotations(), query: "", accountSamples() {} };
}

function node(op: PartialOp, grouping: string[], without: boolean): Aggregate {
  const pos = { start: 0, end: 1 };
  const withParam = op === "topk" || op === "bottomk" || op === "quantile";
  return {
    kind: "aggregate",
    op,
    param: withParam ? { kind: "number", value: 0, pos } : null,
    expr: { kind: "number", value: 0, pos },
    grouping,
    without,
    pos,
  };
}

/** A NaN with the given payload bits (the stale marker is payload 2). */
function nanWith(payload: number): number {
  const f = new Float64Array(1);
  const w = new Uint32Array(f.buffer);
  w[0] = payload;
  w[1] = 0x7ff00000;
  return f[0];
}

const sample = fc.oneof(
  { weight: 10, arbitrary: fc.double({ noNaN: true }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffff }).map(nanWith) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, Number.NaN, Infinity, -Infinity) },
);

interface Case {
  steps: number;
  rows: { job: string; zone: string; dropName: boolean; cells: (number | null)[] }[];
  param: number[];
  grouping: string[];
  without: boolean;
}

const caseArb: fc.Arbitrary<Case> = fc.integer({ min: 1, max: 5 }).chain((steps) =>
  fc.record({
    steps: fc.constant(steps),
    rows: fc.array(
      fc.record({
        job: fc.constantFrom("a", "b", "ü"),
        zone: fc.constantFrom("x", "y"),
        dropName: fc.boolean(),
        cells: fc.array(fc.option(sample, { nil: null, freq: 4 }), {
          minLength: steps,
          maxLength: steps,
        }),
      }),
      { maxLength: 10 },
    ),
    param: fc.array(fc.constantFrom(0, 1, 2, 3, 0.5, 0.9, -1, 2.5), {
      minLength: steps,
      maxLength: steps,
    }),
    grouping: fc.constantFrom([], ["job"], ["zone"], ["job", "zone"], ["__name__"]),
    without: fc.boolean(),
  }),
);

function blockOf(c: Case): VectorBlock {
  const steps: Steps = { startMs: 1000, stepMs: c.steps > 1 ? 15_000 : 0, count: c.steps };
  const values = new Float64Array(c.rows.length * c.steps);
  const present = new Uint8Array(c.rows.length * c.steps);
  const series: SeriesMeta[] = c.rows.map((r, i) => ({
    labels: makeLabels([
      ["__name__", i % 2 === 0 ? "m1" : "m2"],
      ["i", String(i)],
      ["job", r.job],
      ["zone", r.zone],
    ]),
    dropName: r.dropName,
  }));
  c.rows.forEach((r, row) => {
    r.cells.forEach((v, j) => {
      if (v === null) return;
      values[row * c.steps + j] = v;
      present[row * c.steps + j] = 1;
    });
  });
  return { type: "vector", steps, series, values, present };
}

function paramOf(c: Case, steps: Steps): ScalarBlock {
  return { type: "scalar", steps, values: Float64Array.from(c.param) };
}

function bytesOf(a: Float64Array | Uint8Array | Uint32Array | Int32Array): number[] {
  return [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];
}

/** Equal in every bit: arrays by their bytes, the rest structurally. */
function assertIdentical(got: PartialAggregate, want: PartialAggregate): void {
  const arrays = [
    "param",
    "count",
    "value",
    "aux",
    "dropNameAt",
    "incremental",
    "listStart",
    "listValues",
    "listRows",
  ] as const;
  for (const k of arrays) {
    assert.equal(got[k].constructor, want[k].constructor, k);
    assert.deepEqual(bytesOf(got[k]), bytesOf(want[k]), k);
  }
  assert.equal(got.op, want.op);
  assert.deepEqual(got.grouping, want.grouping);
  assert.equal(got.without, want.without);
  assert.deepEqual(got.steps, want.steps);
  assert.deepEqual(got.groups, want.groups);
  assert.deepEqual(got.candidates, want.candidates);
}

function partialsOf(c: Case): PartialAggregate[] {
  const input = blockOf(c);
  return OPS.map((op) => {
    const n = node(op, c.grouping, c.without);
    const param = n.param === null ? null : paramOf(c, input.steps);
    return partialAggregate(n, input, param, context());
  });
}

test("every partial state decodes to itself bit for bit (NaN payloads, labels, candidates, steps, param)", () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      for (const p of partialsOf(c)) {
        const bytes = encodePartial(p);
        const back = decodePartial(bytes);
        assertIdentical(back, p);
        assert.deepEqual([...encodePartial(back)], [...bytes], `${p.op}: the same bytes again`);
      }
    }),
    { numRuns: 80 },
  );
});

test("a stale marker's NaN payload survives a state's round trip", () => {
  const c: Case = {
    steps: 1,
    rows: [{ job: "a", zone: "x", dropName: false, cells: [1] }],
    param: [1],
    grouping: [],
    without: false,
  };
  const max = partialsOf(c).find((p) => p.op === "max") as PartialAggregate;
  // Written as words: a float store may quiet a signalling NaN.
  const words = new Uint32Array(max.value.buffer, max.value.byteOffset, 2);
  words[0] = 2;
  words[1] = 0x7ff00000;
  const back = decodePartial(encodePartial(max));
  assert.deepEqual(bytesOf(back.value), [2, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
});

test("a node's answer keeps its counts, annotations and state", () => {
  fc.assert(
    fc.property(
      caseArb,
      fc.array(fc.nat({ max: 1e9 }), { minLength: 4, maxLength: 4 }),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.array(fc.string(), { maxLength: 3 }),
      (c, counts, warnings, infos) => {
        for (const partial of partialsOf(c)) {
          const answer = {
            partial,
            seriesMatched: counts[0],
            seriesFetched: counts[1],
            samplesFetched: counts[2],
            queryableSamples: counts[3],
            warnings,
            infos,
          };
          const back = decodePartialAnswer(encodePartialAnswer(answer));
          assertIdentical(back.partial, partial);
          assert.deepEqual({ ...back, partial: null }, { ...answer, partial: null });
        }
      },
    ),
    { numRuns: 40 },
  );
});

test("truncated or corrupted bytes fail with PartialDecodeError, never another error", () => {
  fc.assert(
    fc.property(
      caseArb,
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (c, pick, at, flip) => {
        const p = partialsOf(c)[pick % OPS.length];
        const bytes = encodePartial(p);
        const cut = bytes.subarray(0, at % bytes.length);
        assert.throws(() => decodePartial(cut), PartialDecodeError);
        const bad = bytes.slice();
        bad[at % bad.length] ^= flip;
        try {
          decodePartial(bad);
        } catch (e) {
          assert.ok(e instanceof PartialDecodeError, String(e));
        }
      },
    ),
    { numRuns: 200 },
  );
});

test("decode errors name what is wrong", () => {
  const c: Case = {
    steps: 2,
    rows: [{ job: "a", zone: "x", dropName: false, cells: [1, 2] }],
    param: [1, 1],
    grouping: ["job"],
    without: false,
  };
  const sum = partialsOf(c)[OPS.indexOf("sum")];
  const bytes = encodePartial(sum);
  assert.throws(() => decodePartial(new Uint8Array([1, 2, 3, 4, 5])), /magic is not "M3PA"/);
  assert.throws(
    () => decodePartial(Uint8Array.of(...bytes, 0)),
    /malformed partial aggregation at byte \d+: 1 bytes after the end/,
  );
  // The version byte follows the four magic bytes.
  const v2 = bytes.slice();
  v2[4] = 2;
  assert.throws(() => decodePartial(v2), /version 2, this codec reads 1/);
  const wrongCount = encodePartial({ ...sum, count: new Float64Array(3) });
  assert.throws(() => decodePartial(wrongCount), /count has 3 entries, sum over 2 cells needs 2/);
  const wrongOp = encodePartial({ ...sum, op: "count_values" as PartialOp });
  assert.throws(() => decodePartial(wrongOp), /operator "count_values" has no partial state/);
  assert.throws(() => decodePartialAnswer(bytes), /not a node answer/);
});

test("a state cut to some steps finalizes as the aggregation of those steps alone", () => {
  fc.assert(
    fc.property(caseArb, fc.nat(), fc.nat(), (c, a, b) => {
      const input = blockOf(c);
      const n = input.steps.count;
      const first = a % n;
      const count = 1 + (b % (n - first));
      const steps: Steps = {
        startMs: input.steps.startMs + first * input.steps.stepMs,
        stepMs: input.steps.stepMs,
        count,
      };
      const values = new Float64Array(input.series.length * count);
      const present = new Uint8Array(input.series.length * count);
      for (let r = 0; r < input.series.length; r++) {
        values.set(input.values.subarray(r * n + first, r * n + first + count), r * count);
        present.set(input.present.subarray(r * n + first, r * n + first + count), r * count);
      }
      const part: VectorBlock = { type: "vector", steps, series: input.series, values, present };
      const sliced: Case = { ...c, param: c.param.slice(first, first + count) };
      for (const op of OPS) {
        const nd = node(op, c.grouping, c.without);
        const whole = partialAggregate(
          nd,
          input,
          nd.param === null ? null : paramOf(c, input.steps),
          context(),
        );
        const got = finalizeAggregate(slicePartial(whole, first, count));
        const want = evalAggregate(
          nd,
          part,
          nd.param === null ? null : paramOf(sliced, steps),
          context(),
        );
        assert.deepStrictEqual(got.series, want.series, op);
        assert.deepStrictEqual(got.steps, want.steps, op);
        assert.deepEqual(bytesOf(got.values), bytesOf(want.values), op);
        assert.deepEqual([...got.present], [...want.present], op);
      }
    }),
    { numRuns: 80 },
  );
});

/** Steps [first, first + count) of a block. */
function stepsOf(input: VectorBlock, first: number, count: number): VectorBlock {
  const n = input.steps.count;
  const steps: Steps = {
    startMs: input.steps.startMs + first * input.steps.stepMs,
    stepMs: input.steps.stepMs,
    count,
  };
  const values = new Float64Array(input.series.length * count);
  const present = new Uint8Array(input.series.length * count);
  for (let r = 0; r < input.series.length; r++) {
    values.set(input.values.subarray(r * n + first, r * n + first + count), r * count);
    present.set(input.present.subarray(r * n + first, r * n + first + count), r * count);
  }
  return { type: "vector", steps, series: input.series, values, present };
}

/** A block's rows by labels, each with its dropName and the bytes of its values and presence. */
function rowsByLabels(b: VectorBlock): string[] {
  const n = b.steps.count;
  return b.series
    .map((s, r) => {
      const v = bytesOf(b.values.subarray(r * n, (r + 1) * n));
      const p = [...b.present.subarray(r * n, (r + 1) * n)];
      return JSON.stringify([s.labels, s.dropName, v, p]);
    })
    .sort();
}

test("states of consecutive runs of steps, laid end to end, finalize as one pass over all of them", () => {
  fc.assert(
    fc.property(caseArb, fc.nat(), (c, a) => {
      const input = blockOf(c);
      const n = input.steps.count;
      const cut = a % (n + 1);
      const runs = [
        [0, cut],
        [cut, n - cut],
      ].filter(([, count]) => count > 0);
      for (const op of OPS) {
        const nd = node(op, c.grouping, c.without);
        const parts = runs.map(([first, count]) => {
          const block = stepsOf(input, first, count);
          const param =
            nd.param === null
              ? null
              : paramOf({ ...c, param: c.param.slice(first, first + count) }, block.steps);
          return partialAggregate(nd, block, param, context());
        });
        const got = finalizeAggregate(concatPartials(parts));
        const want = evalAggregate(
          nd,
          input,
          nd.param === null ? null : paramOf(c, input.steps),
          context(),
        );
        assert.deepStrictEqual(got.steps, want.steps, op);
        assert.deepEqual(rowsByLabels(got), rowsByLabels(want), op);
      }
    }),
    { numRuns: 120 },
  );
});
