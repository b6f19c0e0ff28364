import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  MAX_SAMPLES_IN_XOR_CHUNK,
  XorChunkAppendError,
  XorChunkEncoder,
  XorChunkFormatError,
  XorChunkIterator,
} from "./xor-chunk.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A float from its IEEE 754 bits. */
function float(hi: number, lo: number): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(0, hi);
  v.setUint32(4, lo);
  return v.getFloat64(0);
}

interface Sample {
  t: number;
  hi: number;
  lo: number;
}

function encodeBits(samples: readonly Sample[]): Uint8Array {
  const e = new XorChunkEncoder();
  for (const s of samples) e.appendBits(s.t, s.hi, s.lo);
  return e.bytes().slice();
}

function decode(bytes: Uint8Array): Sample[] {
  const it = new XorChunkIterator();
  it.reset(bytes);
  const out: Sample[] = [];
  while (it.next()) out.push({ t: it.timeMs, hi: it.valueHi, lo: it.valueLo });
  return out;
}

// Samples written to a Prometheus 2.42 through remote write and read back
// with STREAMED_XOR_CHUNKS. Their time deltas step through every edge of the
// delta-of-delta buckets (0, 500, -300, 8192, -8191, 8193, -8192, 65536,
// -65535, 65537, -65536, 524288, -524287, 524289, -524288, 0, 0), and their
// values through every XOR case: equal, reused window, new window, 64
// significant bits, leading zeros capped at 31, NaN payloads (the stale
// marker 0x7ff0000000000002 among them), ±Inf, -0 and 0.
const PROMETHEUS_TIMES = [
  1795348801234, 1795348802234, 1795348803234, 1795348804734, 1795348805934, 1795348815326,
  1795348816527, 1795348825921, 1795348827123, 1795348893861, 1795348895064, 1795348961804,
  1795348963008, 1795349488500, 1795349489705, 1795350015199, 1795350016405, 1795350017611,
  1795350018817,
];
const PROMETHEUS_VALUES = [
  [0x3ff00000, 0],
  [0x3ff00000, 0],
  [0x3ff00000, 1],
  [0xbff00000, 1],
  [0x7ff00000, 2],
  [0x7ff00000, 2],
  [0x7ff80000, 0x1234],
  [0xfff12345, 0xdeadbeef],
  [0x7ff00000, 0],
  [0xfff00000, 0],
  [0x80000000, 0],
  [0, 0],
  [0x40590000, 0],
  [0x40590ccc, 0xcccccccd],
  [0x40590ccc, 0xccccccce],
  [0x3fb99999, 0x9999999a],
  [0x41dfffff, 0xffc00000],
  [0x40000000, 0],
  [0x40000000, 0],
];
const PROMETHEUS_SAMPLES: Sample[] = PROMETHEUS_TIMES.map((t, i) => ({
  t,
  hi: PROMETHEUS_VALUES[i][0],
  lo: PROMETHEUS_VALUES[i][1],
}));
const PROMETHEUS_CHUNK =
  "0013a49b85b2c0683ff0000000000000e8073fc20000000181f4c00efb5300180000000000000074000a00180020" +
  "0000000048db0800680092345deadacdbde000a00048d177ab6fbbf400028000000000000000d00019ffc000000" +
  "00000038400068000000000000000ef000090164000000000003a0000200000ccccccccccde80001800000000000" +
  "0000fc00000000002000067fe0955555555554ffffffffffff800009f99999999966666900efffffffe000000";

test("the encoder writes the same bytes as Prometheus for samples crossing every bucket edge", () => {
  assert.equal(toHex(encodeBits(PROMETHEUS_SAMPLES)), PROMETHEUS_CHUNK);
});

test("the iterator reads Prometheus's chunk back to the exact times and value bits", () => {
  assert.deepEqual(decode(hex(PROMETHEUS_CHUNK)), PROMETHEUS_SAMPLES);
});

test("three samples one ms apart with one value: the layout written out by hand", () => {
  const e = new XorChunkEncoder();
  for (const t of [1, 2, 3]) e.append(t, 1);
  // 0003 count | 02 zigzag(1) | 3ff0000000000000 value | 01 delta |
  // bits 0 (same value), 0 (dod 0), 0 (same value), padded to 00.
  assert.equal(toHex(e.bytes()), "0003023ff00000000000000100");
  assert.equal(e.count, 3);
  assert.equal(e.minTimeMs, 1);
  assert.equal(e.maxTimeMs, 3);
  assert.equal(e.byteLength, 13);
});

test("a negative first time is a zigzag varint: -1 is 01, -65 is 8101", () => {
  const e = new XorChunkEncoder();
  e.append(-1, 0);
  assert.equal(toHex(e.bytes()), "0001010000000000000000");
  e.reset();
  e.append(-65, 0);
  assert.equal(toHex(e.bytes()), "000181010000000000000000");
  assert.deepEqual(decode(e.bytes()), [{ t: -65, hi: 0, lo: 0 }]);
});

test("a trailing empty byte, as Prometheus 2.x wrote after a whole-byte write, is ignored", () => {
  // One sample at 1795348801229 with value -2, as Prometheus 2.42 streamed it.
  let zigzag = 1795348801229n * 2n;
  const varint: number[] = [];
  while (zigzag >= 0x80n) {
    varint.push(Number(zigzag & 0x7fn) | 0x80);
    zigzag >>= 7n;
  }
  varint.push(Number(zigzag));
  const bytes = Uint8Array.from([0, 1, ...varint, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(decode(bytes), [{ t: 1795348801229, hi: 0xc0000000, lo: 0 }]);
  assert.equal(
    toHex(encodeBits([{ t: 1795348801229, hi: 0xc0000000, lo: 0 }])),
    toHex(bytes.subarray(0, -1)),
  );
});

// --- properties ---

const MAX_T = 2 ** 52;

const deltaArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 20_000 }),
  fc.constantFrom(8191, 8192, 8193, 65535, 65536, 65537, 524287, 524288, 524289),
  fc.integer({ min: 0, max: 2_000_000 }),
  fc.bigInt({ min: 0n, max: 2n ** 52n }).map(Number),
);

const STALE = { hi: 0x7ff00000, lo: 2 };
const bitsArb = fc.oneof(
  fc.record({ hi: fc.nat({ max: 0xffffffff }), lo: fc.nat({ max: 0xffffffff }) }),
  fc.double().map((d) => {
    const v = new DataView(new ArrayBuffer(8));
    v.setFloat64(0, d);
    return { hi: v.getUint32(0), lo: v.getUint32(4) };
  }),
  fc.constantFrom(
    STALE,
    { hi: 0x7ff80000, lo: 0 },
    { hi: 0xfff80000, lo: 0x12345678 },
    { hi: 0x7ff00000, lo: 0 },
    { hi: 0xfff00000, lo: 0 },
    { hi: 0x80000000, lo: 0 },
    { hi: 0, lo: 0 },
    { hi: 0, lo: 1 },
    { hi: 0x3ff00000, lo: 0 },
  ),
);

/** Series of up to 300 samples: times non-decreasing within ±2^52, value bits anything. */
const seriesArb = fc
  .record({
    start: fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n }).map(Number),
    steps: fc.array(fc.record({ delta: deltaArb, bits: bitsArb, repeat: fc.boolean() }), {
      minLength: 1,
      maxLength: 300,
    }),
  })
  .map(({ start, steps }) => {
    const out: Sample[] = [];
    let t = start;
    for (const s of steps) {
      if (out.length > 0) t = Math.min(MAX_T, t + s.delta);
      const prev = out[out.length - 1];
      // Repeats exercise the "same value" bit and reused windows.
      const bits = s.repeat && prev !== undefined ? { hi: prev.hi, lo: prev.lo } : s.bits;
      out.push({ t, ...bits });
    }
    return out;
  });

test("any series round-trips through a chunk with exact times and value bits", () => {
  fc.assert(
    fc.property(seriesArb, (samples) => {
      assert.deepEqual(decode(encodeBits(samples)), samples);
    }),
    { numRuns: 400 },
  );
});

test("append(t, v) keeps a float's bits, NaN payloads and -0 included", () => {
  fc.assert(
    fc.property(seriesArb, (samples) => {
      const values = new Float64Array(samples.length);
      const words = new Uint32Array(values.buffer);
      samples.forEach((s, i) => {
        words[2 * i + 1] = s.hi;
        words[2 * i] = s.lo;
      });
      const e = new XorChunkEncoder();
      samples.forEach((s, i) => {
        e.append(s.t, values[i]);
      });
      const it = new XorChunkIterator();
      it.reset(e.bytes());
      const got = new Float64Array(samples.length);
      let n = 0;
      while (it.next()) got[n++] = it.value;
      assert.equal(n, samples.length);
      assert.deepEqual(new Uint32Array(got.buffer), words);
    }),
    { numRuns: 200 },
  );
});

test("a reset encoder writes what a fresh one writes", () => {
  fc.assert(
    fc.property(seriesArb, seriesArb, (a, b) => {
      const e = new XorChunkEncoder();
      for (const s of a) e.appendBits(s.t, s.hi, s.lo);
      e.reset();
      assert.equal(e.count, 0);
      for (const s of b) e.appendBits(s.t, s.hi, s.lo);
      assert.deepEqual(e.bytes(), encodeBits(b));
      assert.equal(e.minTimeMs, b[0].t);
      assert.equal(e.maxTimeMs, b[b.length - 1].t);
    }),
    { numRuns: 100 },
  );
});

test("every strict prefix of a chunk is refused with XorChunkFormatError", () => {
  fc.assert(
    fc.property(seriesArb, (samples) => {
      const bytes = encodeBits(samples);
      for (let len = 0; len < bytes.length; len++) {
        assert.throws(() => decode(bytes.subarray(0, len)), XorChunkFormatError, `prefix ${len}`);
      }
    }),
    { numRuns: 60 },
  );
});

test("garbage either decodes or throws XorChunkFormatError, and always ends", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        const got = decode(bytes);
        assert.ok(got.length <= ((bytes[0] << 8) | bytes[1]));
        for (const s of got) assert.ok(Number.isSafeInteger(s.t));
      } catch (e) {
        if (!(e instanceof XorChunkFormatError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});

test("flipped bits in a valid chunk give samples or XorChunkFormatError, never a crash", () => {
  fc.assert(
    fc.property(seriesArb, fc.nat(), (samples, at) => {
      const bytes = encodeBits(samples);
      const bit = at % (bytes.length * 8);
      bytes[bit >>> 3] ^= 0x80 >>> (bit & 7);
      try {
        decode(bytes);
      } catch (e) {
        if (!(e instanceof XorChunkFormatError)) throw e;
      }
    }),
    { numRuns: 500 },
  );
});

/** A chunk from its sample count and its bit stream written as 0/1 characters. */
function fromBits(count: number, bits: string): Uint8Array {
  const b = bits.replace(/ /g, "");
  const bytes = new Uint8Array(2 + Math.ceil(b.length / 8));
  bytes[0] = count >>> 8;
  bytes[1] = count & 0xff;
  for (let i = 0; i < b.length; i++) if (b[i] === "1") bytes[2 + (i >>> 3)] |= 0x80 >>> (i & 7);
  return bytes;
}

const ZERO_SAMPLE = `00000000 ${"0".repeat(64)}`; // time 0, value 0

test("fromBits builds the chunk the encoder writes for the same bits", () => {
  const e = new XorChunkEncoder();
  e.append(0, 0);
  e.append(1, 0);
  e.append(2, 0);
  // delta 1 as a one-byte varint, same value; dod 0, same value.
  assert.deepEqual(e.bytes(), fromBits(3, `${ZERO_SAMPLE} 00000001 0 0 0`));
});

test("a window of more than 64 bits (leading 31 + significant 63) is refused", () => {
  // Second sample: delta 0, XOR control 11, leading 11111, significant 111111.
  const bytes = fromBits(2, `${ZERO_SAMPLE} 00000000 11 11111 111111`);
  assert.throws(() => decode(bytes), /31 leading zeros and 63 significant bits/);
});

test("a first time beyond 2^53 ms is refused rather than rounded", () => {
  // zigzag(2^53) = 2^54: a 1 in the 55th bit, as an eight-byte varint.
  const bytes = hex(`0001${"80".repeat(7)}40${"00".repeat(8)}`);
  assert.throws(() => decode(bytes), XorChunkFormatError);
});

test("a 64-bit delta-of-delta beyond 2^53 is refused rather than rounded", () => {
  const dod = (2n ** 60n).toString(2).padStart(64, "0");
  const bytes = fromBits(3, `${ZERO_SAMPLE} 00000001 0 1111 ${dod} 0`);
  assert.throws(() => decode(bytes), /delta beyond/);
  // The same stream with a dod of 2^40 decodes.
  const small = (2n ** 40n).toString(2).padStart(64, "0");
  assert.deepEqual(
    decode(fromBits(3, `${ZERO_SAMPLE} 00000001 0 1111 ${small} 0`)).map((x) => x.t),
    [0, 1, 2 + 2 ** 40],
  );
});

test("times that decrease, are not integers or lie beyond ±2^52 are refused, leaving the chunk intact", () => {
  const e = new XorChunkEncoder();
  e.append(1000, 1);
  e.append(2000, 2);
  for (const t of [1999, 2000.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 52 + 2]) {
    assert.throws(() => e.append(t, 3), XorChunkAppendError, `time ${t}`);
  }
  assert.deepEqual(
    decode(e.bytes()).map((s) => s.t),
    [1000, 2000],
  );
  const fresh = new XorChunkEncoder();
  for (const t of [0.5, -(2 ** 52) - 2, Number.NaN]) {
    assert.throws(() => fresh.append(t, 0), XorChunkAppendError, `first time ${t}`);
  }
  assert.equal(fresh.count, 0);
});

test("times at ±2^52 and a delta of 2^53 round-trip exactly", () => {
  const samples = [
    { t: -(2 ** 52), hi: 0, lo: 1 },
    { t: 2 ** 52, hi: 0, lo: 2 },
    { t: 2 ** 52, hi: 0, lo: 3 },
  ];
  assert.deepEqual(decode(encodeBits(samples)), samples);
});

test("a chunk holds at most 65535 samples, its 16-bit count", () => {
  const e = new XorChunkEncoder();
  for (let i = 0; i < MAX_SAMPLES_IN_XOR_CHUNK; i++) e.append(i, i);
  assert.throws(() => e.append(MAX_SAMPLES_IN_XOR_CHUNK, 0), XorChunkAppendError);
  const it = new XorChunkIterator();
  it.reset(e.bytes());
  let n = 0;
  while (it.next()) {
    assert.equal(it.timeMs, n);
    assert.equal(it.value, n);
    n++;
  }
  assert.equal(n, MAX_SAMPLES_IN_XOR_CHUNK);
});

test("an empty chunk is its 2-byte header and yields nothing", () => {
  const e = new XorChunkEncoder();
  assert.equal(toHex(e.bytes()), "0000");
  assert.deepEqual(decode(e.bytes()), []);
});

test("a stale marker appended as a number comes back with the same NaN bits", () => {
  const e = new XorChunkEncoder();
  e.append(5, float(STALE.hi, STALE.lo));
  const it = new XorChunkIterator();
  it.reset(e.bytes());
  assert.ok(it.next());
  assert.ok(Number.isNaN(it.value));
  assert.deepEqual([it.valueHi, it.valueLo], [STALE.hi, STALE.lo]);
});
