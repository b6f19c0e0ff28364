// The integer form of a value for M3TSZ's integer optimisation: an integer I
// and a decimal multiplier M (0..6) with I / 10^M giving the value back. The
// choice follows M3's convertToIntFloat (m3db/m3 src/dbnode/encoding/m3tsz/
// m3tsz.go) wherever M3's choice is exact; where M3 would round (a value one
// ulp from a decimal, an integer beyond 2^53, -0) it tries further multipliers
// and otherwise reports "float", so that every value comes back bit for bit.
import {
  MAX_EXACT_INT,
  MAX_INT64_FLOAT,
  MAX_MULT,
  MAX_OPT_INT,
  MULTIPLIERS,
} from "./m3tsz-format.js";

/** An integer form: `value` (an integer, scaled) and its multiplier `mult`. */
export interface IntForm {
  value: number;
  mult: number;
}

/** 2^-52 and 2^-50: one and four units in the last place, relative. */
const ULP_1 = 2 ** -52;
const ULPS_4 = 2 ** -50;

/**
 * Finds the integer form of `v` with a multiplier of at least `fromMult`
 * (the stream's current one), writing it into `out`; false when `v` must be
 * written as a float.
 */
export function toIntForm(v: number, fromMult: number, out: IntForm): boolean {
  if (fromMult === 0 && v < MAX_INT64_FLOAT && Number.isInteger(v)) {
    // M3 takes every integral value here; beyond 2^53 (and -0) its integer
    // path cannot give the value back, so those go to the float path.
    if (v > MAX_EXACT_INT || v < -MAX_EXACT_INT || (v === 0 && 1 / v < 0)) return false;
    out.value = v;
    out.mult = 0;
    return true;
  }
  // Below 1e-6, |v| * 10^6 < 1 has no non-zero integer to give v back, and
  // from 1e13 up M3 stops: no multiplier helps (NaN and infinities too).
  const a = v < 0 ? -v : v;
  if (!(a >= 1e-6 && a < MAX_OPT_INT)) {
    return v === 0 && 1 / v > 0 && tryMult(0, 1, fromMult, out) > 0;
  }
  const sign = v < 0 ? -1 : 1;
  // The current multiplier first: a series of decimals stays on it.
  const first = tryMult(v, sign, fromMult, out);
  if (first !== 0) return first > 0;
  if (!nearDecimal(a, fromMult)) return false;
  for (let mult = fromMult + 1; mult <= MAX_MULT; mult++) {
    const found = tryMult(v, sign, mult, out);
    if (found !== 0) return found > 0;
  }
  return false;
}

/**
 * One step of M3's loop: 1 if v * 10^mult is (within one ulp of) an integer
 * that gives v back exactly (written into `out`), -1 once the scaled value
 * reaches 1e13 (M3 stops there), 0 to try the next multiplier.
 */
function tryMult(v: number, sign: number, mult: number, out: IntForm): number {
  const scale = MULTIPLIERS[mult];
  const val = v * scale * sign;
  if (!(val < MAX_OPT_INT)) return -1;
  const i = Math.trunc(val);
  const r = val - i;
  // M3 also takes a value one ulp away from an integer. Distances here are
  // exact multiples of ulp(val), and ulp(val) lies in (val * 2^-53,
  // val * 2^-52], so "<= val * 2^-52" means "one ulp".
  let candidate: number;
  if (r === 0) candidate = i;
  else if (r < 0.1 && r <= val * ULP_1) candidate = i;
  else if (r > 0.9 && i + 1 - val <= val * ULP_1) candidate = i + 1;
  else return 0;
  const signed = sign * candidate;
  if ((mult === 0 ? signed : signed / scale) !== v) return 0;
  out.value = signed;
  out.mult = mult;
  return 1;
}

/**
 * False when no multiplier from `fromMult` up can turn |v| = a into an
 * integer: had M3's test passed at some m, a * 10^top (top the largest
 * multiplier that stays below 1e13) would lie within 3.5 ulps of an integer.
 * Most floats are nowhere near one, and skip the loop.
 */
function nearDecimal(a: number, fromMult: number): boolean {
  let top = MAX_MULT;
  while (top > fromMult && a * MULTIPLIERS[top] >= MAX_OPT_INT) top--;
  const x = a * MULTIPLIERS[top];
  if (!(x < MAX_OPT_INT)) return true; // let the loop meet M3's stop
  const off = x - Math.round(x);
  const tolerance = x * ULPS_4;
  return off <= tolerance && off >= -tolerance;
}
