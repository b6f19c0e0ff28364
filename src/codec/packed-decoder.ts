// Reads a packed block (docs/format/packed.md) into the caller's typed arrays.
// Every read is bounds-checked and every loop is bounded by the point count,
// so malformed bytes end in a PackedCorruptError, never in an out-of-range
// read or a hang. The hot loops keep their position in locals, read byte
// planes with 32-bit arithmetic and carry no fault-message code.
import { PackedCorruptError, type PackedErrorKind } from "./packed-errors.js";
import {
  IntMode,
  MAX_ABS_TIME_MS,
  MAX_EXPONENT,
  MAX_PACKED_POINTS,
  MAX_VARINT_BYTES,
  MIN_EXPONENT,
  POW10,
  RESERVED_MODE_BITS,
  TimeMode,
  ValueMode,
} from "./packed-format.js";

/** The modes a block was written in, for tests and tools. */
export interface PackedLayout {
  count: number;
  timeMode: number;
  valueMode: number;
  /** IntMode of a decimal block; 0 otherwise. */
  intMode: number;
  /** Exponent of a decimal block; 0 otherwise. */
  exponent: number;
  /** Raw values inside a decimal block; 0 otherwise. */
  exceptions: number;
}

// Cursor of the block being read: one at a time on a thread.
let src: Uint8Array = new Uint8Array(0);
let at = 0;
let end = 0;
let lastExponent = 0;
let lastExceptions = 0;
const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);

function fail(kind: PackedErrorKind, offset: number, detail: string): never {
  throw new PackedCorruptError(kind, offset, detail);
}

// Faults met inside loops are built in functions of their own, so the loops
// carry no message-building code (which measurably slows V8's optimised loops).
function outOfOrder(offset: number, i: number): never {
  return fail("invalid-time", offset, `time ${i} is not after time ${i - 1}`);
}

function beyondBlock(
  kind: PackedErrorKind,
  offset: number,
  what: string,
  i: number,
  n: number,
): never {
  return fail(kind, offset, `${what} ${i} beyond the block's ${n} points`);
}

function truncatedInside(offset: number, what: string, i: number, n: number): never {
  return fail("truncated", offset, `block ends inside ${what} ${i} of ${n}`);
}

function longVarint(offset: number): never {
  return fail("invalid-varint", offset, `varint longer than ${MAX_VARINT_BYTES} bytes`);
}

/** Reads the block header; returns the mode byte and leaves the point count in `headerCount`. */
let headerCount = 0;
function readHeader(bytes: Uint8Array): number {
  src = bytes;
  at = 0;
  end = bytes.length;
  if (end === 0) fail("truncated", 0, "empty block; a packed block holds at least one point");
  const modes = bytes[at++];
  const valueMode = (modes >> 2) & 3;
  const intBits = modes & 0x30;
  if (
    (modes & RESERVED_MODE_BITS) !== 0 ||
    valueMode === 3 ||
    intBits === 0x30 ||
    (intBits !== 0 && valueMode !== ValueMode.Decimal)
  ) {
    fail("invalid-mode", 0, `mode byte 0x${modes.toString(16)} names no known modes`);
  }
  const n = readU();
  if (n < 1 || n > MAX_PACKED_POINTS) {
    fail("invalid-count", 1, `point count ${n}; allowed 1..${MAX_PACKED_POINTS}`);
  }
  headerCount = n;
  return modes;
}

/** Number of points in a packed block (reads only its header). */
export function packedCount(bytes: Uint8Array): number {
  readHeader(bytes);
  return headerCount;
}

/**
 * Decodes a packed block into timesOut[0..n) and valuesOut[0..n) and returns
 * n; throws PackedCorruptError on malformed bytes and RangeError when the
 * arrays hold fewer than packedCount(bytes) points.
 */
export function unpackSeries(
  bytes: Uint8Array,
  timesOut: Float64Array,
  valuesOut: Float64Array,
): number {
  const modes = readHeader(bytes);
  const n = headerCount;
  if (timesOut.length < n || valuesOut.length < n) {
    throw new RangeError(
      `packed block holds ${n} points but the output arrays hold ${timesOut.length} and ${valuesOut.length}`,
    );
  }
  readTimes(modes & 3, n, timesOut);
  lastExponent = 0;
  lastExceptions = 0;
  const valueMode = (modes >> 2) & 3;
  if (valueMode === ValueMode.Constant) {
    valuesOut.fill(readRaw(), 0, n);
  } else if (valueMode === ValueMode.Decimal) {
    readDecimal((modes >> 4) & 3, n, valuesOut);
  } else {
    readFloats(n, valuesOut);
  }
  if (at !== end) fail("trailing-bytes", at, `${end - at} bytes after the block's last field`);
  return n;
}

/** Decodes `bytes` and reports the modes it was written in. */
export function inspectPacked(bytes: Uint8Array): PackedLayout {
  const n = packedCount(bytes);
  const modes = bytes[0];
  unpackSeries(bytes, new Float64Array(n), new Float64Array(n));
  return {
    count: n,
    timeMode: modes & 3,
    valueMode: (modes >> 2) & 3,
    intMode: (modes >> 4) & 3,
    exponent: lastExponent,
    exceptions: lastExceptions,
  };
}

// --- times ---

function readTimes(mode: number, n: number, t: Float64Array): void {
  const startAt = at;
  if (mode === TimeMode.ConstStep) {
    const t0 = readTime();
    if (n === 1) {
      t[0] = t0;
      return;
    }
    const step = readU();
    checkGrid(t0, step, n, startAt);
    for (let i = 0; i < n; i++) t[i] = t0 + i * step;
    return;
  }
  if (mode === TimeMode.DeltaOfDelta) {
    readDeltaOfDelta(n, t, startAt);
    return;
  }
  const base = readTime();
  const step = readU();
  checkGrid(base, step, n, startAt);
  if (mode === TimeMode.GridSparse) {
    for (let i = 0; i < n; i++) t[i] = base + i * step;
    const count = readU();
    if (count > n) fail("invalid-time", at, `${count} off-grid points in a block of ${n}`);
    if (moved.length < count) moved = new Int32Array(Math.max(count, 2 * moved.length));
    let i = -1;
    for (let k = 0; k < count; k++) {
      i += readU() + 1;
      if (i >= n) beyondBlock("invalid-time", at, "off-grid point", i, n);
      moved[k] = i;
    }
    for (let k = 0; k < count; k++) t[moved[k]] += readS();
    checkEnds(t, n, startAt);
    // The grid ascends, so only a moved point can break the order: check its neighbours.
    for (let k = 0; k < count; k++) {
      const j = moved[k];
      if ((j > 0 && !(t[j] > t[j - 1])) || (j + 1 < n && !(t[j + 1] > t[j]))) {
        outOfOrder(startAt, j);
      }
    }
    return;
  } else {
    for (let i = 0; i < n; i++) t[i] = base + i * step + readS();
  }
  checkAscending(t, n, startAt);
}

function readDeltaOfDelta(n: number, t: Float64Array, startAt: number): void {
  let tv = readTime();
  t[0] = tv;
  if (n === 1) return;
  let d = readU();
  if (d < 1) fail("invalid-time", at, "first delta is 0; times must ascend");
  tv += d;
  t[1] = tv;
  const b = src;
  const e = end;
  let p = at;
  for (let i = 2; i < n; i++) {
    if (p >= e) truncatedInside(p, "time", i, n);
    let z = b[p++];
    if (z > 127) {
      at = p - 1;
      z = readU();
      p = at;
    }
    d += z & 1 ? -(z + 1) / 2 : z / 2;
    if (d < 1) outOfOrder(p, i);
    tv += d;
    t[i] = tv;
  }
  at = p;
  if (tv > MAX_ABS_TIME_MS)
    fail("invalid-time", startAt, `last time ${tv} beyond ±${MAX_ABS_TIME_MS}`);
}

function checkGrid(base: number, step: number, n: number, startAt: number): void {
  if (step < 1) fail("invalid-time", startAt, `step ${step}; times must ascend`);
  const last = base + (n - 1) * step;
  if (!(last <= MAX_ABS_TIME_MS)) {
    fail("invalid-time", startAt, `grid ends at ${last}, beyond ±${MAX_ABS_TIME_MS}`);
  }
}

function checkEnds(t: Float64Array, n: number, startAt: number): void {
  if (!(t[0] >= -MAX_ABS_TIME_MS && t[n - 1] <= MAX_ABS_TIME_MS)) {
    fail("invalid-time", startAt, `times ${t[0]}..${t[n - 1]} beyond ±${MAX_ABS_TIME_MS}`);
  }
}

function checkAscending(t: Float64Array, n: number, startAt: number): void {
  checkEnds(t, n, startAt);
  for (let i = 1; i < n; i++) {
    if (!(t[i] > t[i - 1])) outOfOrder(startAt, i);
  }
}

function readTime(): number {
  const offset = at;
  const t = readS();
  if (Math.abs(t) > MAX_ABS_TIME_MS)
    fail("invalid-time", offset, `time ${t} beyond ±${MAX_ABS_TIME_MS}`);
  return t;
}

// --- values ---

function readDecimal(mode: number, n: number, v: Float64Array): void {
  if (at >= end) fail("truncated", at, "block ends before the decimal exponent");
  const eByte = src[at++];
  const e = eByte > 127 ? eByte - 256 : eByte;
  if (e < MIN_EXPONENT || e > MAX_EXPONENT) {
    fail("invalid-exponent", at - 1, `exponent ${e}; allowed ${MIN_EXPONENT}..${MAX_EXPONENT}`);
  }
  lastExponent = e;
  // v = (m * mul) / div: both are exact powers of ten and one of them is 1,
  // so this is m / 10^e or m * 10^-e, rounded once, as the encoder checked.
  const mul = e < 0 ? POW10[-e] : 1;
  const div = e > 0 ? POW10[e] : 1;
  const m0 = readS();
  v[0] = (m0 * mul) / div;
  if (n > 1) {
    if (mode === IntMode.ConstStep) {
      const step = readS();
      for (let i = 1; i < n; i++) v[i] = ((m0 + i * step) * mul) / div;
    } else {
      readInts(mode === IntMode.DeltaOfDelta, n, v, m0, mul, div);
    }
  }
  const count = readU();
  if (count > n) fail("invalid-exception", at, `${count} exceptions in a block of ${n}`);
  lastExceptions = count;
  let i = -1;
  for (let k = 0; k < count; k++) {
    i += readU() + 1;
    if (i >= n) beyondBlock("invalid-exception", at, "exception at point", i, n);
    v[i] = readRaw();
  }
}

/**
 * Reads the byte planes of the decimal integers' zigzag deltas (or deltas of
 * deltas) and writes the values: one tight loop per plane width to turn the
 * planes into signed integers, then one per shape to sum and scale them.
 */
function readInts(
  ofDeltas: boolean,
  n: number,
  v: Float64Array,
  m0: number,
  mul: number,
  div: number,
): void {
  let m = m0;
  let d = 0;
  let i = 1;
  if (ofDeltas) {
    d = readS();
    m += d;
    v[1] = (m * mul) / div;
    i = 2;
  } else {
    // Delta mode: every delta is written less this mean.
    d = readS();
  }
  const count = n - i;
  const xs = readPlanes(count);
  if (ofDeltas) {
    for (let k = 0; k < count; k++) {
      d += xs[k];
      m += d;
      v[k + 2] = (m * mul) / div;
    }
  } else if (mul !== 1 || div !== 1) {
    for (let k = 0; k < count; k++) {
      m += xs[k] + d;
      v[k + 1] = (m * mul) / div;
    }
  } else {
    for (let k = 0; k < count; k++) {
      m += xs[k] + d;
      v[k + 1] = m;
    }
  }
}

/** Positions of a sparse grid's off-grid points, reused. */
let moved = new Int32Array(64);

/** Decoded planes, reused. */
let planeScratch = new Float64Array(1024);

/** Reads a width byte and that many planes of `count` bytes; returns the signed integers. */
function readPlanes(count: number): Float64Array {
  if (at >= end) fail("truncated", at, "block ends before a plane width");
  const w = src[at++];
  if (w > 7) fail("invalid-width", at - 1, `plane width ${w}; allowed 0..7`);
  if (end - at < w * count) {
    fail("truncated", at, `${end - at} bytes left for ${w} planes of ${count} bytes`);
  }
  if (planeScratch.length < count)
    planeScratch = new Float64Array(Math.max(count, 2 * planeScratch.length));
  const xs = planeScratch;
  const b = src;
  const p = at;
  at = p + w * count;
  if (w === 0) {
    xs.fill(0, 0, count);
  } else if (w === 1) {
    for (let k = 0; k < count; k++) {
      const z = b[p + k];
      xs[k] = (z >>> 1) ^ -(z & 1);
    }
  } else if (w === 2) {
    const p1 = p + count;
    for (let k = 0; k < count; k++) {
      const z = b[p + k] | (b[p1 + k] << 8);
      xs[k] = (z >>> 1) ^ -(z & 1);
    }
  } else if (w <= 4) {
    // Three or four planes: the 32-bit pattern may read as negative, but
    // >>> and & see its unsigned bits, so the zigzag still comes out right.
    const p1 = p + count;
    const p2 = p1 + count;
    const p3 = p2 + count;
    const top = w === 4;
    for (let k = 0; k < count; k++) {
      const z = b[p + k] | (b[p1 + k] << 8) | (b[p2 + k] << 16) | (top ? b[p3 + k] << 24 : 0);
      xs[k] = (z >>> 1) ^ -(z & 1);
    }
  } else {
    for (let k = 0; k < count; k++) {
      let z = 0;
      let scale = 1;
      for (let j = 0; j < w; j++, scale *= 256) z += b[p + j * count + k] * scale;
      const half = Math.floor(z / 2);
      xs[k] = z - 2 * half === 1 ? -half - 1 : half;
    }
  }
  return xs;
}

function readFloats(n: number, v: Float64Array): void {
  if (end - at < 8 * n) fail("truncated", at, `${end - at} bytes left for ${n} 8-byte floats`);
  const b = src;
  const base = at;
  // Write the halves straight into the output's bytes: no per-point conversion.
  const halves = new Uint32Array(v.buffer, v.byteOffset, 2 * n);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    hi ^=
      (b[base + i] << 24) |
      (b[base + n + i] << 16) |
      (b[base + 2 * n + i] << 8) |
      b[base + 3 * n + i];
    lo ^=
      (b[base + 4 * n + i] << 24) |
      (b[base + 5 * n + i] << 16) |
      (b[base + 6 * n + i] << 8) |
      b[base + 7 * n + i];
    halves[2 * i] = lo;
    halves[2 * i + 1] = hi;
  }
  at = base + 8 * n;
}

// --- bytes ---

function readRaw(): number {
  if (end - at < 8) fail("truncated", at, `${end - at} bytes left for an 8-byte value`);
  for (let k = 0; k < 8; k++) u8[k] = src[at++];
  return f64[0];
}

/** A little-endian base-128 varint of at most MAX_VARINT_BYTES bytes. */
function readU(): number {
  const b = src;
  const start = at;
  let p = at;
  let x = 0;
  let scale = 1;
  for (let k = 0; k < MAX_VARINT_BYTES; k++) {
    if (p >= end) fail("truncated", p, "block ends inside a varint");
    const byte = b[p++];
    x += (byte & 127) * scale;
    if (byte < 128) {
      at = p;
      return x;
    }
    scale *= 128;
  }
  return longVarint(start);
}

function readS(): number {
  const z = readU();
  // 32-bit operations where they are exact; `%` on a double would call fmod.
  if (z < 0x80000000) return (z >>> 1) ^ -(z & 1);
  const half = Math.floor(z / 2);
  return z - 2 * half === 1 ? -half - 1 : half;
}
