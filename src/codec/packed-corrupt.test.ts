// Malformed packed blocks: every truncation, flipped bytes at every offset and
// random garbage either decode to some points or throw PackedCorruptError,
// never another error, an out-of-range read or a hang, and PackedIterator
// turns the fault into its `error` field.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  inspectPacked,
  MAX_PACKED_POINTS,
  PackedCorruptError,
  PackedIterator,
  packedCount,
  packSeries,
  TimeMode,
  ValueMode,
} from "./index.js";

const START_MS = 1_699_999_200_000;
const STALE_NAN_HI = 0x7ff00000;

/** Blocks in every time and value mode, so each decoder path meets bad bytes. */
function sampleBlocks(): Uint8Array[] {
  const n = 90;
  const t = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  const regular = t((i) => START_MS + i * 10_000);
  const sparse = t((i) => START_MS + i * 10_000 + (i % 17 === 3 ? 4 : 0));
  let seed = 5;
  const dense = t((i) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return START_MS + i * 10_000 + (seed % 60);
  });
  const dod = t((i) => -1_000_000 + i * i * 3 + (i % 5));
  const constant = t(() => 42);
  const step = t((i) => (100 + i * 3) / 10);
  const gauge = t((i) => Math.round(Math.sin(i) * 10_000) / 100);
  const counter = t((i) => 1e6 + i * i * 17 + (i % 3));
  const floats = t((i) => Math.sin(i) * Math.PI);
  const withStale = gauge.slice();
  new Uint32Array(withStale.buffer).set([2, STALE_NAN_HI], 2 * 40);
  const blocks = [
    packSeries(regular, constant, n),
    packSeries(sparse, step, n),
    packSeries(dense, gauge, n),
    packSeries(dod, counter, n),
    packSeries(regular, floats, n),
    packSeries(sparse, withStale, n),
    packSeries(Float64Array.of(-5), Float64Array.of(0.5), 1),
  ];
  const layouts = blocks.map(inspectPacked);
  // The samples cover every mode; if the encoder's choices move, fix the samples.
  for (const mode of Object.values(TimeMode)) {
    assert.ok(
      layouts.some((l) => l.timeMode === mode),
      `no sample in time mode ${mode}`,
    );
  }
  for (const mode of Object.values(ValueMode)) {
    assert.ok(
      layouts.some((l) => l.valueMode === mode),
      `no sample in value mode ${mode}`,
    );
  }
  assert.ok(layouts.some((l) => l.exceptions > 0));
  return blocks;
}

/** Decodes through a fresh iterator; returns the points read or the fault. */
function decode(bytes: Uint8Array): number | PackedCorruptError {
  const it = new PackedIterator();
  it.reset(bytes);
  let n = 0;
  while (it.next()) {
    n++;
    assert.ok(n <= MAX_PACKED_POINTS);
  }
  if (it.error !== null) {
    assert.equal(n, 0, "a corrupt block yields no points");
    return it.error;
  }
  return n;
}

test("every truncation of every sample block throws PackedCorruptError", () => {
  for (const block of sampleBlocks()) {
    for (let len = 0; len < block.length; len++) {
      const result = decode(block.subarray(0, len));
      assert.ok(result instanceof PackedCorruptError, `length ${len} of ${block.length}`);
      assert.ok(
        result.kind === "truncated" || result.kind === "invalid-count",
        `${result.kind} at length ${len}: ${result.message}`,
      );
    }
  }
});

test("a trailing byte after a whole block is corrupt", () => {
  for (const block of sampleBlocks()) {
    const longer = new Uint8Array(block.length + 1);
    longer.set(block);
    const result = decode(longer);
    assert.ok(result instanceof PackedCorruptError);
    assert.equal(result.kind, "trailing-bytes");
  }
});

test("flipped bytes at every offset decode or throw PackedCorruptError, nothing else", () => {
  let detected = 0;
  let total = 0;
  for (const block of sampleBlocks()) {
    for (let at = 0; at < block.length; at++) {
      for (const mask of [0x01, 0x40, 0x80, 0xff]) {
        const bad = block.slice();
        bad[at] ^= mask;
        const result = decode(bad);
        total++;
        if (result instanceof PackedCorruptError) detected++;
        else assert.ok(Number.isInteger(result) && result >= 1);
      }
    }
  }
  // Flips in raw value bytes cannot be seen here (the volume's checksum sees
  // them); flips in the structure mostly can.
  assert.ok(detected > 0 && detected < total, `${detected} of ${total} detected`);
});

test("random mutations and garbage never throw anything but PackedCorruptError", () => {
  const blocks = sampleBlocks();
  fc.assert(
    fc.property(
      fc.nat(blocks.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }),
      (which, edits) => {
        const bad = blocks[which].slice();
        for (const [at, byte] of edits) bad[at % bad.length] = byte;
        decode(bad);
      },
    ),
    { seed: 16, numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      decode(bytes);
    }),
    { seed: 16, numRuns: 2000 },
  );
});

test("faults name their kind and offset", () => {
  const cases: [number[], string, RegExp][] = [
    [[], "truncated", /empty block/],
    [[0x40, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], "invalid-mode", /mode byte 0x40/],
    [[0x0c, 1, 0], "invalid-mode", /mode byte 0xc/],
    [[0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], "invalid-mode", /mode byte 0x10/],
    [[0, 0], "invalid-count", /point count 0/],
    [[0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80], "invalid-varint", /longer than 8/],
    [[0, 2, 0, 0], "invalid-time", /step 0/],
    [[4, 2, 0, 2, 50, 0, 0], "invalid-exponent", /exponent 50/],
    [[4, 2, 0, 2, 0, 0, 0, 3], "invalid-exception", /3 exceptions in a block of 2/],
    [[0x14, 3, 0, 2, 0, 0, 0, 8], "invalid-width", /plane width 8/],
    [[0x14, 3, 0, 2, 0, 0, 0, 2, 1, 2, 3], "truncated", /3 bytes left for 2 planes of 2 bytes/],
  ];
  for (const [bytes, kind, message] of cases) {
    const result = decode(Uint8Array.from(bytes));
    assert.ok(result instanceof PackedCorruptError, `${bytes}`);
    assert.equal(result.kind, kind, result.message);
    assert.match(result.message, message);
    assert.equal(result.code, "M3TS_ERR_PACKED_CORRUPT");
  }
  assert.throws(() => packedCount(Uint8Array.of(0, 0x80)), PackedCorruptError);
});
