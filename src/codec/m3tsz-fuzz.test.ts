// Corrupt input: the M3TSZ iterator must never hang, never throw and never
// invent datapoints. Truncated streams give a prefix of the original points
// and then a "truncated" fault; flipped bits and garbage end with a clean stop
// or a StreamCorruptError. Every random choice comes from a seeded generator,
// and failures name the seed, so they reproduce.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { TimeUnit } from "../x/index.js";
import { M3tszEncoder, M3tszIterator, type M3tszOptions, StreamCorruptError } from "./index.js";
import { seededRandom } from "./testing.js";

const KINDS = new Set([
  "truncated",
  "invalid-time-unit",
  "invalid-multiplier",
  "invalid-xor",
  "invalid-annotation",
  "time-out-of-range",
]);

function int(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

interface Stream {
  name: string;
  bytes: Uint8Array;
  options: M3tszOptions;
}

/** The points of a well-formed stream, in columns. */
interface Decoded {
  count: number;
  timeMs: Float64Array;
  nsInMs: Float64Array;
  unit: Uint8Array;
  values: Float64Array;
}

function decodeClean(s: Stream): Decoded {
  const it = new M3tszIterator(s.bytes, s.options);
  const times: number[] = [];
  const ns: number[] = [];
  const units: number[] = [];
  const values = new Float64Array(s.bytes.length * 4 + 1);
  while (it.next()) {
    values[times.length] = it.value;
    times.push(it.timeMs);
    ns.push(it.nsInMs);
    units.push(it.unit);
  }
  assert.equal(it.error, null, `${s.name} must decode cleanly: ${it.error?.message}`);
  return {
    count: times.length,
    timeMs: Float64Array.from(times),
    nsInMs: Float64Array.from(ns),
    unit: Uint8Array.from(units),
    values,
  };
}

// --- the streams --------------------------------------------------------------

const GOLDEN_URL = new URL("../../../src/codec/testdata/m3tsz-golden.json", import.meta.url);
const VECTORS_URL = new URL("../../../src/codec/testdata/m3tsz-vectors.json", import.meta.url);

function goldenStreams(): Stream[] {
  const golden = JSON.parse(readFileSync(GOLDEN_URL, "utf8")) as {
    cases: { name: string; intOptimized: boolean; bytesHex: string }[];
  };
  return golden.cases.map((c) => ({
    name: `golden ${c.name}`,
    bytes: new Uint8Array(Buffer.from(c.bytesHex, "hex")),
    options: { intOptimized: c.intOptimized },
  }));
}

/** M3's ten real streams and its four fixed vectors, from the repository's copy of M3's test data. */
function m3Streams(): Stream[] {
  const v = JSON.parse(readFileSync(VECTORS_URL, "utf8")) as {
    fixed: { name: string; bytesHex: string }[];
    realStreams: { base64: string[] };
  };
  return [
    ...v.realStreams.base64.map((b64, i) => ({
      name: `M3 real stream ${i}`,
      bytes: new Uint8Array(Buffer.from(b64, "base64")),
      options: { intOptimized: true },
    })),
    ...v.fixed.map((f) => ({
      name: `M3 ${f.name}`,
      bytes: new Uint8Array(Buffer.from(f.bytesHex, "hex")),
      options: { intOptimized: false },
    })),
  ];
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** A random but realistic series: counters, gauges, floats, NaNs, repeats, unit changes, annotations. */
function randomStream(seed: number, intOptimized: boolean): Stream {
  const rand = seededRandom(seed);
  const startMs = 1_600_000_000_000 + int(rand, 0, 100_000) * 7_200_000;
  const enc = new M3tszEncoder(startMs, 0, { intOptimized });
  const n = int(rand, 1, 300);
  const mixUnits = rand() < 0.3;
  let tMs = startMs;
  let ns = 0;
  let value = int(rand, 0, 1000);
  for (let i = 0; i < n; i++) {
    const r = rand();
    tMs += r < 0.7 ? 10_000 : r < 0.9 ? int(rand, 1, 60_000) : int(rand, 1, 5 * 86_400_000);
    let unit: TimeUnit = TimeUnit.Millisecond;
    ns = 0;
    if (mixUnits) {
      unit = [TimeUnit.Second, TimeUnit.Millisecond, TimeUnit.Microsecond, TimeUnit.Nanosecond][
        int(rand, 0, 3)
      ];
      if (unit === TimeUnit.Second) tMs = Math.ceil(tMs / 1000) * 1000;
      if (unit === TimeUnit.Microsecond) ns = int(rand, 0, 999) * 1000;
      if (unit === TimeUnit.Nanosecond) ns = int(rand, 0, 999_999);
    }
    const k = rand();
    if (k < 0.3) value += int(rand, 0, 100);
    else if (k < 0.5) value = Math.round(value * 100 + int(rand, -50, 50)) / 100;
    else if (k < 0.6) value = (rand() - 0.5) * 10 ** int(rand, -10, 20);
    else if (k < 0.65) {
      u32[1] = (0x7ff00000 | int(rand, 0, 0xfffff)) >>> 0;
      u32[0] = int(rand, 1, 0xffffffff);
      value = f64[0];
    }
    const ann =
      rand() < 0.05 ? Uint8Array.from({ length: int(rand, 0, 20) }, () => int(rand, 0, 255)) : null;
    enc.append(tMs, value, unit, ns, ann);
  }
  return {
    name: `random stream seed ${seed} (intOptimized ${intOptimized})`,
    bytes: enc.bytes(),
    options: { intOptimized },
  };
}

const streams: Stream[] = [
  ...m3Streams(),
  ...goldenStreams(),
  ...Array.from({ length: 8 }, (_, i) => randomStream(1000 + i, true)),
  ...Array.from({ length: 8 }, (_, i) => randomStream(2000 + i, false)),
];

// --- checks -------------------------------------------------------------------

interface Run {
  points: number;
  error: StreamCorruptError | null;
}

/**
 * Iterates `bytes` to the end, asserting the iterator never throws, stops
 * within a bound, and reports only well-formed points and typed faults.
 * `onPoint` sees each point as it comes.
 */
function runGuarded(
  it: M3tszIterator,
  bytes: Uint8Array,
  what: string,
  onPoint: (i: number) => void = () => {},
): Run {
  it.reset(bytes);
  const bound = bytes.length * 8 + 10;
  let points = 0;
  for (;;) {
    let more: boolean;
    try {
      more = it.next();
    } catch (e) {
      assert.fail(`${what}: next() threw ${e instanceof Error ? `${e.name}: ${e.message}` : e}`);
    }
    if (!more) break;
    assert.ok(
      Number.isSafeInteger(it.timeMs) &&
        Number.isInteger(it.nsInMs) &&
        it.nsInMs >= 0 &&
        it.nsInMs < 1_000_000,
      `${what}: point ${points} has instant ${it.timeMs} ms + ${it.nsInMs} ns`,
    );
    assert.ok(
      it.unit >= TimeUnit.Second && it.unit <= TimeUnit.Nanosecond,
      `${what}: point ${points} has unit ${it.unit}`,
    );
    onPoint(points);
    points++;
    assert.ok(points <= bound, `${what}: still yielding after ${bound} points`);
  }
  assert.ok(
    points <= (bytes.length * 8) / 2,
    `${what}: ${points} points from ${bytes.length} bytes`,
  );
  assert.equal(it.next(), false, `${what}: next() after the end must stay false`);
  const error = it.error;
  if (error !== null) {
    assert.ok(error instanceof StreamCorruptError, `${what}: error is ${error}`);
    assert.equal(error.code, "M3TS_ERR_STREAM_CORRUPT");
    assert.ok(KINDS.has(error.kind), `${what}: unknown fault kind ${error.kind}`);
    assert.ok(
      error.bitOffset >= 0 && error.bitOffset <= bytes.length * 8,
      `${what}: fault at bit ${error.bitOffset} of ${bytes.length * 8}`,
    );
    assert.equal(
      error.datapointIndex,
      points,
      `${what}: fault names datapoint ${error.datapointIndex}`,
    );
  }
  return { points, error };
}

const cmp = new Float64Array(2);
const cmpBits = new Uint32Array(cmp.buffer);

function sameValueBits(a: number, b: number): boolean {
  cmp[0] = a;
  cmp[1] = b;
  return cmpBits[0] === cmpBits[2] && cmpBits[1] === cmpBits[3];
}

test("the corpus holds real, golden and random streams in both value modes", () => {
  assert.ok(streams.length >= 30, `${streams.length} streams`);
  assert.ok(streams.some((s) => s.options.intOptimized === false));
  for (const s of streams) decodeClean(s);
});

test("every truncation yields a prefix of the original points, then a truncated fault", () => {
  for (const s of streams) {
    const original = decodeClean(s);
    const it = new M3tszIterator(null, s.options);
    for (let len = 0; len < s.bytes.length; len++) {
      const what = `${s.name} cut to ${len} of ${s.bytes.length} bytes`;
      const run = runGuarded(it, s.bytes.subarray(0, len), what, (i) => {
        if (
          i >= original.count ||
          it.timeMs !== original.timeMs[i] ||
          it.nsInMs !== original.nsInMs[i] ||
          it.unit !== original.unit[i] ||
          !sameValueBits(it.value, original.values[i])
        ) {
          assert.fail(
            `${what}: point ${i} (${it.timeMs} ms + ${it.nsInMs} ns, unit ${it.unit}, ` +
              `value ${it.value}) is not the original point ${i}` +
              (i < original.count
                ? ` (${original.timeMs[i]} ms + ${original.nsInMs[i]} ns, unit ${original.unit[i]}, value ${original.values[i]})`
                : ", which does not exist"),
          );
        }
      });
      if (len === 0) {
        // No bytes at all is the empty stream: no points, no fault.
        assert.equal(run.points, 0);
        assert.equal(run.error, null, `${what}: ${run.error?.message}`);
        continue;
      }
      assert.ok(run.points <= original.count, `${what}: ${run.points} points`);
      assert.notEqual(run.error, null, `${what}: ended without a fault after ${run.points} points`);
      assert.equal(run.error?.kind, "truncated", `${what}: ${run.error?.message}`);
    }
  }
});

type Mutation = (bytes: Uint8Array, rand: () => number) => [Uint8Array, string];

const mutations: Mutation[] = [
  (b, rand) => {
    const out = b.slice();
    const bit = int(rand, 0, out.length * 8 - 1);
    out[bit >>> 3] ^= 0x80 >>> (bit & 7);
    return [out, `bit ${bit} flipped`];
  },
  (b, rand) => {
    const out = b.slice();
    const bits: number[] = [];
    for (let k = int(rand, 2, 8); k > 0; k--) {
      const bit = int(rand, 0, out.length * 8 - 1);
      out[bit >>> 3] ^= 0x80 >>> (bit & 7);
      bits.push(bit);
    }
    return [out, `bits ${bits.join(",")} flipped`];
  },
  (b, rand) => {
    // Only flips after the 64-bit header, where the decoding state lives.
    const out = b.slice();
    if (out.length <= 8) return [out, "unchanged"];
    const bit = int(rand, 64, out.length * 8 - 1);
    out[bit >>> 3] ^= 0x80 >>> (bit & 7);
    return [out, `bit ${bit} flipped`];
  },
  (b, rand) => {
    const out = b.slice();
    const at = int(rand, 0, out.length - 1);
    out[at] = int(rand, 0, 255);
    return [out, `byte ${at} set to ${out[at]}`];
  },
  (b, rand) => {
    const at = int(rand, 0, b.length - 1);
    const out = new Uint8Array(b.length - 1);
    out.set(b.subarray(0, at));
    out.set(b.subarray(at + 1), at);
    return [out, `byte ${at} deleted`];
  },
  (b, rand) => {
    const at = int(rand, 8, Math.max(8, b.length));
    const garbage = Uint8Array.from({ length: int(rand, 1, 64) }, () => int(rand, 0, 255));
    const out = new Uint8Array(Math.min(at, b.length) + garbage.length);
    out.set(b.subarray(0, at));
    out.set(garbage, Math.min(at, b.length));
    return [out, `garbage from byte ${at}`];
  },
];

test("flipped bits, changed and deleted bytes and garbage tails end cleanly or with a typed fault", () => {
  const runsPerMutation = 30;
  for (const [si, s] of streams.entries()) {
    const it = new M3tszIterator(null, s.options);
    mutations.forEach((mutate, mi) => {
      for (let r = 0; r < runsPerMutation; r++) {
        const seed = si * 100_000 + mi * 1000 + r;
        const [bytes, change] = mutate(s.bytes, seededRandom(seed));
        runGuarded(it, bytes, `${s.name}, seed ${seed}: ${change}`);
      }
    });
  }
});

test("random garbage, with or without a valid header, ends cleanly or with a typed fault", () => {
  const header = streams[0].bytes.subarray(0, 8);
  for (let seed = 0; seed < 3000; seed++) {
    const rand = seededRandom(seed);
    const len = int(rand, 0, 200);
    const bytes = Uint8Array.from({ length: len }, () => int(rand, 0, 255));
    if (seed % 2 === 0 && len >= 8) bytes.set(header);
    // Sparse garbage (mostly zero bits) reaches deeper states than uniform bytes.
    if (seed % 3 === 0)
      for (let i = 8; i < len; i++) bytes[i] &= int(rand, 0, 255) & int(rand, 0, 255);
    for (const options of [
      { intOptimized: true },
      { intOptimized: false },
      { defaultUnit: TimeUnit.Nanosecond },
    ]) {
      runGuarded(
        new M3tszIterator(null, options),
        bytes,
        `garbage seed ${seed} ${JSON.stringify(options)}`,
      );
    }
  }
});
