// Remote write 2.0 decoding: round trips through the test encoder against the 1.0 decoding of
// the same series, hand-built wire bytes for every rule of the format, and fuzzing.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { encodeWriteRequest, type TestSeries } from "./request-encoder.js";
import {
  decodeWriteRequest,
  WriteRequestColumns,
  WriteRequestFormatError,
} from "./write-request.js";
import { decodeWriteRequestV2 } from "./write-request-v2.js";

const text = new TextDecoder();
const utf8 = new TextEncoder();

/** Prometheus's stale marker: a NaN with payload 2. */
const STALE_BITS = 0x7ff0000000000002n;

function fromBits(bits: bigint): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setBigUint64(0, bits);
  return v.getFloat64(0);
}

function bitsOf(v: number): bigint {
  const d = new DataView(new ArrayBuffer(8));
  d.setFloat64(0, v);
  return d.getBigUint64(0);
}

interface Decoded {
  labels: [string, string][];
  timesMs: number[];
  /** Values as their 64 bits, so NaN payloads and -0 compare exactly. */
  valueBits: bigint[];
}

function readBack(body: Uint8Array, cols: WriteRequestColumns): Decoded[] {
  const out: Decoded[] = [];
  for (let s = 0; s < cols.series; s++) {
    const labels: [string, string][] = [];
    for (let l = cols.labelStart[s]; l < cols.labelStart[s] + cols.labelCount[s]; l++) {
      labels.push([
        text.decode(body.subarray(cols.nameAt[l], cols.nameAt[l] + cols.nameLen[l])),
        text.decode(body.subarray(cols.valueAt[l], cols.valueAt[l] + cols.valueLen[l])),
      ]);
    }
    const first = cols.sampleStart[s];
    const n = cols.sampleCount[s];
    out.push({
      labels,
      timesMs: Array.from(cols.timesMs.subarray(first, first + n)),
      valueBits: Array.from(cols.values.subarray(first, first + n), bitsOf),
    });
  }
  return out;
}

function expected(series: readonly TestSeries[]): Decoded[] {
  return series.map((s) => ({
    labels: s.labels,
    timesMs: Array.from(s.timesMs),
    valueBits: Array.from(s.values, bitsOf),
  }));
}

function decode2(body: Uint8Array, cols = new WriteRequestColumns()): WriteRequestColumns {
  decodeWriteRequestV2(body, cols);
  return cols;
}

/** Asserts that decoding throws WriteRequestFormatError at `offset` with a message matching `reason`. */
function assertFormatError(bytes: number[] | Uint8Array, offset: number, reason: RegExp): void {
  assert.throws(
    () => decodeWriteRequestV2(Uint8Array.from(bytes), new WriteRequestColumns()),
    (e: unknown) => {
      assert.ok(e instanceof WriteRequestFormatError, String(e));
      assert.equal(e.code, "M3TS_ERR_WRITE_REQUEST_FORMAT");
      assert.match(e.message, reason);
      assert.equal(e.offset, offset, e.message);
      return true;
    },
  );
}

// Values: any double, including NaN with any payload (the stale marker among them) and -0.
const nanArb = fc
  .bigInt({ min: 1n, max: (1n << 52n) - 1n })
  .chain((payload) => fc.constantFrom(0x7ff0000000000000n | payload, 0xfff0000000000000n | payload))
  .map(fromBits);
const valueArb = fc.oneof(fc.double(), nanArb, fc.constant(fromBits(STALE_BITS)));
const timeArb = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
);
// Strings from a small alphabet repeat often, so symbols are shared between series.
const labelStringArb = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom("", "__name__", "job", "a", "é", "ツ", "😀"),
);
const seriesArb: fc.Arbitrary<TestSeries[]> = fc.array(
  fc
    .record({
      labels: fc.array(fc.tuple(labelStringArb, labelStringArb), { maxLength: 5 }),
      points: fc.array(fc.tuple(timeArb, valueArb), { maxLength: 5 }),
    })
    .map(({ labels, points }) => ({
      labels,
      timesMs: points.map((p) => p[0]),
      values: points.map((p) => p[1]),
    })),
  { maxLength: 8 },
);
const extrasArb = fc.record({
  exemplarsPerSeries: fc.nat(3),
  histogramsPerSeries: fc.nat(3),
  metadata: fc.boolean(),
});

// A tiny wire reader independent of the decoder, to cut a body into its top-level fields.
function topLevelFields(body: Uint8Array): { field: number; bytes: Uint8Array }[] {
  const fields: { field: number; bytes: Uint8Array }[] = [];
  let pos = 0;
  const varint = () => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = body[pos++];
      v += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return v;
    }
  };
  while (pos < body.length) {
    const start = pos;
    const key = varint();
    assert.equal(key & 7, 2, "top-level fields of a Request are length-delimited");
    const len = varint();
    pos += len;
    fields.push({ field: key >>> 3, bytes: body.subarray(start, pos) });
  }
  return fields;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test("property: a 2.0 request decodes to the labels and samples encoded, NaN payloads and -0 bit for bit", () => {
  const cols = new WriteRequestColumns();
  fc.assert(
    fc.property(seriesArb, extrasArb, (series, extras) => {
      const body = encodeWriteRequest(series, { version: "2.0", ...extras });
      decodeWriteRequestV2(body, cols);
      assert.deepEqual(readBack(body, cols), expected(series));
      assert.equal(
        cols.samples,
        series.reduce((n, s) => n + s.timesMs.length, 0),
      );
      assert.equal(cols.exemplars, series.length * extras.exemplarsPerSeries);
      assert.equal(cols.histograms, series.length * extras.histogramsPerSeries);
      assert.equal(cols.metadata, extras.metadata ? series.length : 0);
    }),
    { numRuns: 300 },
  );
});

test("property: the 2.0 and 1.0 encodings of the same series decode to the same columns", () => {
  const c1 = new WriteRequestColumns();
  const c2 = new WriteRequestColumns();
  fc.assert(
    fc.property(seriesArb, extrasArb, (series, extras) => {
      const v1 = encodeWriteRequest(series, { version: "1.0", ...extras });
      const v2 = encodeWriteRequest(series, { version: "2.0", ...extras });
      decodeWriteRequest(v1, c1);
      decodeWriteRequestV2(v2, c2);
      const counts = (c: WriteRequestColumns) => [
        c.series,
        c.labels,
        c.samples,
        c.exemplars,
        c.histograms,
        c.metadata,
      ];
      assert.deepEqual(counts(c2), counts(c1));
      const used = (c: WriteRequestColumns) => ({
        labelStart: Array.from(c.labelStart.subarray(0, c.series)),
        labelCount: Array.from(c.labelCount.subarray(0, c.series)),
        sampleStart: Array.from(c.sampleStart.subarray(0, c.series)),
        sampleCount: Array.from(c.sampleCount.subarray(0, c.series)),
        nameLen: Array.from(c.nameLen.subarray(0, c.labels)),
        valueLen: Array.from(c.valueLen.subarray(0, c.labels)),
        timesMs: Array.from(c.timesMs.subarray(0, c.samples)),
        valueBits: Array.from(c.values.subarray(0, c.samples), bitsOf),
      });
      assert.deepEqual(used(c2), used(c1));
      // Label bytes sit at different offsets in the two bodies but are the same bytes.
      assert.deepEqual(readBack(v2, c2), readBack(v1, c1));
    }),
    { numRuns: 300 },
  );
});

test("property: symbols before, after or between the series decode the same", () => {
  fc.assert(
    fc.property(
      seriesArb,
      fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
      (series, picks) => {
        const body = encodeWriteRequest(series, { version: "2.0" });
        const fields = topLevelFields(body);
        const symbols = fields.filter((f) => f.field === 4).map((f) => f.bytes);
        const timeseries = fields.filter((f) => f.field === 5).map((f) => f.bytes);
        assert.equal(symbols.length + timeseries.length, fields.length);
        // Interleave, keeping each list's own order: symbol refs and series order depend on it.
        const parts: Uint8Array[] = [];
        let i = 0;
        let j = 0;
        for (let k = 0; i < symbols.length || j < timeseries.length; k++) {
          const takeSymbol = j === timeseries.length || (i < symbols.length && picks[k % 64]);
          parts.push(takeSymbol ? symbols[i++] : timeseries[j++]);
        }
        const shuffled = concat(parts);
        const cols = decode2(shuffled);
        assert.deepEqual(readBack(shuffled, cols), expected(series));
      },
    ),
    { numRuns: 200 },
  );
});

test("the test encoder writes the bytes a proto3 sender writes (hand-encoded)", () => {
  const one = [{ labels: [["a", "b"]] as [string, string][], timesMs: [1], values: [1] }];
  // 1.0 = 0x3ff0000000000000, little-endian.
  const one_0 = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f];
  const sample = [0x12, 0x0b, 0x09, ...one_0, 0x10, 0x01];
  assert.deepEqual(Array.from(encodeWriteRequest(one, { version: "2.0" })), [
    ...[0x22, 0x00], // symbol 0: ""
    ...[0x22, 0x01, 0x61], // symbol 1: "a"
    ...[0x22, 0x01, 0x62], // symbol 2: "b"
    ...[0x2a, 0x13], // timeseries, 19 bytes
    ...[0x0a, 0x02, 0x01, 0x02], // labels_refs packed [1, 2]
    ...sample,
    ...[0x2a, 0x00], // metadata, always present and empty
  ]);
  assert.deepEqual(Array.from(encodeWriteRequest(one, { version: "1.0" })), [
    ...[0x0a, 0x15], // timeseries, 21 bytes
    ...[0x0a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62], // label a=b
    ...sample,
  ]);
  // Zero value and zero time are left out; an empty label name is too.
  const zeros = [{ labels: [["", "v"]] as [string, string][], timesMs: [0], values: [0] }];
  assert.deepEqual(Array.from(encodeWriteRequest(zeros, { version: "1.0" })), [
    ...[0x0a, 0x07],
    ...[0x0a, 0x03, 0x12, 0x01, 0x76],
    ...[0x12, 0x00],
  ]);
});

test("symbols after the series are resolved (hand-built)", () => {
  const body = Uint8Array.from([
    ...[0x2a, 0x04, 0x0a, 0x02, 0x01, 0x02], // timeseries: refs [1, 2]
    ...[0x22, 0x00, 0x22, 0x01, 0x61, 0x22, 0x01, 0x62], // symbols "", "a", "b"
  ]);
  assert.deepEqual(readBack(body, decode2(body)), [
    { labels: [["a", "b"]], timesMs: [], valueBits: [] },
  ]);
});

test("label refs may be unpacked, split over several packed runs, and repeat a symbol", () => {
  const body = Uint8Array.from([
    ...[0x22, 0x00, 0x22, 0x01, 0x78], // symbols "", "x"
    ...[0x2a, 0x0a], // timeseries of 10 bytes
    ...[0x08, 0x01], // ref 1, unpacked
    ...[0x0a, 0x02, 0x01, 0x00], // packed [1, 0]: ends label 1, starts label 2
    ...[0x0a, 0x00], // an empty packed run
    ...[0x08, 0x01], // ref 1, unpacked
  ]);
  assert.deepEqual(readBack(body, decode2(body))[0].labels, [
    ["x", "x"],
    ["", "x"],
  ]);
});

test("stale markers and negative timestamps survive bit for bit (hand-built)", () => {
  const body = Uint8Array.from([
    ...[0x22, 0x00],
    ...[0x2a, 0x18], // timeseries of 24 bytes: one sample, metadata empty
    ...[0x12, 0x14], // sample of 20 bytes
    ...[0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x7f], // 0x7ff0000000000002
    // -1 as int64: ten bytes of two's complement.
    ...[0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    ...[0x2a, 0x00],
  ]);
  const cols = decode2(body);
  assert.equal(cols.samples, 1);
  assert.equal(cols.timesMs[0], -1);
  assert.equal(bitsOf(cols.values[0]), STALE_BITS);
  assert.equal(cols.metadata, 0);
});

test("extreme timestamps: ±(2^53 - 1) decode, beyond ±2^53 is a format error", () => {
  const series = [
    {
      labels: [["__name__", "t"]] as [string, string][],
      timesMs: [Number.MIN_SAFE_INTEGER, -1, Number.MAX_SAFE_INTEGER],
      values: [1, 2, 3],
    },
  ];
  const body = encodeWriteRequest(series, { version: "2.0" });
  assert.deepEqual(readBack(body, decode2(body)), expected(series));
  // int64 -2^60: 0xf000000000000000.
  const big = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0xf0, 0x01];
  assertFormatError(
    [0x22, 0x00, 0x2a, 0x0d, 0x12, 0x0b, 0x10, ...big],
    6,
    /sample timestamp is beyond ±2\^53/,
  );
});

test("metadata counts once per series, only when it names a type, a help or a unit", () => {
  const withMetadata = (...messages: number[][]) =>
    Uint8Array.from([
      ...[0x22, 0x00],
      ...[0x2a, messages.reduce((n, m) => n + 2 + m.length, 0)],
      ...messages.flatMap((m) => [0x2a, m.length, ...m]),
    ]);
  const count = (body: Uint8Array) => decode2(body).metadata;
  assert.equal(count(withMetadata([])), 0, "empty");
  assert.equal(count(withMetadata([0x08, 0x00, 0x18, 0x00, 0x20, 0x00])), 0, "all zero");
  assert.equal(count(withMetadata([0x08, 0x01])), 1, "type counter");
  assert.equal(count(withMetadata([0x18, 0x00, 0x18, 0x05])), 1, "help_ref");
  assert.equal(count(withMetadata([0x20, 0x03])), 1, "unit_ref");
  assert.equal(count(withMetadata([0x08, 0x02], [0x18, 0x01])), 1, "merged into one");
  assert.equal(count(withMetadata([], [0x08, 0x02])), 1, "said by the second");
  assert.equal(count(withMetadata([0x10, 0x07])), 0, "field 2 is not part of Metadata");
});

test("unknown fields at every level are skipped", () => {
  const body = Uint8Array.from([
    ...[0x08, 0x96, 0x01], // Request field 1 (reserved), varint
    ...[0x22, 0x00, 0x22, 0x01, 0x6b],
    ...[0x3d, 0x01, 0x02, 0x03, 0x04], // Request field 7, fixed32
    ...[0x2a, 0x17],
    ...[0x0a, 0x02, 0x01, 0x01],
    ...[0x12, 0x0d, 0x09, 0, 0, 0, 0, 0, 0, 0x04, 0x40, 0x10, 0x07, 0x18, 0x05], // start_timestamp 5
    ...[0x30, 0x09], // created_timestamp of earlier drafts
    ...[0x52, 0x00], // TimeSeries field 10, empty bytes
  ]);
  const cols = decode2(body);
  assert.deepEqual(readBack(body, cols), [
    { labels: [["k", "k"]], timesMs: [7], valueBits: [bitsOf(2.5)] },
  ]);
});

test("columns grow past their first capacity and are reset between requests", () => {
  const series: TestSeries[] = Array.from({ length: 3000 }, (_, i) => ({
    labels: [
      ["__name__", `m${i % 7}`],
      ["id", String(i)],
    ],
    timesMs: [i, i + 1],
    values: [i / 2, -i],
  }));
  const cols = new WriteRequestColumns();
  const big = encodeWriteRequest(series, { version: "2.0" });
  decodeWriteRequestV2(big, cols);
  assert.deepEqual(readBack(big, cols), expected(series));
  const small = encodeWriteRequest(series.slice(5, 6), { version: "2.0" });
  decodeWriteRequestV2(small, cols);
  assert.deepEqual(readBack(small, cols), expected(series.slice(5, 6)));
  assert.equal(cols.labels, 2);
});

test("2.0 labels are no run of label fields in the body: labelsFrom/labelsTo stay -1 after a 1.0 request", () => {
  const series: TestSeries[] = [
    { labels: [["__name__", "a"]], timesMs: [1], values: [1] },
    { labels: [["__name__", "b"]], timesMs: [2], values: [2] },
  ];
  const cols = new WriteRequestColumns();
  decodeWriteRequest(encodeWriteRequest(series, { version: "1.0" }), cols);
  decodeWriteRequestV2(encodeWriteRequest(series, { version: "2.0" }), cols);
  assert.deepEqual(Array.from(cols.labelsFrom.subarray(0, 2)), [-1, -1]);
  assert.deepEqual(Array.from(cols.labelsTo.subarray(0, 2)), [-1, -1]);
});

test("an empty body is an empty request", () => {
  const cols = decode2(new Uint8Array(0));
  assert.deepEqual([cols.series, cols.labels, cols.samples], [0, 0, 0]);
});

test("every broken rule is a WriteRequestFormatError naming the value, what is allowed and the byte", () => {
  // Refs outside the table: the error points at the ref's varint.
  assertFormatError(
    [0x22, 0x00, 0x2a, 0x04, 0x0a, 0x02, 0x00, 0x05],
    6,
    /ref 5 is outside .* 1 symbols/,
  );
  assertFormatError([0x2a, 0x04, 0x0a, 0x02, 0x00, 0x00], 4, /ref 0 is outside .* 0 symbols/);
  // An odd number of refs: the error points at the series.
  assertFormatError([0x22, 0x00, 0x2a, 0x03, 0x0a, 0x01, 0x00], 2, /has 1 label refs.* even/);
  assertFormatError(
    [0x22, 0x00, 0x2a, 0x07, 0x0a, 0x02, 0x00, 0x00, 0x0a, 0x01, 0x00],
    2,
    /has 3 label refs/,
  );
  // Symbol 0 not empty, even in a request without labels: the error points at symbol 0.
  assertFormatError(
    [0x22, 0x01, 0x61, 0x2a, 0x04, 0x0a, 0x02, 0x00, 0x00],
    0,
    /symbol 0 is 1 bytes/,
  );
  assertFormatError([0x2a, 0x00, 0x22, 0x02, 0x61, 0x62], 2, /start with the empty string/);
  // A ref beyond 2^31 - 1 (2^31 = 80 80 80 80 08).
  assertFormatError(
    [0x22, 0x00, 0x2a, 0x08, 0x0a, 0x06, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00],
    6,
    /ref 2147483648 is beyond 2\^31 - 1/,
  );
  // Lengths past their enclosing message, at each level.
  assertFormatError([0x22, 0x05, 0x61], 1, /symbol length runs past/);
  assertFormatError([0x2a, 0x05, 0x0a], 1, /timeseries length runs past/);
  assertFormatError([0x2a, 0x03, 0x0a, 0x05, 0x01], 3, /labels_refs length runs past/);
  assertFormatError([0x2a, 0x03, 0x12, 0x04, 0x09], 3, /sample length runs past/);
  assertFormatError([0x2a, 0x02, 0x2a, 0x01], 3, /metadata length runs past/);
  // A sample value cut short inside its sample.
  assertFormatError([0x2a, 0x06, 0x12, 0x04, 0x09, 0, 0, 0], 4, /sample value cut short/);
  // Varints cut short or too long; field 0; groups.
  assertFormatError([0x2a, 0x02, 0x08, 0x80], 4, /varint cut short/);
  assertFormatError([0x08, ...Array(10).fill(0xff), 0x01], 11, /longer than 10 bytes/);
  assertFormatError([0x00, 0x00], 0, /field number 0/);
  assertFormatError([0x23, 0x24], 1, /wire type 3 is not supported/);
});

test("fuzz: a cut at every byte is either a complete prefix or a WriteRequestFormatError", () => {
  const series: TestSeries[] = [
    {
      labels: [
        ["__name__", "up"],
        ["job", "j"],
      ],
      timesMs: [1, 2, -3],
      values: [1, fromBits(STALE_BITS), 3],
    },
    { labels: [["__name__", "down"]], timesMs: [Number.MIN_SAFE_INTEGER], values: [-0] },
  ];
  const valid = encodeWriteRequest(series, {
    version: "2.0",
    exemplarsPerSeries: 1,
    histogramsPerSeries: 1,
    metadata: true,
  });
  // Cuts that leave whole top-level fields decode; the symbols come first, so any whole
  // prefix of the series resolves.
  const boundaries = new Set<number>([0]);
  let end = 0;
  for (const f of topLevelFields(valid)) {
    end += f.bytes.length;
    boundaries.add(end);
  }
  const cols = new WriteRequestColumns();
  for (let cut = 0; cut < valid.length; cut++) {
    try {
      decodeWriteRequestV2(valid.subarray(0, cut), cols);
    } catch (e) {
      assert.ok(e instanceof WriteRequestFormatError, `cut ${cut}: ${String(e)}`);
      assert.ok(e.offset >= 0 && e.offset <= cut, `cut ${cut}: offset ${e.offset}`);
      assert.ok(!boundaries.has(cut), `cut ${cut} at a field boundary: ${e.message}`);
      continue;
    }
    assert.ok(boundaries.has(cut), `cut ${cut} inside a field decoded without error`);
    const got = readBack(valid, cols);
    assert.deepEqual(got, expected(series).slice(0, got.length));
  }
});

test("fuzz: garbage and corrupted requests raise only WriteRequestFormatError", () => {
  const cols = new WriteRequestColumns();
  const tryDecode = (bytes: Uint8Array) => {
    try {
      decodeWriteRequestV2(bytes, cols);
    } catch (e) {
      assert.ok(e instanceof WriteRequestFormatError, String(e));
      assert.ok(e.offset >= 0 && e.offset <= bytes.length, e.message);
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), tryDecode), { numRuns: 2000 });
  fc.assert(
    fc.property(
      seriesArb,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (series, flips) => {
        const body = encodeWriteRequest(series, { version: "2.0", exemplarsPerSeries: 1 }).slice();
        for (const [at, byte] of flips) body[at % body.length] = byte;
        tryDecode(body);
      },
    ),
    { numRuns: 1000 },
  );
});

test("label bytes are the symbol's bytes, kept as sent", () => {
  // A name with a byte order mark and a value that is not valid UTF-8.
  const name = utf8.encode("\uFEFFn");
  const body = Uint8Array.from([
    ...[0x22, 0x00],
    ...[0x22, name.length, ...name],
    ...[0x22, 0x02, 0xff, 0xfe],
    ...[0x2a, 0x04, 0x0a, 0x02, 0x01, 0x02],
  ]);
  const cols = decode2(body);
  assert.deepEqual(
    Array.from(body.subarray(cols.nameAt[0], cols.nameAt[0] + cols.nameLen[0])),
    Array.from(name),
  );
  assert.deepEqual(
    Array.from(body.subarray(cols.valueAt[0], cols.valueAt[0] + cols.valueLen[0])),
    [0xff, 0xfe],
  );
});
