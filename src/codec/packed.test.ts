// Round trips and mode choices of the packed encoding: every block packSeries
// writes decodes back to the same times and the same value bits (NaN payloads,
// -0 and ±Inf included), through unpackSeries and through PackedIterator, and
// each kind of series lands in the mode meant for it.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  IntMode,
  inspectPacked,
  MAX_ABS_TIME_MS,
  PackedIterator,
  PackInputError,
  packedBound,
  packedCount,
  packSeries,
  packSeriesInto,
  TimeMode,
  unpackSeries,
  ValueMode,
} from "./index.js";

const SEED = 16;
const RUNS = 400;
const START_MS = 1_699_999_200_000;
const STALE_NAN = bitsToFloat(0x7ff00000, 0x00000002);

function bitsToFloat(hi: number, lo: number): number {
  const u = new Uint32Array(2);
  u[0] = lo;
  u[1] = hi;
  return new Float64Array(u.buffer)[0];
}

// Values stay in typed arrays and scratch views throughout: a JS array of
// doubles canonicalises NaN payloads, which would hide a codec that loses them.
const BITS_F = new Float64Array(1);
const BITS_U = new Uint32Array(BITS_F.buffer);
function bitsOf(v: number): string {
  BITS_F[0] = v;
  return BITS_U[1].toString(16).padStart(8, "0") + BITS_U[0].toString(16).padStart(8, "0");
}

type Block = { times: number[]; values: Float64Array };
type Bits = readonly [number, number];

function bitsPair(v: number): Bits {
  BITS_F[0] = v;
  return [BITS_U[1], BITS_U[0]];
}

function valuesOf(pairs: readonly Bits[]): Float64Array {
  const u = new Uint32Array(2 * pairs.length);
  pairs.forEach(([hi, lo], i) => {
    u[2 * i] = lo;
    u[2 * i + 1] = hi;
  });
  return new Float64Array(u.buffer);
}

/** Packs, then decodes both ways, comparing times exactly and values by their bits. */
function roundTrip(b: Block): Uint8Array {
  const n = b.times.length;
  const bytes = packSeries(Float64Array.from(b.times), b.values, n);
  assert.equal(packedCount(bytes), n);
  const times = new Float64Array(n + 3);
  const values = new Float64Array(n + 3);
  assert.equal(unpackSeries(bytes, times, values), n);
  for (let i = 0; i < n; i++) {
    assert.equal(times[i], b.times[i], `time ${i}`);
    assert.equal(bitsOf(values[i]), bitsOf(b.values[i]), `value ${i} (${b.values[i]})`);
  }
  const it = new PackedIterator(bytes);
  for (let i = 0; i < n; i++) {
    assert.ok(it.next(), `iterator ended at ${i} of ${n}`);
    assert.equal(it.timeMs, b.times[i]);
    assert.equal(bitsOf(it.value), bitsOf(b.values[i]));
    assert.equal(it.nsInMs, 0);
    assert.equal(it.annotation, null);
  }
  assert.equal(it.next(), false);
  assert.equal(it.error, null);
  return bytes;
}

// --- arbitraries ---

/** start, then start plus each running sum of steps[1..]. */
function cumulative(start: number, steps: number[]): number[] {
  const out: number[] = [];
  let x = start;
  for (let i = 0; i < steps.length; i++) {
    if (i > 0) x += steps[i];
    out.push(x);
  }
  return out;
}

const rawBits: fc.Arbitrary<Bits> = fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff));
const specials: fc.Arbitrary<Bits> = fc.constantFrom<Bits>(
  [0x7ff00000, 0x00000002], // Prometheus's stale marker
  [0x7ff80000, 0],
  [0xfff80000, 0],
  [0x7ff00000, 0x12345678],
  [0x7fffffff, 0xffffffff],
  bitsPair(Number.POSITIVE_INFINITY),
  bitsPair(Number.NEGATIVE_INFINITY),
  bitsPair(-0),
  bitsPair(0),
  bitsPair(Number.MIN_VALUE),
  bitsPair(Number.MAX_VALUE),
  bitsPair(2 ** 53),
  bitsPair(-(2 ** 60)),
);
const nums = (xs: number[]): Bits[] => xs.map(bitsPair);
/** m / 10^e (or m * 10^-e), with the exponent of a block drawn once. */
const decimalsArb = (n: number) =>
  fc
    .tuple(
      fc.integer({ min: -8, max: 12 }),
      fc.array(fc.integer({ min: -1e12, max: 1e12 }), { minLength: n, maxLength: n }),
    )
    .map(([e, ms]) => nums(ms.map((m) => (e >= 0 ? m / 10 ** e : m * 10 ** -e))));
const countersArb = (n: number) =>
  fc
    .tuple(fc.nat(1e12), fc.array(fc.nat({ max: 5000 }), { minLength: n, maxLength: n }))
    .map(([start, incs]) => {
      return nums(cumulative(start, incs));
    });
const constantArb = (n: number) =>
  fc.oneof(rawBits, specials).map((v) => new Array<Bits>(n).fill(v));
const constantStepArb = (n: number) =>
  fc
    .tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: -1e6, max: 1e6 }), fc.nat(4))
    .map(([a, s, e]) => nums(Array.from({ length: n }, (_, i) => (a + i * s) / 10 ** e)));
/** A decimal series with specials dropped in at random places. */
const decimalsWithExceptionsArb = (n: number) =>
  fc
    .tuple(
      decimalsArb(n),
      fc.array(fc.tuple(fc.nat(n - 1), fc.oneof(specials, rawBits)), { maxLength: 6 }),
    )
    .map(([vs, exc]) => {
      const out = [...vs];
      for (const [at, v] of exc) out[at] = v;
      return out;
    });
const valuesArb = (n: number): fc.Arbitrary<Float64Array> =>
  fc
    .oneof(
      fc.array(fc.oneof(rawBits, specials), { minLength: n, maxLength: n }),
      decimalsArb(n),
      countersArb(n),
      constantArb(n),
      constantStepArb(n),
      decimalsWithExceptionsArb(n),
    )
    .map(valuesOf);

const startArb = fc.oneof(
  fc.constant(START_MS),
  fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
  fc.constant(-MAX_ABS_TIME_MS + 1),
);
const timesArb = (n: number) =>
  fc.oneof(
    // Regular.
    fc
      .tuple(startArb, fc.integer({ min: 1, max: 1e6 }))
      .map(([t0, step]) => Array.from({ length: n }, (_, i) => t0 + i * step)),
    // Jittered on a grid: each point late by less than a step, so still ascending.
    fc
      .tuple(
        startArb,
        fc.integer({ min: 1, max: 60_000 }),
        fc.array(fc.nat(1000), { minLength: n, maxLength: n }),
        fc.integer({ min: 0, max: 10 }),
      )
      .map(([t0, step, jit, sparsity]) =>
        jit.map((j, i) => t0 + i * step + (j % (sparsity + 1) === 0 ? j % step : 0)),
      ),
    // Any ascending times, with gaps.
    fc
      .tuple(
        startArb,
        fc.array(fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 2 ** 40 })), {
          minLength: n,
          maxLength: n,
        }),
      )
      .map(([t0, ds]) => {
        return cumulative(t0, ds);
      }),
  );

const blockArb: fc.Arbitrary<Block> = fc
  .oneof(fc.constant(1), fc.constant(2), fc.integer({ min: 1, max: 300 }))
  .chain((n) => fc.record({ times: timesArb(n), values: valuesArb(n) }));

test("any block round-trips: times exactly, values bit for bit", () => {
  fc.assert(
    fc.property(blockArb, (b) => {
      roundTrip(b);
    }),
    { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
  );
});

test("raw 64-bit patterns, NaN payloads included, round-trip bit for bit", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200 }).chain((n) =>
        fc.record({
          times: timesArb(n),
          values: fc.array(rawBits, { minLength: n, maxLength: n }).map(valuesOf),
        }),
      ),
      (b) => {
        roundTrip(b);
      },
    ),
    { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
  );
});

// --- modes, by example ---

const N = 720;
const grid = (step = 10_000, t0 = START_MS) => Array.from({ length: N }, (_, i) => t0 + i * step);
const filled = (v: number) => new Float64Array(N).fill(v);
const walk = (scale: number, places: number) => {
  let x = 5000;
  let seed = 7;
  return Float64Array.from({ length: N }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    x += Math.round(((seed / 2 ** 31) * 2 - 1) * scale);
    return x / 10 ** places;
  });
};

test("regular times take the constant-step mode and a few bytes", () => {
  const bytes = roundTrip({ times: grid(), values: filled(1) });
  const layout = inspectPacked(bytes);
  assert.equal(layout.timeMode, TimeMode.ConstStep);
  assert.equal(layout.valueMode, ValueMode.Constant);
  // Mode byte, count (2), first time (6), step (2), value (8).
  assert.ok(bytes.length <= 20, `${bytes.length} bytes`);
});

test("a single point round-trips, negative time and stale marker included", () => {
  const cases: [number, Bits][] = [
    [START_MS, bitsPair(1.5)],
    [-123_456_789, [0x7ff00000, 2]],
    [0, bitsPair(-0)],
    [MAX_ABS_TIME_MS, bitsPair(Number.NEGATIVE_INFINITY)],
  ];
  for (const [t, bits] of cases) {
    const values = valuesOf([bits]);
    const bytes = roundTrip({ times: [t], values });
    assert.equal(inspectPacked(bytes).count, 1);
  }
});

test("a few late scrapes take the sparse grid mode, costing bytes only for those points", () => {
  const times = grid();
  times[3] += 1;
  times[400] += 37;
  times[719] += 2;
  const bytes = roundTrip({ times, values: filled(0) });
  assert.equal(inspectPacked(bytes).timeMode, TimeMode.GridSparse);
  assert.ok(bytes.length <= 40, `${bytes.length} bytes`);
});

test("a late first scrape moves the grid, not every point off it", () => {
  const times = grid();
  times[0] += 5;
  const bytes = roundTrip({ times, values: filled(0) });
  assert.equal(inspectPacked(bytes).timeMode, TimeMode.GridSparse);
  assert.ok(bytes.length <= 30, `${bytes.length} bytes`);
});

test("times jittered at every scrape take the dense grid mode", () => {
  let seed = 11;
  const times = grid().map((t) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return t + (seed % 50);
  });
  const bytes = roundTrip({ times, values: filled(0) });
  assert.equal(inspectPacked(bytes).timeMode, TimeMode.GridDense);
});

test("smoothly growing steps take the delta-of-delta mode", () => {
  const times = Array.from({ length: N }, (_, i) => -50_000_000 + i * i * 3);
  const bytes = roundTrip({ times, values: filled(0) });
  assert.equal(inspectPacked(bytes).timeMode, TimeMode.DeltaOfDelta);
  assert.ok(bytes.length < N + 40, `${bytes.length} bytes`);
});

test("values with every bit the same, NaN payloads too, take the constant mode", () => {
  const cases: Bits[] = [[0x7ff00000, 2], [0x7ff00000, 0xabc], ...nums([0, 1, -0, 0.1 + 0.2])];
  for (const bits of cases) {
    const values = valuesOf(new Array<Bits>(N).fill(bits));
    const layout = inspectPacked(roundTrip({ times: grid(), values }));
    assert.equal(layout.valueMode, ValueMode.Constant, bits.join(":"));
  }
  // NaNs with different payloads are not one constant.
  const values = filled(STALE_NAN);
  values[9] = Number.NaN;
  assert.notEqual(bitsOf(values[9]), bitsOf(values[0]));
  assert.notEqual(
    inspectPacked(roundTrip({ times: grid(), values })).valueMode,
    ValueMode.Constant,
  );
});

test("a constant-step decimal series takes the constant-step integer mode", () => {
  const values = Float64Array.from({ length: N }, (_, i) => (1000 + i * 25) / 100);
  const bytes = roundTrip({ times: grid(), values });
  const layout = inspectPacked(bytes);
  assert.deepEqual(
    [layout.valueMode, layout.intMode, layout.exponent, layout.exceptions],
    [ValueMode.Decimal, IntMode.ConstStep, 2, 0],
  );
  assert.ok(bytes.length <= 30, `${bytes.length} bytes`);
});

test("a two-decimal random walk is integers at exponent 2 with deltas", () => {
  const bytes = roundTrip({ times: grid(), values: walk(300, 2) });
  const layout = inspectPacked(bytes);
  assert.deepEqual(
    [layout.valueMode, layout.intMode, layout.exponent, layout.exceptions],
    [ValueMode.Decimal, IntMode.Delta, 2, 0],
  );
  // Steps within ±300 need at most two bytes each.
  assert.ok(bytes.length <= 2 * N + 30, `${bytes.length} bytes`);
});

test("a steadily accelerating counter takes the delta-of-delta integer mode", () => {
  const values = Float64Array.from({ length: N }, (_, i) => 1_000_000 + i * i * 500);
  const layout = inspectPacked(roundTrip({ times: grid(), values }));
  assert.deepEqual(
    [layout.valueMode, layout.intMode, layout.exponent],
    [ValueMode.Decimal, IntMode.DeltaOfDelta, -2],
  );
});

test("values like 1.5e9 share a negative exponent", () => {
  const values = Float64Array.from({ length: N }, (_, i) => (15 + (i % 7)) * 1e8);
  const layout = inspectPacked(roundTrip({ times: grid(), values }));
  assert.equal(layout.valueMode, ValueMode.Decimal);
  assert.equal(layout.exponent, -8);
});

test("stale markers, -0 and ±Inf inside a decimal block are exceptions, not a float fallback", () => {
  const values = walk(50, 1);
  values[0] = STALE_NAN;
  values[1] = STALE_NAN;
  values[200] = -0;
  values[201] = Number.POSITIVE_INFINITY;
  values[719] = STALE_NAN;
  const bytes = roundTrip({ times: grid(), values });
  const layout = inspectPacked(bytes);
  assert.deepEqual(
    [layout.valueMode, layout.exponent, layout.exceptions],
    [ValueMode.Decimal, 1, 5],
  );
  assert.ok(bytes.length <= N + 5 * 10 + 30, `${bytes.length} bytes`);
});

test("a rare value with many more decimals is an exception, not the block's exponent", () => {
  const values = walk(200, 2);
  values[300] = 12.345678;
  const layout = inspectPacked(roundTrip({ times: grid(), values }));
  assert.deepEqual(
    [layout.valueMode, layout.exponent, layout.exceptions],
    [ValueMode.Decimal, 2, 1],
  );
});

test("full-precision floats take the float mode", () => {
  let x = 0.5;
  const values = Float64Array.from({ length: N }, () => {
    x = (x * 3.999) % 1;
    return x * Math.PI;
  });
  const bytes = roundTrip({ times: grid(), values });
  assert.equal(inspectPacked(bytes).valueMode, ValueMode.Float);
  assert.ok(bytes.length <= 8 * N + 20, `${bytes.length} bytes`);
});

test("mostly NaNs fall back to floats and still round-trip", () => {
  const values = new Float64Array(N);
  for (let i = 0; i < N; i++) values[i] = i % 3 === 0 ? i : bitsToFloat(0x7ff00000, i + 1);
  assert.equal(inspectPacked(roundTrip({ times: grid(), values })).valueMode, ValueMode.Float);
});

test("decimals at the edges of the exponent and mantissa range round-trip", () => {
  const cases = [
    [1e-22, 3e-22, 7e-22],
    [2 ** 50 - 1, 2 ** 50 - 2, 1],
    [2 ** 50, -(2 ** 50), 0.5],
    [1e22, 2e22, 3e21],
    [1e300, 5e-324, 0.1],
    [0, -0, 0],
  ];
  for (const values of cases) roundTrip({ times: [1, 2, 3], values: Float64Array.from(values) });
});

// --- input checks ---

test("packSeries rejects blocks it cannot write, naming the point", () => {
  const v = new Float64Array(3);
  const cases: [number[], number, RegExp][] = [
    [[1, 2, 3], 0, /1\.\.\d+ points, got 0/],
    [[1, 2, 3], 4, /n is 4/],
    [[1, 1, 3], 3, /time 1 at point 1 is not after/],
    [[3, 2, 1], 3, /point 1 is not after/],
    [[1, 2.5, 3], 3, /time 2\.5 at point 1 is not an integer/],
    [[1, 2, 2 ** 52], 3, /point 2 is not an integer ms within/],
    [[-(2 ** 52) + 1, 0, 2 ** 52 - 1], 3, /block spans/],
  ];
  for (const [times, n, message] of cases) {
    assert.throws(
      () => packSeries(Float64Array.from(times), v, n),
      (err: unknown) => err instanceof PackInputError && message.test(err.message),
      `${times} n=${n}`,
    );
  }
});

test("unpackSeries refuses output arrays shorter than the block", () => {
  const bytes = packSeries(Float64Array.from([1, 2, 3]), new Float64Array(3), 3);
  assert.throws(() => unpackSeries(bytes, new Float64Array(2), new Float64Array(3)), RangeError);
});

test("one iterator reused over blocks of growing and shrinking size", () => {
  const it = new PackedIterator();
  for (const n of [3, 1000, 2, 5000, 1]) {
    const times = Float64Array.from({ length: n }, (_, i) => i * 10);
    const values = Float64Array.from({ length: n }, (_, i) => i / 4);
    it.reset(packSeries(times, values, n));
    let k = 0;
    while (it.next()) {
      assert.deepEqual([it.timeMs, it.value], [k * 10, k / 4]);
      k++;
    }
    assert.equal(k, n);
    assert.equal(it.count, n);
  }
});

test("golden bytes: the worked example of docs/format/packed.md, derived by hand from the layout", () => {
  const bytes = packSeries(Float64Array.of(1000, 11_000, 21_000), Float64Array.of(1.5, 1.75, 2), 3);
  assert.equal(
    Buffer.from(bytes).toString("hex"),
    "04" + "03" + "d00f" + "904e" + "02" + "ac02" + "32" + "00",
  );
});

test("integers with steps beyond 2^32 use wide planes and still round-trip", () => {
  const values = walk(1e12, 0);
  const bytes = roundTrip({ times: grid(), values });
  const layout = inspectPacked(bytes);
  assert.deepEqual([layout.valueMode, layout.intMode], [ValueMode.Decimal, IntMode.Delta]);
  // Zigzag steps up to 2e12 need six planes of n - 1 bytes.
  assert.ok(bytes.length > 6 * (N - 1) && bytes.length < 6 * N + 40, `${bytes.length} bytes`);
});

test("packSeriesInto lays blocks end to end, each the same bytes packSeries gives", () => {
  const a = { times: Float64Array.from(grid()), values: walk(300, 2) };
  const b = { times: Float64Array.of(-7, 3, 9), values: Float64Array.of(1, Number.NaN, -0) };
  const dst = new Uint8Array(packedBound(N) + packedBound(3) + 5);
  dst.fill(0xee);
  const endA = packSeriesInto(a.times, a.values, N, dst, 5);
  const endB = packSeriesInto(b.times, b.values, 3, dst, endA);
  assert.deepEqual(dst.subarray(5, endA), packSeries(a.times, a.values, N));
  assert.deepEqual(dst.subarray(endA, endB), packSeries(b.times, b.values, 3));
  assert.deepEqual(Array.from(dst.subarray(0, 5)), [0xee, 0xee, 0xee, 0xee, 0xee]);
  assert.ok(
    dst.subarray(endB).every((x) => x === 0xee),
    "nothing written past the end",
  );
  assert.throws(
    () => packSeriesInto(b.times, b.values, 3, new Uint8Array(packedBound(3) - 1), 0),
    RangeError,
  );
});
