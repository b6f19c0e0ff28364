// MurmurHash3 x86_32 against M3's reference vectors and against a slow,
// plainly written BigInt version of the algorithm.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { murmur3_32 } from "./index.js";

const utf8 = new TextEncoder();
const MASK32 = 0xffffffffn;

/** Multiplication mod 2^32, spelled out. */
function mul32(a: bigint, b: bigint): bigint {
  return (a * b) & MASK32;
}

/** Rotation left of a 32-bit value, spelled out. */
function rotl32(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (32n - r))) & MASK32;
}

/** The algorithm step by step as its description reads, in BigInt. */
function slowMurmur3(data: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51n;
  const c2 = 0x1b873593n;
  let h = BigInt(seed >>> 0);
  const fullBlocks = Math.floor(data.length / 4);
  for (let block = 0; block < fullBlocks; block++) {
    let k = 0n;
    for (let byte = 3; byte >= 0; byte--) {
      k = (k << 8n) | BigInt(data[block * 4 + byte]);
    }
    k = mul32(k, c1);
    k = rotl32(k, 15n);
    k = mul32(k, c2);
    h ^= k;
    h = rotl32(h, 13n);
    h = (mul32(h, 5n) + 0xe6546b64n) & MASK32;
  }
  const tailStart = fullBlocks * 4;
  const tailLength = data.length - tailStart;
  if (tailLength > 0) {
    let k = 0n;
    for (let byte = tailLength - 1; byte >= 0; byte--) {
      k = (k << 8n) | BigInt(data[tailStart + byte]);
    }
    k = mul32(k, c1);
    k = rotl32(k, 15n);
    k = mul32(k, c2);
    h ^= k;
  }
  h ^= BigInt(data.length) & MASK32;
  h ^= h >> 16n;
  h = mul32(h, 0x85ebca6bn);
  h ^= h >> 13n;
  h = mul32(h, 0xc2b2ae35n);
  h ^= h >> 16n;
  return Number(h);
}

test("murmur3_32 matches M3's reference vectors (stackmurmur3 testdata, seed 0)", () => {
  const vectors: [string, number][] = [
    ["", 0x00000000],
    ["hello", 0x248bfa47],
    ["hello, world", 0x149bbb7f],
    ["The quick brown fox jumps over the lazy dog.", 0xd5c48bfc],
  ];
  for (const [text, expected] of vectors) {
    assert.equal(murmur3_32(utf8.encode(text)), expected, `for ${JSON.stringify(text)}`);
    assert.equal(murmur3_32(utf8.encode(text), 0), expected);
  }
});

test("murmur3_32 matches widely published seeded vectors", () => {
  const vectors: [Uint8Array, number, number][] = [
    [new Uint8Array(0), 1, 0x514e28b7],
    [new Uint8Array(0), 0xffffffff, 0x81f16f39],
    [new Uint8Array(4), 0, 0x2362f9de],
    [utf8.encode("aaaa"), 0x9747b28c, 0x5a97808a],
    [utf8.encode("Hello, world!"), 0x9747b28c, 0x24884cba],
    [utf8.encode("The quick brown fox jumps over the lazy dog"), 0x9747b28c, 0x2fa826cd],
  ];
  for (const [bytes, seed, expected] of vectors) {
    assert.equal(murmur3_32(bytes, seed), expected, `for ${bytes.length} bytes, seed ${seed}`);
    assert.equal(slowMurmur3(bytes, seed), expected, "the slow version agrees");
  }
});

test("murmur3_32 handles every tail length 0..3 after 0, 1 and 2 full blocks", () => {
  for (let length = 0; length <= 11; length++) {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = 0xf0 ^ (i * 37);
    for (const seed of [0, 1, 0x9747b28c, 0xffffffff]) {
      assert.equal(murmur3_32(bytes, seed), slowMurmur3(bytes, seed), `length ${length}`);
    }
  }
});

test("murmur3_32 returns an unsigned 32-bit integer", () => {
  // "hello" with seed 1 has the top bit set; check it is not returned negative.
  for (const text of ["", "a", "ab", "abc", "abcd", "hello"]) {
    for (const seed of [0, 1, 42, 0x80000000, 0xffffffff]) {
      const h = murmur3_32(utf8.encode(text), seed);
      assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff, `${h}`);
    }
  }
});

test("murmur3_32 agrees with the slow version on random bytes and seeds", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (bytes, seed) => {
        assert.equal(murmur3_32(bytes, seed), slowMurmur3(bytes, seed));
      },
    ),
    { seed: 42, includeErrorInReport: true, numRuns: 500 },
  );
});

test("murmur3_32 reads only the view it is given, not the whole underlying buffer", () => {
  const backing = utf8.encode("xxhelloxx");
  assert.equal(murmur3_32(backing.subarray(2, 7)), 0x248bfa47);
});
