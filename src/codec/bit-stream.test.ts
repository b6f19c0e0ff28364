// BitWriter and BitReader against a reference model: a plain string of '0'
// and '1' characters, packed MSB-first into bytes with zero padding, the
// convention of M3's src/dbnode/encoding/ostream.go and istream.go.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { END_OF_BITS } from "./bit-reader.js";
import { BitReader, BitWriter } from "./index.js";
import { seededRandom } from "./testing.js";

const RUNS = 300;

type Op =
  | { kind: "bits"; value: number; n: number }
  | { kind: "bit"; bit: number }
  | { kind: "bits64"; hi: number; lo: number; n: number }
  | { kind: "bytes"; bytes: Uint8Array };

const u32 = fc.integer({ min: 0, max: 0xffffffff });
// Values carry random bits above the width: only the low n bits may be written.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("bits"), value: u32, n: fc.nat(32) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("bit"), bit: fc.nat(1) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("bits64"), hi: u32, lo: u32, n: fc.nat(64) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("bytes"), bytes: fc.uint8Array({ maxLength: 9 }) }),
  },
) as fc.Arbitrary<Op>;
// Long enough that the writer outgrows its initial buffer in many runs.
const opsArb = fc.array(opArb, { maxLength: 400, size: "max" });

function bin(value: number, n: number): string {
  if (n === 0) return "";
  return (value >>> 0)
    .toString(2)
    .padStart(32, "0")
    .slice(32 - n);
}

function opBits(op: Op): string {
  switch (op.kind) {
    case "bits":
      return bin(op.value, op.n);
    case "bit":
      return String(op.bit);
    case "bits64":
      return (bin(op.hi, 32) + bin(op.lo, 32)).slice(64 - op.n);
    case "bytes":
      return Array.from(op.bytes, (b) => bin(b, 8)).join("");
  }
}

function write(w: BitWriter, op: Op): void {
  switch (op.kind) {
    case "bits":
      w.writeBits(op.value, op.n);
      return;
    case "bit":
      w.writeBit(op.bit);
      return;
    case "bits64":
      w.writeBits64(op.hi, op.lo, op.n);
      return;
    case "bytes":
      w.writeBytes(op.bytes);
      return;
  }
}

/** Packs a bit string MSB-first, zero-padding the last byte. */
function pack(bits: string): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < out.length; i++) {
    out[i] = Number.parseInt(bits.slice(i * 8, i * 8 + 8).padEnd(8, "0"), 2);
  }
  return out;
}

function written(w: BitWriter): Uint8Array {
  const out = new Uint8Array(w.bytesNeeded());
  assert.equal(w.copyTo(out, 0), out.length);
  return out;
}

function randomBits(rand: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += rand() < 0.5 ? "0" : "1";
  return s;
}

test("BitWriter writes the low n bits of each value MSB-first, as the reference packing", () => {
  fc.assert(
    fc.property(opsArb, (ops) => {
      const w = new BitWriter();
      for (const op of ops) write(w, op);
      const ref = ops.map(opBits).join("");
      assert.equal(w.bitLength, ref.length);
      assert.equal(w.bytesNeeded(), Math.ceil(ref.length / 8));
      assert.deepEqual(written(w), pack(ref));
    }),
    { seed: 42, includeErrorInReport: true, numRuns: RUNS },
  );
});

test("BitReader reads back every write of any width at unaligned positions", () => {
  fc.assert(
    fc.property(opsArb, (ops) => {
      const w = new BitWriter();
      for (const op of ops) write(w, op);
      const bytes = written(w);
      const r = new BitReader(bytes);
      let offset = 0;
      const expectRead = (n: number, expected: number): void => {
        assert.equal(r.bitOffset, offset);
        assert.equal(r.bitsLeft, bytes.length * 8 - offset);
        assert.equal(r.peekBits(n), expected, `peekBits(${n}) at bit ${offset}`);
        assert.equal(r.bitOffset, offset, "peekBits must not consume");
        assert.equal(r.readBits(n), expected, `readBits(${n}) at bit ${offset}`);
        offset += n;
      };
      for (const op of ops) {
        switch (op.kind) {
          case "bits":
            expectRead(op.n, op.n === 0 ? 0 : (op.value & (0xffffffff >>> (32 - op.n))) >>> 0);
            break;
          case "bit":
            assert.equal(r.readBit(), op.bit, `readBit at bit ${offset}`);
            offset += 1;
            break;
          case "bits64":
            if (op.n <= 32) {
              expectRead(op.n, op.n === 0 ? 0 : (op.lo & (0xffffffff >>> (32 - op.n))) >>> 0);
            } else {
              expectRead(op.n - 32, (op.hi & (0xffffffff >>> (64 - op.n))) >>> 0);
              expectRead(32, op.lo >>> 0);
            }
            break;
          case "bytes":
            for (const b of op.bytes) expectRead(8, b);
            break;
        }
      }
      // Only the zero padding of the last byte is left.
      assert.equal(r.bitsLeft, bytes.length * 8 - offset);
      assert.ok(r.bitsLeft < 8);
      if (r.bitsLeft > 0) assert.equal(r.readBits(r.bitsLeft), 0);
      assert.equal(r.bitsLeft, 0);
    }),
    { seed: 42, includeErrorInReport: true, numRuns: RUNS },
  );
});

test("BitReader reads any sequence of widths 0..32 from any bytes, unsigned", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64, size: "max" }),
      fc.array(fc.nat(32), { maxLength: 200, size: "max" }),
      (bytes, widths) => {
        const ref = Array.from(bytes, (b) => bin(b, 8)).join("");
        const r = new BitReader(bytes);
        let at = 0;
        for (const n of widths) {
          if (at + n > ref.length) {
            assert.equal(r.peekBits(n), -1, `peekBits(${n}) with ${ref.length - at} bits left`);
            assert.equal(r.bitOffset, at);
            assert.throws(
              () => r.readBits(n),
              (e) => e === END_OF_BITS,
            );
            return;
          }
          const expected = n === 0 ? 0 : Number.parseInt(ref.slice(at, at + n), 2);
          assert.equal(r.peekBits(n), expected, `peekBits(${n}) at bit ${at}`);
          assert.equal(r.readBits(n), expected, `readBits(${n}) at bit ${at}`);
          at += n;
          assert.equal(r.bitOffset, at);
          assert.equal(r.bitsLeft, ref.length - at);
        }
      },
    ),
    { seed: 42, includeErrorInReport: true, numRuns: RUNS },
  );
});

test("skipBits moves past bits of any length, including more than 32", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fc.array(fc.tuple(fc.nat(80), fc.nat(32)), { maxLength: 20 }),
      (bytes, steps) => {
        const ref = Array.from(bytes, (b) => bin(b, 8)).join("");
        const r = new BitReader(bytes);
        let at = 0;
        for (const [skip, n] of steps) {
          if (at + skip + n > ref.length) return;
          r.skipBits(skip);
          at += skip;
          assert.equal(r.bitOffset, at);
          const expected = n === 0 ? 0 : Number.parseInt(ref.slice(at, at + n), 2);
          assert.equal(r.readBits(n), expected, `readBits(${n}) after skipping to bit ${at}`);
          at += n;
        }
      },
    ),
    { seed: 42, includeErrorInReport: true, numRuns: RUNS },
  );
});

test("peekBits returns -1 when fewer than n bits are left, and the n bits when exactly n are", () => {
  const rand = seededRandom(7);
  for (let len = 1; len <= 12; len++) {
    const bits = randomBits(rand, len * 8);
    const bytes = pack(bits);
    for (let at = 0; at <= bits.length; at++) {
      for (const n of [1, 7, 8, 11, 16, 24, 25, 31, 32]) {
        const r = new BitReader(bytes);
        r.skipBits(at);
        const left = bits.length - at;
        if (n > left) {
          assert.equal(r.peekBits(n), -1, `peekBits(${n}) with ${left} bits left`);
        } else {
          assert.equal(r.peekBits(n), Number.parseInt(bits.slice(at, at + n), 2));
        }
        assert.equal(r.bitOffset, at, "peekBits must not consume");
        assert.equal(r.bitsLeft, left);
        // The peek changed nothing: the following reads see the same bits.
        if (left > 0) assert.equal(r.readBit(), Number(bits[at]));
      }
    }
  }
});

test("reading past the end throws END_OF_BITS, also from readBit and skipBits", () => {
  assert.throws(
    () => new BitReader(new Uint8Array(0)).readBit(),
    (e) => e === END_OF_BITS,
  );
  assert.throws(
    () => new BitReader(new Uint8Array(0)).readBits(1),
    (e) => e === END_OF_BITS,
  );
  assert.equal(new BitReader(new Uint8Array(0)).readBits(0), 0);
  for (let len = 1; len <= 9; len++) {
    const bytes = new Uint8Array(len).fill(0xa5);
    const r = new BitReader(bytes);
    r.skipBits(len * 8);
    assert.equal(r.bitsLeft, 0);
    assert.throws(
      () => r.readBit(),
      (e) => e === END_OF_BITS,
    );
    const r2 = new BitReader(bytes);
    r2.skipBits(len * 8 - 1);
    assert.throws(
      () => r2.readBits(2),
      (e) => e === END_OF_BITS,
    );
    assert.throws(
      () => new BitReader(bytes).skipBits(len * 8 + 1),
      (e) => e === END_OF_BITS,
    );
    if (len * 8 < 32) {
      assert.throws(
        () => new BitReader(bytes).readBits(len * 8 + 1),
        (e) => e === END_OF_BITS,
      );
    }
  }
});

test("BitReader.reset starts over on new bytes", () => {
  const r = new BitReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]));
  assert.equal(r.readBits(13), 0x1fff);
  r.reset(new Uint8Array([0x12, 0x34]));
  assert.equal(r.bitOffset, 0);
  assert.equal(r.bitsLeft, 16);
  assert.equal(r.readBits(16), 0x1234);
  assert.throws(
    () => r.readBit(),
    (e) => e === END_OF_BITS,
  );
});

test("copyTo writes at the offset and touches no byte outside the stream", () => {
  fc.assert(
    fc.property(opsArb, fc.nat(16), fc.nat(16), (ops, offset, slack) => {
      const w = new BitWriter();
      for (const op of ops) write(w, op);
      const expected = pack(ops.map(opBits).join(""));
      const dst = new Uint8Array(offset + expected.length + slack).fill(0xee);
      assert.equal(w.copyTo(dst, offset), expected.length);
      assert.deepEqual(dst.subarray(offset, offset + expected.length), expected);
      assert.ok(dst.subarray(0, offset).every((b) => b === 0xee));
      assert.ok(dst.subarray(offset + expected.length).every((b) => b === 0xee));
    }),
    { seed: 42, includeErrorInReport: true, numRuns: RUNS },
  );
});

test("copyToWithTail appends the tail's low bits to the copy but not to the writer", () => {
  fc.assert(
    fc.property(opsArb, u32, fc.nat(24), opsArb, (ops, tail, tailBits, more) => {
      const w = new BitWriter();
      for (const op of ops) write(w, op);
      const ref = ops.map(opBits).join("");
      const expected = pack(ref + bin(tail, tailBits));
      const dst = new Uint8Array(expected.length + 4).fill(0xee);
      assert.equal(w.copyToWithTail(dst, 2, tail, tailBits), expected.length);
      assert.deepEqual(dst.subarray(2, 2 + expected.length), expected);
      assert.ok(dst.subarray(2 + expected.length).every((b) => b === 0xee));
      // The writer goes on from where it was, without the tail.
      assert.equal(w.bitLength, ref.length);
      for (const op of more) write(w, op);
      assert.deepEqual(written(w), pack(ref + more.map(opBits).join("")));
    }),
    { seed: 42, includeErrorInReport: true, numRuns: RUNS },
  );
});

test("BitWriter.reset forgets everything written and gives the same bytes as a new writer", () => {
  fc.assert(
    fc.property(opsArb, opsArb, (first, second) => {
      const w = new BitWriter();
      for (const op of first) write(w, op);
      w.reset();
      assert.equal(w.bitLength, 0);
      assert.equal(w.bytesNeeded(), 0);
      for (const op of second) write(w, op);
      const fresh = new BitWriter();
      for (const op of second) write(fresh, op);
      assert.deepEqual(written(w), written(fresh));
    }),
    { seed: 42, includeErrorInReport: true, numRuns: 100 },
  );
});

test("writeBits of all 32 bits keeps the top bit and reads back unsigned", () => {
  for (const pending of [0, 1, 7, 31]) {
    const w = new BitWriter();
    w.writeBits(0, pending);
    w.writeBits(0x80000001, 32);
    w.writeBits(0xffffffff, 32);
    const r = new BitReader(written(w));
    assert.equal(r.readBits(pending), 0);
    assert.equal(r.readBits(32), 0x80000001);
    assert.equal(r.readBits(32), 0xffffffff);
  }
});
