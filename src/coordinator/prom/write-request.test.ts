import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  decodeWriteRequest,
  WriteRequestColumns,
  WriteRequestFormatError,
} from "./write-request.js";

// A small protobuf writer, independent of the decoder, for building requests.
class Pb {
  parts: number[] = [];
  varint(v: bigint): this {
    let x = BigInt.asUintN(64, v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      this.parts.push(b);
    } while (x !== 0n);
    return this;
  }
  key(field: number, type: number): this {
    return this.varint(BigInt(field * 8 + type));
  }
  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2).varint(BigInt(b.length));
    for (const x of b) this.parts.push(x);
    return this;
  }
  double(field: number, v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.key(field, 1);
    for (const x of b) this.parts.push(x);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

interface Series {
  labels: [string, string][];
  samples: [number, number][];
  exemplars: number;
}

const utf8 = new TextEncoder();

function encode(series: Series[], metadata: number, unknown: boolean): Uint8Array {
  const req = new Pb();
  for (const s of series) {
    const ts = new Pb();
    for (const [n, v] of s.labels) {
      const l = new Pb().bytes(1, utf8.encode(n)).bytes(2, utf8.encode(v));
      if (unknown) l.key(9, 0).varint(7n);
      ts.bytes(1, l.done());
    }
    for (const [t, v] of s.samples) {
      const smp = new Pb().double(1, v).key(2, 0).varint(BigInt(t));
      if (unknown) smp.key(7, 5).varint(0n).parts.push(0, 0, 0);
      ts.bytes(2, smp.done());
    }
    for (let i = 0; i < s.exemplars; i++) ts.bytes(3, new Pb().double(2, 1).done());
    if (unknown) ts.key(101, 0).varint(1n);
    req.bytes(1, ts.done());
  }
  for (let i = 0; i < metadata; i++) req.bytes(3, new Pb().key(1, 0).varint(1n).done());
  return req.done();
}

function readBack(body: Uint8Array, out: WriteRequestColumns): Series[] {
  const dec = new TextDecoder("utf-8", { ignoreBOM: true });
  const got: Series[] = [];
  for (let s = 0; s < out.series; s++) {
    const labels: [string, string][] = [];
    for (let l = out.labelStart[s]; l < out.labelStart[s] + out.labelCount[s]; l++) {
      labels.push([
        dec.decode(body.subarray(out.nameAt[l], out.nameAt[l] + out.nameLen[l])),
        dec.decode(body.subarray(out.valueAt[l], out.valueAt[l] + out.valueLen[l])),
      ]);
    }
    const samples: [number, number][] = [];
    for (let i = out.sampleStart[s]; i < out.sampleStart[s] + out.sampleCount[s]; i++) {
      samples.push([out.timesMs[i], out.values[i]]);
    }
    got.push({ labels, samples, exemplars: 0 });
  }
  return got;
}

const seriesArb = fc.record({
  labels: fc.array(
    fc.tuple(
      fc.string({ unit: "binary", maxLength: 8 }),
      fc.string({ unit: "binary", maxLength: 12 }),
    ),
    { maxLength: 5 },
  ),
  samples: fc.array(
    fc.tuple(
      fc.oneof(
        fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        fc.constantFrom(0, -1, 1_700_000_000_000),
      ),
      fc.double(),
    ),
    { maxLength: 6 },
  ),
  exemplars: fc.nat(2),
});

test("a request decodes to its series, labels and samples, skipping fields it does not keep", () => {
  const out = new WriteRequestColumns();
  fc.assert(
    fc.property(
      fc.array(seriesArb, { maxLength: 30 }),
      fc.nat(3),
      fc.boolean(),
      (series, metadata, unknown) => {
        const body = encode(series, metadata, unknown);
        decodeWriteRequest(body, out);
        assert.equal(out.series, series.length);
        assert.equal(out.metadata, metadata);
        assert.equal(
          out.exemplars,
          series.reduce((n, s) => n + s.exemplars, 0),
        );
        const want = series.map((s) => ({ ...s, exemplars: 0 }));
        // Object.is semantics: NaN and -0 survive.
        assert.deepEqual(readBack(body, out), want);
      },
    ),
    { numRuns: 300 },
  );
});

test("columns grow past their first size and are reused", () => {
  const out = new WriteRequestColumns();
  const many: Series[] = Array.from({ length: 700 }, (_, i) => ({
    labels: [
      ["__name__", "m"],
      ["i", String(i)],
    ],
    samples: [
      [i, i / 2],
      [i + 1, -i],
    ],
    exemplars: 0,
  }));
  const body = encode(many, 0, false);
  decodeWriteRequest(body, out);
  assert.equal(out.series, 700);
  assert.equal(out.labels, 1400);
  assert.equal(out.samples, 1400);
  assert.deepEqual(readBack(body, out)[699].samples, [
    [699, 349.5],
    [700, -699],
  ]);
  decodeWriteRequest(encode(many.slice(0, 1), 0, false), out);
  assert.equal(out.series, 1);
  assert.equal(out.samples, 2);
});

test("timestamps beyond ±2^53 and broken wire data are refused with the byte named", () => {
  const out = new WriteRequestColumns();
  const sample = new Pb()
    .double(1, 1)
    .key(2, 0)
    .varint(2n ** 60n)
    .done();
  const ts = new Pb().bytes(2, sample).done();
  const req = new Pb().bytes(1, ts).done();
  assert.throws(
    () => decodeWriteRequest(req, out),
    /sample timestamp is beyond ±2\^53 at byte \d+/,
  );
  const negative = new Pb()
    .bytes(
      1,
      new Pb()
        .bytes(
          2,
          new Pb()
            .key(2, 0)
            .varint(-(2n ** 53n) + 1n)
            .done(),
        )
        .done(),
    )
    .done();
  decodeWriteRequest(negative, out);
  assert.equal(out.timesMs[0], -(2 ** 53) + 1);
  assert.throws(
    () => decodeWriteRequest(Uint8Array.from([0x0b]), out),
    /wire type 3 is not supported at byte 1/,
  );
  assert.throws(() => decodeWriteRequest(Uint8Array.from([0x00]), out), /field number 0 at byte 0/);
  assert.throws(
    () => decodeWriteRequest(Uint8Array.from([0x0a, 0x05, 0x0a]), out),
    /length runs past/,
  );
  assert.throws(
    () =>
      decodeWriteRequest(
        Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
        out,
      ),
    /varint longer than 10 bytes/,
  );
});

test("every prefix of a request and random bytes either decode or fail with WriteRequestFormatError", () => {
  const out = new WriteRequestColumns();
  fc.assert(
    fc.property(fc.array(seriesArb, { minLength: 1, maxLength: 4 }), (series) => {
      const body = encode(series, 1, true);
      for (let n = 0; n < body.length; n++) {
        try {
          decodeWriteRequest(body.subarray(0, n), out);
        } catch (e) {
          assert.ok(e instanceof WriteRequestFormatError, String(e));
        }
      }
    }),
    { numRuns: 50 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeWriteRequest(bytes, out);
      } catch (e) {
        assert.ok(e instanceof WriteRequestFormatError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

test("label bytes are kept as sent, a leading byte order mark included", () => {
  const out = new WriteRequestColumns();
  const series: Series[] = [{ labels: [["", "\uFEFFx"]], samples: [], exemplars: 0 }];
  const body = encode(series, 0, false);
  decodeWriteRequest(body, out);
  assert.deepEqual(readBack(body, out), series);
  assert.equal(out.valueLen[0], 4);
});
