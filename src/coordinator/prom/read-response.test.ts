import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ReadResponseWriter } from "./read-response.js";

const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// --- a small ReadResponse decoder, written from the .proto, for checking ---

interface Decoded {
  labels: [string, string][];
  /** time, then the value's 64 bits as a hex string (exact for NaN payloads). */
  samples: [bigint, string][];
}

class Reader {
  pos = 0;
  readonly b: Uint8Array;
  constructor(b: Uint8Array) {
    this.b = b;
  }
  varint(): bigint {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      assert.ok(this.pos < this.b.length, "varint cut short");
      const byte = this.b[this.pos++];
      v |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return v;
    }
  }
  /** Calls fn(field, wireType, end) for every field up to `end`. */
  fields(end: number, fn: (field: number, type: number) => void): void {
    while (this.pos < end) {
      const key = Number(this.varint());
      fn(key >>> 3, key & 7);
    }
    assert.equal(this.pos, end, "message overruns its length");
  }
  len(): number {
    const n = Number(this.varint());
    assert.ok(this.pos + n <= this.b.length, "length past the end");
    return this.pos + n;
  }
  str(): string {
    const end = this.len();
    const s = new TextDecoder("utf-8", { fatal: true }).decode(this.b.subarray(this.pos, end));
    this.pos = end;
    return s;
  }
}

function decodeResponse(bytes: Uint8Array): Decoded[][] {
  const r = new Reader(bytes);
  const results: Decoded[][] = [];
  r.fields(bytes.length, (f, t) => {
    assert.deepEqual([f, t], [1, 2], "ReadResponse.results");
    const series: Decoded[] = [];
    r.fields(r.len(), (f, t) => {
      assert.deepEqual([f, t], [1, 2], "QueryResult.timeseries");
      const s: Decoded = { labels: [], samples: [] };
      r.fields(r.len(), (f, t) => {
        assert.equal(t, 2);
        if (f === 1) {
          const l: [string, string] = ["", ""];
          r.fields(r.len(), (f, t) => {
            assert.equal(t, 2);
            l[f - 1] = r.str();
          });
          s.labels.push(l);
        } else {
          assert.equal(f, 2, "TimeSeries.samples");
          let time = 0n;
          let bits = "0000000000000000";
          r.fields(r.len(), (f, t) => {
            if (f === 1) {
              assert.equal(t, 1, "Sample.value is a double");
              bits = toHex(r.b.slice(r.pos, r.pos + 8).reverse());
              r.pos += 8;
            } else {
              assert.deepEqual([f, t], [2, 0], "Sample.timestamp");
              time = BigInt.asIntN(64, r.varint());
            }
          });
          s.samples.push([time, bits]);
        }
      });
      series.push(s);
    });
    results.push(series);
  });
  return results;
}

/** Float64Array of the given 64-bit patterns (hex strings). */
function valuesOf(bits: string[]): Float64Array {
  const out = new Float64Array(bits.length);
  const view = new DataView(out.buffer);
  bits.forEach((b, i) => {
    view.setBigUint64(8 * i, BigInt(`0x${b}`), true);
  });
  return out;
}

// --- tests ---

test("one series of one sample: the bytes written out by hand", () => {
  const w = new ReadResponseWriter();
  w.beginResult();
  w.addSeries([["a", "b"]], Float64Array.of(1), Float64Array.of(1), 1);
  w.endResult();
  // results(23) { timeseries(21) { label(6) {name "a", value "b"},
  //   sample(11) {value 1.0 as fixed64 LE, timestamp 1} } }
  assert.equal(toHex(w.finish()), "0a170a150a060a016112016212" + "0b09000000000000f03f1001");
});

// A series read from Prometheus 2.42 with SAMPLES, and its answer's bytes.
// Prometheus writes a value of -0 as it writes 0 (left out); here the
// eleventh sample is given as 0 for the bytes to compare.
const PROMETHEUS_TIMES = [
  1795348801234, 1795348802234, 1795348803234, 1795348804734, 1795348805934, 1795348815326,
  1795348816527, 1795348825921, 1795348827123, 1795348893861, 1795348895064, 1795348961804,
  1795348963008, 1795349488500, 1795349489705, 1795350015199, 1795350016405, 1795350017611,
  1795350018817,
];
const PROMETHEUS_VALUE_BITS = [
  "3ff0000000000000",
  "3ff0000000000000",
  "3ff0000000000001",
  "bff0000000000001",
  "7ff0000000000002",
  "7ff0000000000002",
  "7ff8000000001234",
  "fff12345deadbeef",
  "7ff0000000000000",
  "fff0000000000000",
  "0000000000000000",
  "0000000000000000",
  "4059000000000000",
  "40590ccccccccccd",
  "40590cccccccccce",
  "3fb999999999999a",
  "41dfffffffc00000",
  "4000000000000000",
  "4000000000000000",
];
const PROMETHEUS_RESPONSE =
  "0ae4020ae1020a100a085f5f6e616d655f5f120478635f610a090a036a6f6212027863121009000000000000f03f" +
  "10d2cd8299a034121009000000000000f03f10bad58299a034121009010000000000f03f10a2dd8299a034121009" +
  "010000000000f0bf10fee88299a034121009020000000000f07f10aef28299a034121009020000000000f07f10de" +
  "bb8399a034121009341200000000f87f108fc58399a034121009efbeadde4523f1ff10c18e8499a0341210090000" +
  "00000000f07f10f3978499a034121009000000000000f0ff10a5a18899a034120710d8aa8899a0341207108cb48c" +
  "99a034121009000000000000594010c0bd8c99a034121009cdcccccccc0c594010f4c6ac99a034121009cecccccc" +
  "cc0c594010a9d0ac99a0341210099a9999999999b93f10dfd9cc99a0341210090000c0ffffffdf411095e3cc99a0" +
  "34121009000000000000004010cbeccc99a03412100900000000000000401081f6cc99a034";

test("the writer produces Prometheus's bytes for the same series, NaN payloads included", () => {
  const w = new ReadResponseWriter();
  w.beginResult();
  w.addSeries(
    [
      ["__name__", "xc_a"],
      ["job", "xc"],
    ],
    Float64Array.from(PROMETHEUS_TIMES),
    valuesOf(PROMETHEUS_VALUE_BITS),
    PROMETHEUS_TIMES.length,
  );
  w.endResult();
  assert.equal(toHex(w.finish()), PROMETHEUS_RESPONSE);
});

test("a time of 0 and a value of +0 are left out; -0 keeps its sign bit", () => {
  const w = new ReadResponseWriter();
  w.beginResult();
  w.addSeries([], Float64Array.of(0, 0), Float64Array.of(0, -0), 2);
  w.endResult();
  const bytes = w.finish();
  // The empty Sample is "12 00"; the -0 one carries its value field.
  assert.equal(toHex(bytes), "0a0f0a0d" + "1200" + "1209090000000000000080");
  assert.deepEqual(decodeResponse(bytes), [
    [
      {
        labels: [],
        samples: [
          [0n, "0000000000000000"],
          [0n, "8000000000000000"],
        ],
      },
    ],
  ]);
});

test("labels with an empty name or value leave that field out", () => {
  const w = new ReadResponseWriter();
  w.beginResult();
  w.addSeries(
    [
      ["", "v"],
      ["n", ""],
    ],
    new Float64Array(0),
    new Float64Array(0),
    0,
  );
  w.endResult();
  assert.equal(toHex(w.finish()), "0a0c0a0a" + "0a03120176" + "0a030a016e");
});

test("results are written in order, empty ones included; finish closes an open result", () => {
  const w = new ReadResponseWriter();
  w.beginResult();
  w.endResult();
  w.beginResult();
  w.addSeries([["q", "1"]], Float64Array.of(5), Float64Array.of(2), 1);
  const bytes = w.finish();
  assert.equal(toHex(bytes.subarray(0, 2)), "0a00");
  assert.deepEqual(decodeResponse(bytes), [
    [],
    [{ labels: [["q", "1"]], samples: [[5n, "4000000000000000"]] }],
  ]);
});

test("a finished writer starts a new response from nothing", () => {
  const w = new ReadResponseWriter(16);
  w.beginResult();
  w.addSeries([["a", "b"]], Float64Array.of(1, 2, 3), Float64Array.of(1, 2, 3), 3);
  const first = toHex(w.finish());
  assert.equal(toHex(w.finish()), "");
  w.beginResult();
  w.addSeries([["a", "b"]], Float64Array.of(1, 2, 3), Float64Array.of(1, 2, 3), 3);
  assert.equal(toHex(w.finish()), first);
});

test("only the first `count` samples of the arrays are written", () => {
  const w = new ReadResponseWriter();
  w.beginResult();
  w.addSeries([], Float64Array.of(1, 2, 3), Float64Array.of(4, 5, 6), 2);
  const [[s]] = decodeResponse(w.finish());
  assert.deepEqual(
    s.samples.map(([t]) => t),
    [1n, 2n],
  );
});

test("misuse is refused: no open result, count past the arrays, times that are not integers", () => {
  const w = new ReadResponseWriter();
  assert.throws(() => w.addSeries([], new Float64Array(1), new Float64Array(1), 1));
  assert.throws(() => w.endResult());
  w.beginResult();
  assert.throws(() => w.addSeries([], new Float64Array(1), new Float64Array(2), 2), RangeError);
  assert.throws(() => w.addSeries([], Float64Array.of(1.5), Float64Array.of(1), 1), RangeError);
  assert.throws(() => w.addSeries([], Float64Array.of(2 ** 53), Float64Array.of(1), 1), RangeError);
});

// --- properties ---

const bitsArb = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((b) => b.toString(16).padStart(16, "0")),
  fc.constantFrom(
    "0000000000000000",
    "8000000000000000",
    "7ff0000000000002",
    "7ff0000000000000",
    "fff0000000000000",
    "7ff8000000000000",
  ),
);
const seriesArb = fc.record({
  labels: fc.array(
    fc.tuple(fc.string({ unit: "binary", maxLength: 10 }), fc.string({ unit: "binary" })),
    { maxLength: 5 },
  ),
  samples: fc.array(
    fc.tuple(
      fc.oneof(
        fc.bigInt({ min: -(2n ** 53n) + 1n, max: 2n ** 53n - 1n }),
        fc.integer({ min: -5, max: 5 }).map(BigInt),
      ),
      bitsArb,
    ),
    { maxLength: 40 },
  ),
});
const wellFormed = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s));

test("any results decode, by an independent decoder, to the labels, times and value bits given", () => {
  fc.assert(
    fc.property(fc.array(fc.array(seriesArb, { maxLength: 4 }), { maxLength: 4 }), (results) => {
      const w = new ReadResponseWriter(8);
      for (const series of results) {
        w.beginResult();
        for (const s of series) {
          const times = Float64Array.from(s.samples.map(([t]) => Number(t)));
          w.addSeries(s.labels, times, valuesOf(s.samples.map(([, b]) => b)), times.length);
        }
        w.endResult();
      }
      const got = decodeResponse(w.finish());
      const want = results.map((series) =>
        series.map((s) => ({
          labels: s.labels.map(([n, v]): [string, string] => [wellFormed(n), wellFormed(v)]),
          samples: s.samples,
        })),
      );
      assert.deepEqual(got, want);
    }),
    { numRuns: 300 },
  );
});
