import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { crc32c } from "./crc32c.js";

// A bit-at-a-time CRC-32C straight from the definition: a slow oracle that
// shares nothing with the table-driven code.
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const ascii = (s: string) => new TextEncoder().encode(s);

test("crc32c of the standard check string 123456789 is 0xE3069283", () => {
  assert.equal(crc32c(ascii("123456789")), 0xe3069283);
});

test("crc32c of nothing is 0", () => {
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test("crc32c matches the iSCSI test vectors of RFC 3720 (32-byte patterns)", () => {
  const zeros = new Uint8Array(32);
  const ones = new Uint8Array(32).fill(0xff);
  const up = Uint8Array.from({ length: 32 }, (_, i) => i);
  const down = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
  assert.equal(crc32c(zeros), 0x8a9136aa);
  assert.equal(crc32c(ones), 0x62a8ab43);
  assert.equal(crc32c(up), 0x46dd794e);
  assert.equal(crc32c(down), 0x113fdb5c);
});

test("crc32c over [start, end) equals crc32c of that slice, and the bitwise definition", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      const start = a % (bytes.length + 1);
      const end = start + (b % (bytes.length - start + 1));
      const slice = bytes.slice(start, end);
      const expected = crc32cBitwise(slice);
      assert.equal(crc32c(bytes, start, end), expected);
      assert.equal(crc32c(slice), expected);
    }),
    { numRuns: 500 },
  );
});

test("crc32c reads a subarray view from its own offset", () => {
  const buf = new Uint8Array(64);
  buf.set(ascii("123456789"), 13);
  assert.equal(crc32c(buf.subarray(13, 22)), 0xe3069283);
});

test("crc32c refuses a range outside the array", () => {
  const b = new Uint8Array(4);
  assert.throws(() => crc32c(b, 0, 5), RangeError);
  assert.throws(() => crc32c(b, 3, 2), RangeError);
  assert.throws(() => crc32c(b, -1, 2), RangeError);
});
