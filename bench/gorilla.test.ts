import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { BitReader } from "../src/codec/index.js";
import {
  GorillaCorruptError,
  GorillaEncoder,
  GorillaInputError,
  GorillaIterator,
} from "./gorilla.js";

/** A series with its values kept as raw bits, so NaN payloads survive the test itself. */
type Series = { startMs: number; timesMs: Float64Array; values: Float64Array; bits: Uint32Array };

function seriesOf(startMs: number, timesMs: number[], bits: number[]): Series {
  const values = new Float64Array(timesMs.length);
  const view = new Uint32Array(values.buffer);
  view.set(bits);
  return { startMs, timesMs: Float64Array.from(timesMs), values, bits: view };
}

function encode(s: Series, encoder = new GorillaEncoder(s.startMs)): Uint8Array {
  for (let i = 0; i < s.timesMs.length; i++) encoder.append(s.timesMs[i], s.values[i]);
  return encoder.bytes();
}

function assertRoundTrip(s: Series, bytes: Uint8Array, it = new GorillaIterator()): void {
  const scratch = new Float64Array(1);
  const scratchBits = new Uint32Array(scratch.buffer);
  it.reset(bytes);
  let i = 0;
  while (it.next()) {
    assert.ok(i < s.timesMs.length, `decoded more than the ${s.timesMs.length} datapoints written`);
    assert.equal(it.timeMs, s.timesMs[i], `timestamp of datapoint ${i}`);
    scratch[0] = it.value;
    const lo = s.bits[2 * i];
    const hi = s.bits[2 * i + 1];
    if (scratchBits[0] !== lo || scratchBits[1] !== hi) {
      assert.fail(
        `value ${i}: wrote bits ${hex(hi, lo)}, read ${hex(scratchBits[1], scratchBits[0])}`,
      );
    }
    i++;
  }
  assert.equal(i, s.timesMs.length, "number of datapoints decoded");
  assert.equal(it.next(), false, "next() stays false after the end");
}

function hex(hi: number, lo: number): string {
  return `0x${hi.toString(16).padStart(8, "0")}${lo.toString(16).padStart(8, "0")}`;
}

/** Bits of a double as [lo, hi], the order of a little-endian Uint32Array view. */
function bitsOf(v: number): [number, number] {
  const f = new Float64Array([v]);
  const u = new Uint32Array(f.buffer);
  return [u[0], u[1]];
}

test("a three-point block encodes to the bytes the format describes", () => {
  // Header: start 0, count 3. Then 90 bits:
  //   t=10: dod 10 -> '10' 0001010; value 1.0 -> 0x3ff0000000000000 raw (64 bits)
  //   t=20: dod 0 -> '0'; same value -> '0'
  //   t=30: dod 0 -> '0'; 1.5 XOR 1.0 = 0x0008000000000000, 12 leading and
  //         51 trailing zeros -> '11' 01100 000001 '1'
  const s = seriesOf(0, [10, 20, 30], [...bitsOf(1), ...bitsOf(1), ...bitsOf(1.5)]);
  const bytes = encode(s);
  assert.deepEqual(
    Array.from(bytes),
    [
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3],
      [0x85, 0x1f, 0xf8, 0, 0, 0, 0, 0, 0, 0x0d, 0x80, 0xc0],
    ].flat(),
  );
  assertRoundTrip(s, bytes);
});

test("an empty block is a 12-byte header and decodes to nothing", () => {
  const bytes = new GorillaEncoder(1_699_999_200_000).bytes();
  assert.equal(bytes.length, 12);
  const it = new GorillaIterator();
  it.reset(bytes);
  assert.equal(it.next(), false);
});

test("special float values round-trip bit-exactly", () => {
  const specials: [number, number][] = [
    [0x7ff00000, 0x00000002], // NaN with a payload (signalling)
    [0x7ff80000, 0x00000000], // canonical quiet NaN
    [0xfff80000, 0x00000001], // negative NaN with a payload
    [0x7fffffff, 0xffffffff], // NaN with every payload bit set
    [0x80000000, 0x00000000], // -0
    [0x00000000, 0x00000000], // +0
    [0x7ff00000, 0x00000000], // +Inf
    [0xfff00000, 0x00000000], // -Inf
  ];
  const bits: number[] = [];
  for (const [hi, lo] of specials) bits.push(lo, hi);
  for (const v of [Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE]) {
    bits.push(...bitsOf(v));
  }
  bits.push(...bitsOf(1), ...bitsOf(0.1), ...bitsOf(Number.MIN_VALUE), ...bitsOf(-0));
  // The same specials again, repeated, to take the '0' and '10' paths between them.
  for (const [hi, lo] of specials) bits.push(lo, hi, lo, hi);
  const n = bits.length / 2;
  const timesMs = Array.from({ length: n }, (_, i) => 1_000 + i * 10_000);
  const s = seriesOf(0, timesMs, bits);
  assertRoundTrip(s, encode(s));
});

test("irregular timestamps, large gaps and negative block starts round-trip", () => {
  const timesMs: number[] = [];
  let t = -5_000;
  // Deltas whose dods fall in every bucket, including both ends of the widest
  // (2^31 and -(2^31 - 1)), then a 20-day gap.
  const deltas = [
    0,
    10_000,
    10_063,
    10_000,
    10_064,
    9_999,
    10_255,
    10_000,
    10_256,
    9_743,
    12_047,
    10_000,
    12_048,
    9_999,
    7_952,
    1,
    2_147_483_649,
    2,
    20 * 86_400_000,
    1,
    3,
    2,
    1,
  ];
  for (const d of deltas) {
    t += d;
    timesMs.push(t);
  }
  const bits: number[] = [];
  for (let i = 0; i < timesMs.length; i++) bits.push(...bitsOf(i % 3 === 0 ? 42 : i * 1.25));
  const s = seriesOf(-5_000, timesMs, bits);
  assertRoundTrip(s, encode(s));
});

test("each dod takes the bucket the paper gives it", () => {
  // [dod, prefix bits, prefix width, value width]
  const cases: [number, number, number, number][] = [
    [0, 0b0, 1, 0],
    [1, 0b10, 2, 7],
    [-63, 0b10, 2, 7],
    [64, 0b10, 2, 7],
    [-64, 0b110, 3, 9],
    [65, 0b110, 3, 9],
    [-255, 0b110, 3, 9],
    [256, 0b110, 3, 9],
    [-256, 0b1110, 4, 12],
    [257, 0b1110, 4, 12],
    [-2047, 0b1110, 4, 12],
    [2048, 0b1110, 4, 12],
    [-2048, 0b1111, 4, 32],
    [2049, 0b1111, 4, 32],
    [-9_999, 0b1111, 4, 32],
    [2_147_483_648, 0b1111, 4, 32],
  ];
  const reader = new BitReader();
  for (const [dod, prefix, prefixBits, valueBits] of cases) {
    const enc = new GorillaEncoder(0);
    enc.append(10_000, 7); // first dod 10000: '1111' + 32 bits, then 64 value bits
    enc.append(20_000 + dod, 7);
    reader.reset(enc.bytes());
    reader.skipBits(96 + 4 + 32 + 64);
    assert.equal(reader.readBits(prefixBits), prefix, `prefix of dod ${dod}`);
    const raw = reader.readBits(valueBits);
    const half = 2 ** (valueBits - 1);
    assert.equal(valueBits === 0 ? 0 : raw > half ? raw - 2 * half : raw, dod, `dod ${dod}`);
    assert.equal(reader.readBit(), 0, `value after dod ${dod} is a repeat`);
  }
});

test("a new XOR window caps leading zeros at 31 and writes a length of 64 as 0", () => {
  // [first value bits, second value bits, leading field, length field]
  const cases: [[number, number], [number, number], number, number][] = [
    [bitsOf(1), [bitsOf(1)[0] ^ 1, bitsOf(1)[1]], 31, 33], // XOR 0x...01: 63 leading zeros
    [bitsOf(0), [1, 0x80000000], 0, 0], // XOR 0x8000000000000001: all 64 bits meaningful
    [bitsOf(1), bitsOf(1.5), 12, 1],
  ];
  const reader = new BitReader();
  for (const [first, second, leading, length] of cases) {
    const s = seriesOf(0, [10_000, 20_000], [...first, ...second]);
    const bytes = encode(s);
    reader.reset(bytes);
    // Header, first point ('1111' + 32-bit dod, 64 raw bits), second dod '0'.
    reader.skipBits(96 + 4 + 32 + 64 + 1);
    assert.equal(reader.readBits(2), 0b11, "control bits of a new window");
    assert.equal(reader.readBits(5), leading, "leading zeros field");
    assert.equal(reader.readBits(6), length, "meaningful length field");
    assertRoundTrip(s, bytes);
  }
});

test("the encoder rejects timestamps it cannot write", () => {
  const enc = new GorillaEncoder(1_000);
  assert.throws(() => enc.append(999, 1), GorillaInputError);
  enc.append(1_000, 1);
  assert.throws(() => enc.append(1_000, 1), GorillaInputError);
  assert.throws(() => enc.append(1_500.5, 1), GorillaInputError);
  assert.throws(() => enc.append(Number.NaN, 1), GorillaInputError);
  // dod 2^31 + 1 does not fit the widest bucket.
  assert.throws(() => enc.append(1_000 + 2_147_483_649, 1), GorillaInputError);
  assert.throws(() => new GorillaEncoder(0.5), GorillaInputError);
  // A rejected append leaves the block as it was.
  enc.append(2_000, 2);
  const s = seriesOf(1_000, [1_000, 2_000], [...bitsOf(1), ...bitsOf(2)]);
  assertRoundTrip(s, enc.bytes());
});

test("a truncated stream is reported as corrupt, not as a shorter series", () => {
  const timesMs = Array.from({ length: 50 }, (_, i) => 10_000 * (i + 1));
  const bits: number[] = [];
  for (let i = 0; i < 50; i++) bits.push(...bitsOf(Math.sqrt(i + 2)));
  const bytes = encode(seriesOf(0, timesMs, bits));
  const it = new GorillaIterator();
  it.reset(bytes.subarray(0, bytes.length >> 1));
  assert.throws(
    () => {
      while (it.next());
    },
    (e) => e instanceof GorillaCorruptError && e.code === "M3TS_ERR_GORILLA_CORRUPT",
  );
  assert.throws(() => it.reset(bytes.subarray(0, 11)), GorillaCorruptError);
});

test("encoder and iterator reset for reuse", () => {
  const a = seriesOf(0, [1, 2, 3], [...bitsOf(1), ...bitsOf(2), ...bitsOf(3)]);
  const b = seriesOf(100, [150, 200], [...bitsOf(-1), ...bitsOf(Number.NaN)]);
  const enc = new GorillaEncoder(0);
  const it = new GorillaIterator();
  const bytesA = encode(a, enc);
  enc.reset(b.startMs);
  const bytesB = encode(b, enc);
  assert.deepEqual(bytesB, encode(b));
  assertRoundTrip(a, bytesA, it);
  assertRoundTrip(b, bytesB, it);
});

// One datapoint of a random series: a time delta and how to make the value.
// Value kinds: 0 repeat, 1 raw 64-bit pattern, 2 flip low bits, 3 flip middle
// bits of the high half, 4 any double fast-check makes (NaN, -0, Inf, subnormals).
const U32 = fc.integer({ min: 0, max: 0xffffffff });
const pointArb = fc.tuple(
  fc.oneof(
    fc.constant(10_000),
    fc.integer({ min: 9_950, max: 10_050 }),
    fc.integer({ min: 1, max: 100 }),
    fc.integer({ min: 1, max: 2 ** 30 }),
  ),
  fc.integer({ min: 0, max: 4 }),
  U32,
  U32,
  fc.double(),
);

test("random series round-trip bit-exactly (property)", () => {
  const enc = new GorillaEncoder(0);
  const it = new GorillaIterator();
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 40), max: 2 ** 42 }),
      fc.boolean(),
      fc.array(pointArb, { maxLength: 300 }),
      (startMs, firstAtStart, points) => {
        const n = points.length;
        const timesMs = new Float64Array(n);
        const values = new Float64Array(n);
        const bits = new Uint32Array(values.buffer);
        const scratch = new Float64Array(1);
        const scratchBits = new Uint32Array(scratch.buffer);
        let t = startMs;
        let hi = 0;
        let lo = 0;
        for (let i = 0; i < n; i++) {
          const [deltaMs, kind, a, b, d] = points[i];
          t += i === 0 && firstAtStart ? 0 : deltaMs;
          timesMs[i] = t;
          if (kind === 1) {
            hi = a;
            lo = b;
          } else if (kind === 2) {
            lo = (lo ^ (b & 0xfff)) >>> 0;
          } else if (kind === 3) {
            hi = (hi ^ (a & 0x000ffff0)) >>> 0;
          } else if (kind === 4) {
            scratch[0] = d;
            hi = scratchBits[1];
            lo = scratchBits[0];
          }
          bits[2 * i] = lo;
          bits[2 * i + 1] = hi;
        }
        const s: Series = { startMs, timesMs, values, bits };
        enc.reset(startMs);
        assertRoundTrip(s, encode(s, enc), it);
      },
    ),
    { numRuns: 300 },
  );
});
