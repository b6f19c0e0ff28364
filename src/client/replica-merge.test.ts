import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { packedBlock, packSeries, type SeriesData } from "../codec/index.js";
import { EQUAL_TIMESTAMP_STRATEGIES, type EqualTimestampStrategy } from "./client.js";
import { ReplicaMerger } from "./replica-merge.js";

/** A piece: distinct times, ascending, with their values. */
type Piece = [number, number][];

function pieceData(points: Piece): SeriesData {
  const t = Float64Array.from(points.map((p) => p[0]));
  const v = Float64Array.from(points.map((p) => p[1]));
  return packedBlock(packSeries(t, v, points.length));
}

/** The reference: each replica's instants (a later piece wins), then per instant the strategy's value. */
function reference(
  replicas: Piece[][],
  startMs: number,
  endMs: number,
  strategy: EqualTimestampStrategy,
): [number, number][] {
  const maps = replicas.map((pieces) => {
    const m = new Map<number, number>();
    for (const piece of pieces) for (const [t, v] of piece) m.set(t, v);
    return m;
  });
  const times = [...new Set(maps.flatMap((m) => [...m.keys()]))]
    .filter((t) => t >= startMs && t <= endMs)
    .sort((a, b) => a - b);
  return times.map((t) => {
    const vals = maps.filter((m) => m.has(t)).map((m) => m.get(t) as number);
    let v: number;
    if (strategy === "iterate_last_pushed") v = vals[vals.length - 1];
    else if (strategy === "iterate_highest_value") v = Math.max(...vals);
    else if (strategy === "iterate_lowest_value") v = Math.min(...vals);
    else {
      const counts = new Map<number, number>();
      for (const x of vals) counts.set(x, (counts.get(x) ?? 0) + 1);
      const most = Math.max(...counts.values());
      v = vals.filter((x) => counts.get(x) === most).at(-1) as number;
    }
    return [t, v];
  });
}

const piece = fc
  .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 })), {
    minLength: 1,
    maxLength: 20,
    selector: (p) => p[0],
  })
  .map((ps): Piece => ps.sort((a, b) => a[0] - b[0]).map(([t, v]) => [1000 * t, v]));

test("the merge of replicas equals the reference model for every strategy", () => {
  const merger = new ReplicaMerger();
  fc.assert(
    fc.property(
      fc.array(fc.array(piece, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 40 }),
      (replicas, a, b) => {
        const startMs = 1000 * Math.min(a, b);
        const endMs = 1000 * Math.max(a, b);
        for (const strategy of EQUAL_TIMESTAMP_STRATEGIES) {
          const got = merger.merge(
            replicas.map((pieces) => pieces.map(pieceData)),
            startMs,
            endMs,
            strategy,
          );
          const points: [number, number][] = [];
          for (let i = 0; i < got.count; i++) points.push([got.timesMs[i], got.values[i]]);
          assert.deepEqual(points, reference(replicas, startMs, endMs, strategy), strategy);
        }
      },
    ),
    { numRuns: 150 },
  );
});

test("highest and lowest value leave a NaN out unless every replica holds one", () => {
  const merger = new ReplicaMerger();
  const nan = pieceData([[1000, Number.NaN]]);
  const two = pieceData([[1000, 2]]);
  const values = (replicas: SeriesData[][], s: EqualTimestampStrategy) =>
    Array.from(merger.merge(replicas, 0, 5000, s).values.subarray(0, 1));
  assert.deepEqual(values([[nan], [two]], "iterate_highest_value"), [2]);
  assert.deepEqual(values([[two], [nan]], "iterate_lowest_value"), [2]);
  assert.ok(Number.isNaN(values([[nan], [nan]], "iterate_highest_value")[0]));
});
