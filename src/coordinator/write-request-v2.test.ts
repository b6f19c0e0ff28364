import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { encodeWriteRequest, type TestSeries } from "./testing.js";
import {
  decodeWriteRequest,
  WriteRequestColumns,
  WriteRequestFormatError,
} from "./write-request.js";
import { decodeWriteRequestV2 } from "./write-request-v2.js";

const text = new TextDecoder();

function readBack(body: Uint8Array, cols: WriteRequestColumns) {
  const out: { labels: [string, string][]; timesMs: number[]; values: number[] }[] = [];
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
      values: Array.from(cols.values.subarray(first, first + n)),
    });
  }
  return out;
}

const seriesArb: fc.Arbitrary<TestSeries[]> = fc.array(
  fc
    .record({
      labels: fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), {
        maxLength: 5,
      }),
      points: fc.array(fc.tuple(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), fc.double()), {
        maxLength: 5,
      }),
    })
    .map(({ labels, points }) => ({
      labels,
      timesMs: points.map((p) => p[0]),
      values: points.map((p) => p[1]),
    })),
  { maxLength: 8 },
);

test("property: 2.0 requests decode to the labels and samples encoded, the same as their 1.0 form", () => {
  fc.assert(
    fc.property(seriesArb, (series) => {
      const v2 = encodeWriteRequest(series, { version: "2.0" });
      const c2 = new WriteRequestColumns();
      decodeWriteRequestV2(v2, c2);
      const got = readBack(v2, c2);
      assert.deepEqual(
        got,
        series.map((s) => ({
          labels: s.labels,
          timesMs: Array.from(s.timesMs),
          values: Array.from(s.values),
        })),
      );
      const v1 = encodeWriteRequest(series, { version: "1.0" });
      const c1 = new WriteRequestColumns();
      decodeWriteRequest(v1, c1);
      assert.deepEqual(readBack(v1, c1), got);
    }),
  );
});

test("a stale-marker NaN keeps its bits; histograms, exemplars and metadata are counted", () => {
  const stale = new DataView(new ArrayBuffer(8));
  stale.setBigUint64(0, 0x7ff0000000000002n);
  const body = encodeWriteRequest(
    // A typed array: V8 may quiet a signalling NaN kept in a plain array.
    [{ labels: [["__name__", "x"]], timesMs: [5], values: Float64Array.of(stale.getFloat64(0)) }],
    { version: "2.0", exemplarsPerSeries: 2, histogramsPerSeries: 3, metadata: true },
  );
  const cols = new WriteRequestColumns();
  decodeWriteRequestV2(body, cols);
  const bits = new DataView(cols.values.buffer).getBigUint64(0, true);
  assert.equal(bits, 0x7ff0000000000002n);
  assert.deepEqual([cols.exemplars, cols.histograms, cols.metadata], [2, 3, 1]);
});

test("symbols after the series are resolved as well", () => {
  // Hand-built: timeseries (field 5) first, then symbols "", "a", "b".
  const ts = [0x0a, 0x02, 0x01, 0x02];
  const body = Uint8Array.from([
    0x2a,
    ts.length,
    ...ts,
    0x22,
    0x00,
    0x22,
    0x01,
    0x61,
    0x22,
    0x01,
    0x62,
  ]);
  const cols = new WriteRequestColumns();
  decodeWriteRequestV2(body, cols);
  assert.deepEqual(readBack(body, cols)[0].labels, [["a", "b"]]);
});

test("refs outside the table, an odd ref count and a table not starting with '' are format errors", () => {
  const cases: [number[], RegExp][] = [
    [[0x22, 0x00, 0x2a, 0x04, 0x0a, 0x02, 0x00, 0x05], /outside the symbol table/],
    [[0x22, 0x00, 0x2a, 0x03, 0x0a, 0x01, 0x00], /odd number of label refs/],
    [[0x22, 0x01, 0x61, 0x2a, 0x04, 0x0a, 0x02, 0x00, 0x00], /start with the empty string/],
  ];
  for (const [bytes, reason] of cases) {
    assert.throws(
      () => decodeWriteRequestV2(Uint8Array.from(bytes), new WriteRequestColumns()),
      (e: unknown) => e instanceof WriteRequestFormatError && reason.test(e.message),
    );
  }
});

test("fuzz: truncations and garbage raise only WriteRequestFormatError", () => {
  const valid = encodeWriteRequest(
    [
      {
        labels: [
          ["__name__", "up"],
          ["job", "j"],
        ],
        timesMs: [1, 2, -3],
        values: [1, 2, 3],
      },
    ],
    { version: "2.0", exemplarsPerSeries: 1 },
  );
  const cols = new WriteRequestColumns();
  for (let cut = 0; cut < valid.length; cut++) {
    try {
      decodeWriteRequestV2(valid.subarray(0, cut), cols);
    } catch (e) {
      assert.ok(e instanceof WriteRequestFormatError, String(e));
    }
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decodeWriteRequestV2(bytes, cols);
      } catch (e) {
        assert.ok(e instanceof WriteRequestFormatError, String(e));
      }
    }),
  );
});
