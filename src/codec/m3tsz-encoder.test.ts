// The M3TSZ encoder's contract: which datapoints it refuses and how (typed
// errors that leave the stream untouched), append ordering, annotations,
// and the empty stream.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_INT64_NS_MS, TimeUnit, unitName } from "../x/index.js";
import {
  InvalidDatapointError,
  M3tszEncoder,
  M3tszIterator,
  type M3tszOptions,
  OutOfOrderError,
} from "./index.js";

// A 2 h block start, as storage uses: 2023-11-14T20:00:00Z.
const START_MS = 1_699_992_000_000;
const DAY_MS = 86_400_000;

interface Seen {
  timeMs: number;
  nsInMs: number;
  unit: number;
  value: number;
  annotation: number[] | null;
  annotationChanged: boolean;
}

function decode(bytes: Uint8Array, options: M3tszOptions = {}): Seen[] {
  const it = new M3tszIterator(bytes, options);
  const out: Seen[] = [];
  while (it.next()) {
    out.push({
      timeMs: it.timeMs,
      nsInMs: it.nsInMs,
      unit: it.unit,
      value: it.value,
      annotation: it.annotation === null ? null : Array.from(it.annotation),
      annotationChanged: it.annotationChanged,
    });
  }
  assert.equal(it.error, null, `stream should decode cleanly: ${it.error?.message}`);
  return out;
}

function seen(
  timeMs: number,
  value: number,
  unit: number = TimeUnit.Millisecond,
  nsInMs = 0,
  annotation: number[] | null = null,
  annotationChanged = false,
): Seen {
  return { timeMs, nsInMs, unit, value, annotation, annotationChanged };
}

/** An encoder holding three ordinary datapoints, 10 s apart. */
function encoderWithThree(options: M3tszOptions = {}): M3tszEncoder {
  const enc = new M3tszEncoder(START_MS, 0, options);
  enc.append(START_MS + 10_000, 1.5, TimeUnit.Millisecond, 0, Uint8Array.of(7));
  enc.append(START_MS + 20_000, 2.5);
  enc.append(START_MS + 30_000, 4);
  return enc;
}

/**
 * Runs `bad` against an encoder (empty, or holding three points, then
 * `prepare`d), checks it throws the expected error, that the stream and the
 * encoder's state are exactly as before, and that later datapoints are written
 * as if the bad call never happened.
 */
function assertRefusedWithoutTrace(
  bad: (enc: M3tszEncoder) => void,
  check: (e: unknown) => boolean,
  options: M3tszOptions = {},
  prepare: (enc: M3tszEncoder) => void = () => {},
): void {
  for (const withPoints of [false, true]) {
    const fresh = () => {
      const e = withPoints ? encoderWithThree(options) : new M3tszEncoder(START_MS, 0, options);
      prepare(e);
      return e;
    };
    const enc = fresh();
    const control = fresh();
    const before = enc.bytes();
    const state = [enc.length, enc.byteLength, enc.lastTimeMs, enc.lastNsInMs];
    assert.throws(() => bad(enc), check);
    assert.deepEqual(enc.bytes(), before, "the stream must not change");
    assert.deepEqual([enc.length, enc.byteLength, enc.lastTimeMs, enc.lastNsInMs], state);
    // Later datapoints (same unit, new unit, new annotation) go on as if nothing happened.
    const base = enc.length === 0 ? START_MS : enc.lastTimeMs;
    for (const e of [enc, control]) {
      e.append(base + 10_000, 5);
      e.append(base + 20_000, 6.25, TimeUnit.Second, 0, Uint8Array.of(7));
      e.append(base + 20_000, 7, TimeUnit.Nanosecond, 1);
    }
    assert.deepEqual(enc.bytes(), control.bytes());
    const points = decode(enc.bytes(), options);
    assert.equal(points.length, control.length);
    assert.deepEqual(
      points[points.length - 1],
      seen(base + 20_000, 7, TimeUnit.Nanosecond, 1, [7]),
    );
  }
}

function invalid(field: string, ...mentions: string[]): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof InvalidDatapointError, `expected InvalidDatapointError, got ${e}`);
    assert.equal(e.code, "M3TS_ERR_INVALID_DATAPOINT");
    assert.equal(e.field, field);
    for (const m of mentions)
      assert.ok(e.message.includes(m), `"${e.message}" should mention ${m}`);
    return true;
  };
}

test("encode refuses time units that have no timestamp scheme (none, m, h, d, y and non-units)", () => {
  for (const unit of [
    TimeUnit.None,
    TimeUnit.Minute,
    TimeUnit.Hour,
    TimeUnit.Day,
    TimeUnit.Year,
    9,
    255,
    -1,
  ]) {
    assertRefusedWithoutTrace(
      (enc) => enc.encode(START_MS + 60_000, 1, unit as TimeUnit),
      invalid("unit", unitName(unit)),
    );
    assertRefusedWithoutTrace(
      (enc) => enc.append(START_MS + 3_600_000, 1, unit as TimeUnit),
      invalid("unit", unitName(unit)),
    );
  }
});

test("encode refuses a unit that is not an integer, such as 1.5 from an untyped caller", () => {
  for (const unit of [1.5, 3.25, Number.NaN]) {
    assertRefusedWithoutTrace(
      (enc) => enc.encode(START_MS + 60_000, 1, unit as TimeUnit),
      invalid("unit", unitName(unit)),
    );
  }
});

test("encode refuses an instant that is not a whole number of its unit", () => {
  const cases: [number, number, TimeUnit][] = [
    [START_MS + 1500, 0, TimeUnit.Second],
    [START_MS + 1000, 1, TimeUnit.Second],
    [START_MS + 1, 0, TimeUnit.Second],
    [START_MS + 1000, 1, TimeUnit.Millisecond],
    [START_MS + 1000, 999_999, TimeUnit.Millisecond],
    [START_MS + 1000, 1500, TimeUnit.Microsecond],
    [START_MS + 1000, 1, TimeUnit.Microsecond],
  ];
  for (const [timeMs, nsInMs, unit] of cases) {
    assertRefusedWithoutTrace(
      (enc) => enc.encode(timeMs, 1, unit, nsInMs, Uint8Array.of(9)),
      invalid("time", String(timeMs)),
    );
  }
});

test("encode refuses timestamps that are not integer ms plus 0..999999 ns", () => {
  const cases: [number, number][] = [
    [START_MS + 1000.5, 0],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
    [Number.NEGATIVE_INFINITY, 0],
    [START_MS + 1000, -1],
    [START_MS + 1000, 1_000_000],
    [START_MS + 1000, 0.5],
    [START_MS + 1000, Number.NaN],
  ];
  for (const [timeMs, nsInMs] of cases) {
    assertRefusedWithoutTrace(
      (enc) => enc.encode(timeMs, 1, TimeUnit.Nanosecond, nsInMs),
      invalid("time", String(timeMs), String(nsInMs)),
    );
  }
});

test("encode refuses instants outside 64-bit epoch nanoseconds (after 2262-04-11, before 1677-09-21)", () => {
  for (const timeMs of [MAX_INT64_NS_MS + 1000, -MAX_INT64_NS_MS - 1000, 2 ** 53]) {
    assertRefusedWithoutTrace(
      (enc) => enc.encode(timeMs, 1, TimeUnit.Millisecond),
      invalid("time", String(timeMs)),
    );
  }
});

test("the first and last nanoseconds of the int64 range can be written, and not one beyond", () => {
  // 2262-04-11T23:47:16.854775807Z and 1677-09-21T00:12:43.145224192Z.
  const lastMs = MAX_INT64_NS_MS;
  const firstMs = -MAX_INT64_NS_MS - 1;
  const late = new M3tszEncoder(lastMs - 7_200_000);
  late.append(lastMs - 10_000, 1, TimeUnit.Millisecond);
  late.append(lastMs, 2, TimeUnit.Nanosecond, 775_807);
  assert.deepEqual(
    decode(late.bytes()).map((p) => [p.timeMs, p.nsInMs]),
    [
      [lastMs - 10_000, 0],
      [lastMs, 775_807],
    ],
  );
  const early = new M3tszEncoder(firstMs, 224_192);
  early.append(firstMs, 1, TimeUnit.Nanosecond, 224_192);
  early.append(firstMs + 10_000, 2, TimeUnit.Millisecond);
  assert.deepEqual(
    decode(early.bytes()).map((p) => [p.timeMs, p.nsInMs]),
    [
      [firstMs, 224_192],
      [firstMs + 10_000, 0],
    ],
  );
  assert.throws(
    () => new M3tszEncoder(lastMs - 7_200_000).encode(lastMs, 1, TimeUnit.Nanosecond, 775_808),
    invalid("time", String(lastMs)),
  );
  assert.throws(
    () => new M3tszEncoder(firstMs + 1).encode(firstMs, 1, TimeUnit.Nanosecond, 224_191),
    invalid("time", String(firstMs)),
  );
});

test("a second- or millisecond-unit delta-of-delta beyond int32 units is refused", () => {
  // Millisecond unit: a jump of more than 2^31 ms (24.8 days) after a 10 s delta.
  const tenSecondsApart = (enc: M3tszEncoder) => {
    const t = enc.length === 0 ? START_MS : enc.lastTimeMs;
    enc.append(t + 60_000, 1, TimeUnit.Millisecond);
    enc.append(t + 70_000, 1, TimeUnit.Millisecond);
  };
  let attempted = 0;
  assertRefusedWithoutTrace(
    (enc) => {
      attempted = enc.lastTimeMs + 25 * DAY_MS;
      enc.append(attempted, 1, TimeUnit.Millisecond);
    },
    (e) => invalid("time", String(attempted))(e),
    {},
    tenSecondsApart,
  );
  // With the default unit ms and the unit unchanged, the first delta counts too.
  assertRefusedWithoutTrace(
    (enc) => enc.encode(START_MS + 25 * DAY_MS, 1, TimeUnit.Millisecond),
    invalid("time", String(START_MS + 25 * DAY_MS)),
    { defaultUnit: TimeUnit.Millisecond },
  );
  // Second unit: a jump of more than 2^31 s (68 years). (Right after a unit
  // change the delta-of-delta is raw 64-bit ns, so the unit is set first.)
  assertRefusedWithoutTrace(
    (enc) => enc.encode(START_MS + 70 * 365 * DAY_MS, 1, TimeUnit.Second),
    invalid("time", String(START_MS + 70 * 365 * DAY_MS)),
    {},
    (enc) => enc.append(START_MS + 40_000, 1, TimeUnit.Second),
  );
});

test("delta-of-deltas just inside int32 units are written", () => {
  const enc = new M3tszEncoder(START_MS);
  const year = 365 * DAY_MS;
  const times: [number, number, TimeUnit][] = [
    [START_MS + 60_000, 0, TimeUnit.Millisecond],
    [START_MS + 70_000, 0, TimeUnit.Millisecond],
    [START_MS + 70_000 + 24 * DAY_MS, 0, TimeUnit.Millisecond],
    [START_MS + 50 * year, 0, TimeUnit.Second],
    [START_MS + 110 * year, 0, TimeUnit.Second], // 60 years in s: 1.89e9 < 2^31
    [START_MS + 110 * year + 10 * DAY_MS, 1, TimeUnit.Nanosecond],
  ];
  times.forEach(([t, ns, unit], i) => {
    enc.append(t, i, unit, ns);
  });
  assert.deepEqual(
    decode(enc.bytes()).map((p) => [p.timeMs, p.nsInMs, p.unit]),
    times,
  );
});

test("append refuses an instant equal to the last one with OutOfOrderError naming both", () => {
  assertRefusedWithoutTrace(
    (enc) => enc.append(START_MS + 35_000, 2),
    (e) => {
      assert.ok(e instanceof OutOfOrderError);
      assert.equal(e.code, "M3TS_ERR_OUT_OF_ORDER");
      assert.deepEqual(
        [e.timeMs, e.nsInMs, e.lastTimeMs, e.lastNsInMs],
        [START_MS + 35_000, 0, START_MS + 35_000, 0],
      );
      assert.ok(e.message.includes(String(START_MS + 35_000)));
      return true;
    },
    {},
    (enc) => enc.append(START_MS + 35_000, 1),
  );
});

test("append refuses earlier instants, to the nanosecond, and leaves the stream as it was", () => {
  const enc = new M3tszEncoder(START_MS);
  enc.append(START_MS + 10_000, 1, TimeUnit.Nanosecond, 500);
  const before = enc.bytes();
  const earlier: [number, number][] = [
    [START_MS + 10_000, 500],
    [START_MS + 10_000, 499],
    [START_MS + 9_999, 999_999],
    [START_MS, 0],
    [START_MS - DAY_MS, 0],
  ];
  for (const [timeMs, nsInMs] of earlier) {
    assert.throws(
      () => enc.append(timeMs, 2, TimeUnit.Nanosecond, nsInMs),
      (e) => {
        assert.ok(e instanceof OutOfOrderError);
        assert.deepEqual(
          [e.timeMs, e.nsInMs, e.lastTimeMs, e.lastNsInMs],
          [timeMs, nsInMs, START_MS + 10_000, 500],
        );
        assert.ok(e.message.includes(String(timeMs)));
        return true;
      },
    );
    assert.deepEqual(enc.bytes(), before);
    assert.equal(enc.length, 1);
  }
  enc.append(START_MS + 10_000, 3, TimeUnit.Nanosecond, 501);
  assert.deepEqual(
    decode(enc.bytes()).map((p) => [p.timeMs, p.nsInMs, p.value]),
    [
      [START_MS + 10_000, 500, 1],
      [START_MS + 10_000, 501, 3],
    ],
  );
});

test("encode accepts equal and earlier instants, even before the block start", () => {
  const enc = new M3tszEncoder(START_MS);
  enc.encode(START_MS + 20_000, 1);
  enc.encode(START_MS + 20_000, 2);
  enc.encode(START_MS + 5_000, 3);
  enc.encode(START_MS - 60_000, 4, TimeUnit.Second);
  assert.deepEqual(
    decode(enc.bytes()).map((p) => [p.timeMs, p.value]),
    [
      [START_MS + 20_000, 1],
      [START_MS + 20_000, 2],
      [START_MS + 5_000, 3],
      [START_MS - 60_000, 4],
    ],
  );
});

test("length, lastTimeMs and lastNsInMs follow the last datapoint written", () => {
  const enc = new M3tszEncoder(START_MS, 0);
  assert.equal(enc.length, 0);
  assert.equal(enc.blockStartMs, START_MS);
  enc.append(START_MS + 1000, 1);
  assert.deepEqual([enc.length, enc.lastTimeMs, enc.lastNsInMs], [1, START_MS + 1000, 0]);
  enc.append(START_MS + 2000, 1, TimeUnit.Nanosecond, 42);
  assert.deepEqual([enc.length, enc.lastTimeMs, enc.lastNsInMs], [2, START_MS + 2000, 42]);
  enc.encode(START_MS + 500, 1);
  assert.deepEqual([enc.length, enc.lastTimeMs, enc.lastNsInMs], [3, START_MS + 500, 0]);
  enc.reset(START_MS + 7_200_000);
  assert.deepEqual([enc.length, enc.blockStartMs, enc.byteLength], [0, START_MS + 7_200_000, 0]);
});

test("an encoder with no datapoints gives an empty stream, which decodes to nothing without error", () => {
  const enc = new M3tszEncoder(START_MS, 123, { intOptimized: false });
  assert.equal(enc.byteLength, 0);
  assert.deepEqual(enc.bytes(), new Uint8Array(0));
  const dst = new Uint8Array(4).fill(0xee);
  assert.equal(enc.copyTo(dst, 1), 0);
  assert.deepEqual(dst, new Uint8Array(4).fill(0xee));
  for (const it of [new M3tszIterator(new Uint8Array(0)), new M3tszIterator()]) {
    assert.equal(it.next(), false);
    assert.equal(it.error, null);
    assert.equal(it.count, 0);
    assert.equal(it.next(), false);
  }
});

test("bytes() returns a copy: changing it does not change the encoder's stream", () => {
  const enc = encoderWithThree();
  const a = enc.bytes();
  const copy = a.slice();
  a.fill(0);
  assert.deepEqual(enc.bytes(), copy);
  assert.equal(decode(enc.bytes()).length, 3);
});

test("an annotation is written only when non-empty and different from the last one written", () => {
  const A = Uint8Array.of(1, 2, 3);
  const B = Uint8Array.of(4);
  const enc = new M3tszEncoder(START_MS);
  const plain = new M3tszEncoder(START_MS);
  const anns = [null, A, Uint8Array.of(1, 2, 3), new Uint8Array(0), null, A, B, A, B, B];
  anns.forEach((ann, i) => {
    enc.append(START_MS + (i + 1) * 10_000, i, TimeUnit.Millisecond, 0, ann);
    plain.append(START_MS + (i + 1) * 10_000, i);
  });
  assert.deepEqual(
    decode(enc.bytes()).map((p) => [p.annotation, p.annotationChanged]),
    [
      [null, false],
      [[1, 2, 3], true],
      [[1, 2, 3], false], // same bytes: not written again
      [[1, 2, 3], false], // empty: writes nothing and does not clear
      [[1, 2, 3], false], // null: same
      [[1, 2, 3], false],
      [[4], true],
      [[1, 2, 3], true],
      [[4], true],
      [[4], false],
    ],
  );
  // Annotations not written cost nothing: the stream is the one written with
  // only the four changes.
  assert.ok(enc.byteLength > plain.byteLength);
  const written = new M3tszEncoder(START_MS);
  [null, A, null, null, null, null, B, A, B, null].forEach((ann, i) => {
    written.append(START_MS + (i + 1) * 10_000, i, TimeUnit.Millisecond, 0, ann);
  });
  assert.deepEqual(enc.bytes(), written.bytes());
});

test("the encoder compares annotations by content, so a caller may reuse its buffer", () => {
  const buf = Uint8Array.of(1);
  const enc = new M3tszEncoder(START_MS);
  enc.append(START_MS + 10_000, 1, TimeUnit.Millisecond, 0, buf);
  buf[0] = 2;
  enc.append(START_MS + 20_000, 1, TimeUnit.Millisecond, 0, buf);
  buf[0] = 2;
  enc.append(START_MS + 30_000, 1, TimeUnit.Millisecond, 0, buf);
  assert.deepEqual(
    decode(enc.bytes()).map((p) => [p.annotation, p.annotationChanged]),
    [
      [[1], true],
      [[2], true],
      [[2], false],
    ],
  );
});

test("annotations of any length round-trip, including lengths needing a multi-byte varint", () => {
  for (const len of [1, 63, 64, 65, 127, 128, 300, 70_000]) {
    const ann = new Uint8Array(len).map((_, i) => (i * 31 + len) & 0xff);
    for (const intOptimized of [true, false]) {
      const enc = new M3tszEncoder(START_MS, 0, { intOptimized });
      enc.append(START_MS + 10_000, 1, TimeUnit.Millisecond, 0, ann);
      enc.append(START_MS + 20_000, 2, TimeUnit.Second, 0, Uint8Array.of(0));
      const points = decode(enc.bytes(), { intOptimized });
      assert.equal(points.length, 2);
      assert.deepEqual(points[0].annotation, Array.from(ann), `annotation of ${len} bytes`);
      assert.deepEqual([points[1].annotation, points[1].value], [[0], 2]);
    }
  }
});

test("special floats round-trip bit for bit in both value modes", () => {
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const patterns: [number, number][] = [
    [0x7ff00000, 2], // Prometheus's stale marker
    [0x7ff80000, 0],
    [0xfff80000, 1],
    [0x7ff00000, 0], // +Inf
    [0xfff00000, 0], // -Inf
    [0x80000000, 0], // -0
    [0, 0],
    [0, 1], // Number.MIN_VALUE
    [0x000fffff, 0xffffffff], // largest subnormal
    [0x7fefffff, 0xffffffff], // Number.MAX_VALUE
    [0x43400000, 1], // 2^53 + 2
    [0x3fd33333, 0x33333334], // 0.1 + 0.2
  ];
  for (const intOptimized of [true, false]) {
    const enc = new M3tszEncoder(START_MS, 0, { intOptimized });
    patterns.forEach(([hi, lo], i) => {
      u32[1] = hi;
      u32[0] = lo;
      enc.append(START_MS + (i + 1) * 1000, f64[0]);
    });
    const it = new M3tszIterator(enc.bytes(), { intOptimized });
    const got: [number, number][] = [];
    while (it.next()) {
      f64[0] = it.value;
      got.push([u32[1], u32[0]]);
    }
    assert.equal(it.error, null);
    assert.deepEqual(got, patterns, `intOptimized ${intOptimized}`);
  }
});
