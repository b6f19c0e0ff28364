import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  decodeReadRequest,
  RESPONSE_TYPE,
  type ReadHints,
  type ReadQuery,
  type ReadRequest,
  ReadRequestFormatError,
} from "./read-request.js";

// A small protobuf writer over BigInt, independent of the decoder.
class Pb {
  parts: number[] = [];
  varint(v: bigint | number): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      this.parts.push(b);
    } while (x !== 0n);
    return this;
  }
  key(field: number, type: number): this {
    return this.varint(field * 8 + type);
  }
  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

test("a ReadRequest sent by Prometheus 2.42 for rate(foo{...}[5m]) decodes to its query", () => {
  // sum by (a) (rate(foo{a="b",c!="d",e=~"f.*",g!~"h"}[5m])), captured from its remote read client.
  const body = hex(
    "0a6108e489939ca03410c4b1a59ca0341a061201611a01621a0808011201631a01641a0a08021201651a03662e2a" +
      "1a0808031201671a01681a0f12085f5f6e616d655f5f1a03666f6f221812047261746518e489939ca03420c4b1a5" +
      "9ca03438e0a712",
  );
  const expected: ReadRequest = {
    queries: [
      {
        startMs: 1795355362532,
        endMs: 1795355662532,
        matchers: [
          { type: "=", name: "a", value: "b" },
          { type: "!=", name: "c", value: "d" },
          { type: "=~", name: "e", value: "f.*" },
          { type: "!~", name: "g", value: "h" },
          { type: "=", name: "__name__", value: "foo" },
        ],
        hints: {
          stepMs: 0,
          func: "rate",
          startMs: 1795355362532,
          endMs: 1795355662532,
          grouping: [],
          by: false,
          rangeMs: 300_000,
        },
      },
    ],
    acceptedResponseTypes: [],
  };
  assert.deepEqual(decodeReadRequest(body), expected);
});

test("response types are SAMPLES 0 and STREAMED_XOR_CHUNKS 1", () => {
  assert.deepEqual(RESPONSE_TYPE, { SAMPLES: 0, STREAMED_XOR_CHUNKS: 1 });
});

test("an empty body is a request with no queries and no accepted types", () => {
  assert.deepEqual(decodeReadRequest(new Uint8Array(0)), {
    queries: [],
    acceptedResponseTypes: [],
  });
});

test("accepted_response_types decode packed and unpacked, in order, unknown values kept", () => {
  const unpacked = new Pb().key(2, 0).varint(1).key(2, 0).varint(0).key(2, 0).varint(-1).done();
  const packedBody = new Pb().varint(1).varint(0).varint(-1).done();
  const packed = new Pb().bytes(2, packedBody).done();
  assert.deepEqual(decodeReadRequest(unpacked).acceptedResponseTypes, [1, 0, -1]);
  assert.deepEqual(decodeReadRequest(packed).acceptedResponseTypes, [1, 0, -1]);
});

test("hints fields all decode: step, func, start, end, grouping, by, range", () => {
  const hints = new Pb()
    .key(1, 0)
    .varint(15_000)
    .str(2, "sum")
    .key(3, 0)
    .varint(-5)
    .key(4, 0)
    .varint(99)
    .str(5, "job")
    .str(5, "instance")
    .key(6, 0)
    .varint(1)
    .key(7, 0)
    .varint(60_000)
    .done();
  const body = new Pb().bytes(1, new Pb().bytes(4, hints).done()).done();
  const expected: ReadHints = {
    stepMs: 15_000,
    func: "sum",
    startMs: -5,
    endMs: 99,
    grouping: ["job", "instance"],
    by: true,
    rangeMs: 60_000,
  };
  assert.deepEqual(decodeReadRequest(body).queries[0].hints, expected);
  assert.equal(
    decodeReadRequest(new Pb().bytes(1, new Uint8Array(0)).done()).queries[0].hints,
    null,
  );
});

test("times beyond ±2^53 (open ranges sent as MinInt64/MaxInt64) clamp to ±(2^53 - 1)", () => {
  const q = new Pb()
    .key(1, 0)
    .varint(-(2n ** 63n))
    .key(2, 0)
    .varint(2n ** 63n - 1n)
    .done();
  const [got] = decodeReadRequest(new Pb().bytes(1, q).done()).queries;
  assert.equal(got.startMs, -Number.MAX_SAFE_INTEGER);
  assert.equal(got.endMs, Number.MAX_SAFE_INTEGER);
  const edge = new Pb()
    .key(1, 0)
    .varint(-(2n ** 53n))
    .key(2, 0)
    .varint(2n ** 53n - 1n)
    .done();
  const [e] = decodeReadRequest(new Pb().bytes(1, edge).done()).queries;
  assert.equal(e.startMs, -Number.MAX_SAFE_INTEGER);
  assert.equal(e.endMs, Number.MAX_SAFE_INTEGER);
});

test("a matcher type other than 0..3 is refused, naming the type and label", () => {
  for (const type of [4, -1, 1000]) {
    const m = new Pb().key(1, 0).varint(type).str(2, "job").str(3, "x").done();
    const body = new Pb().bytes(1, new Pb().bytes(3, m).done()).done();
    assert.throws(
      () => decodeReadRequest(body),
      (e: unknown) =>
        e instanceof ReadRequestFormatError &&
        e.code === "M3TS_ERR_READ_REQUEST_FORMAT" &&
        e.message.includes(`matcher type ${type} (on label "job")`) &&
        e.offset === 4,
    );
  }
});

test("a matcher string that is not UTF-8 is refused at its offset", () => {
  const m = new Pb().bytes(2, Uint8Array.from([0x66, 0xc3])).done();
  const body = new Pb().bytes(1, new Pb().bytes(3, m).done()).done();
  assert.throws(
    () => decodeReadRequest(body),
    (e: unknown) =>
      e instanceof ReadRequestFormatError && /not valid UTF-8/.test(e.message) && e.offset === 6,
  );
});

test("a length that runs past its message is refused where the length starts", () => {
  const body = Uint8Array.from([0x0a, 0x05, 0x1a, 0x09, 0x00]);
  assert.throws(
    () => decodeReadRequest(body),
    (e: unknown) => e instanceof ReadRequestFormatError && e.offset === 1,
  );
});

// --- properties ---

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const timeArb = fc.oneof(
  fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.constantFrom(INT64_MIN, INT64_MAX, 0n, -1n),
);
const clamp = (t: bigint) =>
  Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Number(t)));
const textArb = fc.string({ unit: "binary", maxLength: 12 });

const queryArb = fc.record({
  start: timeArb,
  end: timeArb,
  matchers: fc.array(
    fc.record({ type: fc.integer({ min: 0, max: 3 }), name: textArb, value: textArb }),
    { maxLength: 4 },
  ),
  hints: fc.option(
    fc.record({
      step: timeArb,
      func: textArb,
      start: timeArb,
      end: timeArb,
      grouping: fc.array(textArb, { maxLength: 3 }),
      by: fc.boolean(),
      range: timeArb,
    }),
  ),
});
const requestArb = fc.record({
  queries: fc.array(queryArb, { maxLength: 4 }),
  types: fc.array(fc.integer({ min: -3, max: 5 }), { maxLength: 4 }),
  packed: fc.boolean(),
  unknown: fc.boolean(),
});

type Req = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

/** Encodes a generated request; `unknown` sprinkles fields a decoder must skip. */
function encode(r: Req): Uint8Array {
  const junk = (pb: Pb) => {
    if (!r.unknown) return pb;
    pb.key(15, 0).varint(7).str(14, "x").key(13, 5);
    pb.parts.push(1, 2, 3, 4);
    pb.key(12, 1);
    pb.parts.push(1, 2, 3, 4, 5, 6, 7, 8);
    return pb;
  };
  const root = new Pb();
  for (const q of r.queries) {
    const qb = new Pb();
    junk(qb);
    qb.key(1, 0).varint(q.start).key(2, 0).varint(q.end);
    for (const m of q.matchers) {
      const mb = new Pb().key(1, 0).varint(m.type).str(2, m.name);
      junk(mb);
      mb.str(3, m.value);
      qb.bytes(3, mb.done());
    }
    if (q.hints !== null) {
      const h = q.hints;
      const hb = new Pb().key(1, 0).varint(h.step).str(2, h.func).key(3, 0).varint(h.start);
      hb.key(4, 0).varint(h.end);
      for (const g of h.grouping) hb.str(5, g);
      hb.key(6, 0)
        .varint(h.by ? 1 : 0)
        .key(7, 0)
        .varint(h.range);
      qb.bytes(4, hb.done());
    }
    root.bytes(1, qb.done());
    junk(root);
  }
  if (r.packed && r.types.length > 0) {
    const p = new Pb();
    for (const t of r.types) p.varint(t);
    root.bytes(2, p.done());
  } else for (const t of r.types) root.key(2, 0).varint(t);
  return root.done();
}

const TYPES = ["=", "!=", "=~", "!~"] as const;

/** What a string becomes on the wire: lone surrogates turn into U+FFFD. */
const wellFormed = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s));

function expected(r: Req): ReadRequest {
  return {
    queries: r.queries.map(
      (q): ReadQuery => ({
        startMs: clamp(q.start),
        endMs: clamp(q.end),
        matchers: q.matchers.map((m) => ({
          type: TYPES[m.type],
          name: wellFormed(m.name),
          value: wellFormed(m.value),
        })),
        hints:
          q.hints === null
            ? null
            : {
                stepMs: clamp(q.hints.step),
                func: wellFormed(q.hints.func),
                startMs: clamp(q.hints.start),
                endMs: clamp(q.hints.end),
                grouping: q.hints.grouping.map(wellFormed),
                by: q.hints.by,
                rangeMs: clamp(q.hints.range),
              },
      }),
    ),
    acceptedResponseTypes: r.types,
  };
}

test("any request decodes to what was encoded, with unknown fields skipped", () => {
  fc.assert(
    fc.property(requestArb, (r) => {
      assert.deepEqual(decodeReadRequest(encode(r)), expected(r));
    }),
    { numRuns: 300 },
  );
});

test("every truncation of a request either decodes or throws ReadRequestFormatError", () => {
  fc.assert(
    fc.property(requestArb, (r) => {
      const body = encode(r);
      for (let len = 0; len < body.length; len++) {
        try {
          decodeReadRequest(body.subarray(0, len));
        } catch (e) {
          if (!(e instanceof ReadRequestFormatError)) throw e;
          assert.ok(e.offset >= 0 && e.offset <= len, `offset ${e.offset} of ${len}`);
        }
      }
    }),
    { numRuns: 100 },
  );
});

test("garbage decodes or throws ReadRequestFormatError, never anything else", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeReadRequest(bytes);
      } catch (e) {
        if (!(e instanceof ReadRequestFormatError)) throw e;
      }
    }),
    { numRuns: 3000 },
  );
});
