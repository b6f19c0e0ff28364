// Writes one series' block in the packed encoding (docs/format/packed.md):
// byte-aligned varints, byte planes and raw bytes that a zstd stage over many
// blocks squeezes further. Times and values each pick the cheapest of their
// modes by counting what each would write; every value round-trips bit for bit.
import { PackInputError } from "./packed-errors.js";
import {
  IntMode,
  MAX_ABS_TIME_MS,
  MAX_EXPONENT,
  MAX_MANTISSA,
  MAX_PACKED_POINTS,
  MIN_EXPONENT,
  POW10,
  TimeMode,
  ValueMode,
} from "./packed-format.js";

/** Below this many exceptions per point a decimal block is worth trying. */
const MAX_EXCEPTION_SHARE = 0.5;
/** A higher exponent is dropped when at most 1/64 of the values need it (they become exceptions). */
const EXPONENT_OUTLIER_DIVISOR = 64;
/** e_i for a value the decimal path cannot hold. */
const NOT_DECIMAL = 127;
/** e_i for zero, which every exponent holds. */
const ANY_EXPONENT = -128;

// Scratch reused across calls: one block is packed at a time on a thread.
let out: Uint8Array = new Uint8Array(4096);
let pos = 0;
let exps = new Int8Array(1024);
let mants = new Float64Array(1024);
let excAt = new Int32Array(1024);
let zigzags = new Float64Array(1024);
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const u8 = new Uint8Array(f64.buffer);

/** The most bytes packSeries can write for `n` points. */
export function packedBound(n: number): number {
  // Per point at most: an off-grid time (two 8-byte varints), an exception
  // (a 3-byte gap and 8 raw bytes) and a 7-byte plane entry; 64 for the rest.
  return 64 + 40 * n;
}

/** The points `timesMs[0..n)` (ascending integer ms) and `values[0..n)` as one packed block. */
export function packSeries(timesMs: Float64Array, values: Float64Array, n: number): Uint8Array {
  checkInput(timesMs, values, n);
  const bound = packedBound(n);
  if (out.length < bound) out = new Uint8Array(Math.max(bound, out.length * 2));
  const end = writeBlock(timesMs, values, n, 0);
  return out.slice(0, end);
}

/**
 * Writes the packed block of the points into `dst` from byte `at` and returns
 * the end of what it wrote, so a caller can lay many series' blocks end to end
 * in one buffer without a copy each. `dst` must hold packedBound(n) bytes
 * from `at`.
 */
export function packSeriesInto(
  timesMs: Float64Array,
  values: Float64Array,
  n: number,
  dst: Uint8Array,
  at: number,
): number {
  checkInput(timesMs, values, n);
  const bound = packedBound(n);
  if (!Number.isInteger(at) || at < 0 || dst.length - at < bound) {
    throw new RangeError(
      `packSeriesInto needs ${bound} bytes from offset ${at} for ${n} points; the buffer holds ${dst.length}`,
    );
  }
  const scratch = out;
  out = dst;
  try {
    return writeBlock(timesMs, values, n, at);
  } finally {
    out = scratch;
  }
}

/** Writes the block into `out` from `start`; returns its end. */
function writeBlock(timesMs: Float64Array, values: Float64Array, n: number, start: number): number {
  if (exps.length < n) {
    const size = Math.max(n, exps.length * 2);
    exps = new Int8Array(size);
    mants = new Float64Array(size);
    excAt = new Int32Array(size);
    zigzags = new Float64Array(size);
  }
  pos = start + 1;
  writeU(n);
  const timeMode = writeTimes(timesMs, n);
  let valueMode: number = ValueMode.Constant;
  let intMode = 0;
  if (isConstant(values, n)) {
    writeRaw(values[0]);
  } else {
    const valuesAt = pos;
    intMode = writeDecimal(values, n);
    if (intMode >= 0 && pos - valuesAt < 8 * n) {
      valueMode = ValueMode.Decimal;
    } else {
      pos = valuesAt;
      intMode = 0;
      valueMode = ValueMode.Float;
      writeFloats(values, n);
    }
  }
  out[start] = timeMode | (valueMode << 2) | (intMode << 4);
  return pos;
}

function checkInput(timesMs: Float64Array, values: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PACKED_POINTS) {
    throw new PackInputError(-1, `packed block needs 1..${MAX_PACKED_POINTS} points, got ${n}`);
  }
  if (timesMs.length < n || values.length < n) {
    throw new PackInputError(
      -1,
      `packSeries: n is ${n} but times hold ${timesMs.length} and values ${values.length}`,
    );
  }
  // One combined test per point keeps this loop cheap; the slow path says which rule broke.
  let prev = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = timesMs[i];
    if (!(t > prev && t <= MAX_ABS_TIME_MS && Math.floor(t) === t)) badTime(timesMs, i);
    prev = t;
  }
  if (timesMs[0] < -MAX_ABS_TIME_MS) badTime(timesMs, 0);
  if (timesMs[n - 1] - timesMs[0] > MAX_ABS_TIME_MS) {
    throw new PackInputError(
      n - 1,
      `block spans ${timesMs[n - 1] - timesMs[0]} ms; at most ${MAX_ABS_TIME_MS} is allowed`,
    );
  }
}

function badTime(timesMs: Float64Array, i: number): never {
  const t = timesMs[i];
  if (Math.floor(t) !== t || Math.abs(t) > MAX_ABS_TIME_MS) {
    throw new PackInputError(
      i,
      `time ${t} at point ${i} is not an integer ms within ±${MAX_ABS_TIME_MS}`,
    );
  }
  throw new PackInputError(
    i,
    `time ${t} at point ${i} is not after the previous time ${timesMs[i - 1]}`,
  );
}

// --- times ---

function writeTimes(t: Float64Array, n: number): number {
  const t0 = t[0];
  if (n === 1) {
    writeS(t0);
    return TimeMode.ConstStep;
  }
  const step0 = t[1] - t0;
  let constStep = true;
  for (let i = 2; i < n && constStep; i++) constStep = t[i] - t[i - 1] === step0;
  if (constStep) {
    writeS(t0);
    writeU(step0);
    return TimeMode.ConstStep;
  }
  let dodCost = sizeU(step0);
  for (let i = 2; i < n; i++) dodCost += sizeS(t[i] - 2 * t[i - 1] + t[i - 2]);

  // The grid through the first and last points, shifted to the commonest of a
  // few candidate offsets so that a late first scrape does not move every point off it.
  const step = Math.round((t[n - 1] - t0) / (n - 1));
  const shift = gridShift(t, n, step);
  let sparseCost = 0;
  let denseCost = 0;
  let prevOff = -1;
  let gridOk = true;
  for (let i = 0; i < n; i++) {
    const off = t[i] - t0 - shift - i * step;
    if (Math.abs(off) > MAX_ABS_TIME_MS) {
      gridOk = false;
      break;
    }
    const size = sizeS(off);
    denseCost += size;
    if (off !== 0) {
      sparseCost += sizeU(i - prevOff - 1) + size;
      prevOff = i;
    }
  }
  const base = t0 + shift;
  if (!gridOk || Math.abs(base) > MAX_ABS_TIME_MS)
    sparseCost = denseCost = Number.POSITIVE_INFINITY;
  if (sparseCost <= denseCost && sparseCost < dodCost) {
    writeS(base);
    writeU(step);
    let count = 0;
    for (let i = 0; i < n; i++) if (t[i] - base - i * step !== 0) count++;
    writeU(count);
    // All the gaps, then all the offsets: each list alone is more alike for zstd.
    let prev = -1;
    for (let i = 0; i < n; i++) {
      if (t[i] - base - i * step === 0) continue;
      writeU(i - prev - 1);
      prev = i;
    }
    for (let i = 0; i < n; i++) {
      const off = t[i] - base - i * step;
      if (off !== 0) writeS(off);
    }
    return TimeMode.GridSparse;
  }
  if (denseCost < dodCost) {
    writeS(base);
    writeU(step);
    for (let i = 0; i < n; i++) writeS(t[i] - base - i * step);
    return TimeMode.GridDense;
  }
  writeS(t0);
  writeU(step0);
  for (let i = 2; i < n; i++) writeS(t[i] - 2 * t[i - 1] + t[i - 2]);
  return TimeMode.DeltaOfDelta;
}

/** Of the offsets of the second and the last point from the grid, the one more points share (or 0). */
function gridShift(t: Float64Array, n: number, step: number): number {
  const t0 = t[0];
  const a = t[1] - t0 - step;
  const b = t[n - 1] - t0 - (n - 1) * step;
  let zeros = 0;
  let as = 0;
  let bs = 0;
  for (let i = 0; i < n; i++) {
    const off = t[i] - t0 - i * step;
    if (off === 0) zeros++;
    if (off === a) as++;
    if (off === b) bs++;
  }
  if (as > zeros && as >= bs) return a;
  if (bs > zeros) return b;
  return 0;
}

// --- values ---

function isConstant(v: Float64Array, n: number): boolean {
  f64[0] = v[0];
  const lo = u32[0];
  const hi = u32[1];
  for (let i = 1; i < n; i++) {
    f64[0] = v[i];
    if (u32[0] !== lo || u32[1] !== hi) return false;
  }
  return true;
}

/**
 * The smallest exponent e >= 0 with v === m / 10^e for an integer m within
 * ±MAX_MANTISSA (for an integer too large for that, the negative exponent
 * that strips enough trailing zeros); ANY_EXPONENT for +0; NOT_DECIMAL for
 * NaN, ±Inf, -0 and everything else.
 */
function minimalExponent(v: number): number {
  if (v === 0) return 1 / v > 0 ? ANY_EXPONENT : NOT_DECIMAL;
  if (Number.isInteger(v)) {
    if (Math.abs(v) <= MAX_MANTISSA) return 0;
    const k = trailingZeros(v);
    return Number.isNaN(mantissaAt(v, -k)) ? NOT_DECIMAL : -k;
  }
  if (Number.isNaN(v) || Math.abs(v) === Number.POSITIVE_INFINITY) return NOT_DECIMAL;
  for (let e = 1; e <= MAX_EXPONENT; e++) {
    const s = v * POW10[e];
    if (Math.abs(s) > MAX_MANTISSA + 1) return NOT_DECIMAL;
    const m = Math.round(s);
    if (m / POW10[e] === v && Math.abs(m) <= MAX_MANTISSA) return e;
  }
  return NOT_DECIMAL;
}

/** Decimal trailing zeros of a non-zero integer-valued double that can be divided off exactly (at most 22). */
function trailingZeros(v: number): number {
  let m = v;
  let k = 0;
  while (k < -MIN_EXPONENT) {
    const m2 = m / 10;
    if (!Number.isInteger(m2) || m2 * POW10[k + 1] !== v) break;
    m = m2;
    k++;
  }
  return k;
}

/** The integer that gives `v` back at exponent `e`, or NaN if none does. */
function mantissaAt(v: number, e: number): number {
  if (e >= 0) {
    const m = Math.round(v * POW10[e]);
    return Math.abs(m) <= MAX_MANTISSA && m / POW10[e] === v ? m : Number.NaN;
  }
  const m = Math.round(v / POW10[-e]);
  return Math.abs(m) <= MAX_MANTISSA && m * POW10[-e] === v ? m : Number.NaN;
}

/**
 * Writes the decimal form of the values and returns its IntMode, or -1 when
 * too many values would be exceptions (the caller then writes floats).
 */
function writeDecimal(v: Float64Array, n: number): number {
  const counts = new Int32Array(MAX_EXPONENT - MIN_EXPONENT + 1);
  let notDecimal = 0;
  for (let i = 0; i < n; i++) {
    const e = minimalExponent(v[i]);
    exps[i] = e;
    if (e === NOT_DECIMAL) notDecimal++;
    else if (e !== ANY_EXPONENT) counts[e - MIN_EXPONENT]++;
  }
  if (notDecimal > n * MAX_EXCEPTION_SHARE) return -1;
  // The lowest exponent that leaves at most n/64 values above it (those become
  // exceptions), but not below the lowest exponent a value has.
  const allowed = Math.floor(n / EXPONENT_OUTLIER_DIVISOR);
  let e = MAX_EXPONENT;
  let above = 0;
  while (e > MIN_EXPONENT && above + counts[e - MIN_EXPONENT] <= allowed) {
    above += counts[e - MIN_EXPONENT];
    e--;
  }
  let lowest = MIN_EXPONENT;
  while (lowest < MAX_EXPONENT && counts[lowest - MIN_EXPONENT] === 0) lowest++;
  if (counts[lowest - MIN_EXPONENT] === 0) e = 0;
  else if (e < lowest) e = lowest;
  // Integers only: the trailing zeros all of them share give a negative
  // exponent (1.5e9 is 15 at -8). Most blocks stop at their first value.
  if (e === 0) {
    let k = -MIN_EXPONENT;
    let nonZero = false;
    for (let i = 0; i < n && k > 0; i++) {
      const x = exps[i];
      if (x === NOT_DECIMAL || x === ANY_EXPONENT) continue;
      nonZero = true;
      k = Math.min(k, x === 0 ? trailingZeros(v[i]) : -x);
    }
    if (nonZero) e = -k;
  }

  let exceptions = 0;
  let first = Number.NaN;
  for (let i = 0; i < n; i++) {
    // mantissaAt checks each value at the block's exponent; values that need a
    // higher one (the outliers above) fail there and become exceptions.
    const m = exps[i] === NOT_DECIMAL ? Number.NaN : mantissaAt(v[i], e);
    if (Number.isNaN(m)) {
      excAt[exceptions++] = i;
      mants[i] = i === 0 ? 0 : mants[i - 1];
    } else {
      if (Number.isNaN(first)) first = m;
      mants[i] = m;
    }
  }
  if (exceptions > n * MAX_EXCEPTION_SHARE) return -1;
  // Leading exceptions copy the first decimal integer so the deltas stay small.
  for (let k = 0; k < exceptions && excAt[k] === k; k++) mants[k] = first;

  out[pos++] = e < 0 ? 256 + e : e;
  const intMode = writeInts(n);
  writeU(exceptions);
  let prev = -1;
  for (let k = 0; k < exceptions; k++) {
    const at = excAt[k];
    writeU(at - prev - 1);
    writeRaw(v[at]);
    prev = at;
  }
  return intMode;
}

/**
 * Writes mants[0..n) in the IntMode whose zigzag integers have the fewest
 * significant bits in all (a proxy for what zstd leaves of them).
 */
function writeInts(n: number): number {
  const m = mants;
  writeS(m[0]);
  if (n === 1) return IntMode.ConstStep;
  const step = m[1] - m[0];
  // Deltas are written less their mean, so a counter's steady rate costs
  // nothing per point and its deltas zigzag to small integers, like a gauge's.
  const center = Math.round((m[n - 1] - m[0]) / (n - 1));
  let constStep = true;
  let deltaBits = 0;
  let dodBits = 0;
  for (let i = 1; i < n; i++) {
    const d = m[i] - m[i - 1];
    if (d !== step) constStep = false;
    deltaBits += bitsOf(zigzag(d - center));
    if (i >= 2) dodBits += bitsOf(zigzag(d - (m[i - 1] - m[i - 2])));
  }
  if (constStep) {
    writeS(step);
    return IntMode.ConstStep;
  }
  const zs = zigzags;
  if (deltaBits <= dodBits + bitsOf(zigzag(step))) {
    writeS(center);
    for (let i = 1; i < n; i++) zs[i - 1] = zigzag(m[i] - m[i - 1] - center);
    writePlanes(zs, n - 1);
    return IntMode.Delta;
  }
  writeS(step);
  for (let i = 2; i < n; i++) zs[i - 2] = zigzag(m[i] - 2 * m[i - 1] + m[i - 2]);
  writePlanes(zs, n - 2);
  return IntMode.DeltaOfDelta;
}

/**
 * Writes zs[0..count) (non-negative integers below 2^53) as a width byte w,
 * the bytes of the largest, then w planes of count bytes, least significant
 * plane first. Planes keep each byte position together, which zstd models
 * better than interleaved varints (docs/format/packed.md has the figures).
 */
function writePlanes(zs: Float64Array, count: number): void {
  let max = 0;
  for (let i = 0; i < count; i++) if (zs[i] > max) max = zs[i];
  let w = 0;
  for (let x = max; x >= 1; x = Math.floor(x / 256)) w++;
  const o = out;
  o[pos++] = w;
  if (w <= 4) {
    for (let k = 0; k < w; k++) {
      const shift = 8 * k;
      for (let i = 0; i < count; i++) o[pos + i] = zs[i] >>> shift;
      pos += count;
    }
    return;
  }
  for (let k = 0; k < w; k++) {
    const scale = 2 ** (8 * k);
    for (let i = 0; i < count; i++) o[pos + i] = Math.floor(zs[i] / scale) & 255;
    pos += count;
  }
}

function zigzag(x: number): number {
  return x >= 0 ? 2 * x : -2 * x - 1;
}

/** Significant bits of a non-negative integer below 2^53. */
function bitsOf(x: number): number {
  return x < 4294967296 ? 32 - Math.clz32(x) : 64 - Math.clz32(Math.floor(x / 4294967296));
}

/** Each value XORed with the one before (the first with 0), as 8 planes of n bytes, high byte first. */
function writeFloats(v: Float64Array, n: number): void {
  let prevLo = 0;
  let prevHi = 0;
  const o = out;
  const base = pos;
  for (let i = 0; i < n; i++) {
    f64[0] = v[i];
    const lo = u32[0];
    const hi = u32[1];
    const xl = lo ^ prevLo;
    const xh = hi ^ prevHi;
    o[base + i] = xh >>> 24;
    o[base + n + i] = xh >>> 16;
    o[base + 2 * n + i] = xh >>> 8;
    o[base + 3 * n + i] = xh;
    o[base + 4 * n + i] = xl >>> 24;
    o[base + 5 * n + i] = xl >>> 16;
    o[base + 6 * n + i] = xl >>> 8;
    o[base + 7 * n + i] = xl;
    prevLo = lo;
    prevHi = hi;
  }
  pos = base + 8 * n;
}

// --- bytes ---

/** Appends the 8 bytes of `v`, little-endian, NaN payload kept. */
function writeRaw(v: number): void {
  f64[0] = v;
  for (let k = 0; k < 8; k++) out[pos++] = u8[k];
}

/** Appends a non-negative integer below 2^53 as a little-endian base-128 varint. */
function writeU(x: number): void {
  const o = out;
  let p = pos;
  while (x >= 0x80000000) {
    o[p++] = (x % 128) | 128;
    x = Math.floor(x / 128);
  }
  while (x > 127) {
    o[p++] = (x & 127) | 128;
    x >>>= 7;
  }
  o[p++] = x;
  pos = p;
}

/** Appends a signed integer of magnitude below 2^52 as a zigzag varint. */
function writeS(x: number): void {
  writeU(x >= 0 ? 2 * x : -2 * x - 1);
}

function sizeU(x: number): number {
  if (x < 128) return 1;
  if (x < 16384) return 2;
  if (x < 2097152) return 3;
  if (x < 268435456) return 4;
  let size = 4;
  for (x = Math.floor(x / 268435456); x > 0; x = Math.floor(x / 128)) size++;
  return size;
}

function sizeS(x: number): number {
  return sizeU(x >= 0 ? 2 * x : -2 * x - 1);
}
