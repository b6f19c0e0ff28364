import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { type IntForm, toIntForm } from "./int-form.js";

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The double next to x toward `toward` (Go's math.Nextafter), by bit arithmetic. */
function nextAfter(x: number, toward: number): number {
  if (Number.isNaN(x) || Number.isNaN(toward)) return Number.NaN;
  if (x === toward) return toward;
  if (x === 0) return toward > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  f64[0] = x;
  // Moving away from zero increments the magnitude bits, toward zero decrements.
  if (toward > x === x > 0) u64[0] += 1n;
  else u64[0] -= 1n;
  return f64[0];
}

/**
 * A plain transcription of M3's convertToIntFloat semantics (M3's
 * src/dbnode/encoding/m3tsz/m3tsz.go): the reference the optimised conversion
 * must agree with. Returns null for "float".
 */
function m3Convert(v: number, curMaxMult: number): IntForm | null {
  if (curMaxMult === 0 && v < 2 ** 63) {
    const i = Math.trunc(v);
    if (v - i === 0) return { value: i, mult: 0 };
  }
  const sign = v < 0 ? -1 : 1;
  for (let mult = curMaxMult; mult <= 6; mult++) {
    const val = v * 10 ** mult * sign;
    if (val >= 1e13) break;
    const i = Math.trunc(val);
    const r = val - i;
    if (r === 0) return { value: sign * i, mult };
    if (r < 0.1 && nextAfter(val, 0) <= i) return { value: sign * i, mult };
    if (r > 0.9 && nextAfter(val, i + 1) >= i + 1) return { value: sign * (i + 1), mult };
  }
  return null;
}

/** What the integer path decodes a form to: I (summed from 0, so -0 reads as 0), or I / 10^M. */
function decoded(form: IntForm): number {
  const sum = 0 + form.value;
  return form.mult === 0 ? sum : sum / 10 ** form.mult;
}

function isExact(form: IntForm, v: number): boolean {
  return Object.is(decoded(form), v) && Math.abs(form.value) <= 2 ** 53;
}

/** Values where the integer test has something to decide: decimals, near-decimals, floats. */
const interesting = fc.oneof(
  fc
    .integer({ min: -1e9, max: 1e9 })
    .chain((n) => fc.integer({ min: 0, max: 8 }).map((places) => n / 10 ** places)),
  fc
    .tuple(fc.integer({ min: -1e7, max: 1e7 }), fc.integer({ min: 1, max: 6 }), fc.boolean())
    .map(([n, places, up]) => nextAfter(n / 10 ** places, up ? Number.POSITIVE_INFINITY : 0)),
  fc.double({ noNaN: false }),
  fc.constantFrom(0, -0, 2 ** 53, 2 ** 53 + 2, -(2 ** 60), 1e13, 9.999999999999e12, 1e-6, 5e-324),
);

test("an integer form always gives the value back exactly", () => {
  const out: IntForm = { value: 0, mult: 0 };
  fc.assert(
    fc.property(interesting, fc.integer({ min: 0, max: 6 }), (v, from) => {
      if (!toIntForm(v, from, out)) return;
      assert.ok(out.mult >= from && out.mult <= 6, `mult ${out.mult} from ${from}`);
      assert.ok(Number.isInteger(out.value), `value ${out.value}`);
      assert.ok(isExact(out, v), `${v} became ${out.value} / 10^${out.mult} = ${decoded(out)}`);
    }),
    { seed: 42, numRuns: 20_000 },
  );
});

test("the form is M3's wherever M3's is exact, and otherwise only a later multiplier", () => {
  const out: IntForm = { value: 0, mult: 0 };
  fc.assert(
    fc.property(interesting, fc.integer({ min: 0, max: 6 }), (v, from) => {
      const m3 = m3Convert(v, from);
      const ours = toIntForm(v, from, out);
      if (m3 !== null && isExact(m3, v)) {
        assert.ok(
          ours,
          `${v} from mult ${from}: M3 takes ${m3.value} / 10^${m3.mult}, we chose float`,
        );
        assert.deepEqual({ ...out }, m3, `${v} from mult ${from}`);
      } else if (ours) {
        // Only where M3 rounds do we part from it, and then with a later multiplier.
        assert.ok(m3 !== null, `${v} from mult ${from}: M3 writes a float, we chose ${out.value}`);
        assert.ok(
          out.mult > m3.mult,
          `${v} from mult ${from}: M3 rounds at 10^${m3.mult}, we took 10^${out.mult}`,
        );
      }
    }),
    { seed: 7, numRuns: 20_000 },
  );
});

test("values M3 would round take another multiplier or the float path", () => {
  const out: IntForm = { value: 0, mult: 0 };
  // 0.1 + 0.2 is one ulp above 0.3: M3 writes 3 / 10 and reads back 0.3.
  const v = 0.1 + 0.2;
  const m3 = m3Convert(v, 0);
  assert.deepEqual(m3, { value: 3, mult: 1 });
  assert.notEqual(decoded(m3 as IntForm), v);
  assert.equal(toIntForm(v, 0, out), false);
  // -0 and integers beyond 2^53 are integral for M3 but cannot come back exactly.
  assert.deepEqual(m3Convert(-0, 0), { value: -0, mult: 0 });
  assert.equal(toIntForm(-0, 0, out), false);
  assert.equal(toIntForm(2 ** 53 + 2, 0, out), false);
  assert.equal(toIntForm(-(2 ** 60), 0, out), false);
});

test("decimals keep the stream's multiplier and integers take the quick path", () => {
  const out: IntForm = { value: 0, mult: 0 };
  assert.ok(toIntForm(12.34, 0, out));
  assert.deepEqual({ ...out }, { value: 1234, mult: 2 });
  assert.ok(toIntForm(5, 2, out));
  assert.deepEqual({ ...out }, { value: 500, mult: 2 });
  assert.ok(toIntForm(-7, 0, out));
  assert.deepEqual({ ...out }, { value: -7, mult: 0 });
  assert.ok(toIntForm(0, 3, out));
  assert.deepEqual({ ...out }, { value: 0, mult: 3 });
  for (const v of [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    1e13 + 0.5,
    0.1234567,
  ]) {
    assert.equal(toIntForm(v, 0, out), false, `${v}`);
  }
});
