// Merging several M3TSZ streams of one series: time order, one datapoint per
// instant, the later stream (and within a stream the later datapoint) winning
// ties, and faults stopping the merge. Checked by example and against a
// reference merge.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { TimeUnit } from "../x/index.js";
import {
  M3tszEncoder,
  MultiStreamIterator,
  PackedCorruptError,
  packedBlock,
  packSeries,
  type SeriesData,
  StreamCorruptError,
} from "./index.js";

const START_MS = 1_699_992_000_000;

/** [ms offset from START_MS, value, unit?, nsInMs?] */
type P = [number, number, TimeUnit?, number?];

/** A stream holding `points` in the order given (encode(), so repeats are allowed). */
function stream(points: P[], intOptimized = true): Uint8Array {
  const enc = new M3tszEncoder(START_MS, 0, { intOptimized });
  for (const [dt, v, unit = TimeUnit.Millisecond, ns = 0] of points) {
    enc.encode(START_MS + dt, v, unit, ns);
  }
  return enc.bytes();
}

/** A packed block holding `points` ([ms offset, value], ascending). */
function packed(points: [number, number][]): SeriesData {
  const times = Float64Array.from(points, ([dt]) => START_MS + dt);
  const values = Float64Array.from(points, ([, v]) => v);
  return packedBlock(packSeries(times, values, points.length));
}

/** Merges and returns [ms offset, value] pairs, failing on a fault. */
function merge(streams: SeriesData[], it = new MultiStreamIterator()): [number, number][] {
  it.reset(streams);
  const out: [number, number][] = [];
  while (it.next()) out.push([it.timeMs - START_MS, it.value]);
  assert.equal(it.error, null, it.error?.message);
  return out;
}

test("disjoint streams merge into one time-ordered sequence", () => {
  const a = stream([
    [10_000, 1],
    [20_000, 2],
  ]);
  const b = stream([
    [30_000, 3],
    [40_000, 4],
  ]);
  const expected = [
    [10_000, 1],
    [20_000, 2],
    [30_000, 3],
    [40_000, 4],
  ];
  assert.deepEqual(merge([a, b]), expected);
  assert.deepEqual(merge([b, a]), expected);
});

test("interleaved streams merge in time order, to the nanosecond", () => {
  const a = stream([
    [10_000, 1],
    [30_000, 3],
    [30_001, 5, TimeUnit.Nanosecond, 7],
  ]);
  const b = stream([
    [20_000, 2],
    [30_001, 4, TimeUnit.Nanosecond, 6],
    [50_000, 6],
  ]);
  const it = new MultiStreamIterator();
  it.reset([a, b]);
  const out: [number, number, number, number][] = [];
  while (it.next()) out.push([it.timeMs - START_MS, it.nsInMs, it.value, it.unit]);
  assert.equal(it.error, null);
  assert.deepEqual(out, [
    [10_000, 0, 1, TimeUnit.Millisecond],
    [20_000, 0, 2, TimeUnit.Millisecond],
    [30_000, 0, 3, TimeUnit.Millisecond],
    [30_001, 6, 4, TimeUnit.Nanosecond],
    [30_001, 7, 5, TimeUnit.Nanosecond],
    [50_000, 0, 6, TimeUnit.Millisecond],
  ]);
});

test("at an instant held by several streams, the later stream's datapoint is the only one emitted", () => {
  const older = stream([
    [10_000, 1],
    [20_000, 2],
    [30_000, 3],
  ]);
  const middle = stream([[20_000, 20]]);
  const newer = stream([
    [20_000, 200],
    [30_000, 300, TimeUnit.Second],
  ]);
  assert.deepEqual(merge([older, middle, newer]), [
    [10_000, 1],
    [20_000, 200],
    [30_000, 300],
  ]);
  assert.deepEqual(merge([newer, middle, older]), [
    [10_000, 1],
    [20_000, 2],
    [30_000, 3],
  ]);
  assert.deepEqual(merge([older, newer, middle]), [
    [10_000, 1],
    [20_000, 20],
    [30_000, 300],
  ]);
});

test("the winner's unit and annotation come with its value", () => {
  const encA = new M3tszEncoder(START_MS);
  encA.append(START_MS + 10_000, 1, TimeUnit.Millisecond, 0, Uint8Array.of(1));
  const encB = new M3tszEncoder(START_MS);
  encB.append(START_MS + 10_000, 2, TimeUnit.Second, 0, Uint8Array.of(2));
  const it = new MultiStreamIterator();
  it.reset([encA.bytes(), encB.bytes()]);
  assert.equal(it.next(), true);
  assert.deepEqual(
    [it.value, it.unit, it.annotation === null ? null : Array.from(it.annotation)],
    [2, TimeUnit.Second, [2]],
  );
  assert.equal(it.next(), false);
  assert.equal(it.error, null);
});

test("an instant repeated within one stream yields only the later datapoint", () => {
  const a = stream([
    [10_000, 1],
    [10_000, 2],
    [10_000, 3],
    [20_000, 4],
    [20_000, 5],
  ]);
  assert.deepEqual(merge([a]), [
    [10_000, 3],
    [20_000, 5],
  ]);
  const b = stream([[10_000, 9]]);
  assert.deepEqual(merge([b, a]), [
    [10_000, 3],
    [20_000, 5],
  ]);
  assert.deepEqual(merge([a, b]), [
    [10_000, 9],
    [20_000, 5],
  ]);
});

test("empty streams and no streams merge to nothing without error", () => {
  const empty = new Uint8Array(0);
  assert.deepEqual(merge([]), []);
  assert.deepEqual(merge([empty]), []);
  assert.deepEqual(merge([empty, empty, empty]), []);
  const a = stream([
    [10_000, 1],
    [20_000, 2],
  ]);
  assert.deepEqual(merge([empty, a, empty]), [
    [10_000, 1],
    [20_000, 2],
  ]);
});

test("one stream merges to its own points", () => {
  const points: P[] = [
    [1, 0.5],
    [2, -3],
    [2000, Number.POSITIVE_INFINITY],
    [2000, 7, TimeUnit.Nanosecond, 1],
  ];
  assert.deepEqual(
    merge([stream(points)]),
    points.map(([t, v]) => [t, v]),
  );
});

test("a corrupt stream among good ones stops the merge with its fault", () => {
  const good1 = stream([
    [10_000, 1],
    [20_000, 2],
    [30_000, 3],
  ]);
  const good2 = stream([
    [15_000, 1.5],
    [25_000, 2.5],
  ]);
  const full = stream([
    [12_000, 7],
    [22_000, 8],
    [32_000, 9],
  ]);
  for (const corrupt of [full.subarray(0, full.length - 2), full.subarray(0, 9)]) {
    for (const order of [
      [good1, corrupt, good2],
      [corrupt, good1, good2],
      [good1, good2, corrupt],
    ]) {
      const it = new MultiStreamIterator();
      it.reset(order);
      let n = 0;
      while (it.next()) {
        n++;
        assert.ok(n <= 8, "the merge must stop");
      }
      assert.ok(it.error instanceof StreamCorruptError, `error is ${it.error}`);
      assert.equal(it.error.code, "M3TS_ERR_STREAM_CORRUPT");
      assert.equal(it.error.kind, "truncated");
      assert.equal(it.next(), false);
      assert.notEqual(it.error, null);
    }
  }
});

test("reset reuses the iterator and clears a previous fault", () => {
  const it = new MultiStreamIterator();
  const a = stream([
    [10_000, 1],
    [20_000, 2],
  ]);
  it.reset([a.subarray(0, 9)]);
  while (it.next());
  assert.notEqual(it.error, null);
  assert.deepEqual(merge([a, a, a], it), [
    [10_000, 1],
    [20_000, 2],
  ]);
  assert.deepEqual(merge([a], it), [
    [10_000, 1],
    [20_000, 2],
  ]);
  assert.deepEqual(merge([], it), []);
});

test("the merge equals a reference merge: by instant, later streams and later points overwrite", () => {
  // Each stream: sorted instants from a small range so streams collide often,
  // with repeats; values are unique so the winner is visible.
  const streamArb = fc
    .array(
      fc.record({
        ms: fc.integer({ min: 0, max: 40 }),
        ns: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 })),
        repeat: fc.integer({ min: 1, max: 3 }),
      }),
      { maxLength: 30 },
    )
    .map((pts) => pts.sort((x, y) => x.ms - y.ms || x.ns - y.ns));
  fc.assert(
    fc.property(fc.array(streamArb, { maxLength: 6 }), fc.boolean(), (specs, intOptimized) => {
      let next = 0;
      const reference = new Map<string, { ms: number; ns: number; value: number; unit: number }>();
      const streams = specs.map((spec) => {
        const enc = new M3tszEncoder(START_MS, 0, { intOptimized });
        for (const p of spec) {
          for (let r = 0; r < p.repeat; r++) {
            const value = next++;
            const unit = p.ns === 0 && value % 2 === 0 ? TimeUnit.Millisecond : TimeUnit.Nanosecond;
            enc.encode(START_MS + p.ms * 1000, value, unit, p.ns);
            reference.set(`${p.ms}/${p.ns}`, { ms: START_MS + p.ms * 1000, ns: p.ns, value, unit });
          }
        }
        return enc.bytes();
      });
      const expected = [...reference.values()].sort((x, y) => x.ms - y.ms || x.ns - y.ns);
      const it = new MultiStreamIterator({ intOptimized });
      it.reset(streams);
      const got: { ms: number; ns: number; value: number; unit: number }[] = [];
      while (it.next()) got.push({ ms: it.timeMs, ns: it.nsInMs, value: it.value, unit: it.unit });
      assert.equal(it.error, null, it.error?.message);
      assert.deepEqual(got, expected);
    }),
    { seed: 42, numRuns: 400, includeErrorInReport: true },
  );
});

test("packed blocks and M3TSZ streams merge together, the later source winning at an instant", () => {
  const oldPacked = packed([
    [10_000, 1],
    [20_000, 2],
    [30_000, 3],
  ]);
  const stream1 = stream([
    [20_000, 20],
    [25_000, 25],
  ]);
  const newPacked = packed([
    [25_000, 250],
    [40_000, 400],
  ]);
  assert.deepEqual(merge([oldPacked, stream1, newPacked]), [
    [10_000, 1],
    [20_000, 20],
    [25_000, 250],
    [30_000, 3],
    [40_000, 400],
  ]);
  assert.deepEqual(merge([newPacked, stream1, oldPacked]), [
    [10_000, 1],
    [20_000, 2],
    [25_000, 25],
    [30_000, 3],
    [40_000, 400],
  ]);
});

test("a packed source reports millisecond unit and no annotation, a stream its own", () => {
  const enc = new M3tszEncoder(START_MS);
  enc.append(START_MS + 10_000, 1, TimeUnit.Second, 0, Uint8Array.of(7));
  enc.append(START_MS + 20_000, 2, TimeUnit.Second);
  const it = new MultiStreamIterator();
  it.reset([
    enc.bytes(),
    packed([
      [10_000, 5],
      [30_000, 6],
    ]),
  ]);
  const got: [number, number, number, number[] | null][] = [];
  while (it.next()) {
    const a = it.annotation === null ? null : Array.from(it.annotation);
    got.push([it.timeMs - START_MS, it.value, it.unit, a]);
  }
  assert.equal(it.error, null);
  assert.deepEqual(got, [
    [10_000, 5, TimeUnit.Millisecond, null],
    [20_000, 2, TimeUnit.Second, [7]],
    [30_000, 6, TimeUnit.Millisecond, null],
  ]);
});

test("a corrupt packed block stops the merge with a PackedCorruptError", () => {
  const good = stream([
    [10_000, 1],
    [20_000, 2],
  ]);
  const block = packed([
    [15_000, 1.5],
    [25_000, 2.5],
  ]);
  const bytes = (block as { bytes: Uint8Array }).bytes;
  const it = new MultiStreamIterator();
  it.reset([good, packedBlock(bytes.subarray(0, bytes.length - 1))]);
  let n = 0;
  while (it.next()) n++;
  assert.ok(n <= 1, `${n} points before the fault`);
  assert.ok(it.error instanceof PackedCorruptError, `error is ${it.error}`);
  assert.equal(it.error.kind, "truncated");
  // The same slots then take a stream where the block was, and the fault clears.
  assert.deepEqual(merge([block, good], it), [
    [10_000, 1],
    [15_000, 1.5],
    [20_000, 2],
    [25_000, 2.5],
  ]);
  assert.deepEqual(merge([good, good], it), [
    [10_000, 1],
    [20_000, 2],
  ]);
});

test("mixed sources merge like the reference: by instant, later sources overwrite", () => {
  // Each source: strictly ascending instants (packed blocks hold one point per
  // instant), drawn from a small range so sources collide often.
  const sourceArb = fc.record({
    instants: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 25 }),
    packed: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(sourceArb, { maxLength: 6 }), (specs) => {
      let next = 0;
      const reference = new Map<number, number>();
      const sources: SeriesData[] = [];
      for (const spec of specs) {
        const points: [number, number][] = [...spec.instants]
          .sort((a, b) => a - b)
          .map((ms) => [ms * 1000, next++]);
        for (const [dt, v] of points) reference.set(dt, v);
        if (spec.packed && points.length > 0) sources.push(packed(points));
        else sources.push(stream(points));
      }
      const expected = [...reference.entries()].sort((x, y) => x[0] - y[0]);
      assert.deepEqual(merge(sources), expected);
    }),
    { seed: 42, numRuns: 300, includeErrorInReport: true },
  );
});
