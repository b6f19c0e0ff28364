// Exact conversions between (epoch ms, ns within ms) and signed 64-bit
// nanoseconds, checked against BigInt arithmetic.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  compareTime,
  formatNs,
  int64NsToMs,
  MAX_INT64_NS_MS,
  msToInt64Ns,
  parseNs,
} from "./index.js";

const RUNS = 2000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The (floored ms, ns within ms) form of a nanosecond count. */
function split(ns: bigint): [number, number] {
  let ms = ns / 1_000_000n;
  let rem = ns - ms * 1_000_000n;
  if (rem < 0n) {
    rem += 1_000_000n;
    ms -= 1n;
  }
  return [Number(ms), Number(rem)];
}

/** The unsigned 32-bit halves of the two's-complement form of ns. */
function halves(ns: bigint): [number, number] {
  const u = BigInt.asUintN(64, ns);
  return [Number(u >> 32n), Number(u & 0xffffffffn)];
}

const edgeNs: bigint[] = [
  0n,
  1n,
  -1n,
  999_999n,
  1_000_000n,
  -999_999n,
  -1_000_000n,
  -1_000_001n,
  2n ** 32n - 1n,
  2n ** 32n,
  -(2n ** 32n),
  2n ** 53n,
  -(2n ** 53n),
  INT64_MAX,
  INT64_MIN,
  INT64_MAX - 1n,
  INT64_MIN + 1n,
  // The last whole milliseconds inside the range, and their neighbours.
  BigInt(MAX_INT64_NS_MS) * 1_000_000n,
  -BigInt(MAX_INT64_NS_MS) * 1_000_000n,
  BigInt(MAX_INT64_NS_MS) * 1_000_000n + 775_807n,
  // A timestamp with a sub-ms part, as Prometheus and M3 see them.
  1_596_009_605_848_123_456n,
  -1_596_009_605_848_123_456n,
];

const int64Arb = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
  fc.constantFrom(...edgeNs),
);

test("msToInt64Ns writes the two's-complement halves of ms * 1e6 + nsInMs", () => {
  const out = new Uint32Array(2);
  for (const ns of edgeNs) {
    const [ms, nsInMs] = split(ns);
    msToInt64Ns(ms, nsInMs, out);
    assert.deepEqual([out[0], out[1]], halves(ns), `for ${ns} ns`);
  }
  fc.assert(
    fc.property(int64Arb, (ns) => {
      const [ms, nsInMs] = split(ns);
      msToInt64Ns(ms, nsInMs, out);
      assert.deepEqual([out[0], out[1]], halves(ns), `for ${ns} ns`);
    }),
    { seed: 42, includeErrorInReport: true, numRuns: RUNS },
  );
});

test("int64NsToMs reads any 64-bit pattern as floored ms and ns within the ms", () => {
  const out = new Float64Array(2);
  for (const ns of edgeNs) {
    const [hi, lo] = halves(ns);
    int64NsToMs(hi, lo, out);
    assert.deepEqual([out[0], out[1]], split(ns), `for ${ns} ns`);
  }
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (hi, lo) => {
        const ns = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
        int64NsToMs(hi, lo, out);
        assert.deepEqual([out[0], out[1]], split(ns), `for ${ns} ns`);
      },
    ),
    { seed: 42, includeErrorInReport: true, numRuns: RUNS },
  );
});

test("msToInt64Ns and int64NsToMs are inverses over the whole int64 range", () => {
  const halvesOut = new Uint32Array(2);
  const msOut = new Float64Array(2);
  fc.assert(
    fc.property(int64Arb, (ns) => {
      const [ms, nsInMs] = split(ns);
      msToInt64Ns(ms, nsInMs, halvesOut);
      int64NsToMs(halvesOut[0], halvesOut[1], msOut);
      assert.equal(msOut[0], ms);
      assert.equal(msOut[1], nsInMs);
    }),
    { seed: 42, includeErrorInReport: true, numRuns: RUNS },
  );
});

test("the int64 range spans 1677-09-21 to 2262-04-11 and MAX_INT64_NS_MS is its last whole ms", () => {
  assert.equal(BigInt(MAX_INT64_NS_MS), INT64_MAX / 1_000_000n);
  const out = new Float64Array(2);
  const [maxHi, maxLo] = halves(INT64_MAX);
  int64NsToMs(maxHi, maxLo, out);
  assert.deepEqual([out[0], out[1]], [MAX_INT64_NS_MS, 775_807]);
  assert.equal(new Date(out[0]).toISOString(), "2262-04-11T23:47:16.854Z");
  const [minHi, minLo] = halves(INT64_MIN);
  int64NsToMs(minHi, minLo, out);
  assert.deepEqual([out[0], out[1]], [-MAX_INT64_NS_MS - 1, 224_192]);
  assert.equal(new Date(out[0]).toISOString(), "1677-09-21T00:12:43.145Z");
});

test("negative instants keep nsInMs in 0..999999 with the ms floored", () => {
  const out = new Float64Array(2);
  // One nanosecond before the epoch is the last ns of millisecond -1.
  int64NsToMs(0xffffffff, 0xffffffff, out);
  assert.deepEqual([out[0], out[1]], [-1, 999_999]);
  parseNs("-1", out);
  assert.deepEqual([out[0], out[1]], [-1, 999_999]);
  parseNs("-1000000", out);
  assert.deepEqual([out[0], out[1]], [-1, 0]);
  parseNs("-1000001", out);
  assert.deepEqual([out[0], out[1]], [-2, 999_999]);
  assert.equal(formatNs(-1, 999_999), "-1");
  assert.equal(formatNs(-2, 0), "-2000000");
});

test("parseNs and formatNs round-trip decimal epoch nanoseconds", () => {
  const out = new Float64Array(2);
  for (const ns of edgeNs) {
    parseNs(ns.toString(), out);
    assert.deepEqual([out[0], out[1]], split(ns), `parseNs(${ns})`);
    assert.equal(formatNs(out[0], out[1]), ns.toString());
  }
  fc.assert(
    fc.property(int64Arb, (ns) => {
      parseNs(ns.toString(), out);
      assert.deepEqual([out[0], out[1]], split(ns), `parseNs(${ns})`);
      assert.equal(formatNs(out[0], out[1]), ns.toString());
    }),
    { seed: 42, includeErrorInReport: true, numRuns: RUNS },
  );
});

test("compareTime orders instants like their nanosecond counts", () => {
  fc.assert(
    fc.property(int64Arb, int64Arb, (a, b) => {
      const [aMs, aNs] = split(a);
      const [bMs, bNs] = split(b);
      const c = compareTime(aMs, aNs, bMs, bNs);
      const expected = a < b ? -1 : a > b ? 1 : 0;
      assert.equal(Math.sign(c), expected, `compareTime(${a}, ${b}) = ${c}`);
    }),
    { seed: 42, includeErrorInReport: true, numRuns: RUNS },
  );
  assert.ok(compareTime(5, 1, 5, 2) < 0);
  assert.ok(compareTime(-1, 999_999, 0, 0) < 0);
  assert.equal(compareTime(7, 3, 7, 3), 0);
});
