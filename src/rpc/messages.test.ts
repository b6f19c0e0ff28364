import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isPacked, packedBlock, type SeriesData } from "../codec/index.js";
import type { WriteBatch } from "../dbnode/ts/index.js";
import { MATCH_TYPES, type Matcher, newMatcher } from "../index/index.js";
import {
  type AggregateRequest,
  decodeAggregateRequest,
  decodeAggregateResponse,
  decodeFetchTaggedRequest,
  decodeFetchTaggedResponse,
  decodeHealthResponse,
  decodeLabelNamesRequest,
  decodeLabelsResponse,
  decodeLabelValuesRequest,
  decodeSeriesTagsRequest,
  decodeSeriesTagsResponse,
  decodeWriteBatchRequest,
  decodeWriteBatchResponse,
  encodeAggregateRequest,
  encodeAggregateResponse,
  encodeFetchTaggedRequest,
  encodeFetchTaggedResponse,
  encodeHealthResponse,
  encodeLabelNamesRequest,
  encodeLabelsResponse,
  encodeLabelValuesRequest,
  encodeSeriesTagsRequest,
  encodeSeriesTagsResponse,
  encodeWriteBatchRequest,
  encodeWriteBatchResponse,
  type FetchTaggedRequest,
  RpcMessageError,
  type WireSeries,
} from "./index.js";

const RUNS = 100;
const STALE_NAN_HI = 0x7ff00000;
const STALE_NAN_LO = 0x00000002;

/** Any 64-bit pattern as a double, NaN payloads included; the stale marker often. */
const doubleBits = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })),
  fc.constant<[number, number]>([STALE_NAN_HI, STALE_NAN_LO]),
  fc.constant<[number, number]>([0x7ff80000, 0]),
);

function column(bits: readonly [number, number][]): Float64Array {
  const out = new Float64Array(bits.length);
  const view = new DataView(out.buffer);
  bits.forEach(([hi, lo], i) => {
    view.setUint32(i * 8, lo, true);
    view.setUint32(i * 8 + 4, hi, true);
  });
  return out;
}

function bytesOf(a: ArrayLike<number>): Uint8Array {
  const f = a instanceof Float64Array ? a : Float64Array.from(a);
  return new Uint8Array(f.buffer, f.byteOffset, f.length * 8);
}

const text = fc.string({ unit: "binary", maxLength: 12 });
const blob = fc.uint8Array({ minLength: 1, maxLength: 24 });

const batchArb = fc
  .record({
    ids: fc.array(fc.string({ unit: "binary", minLength: 1, maxLength: 16 }), {
      minLength: 1,
      maxLength: 6,
    }),
    points: fc.array(
      fc.record({
        series: fc.nat(),
        timeMs: fc.double({ noNaN: true }),
        value: doubleBits,
        nsInMs: fc.integer({ min: 0, max: 999_999 }),
        unit: fc.integer({ min: 0, max: 255 }),
        annotation: fc.option(blob),
      }),
      { maxLength: 40 },
    ),
    tags: fc.option(fc.array(fc.option(blob), { minLength: 6, maxLength: 6 })),
    refs: fc.option(
      fc.array(fc.integer({ min: -1, max: 1 << 30 }), { minLength: 6, maxLength: 6 }),
    ),
    withNs: fc.boolean(),
    withUnits: fc.boolean(),
    withAnnotations: fc.boolean(),
  })
  .map(({ ids, points, tags, refs, withNs, withUnits, withAnnotations }): WriteBatch => {
    const b: WriteBatch = {
      count: points.length,
      series: Uint32Array.from(points, (p) => p.series % ids.length),
      timesMs: Float64Array.from(points, (p) => p.timeMs),
      values: column(points.map((p) => p.value)),
      seriesIds: ids,
    };
    if (tags !== null) b.seriesTags = tags.slice(0, ids.length);
    if (refs !== null) b.seriesRefs = Float64Array.from(refs.slice(0, ids.length));
    if (withNs) b.nsInMs = Float64Array.from(points, (p) => p.nsInMs);
    if (withUnits) b.units = Uint8Array.from(points, (p) => p.unit);
    if (withAnnotations) b.annotations = points.map((p) => p.annotation);
    return b;
  });

test("a WriteBatchRequest round-trips every column, NaN payloads bit for bit", () => {
  fc.assert(
    fc.property(text, batchArb, (namespace, batch) => {
      const got = decodeWriteBatchRequest(encodeWriteBatchRequest({ namespace, batch }));
      assert.equal(got.namespace, namespace);
      const b = got.batch;
      assert.equal(b.count, batch.count);
      assert.deepEqual(Array.from(b.series), Array.from(batch.series));
      assert.deepEqual(bytesOf(b.timesMs), bytesOf(batch.timesMs));
      assert.deepEqual(bytesOf(b.values), bytesOf(batch.values));
      assert.deepEqual(b.seriesIds, batch.seriesIds);
      // An empty batch's series tables still travel; a column given comes back given.
      assert.deepEqual(b.seriesTags, batch.seriesTags);
      assert.deepEqual(
        b.seriesRefs === undefined ? undefined : Array.from(b.seriesRefs),
        batch.seriesRefs === undefined ? undefined : Array.from(batch.seriesRefs),
      );
      assert.deepEqual(
        b.nsInMs === undefined ? undefined : Array.from(b.nsInMs),
        batch.nsInMs === undefined ? undefined : Array.from(batch.nsInMs),
      );
      assert.deepEqual(
        b.units === undefined ? undefined : Array.from(b.units),
        batch.units === undefined ? undefined : Array.from(batch.units),
      );
      const annotations = batch.count === 0 ? undefined : batch.annotations;
      assert.deepEqual(b.annotations, annotations);
    }),
    { numRuns: RUNS },
  );
});

test("the stale marker written into a value column arrives with its payload", () => {
  const values = column([[STALE_NAN_HI, STALE_NAN_LO]]);
  const batch: WriteBatch = {
    count: 1,
    series: [0],
    timesMs: [1000],
    values,
    seriesIds: ["a"],
  };
  const got = decodeWriteBatchRequest(encodeWriteBatchRequest({ namespace: "ns", batch }));
  const v = got.batch.values as Float64Array;
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  assert.equal(view.getUint32(0, true), STALE_NAN_LO);
  assert.equal(view.getUint32(4, true), STALE_NAN_HI);
});

test("a series index that is not an unsigned 32-bit integer is refused when encoding", () => {
  const batch: WriteBatch = {
    count: 1,
    series: [-1],
    timesMs: [1],
    values: [1],
    seriesIds: ["a"],
  };
  assert.throws(
    () => encodeWriteBatchRequest({ namespace: "ns", batch }),
    (e: unknown) => e instanceof RpcMessageError && /series\[0\] = -1/.test(e.message),
  );
});

test("a WriteBatchResponse round-trips its refusals and refs", () => {
  fc.assert(
    fc.property(
      fc.nat(),
      fc.array(fc.record({ index: fc.nat(), code: text, message: text }), { maxLength: 5 }),
      fc.array(fc.integer({ min: -1, max: 1 << 30 }), { maxLength: 8 }),
      (written, errors, refs) => {
        const res = { written, errors, refs: Float64Array.from(refs) };
        const got = decodeWriteBatchResponse(encodeWriteBatchResponse(res));
        assert.equal(got.written, written);
        assert.deepEqual(
          got.errors,
          errors.map((e) => ({ ...e })),
        );
        assert.deepEqual(Array.from(got.refs), refs);
      },
    ),
    { numRuns: RUNS },
  );
});

const matcherArb = fc
  .record({
    type: fc.constantFrom(...MATCH_TYPES),
    name: fc.string({ unit: "binary", minLength: 1, maxLength: 8 }),
    literal: text,
    pattern: fc.constantFrom("a.*", "foo|bar", ".+", "x?y", "é+"),
  })
  .map(({ type, name, literal, pattern }) =>
    newMatcher(type, name, type === "=~" || type === "!~" ? pattern : literal),
  );

function plain(ms: readonly Matcher[]) {
  return ms.map((m) => [m.type, m.name, m.value]);
}

const shardsArb = fc.option(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 8 }));

test("a FetchTaggedRequest round-trips its matchers, range, shards and limits", () => {
  fc.assert(
    fc.property(
      text,
      fc.array(matcherArb, { maxLength: 4 }),
      fc.double(),
      fc.double(),
      shardsArb,
      fc.tuple(fc.nat(), fc.nat(), fc.nat()),
      (namespace, matchers, startMs, endMs, shards, [maxSeries, maxDocsScanned, maxSamples]) => {
        const req: FetchTaggedRequest = {
          namespace,
          matchers,
          startMs,
          endMs,
          shards,
          limits: { maxSeries, maxDocsScanned, maxSamples },
        };
        const got = decodeFetchTaggedRequest(encodeFetchTaggedRequest(req));
        assert.equal(got.namespace, namespace);
        assert.deepEqual(plain(got.matchers), plain(matchers));
        assert.ok(Object.is(got.startMs, startMs) && Object.is(got.endMs, endMs));
        assert.deepEqual(got.shards, shards);
        assert.deepEqual(got.limits, req.limits);
      },
    ),
    { numRuns: RUNS },
  );
});

const pieceArb: fc.Arbitrary<SeriesData> = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map(packedBlock),
);

const seriesArb: fc.Arbitrary<WireSeries> = fc.record({
  id: fc.string({ unit: "binary", maxLength: 16 }),
  encodedTags: fc.uint8Array({ maxLength: 30 }),
  data: fc.array(pieceArb, { maxLength: 4 }),
});

function pieces(data: readonly SeriesData[]) {
  return data.map((d) => (isPacked(d) ? ["packed", [...d.bytes]] : ["m3tsz", [...d]]));
}

test("a FetchTaggedResponse round-trips every series with its pieces' kinds and bytes", () => {
  fc.assert(
    fc.property(fc.array(seriesArb, { maxLength: 6 }), (series) => {
      const got = decodeFetchTaggedResponse(encodeFetchTaggedResponse(series));
      assert.equal(got.length, series.length);
      for (let i = 0; i < series.length; i++) {
        assert.equal(got[i].id, series[i].id);
        assert.deepEqual([...got[i].encodedTags], [...series[i].encodedTags]);
        assert.deepEqual(pieces(got[i].data), pieces(series[i].data));
      }
    }),
    { numRuns: RUNS },
  );
});

test("SeriesTags, LabelNames and LabelValues messages round-trip", () => {
  fc.assert(
    fc.property(
      text,
      fc.array(matcherArb, { maxLength: 3 }),
      fc.double(),
      fc.double(),
      shardsArb,
      fc.array(fc.record({ id: text, encodedTags: fc.uint8Array({ maxLength: 20 }) }), {
        maxLength: 5,
      }),
      fc.array(text, { maxLength: 5 }),
      (namespace, matchers, startMs, endMs, shards, tagged, labels) => {
        const limits = { maxSeries: 3, maxDocsScanned: 7 };
        const st = decodeSeriesTagsRequest(
          encodeSeriesTagsRequest({ namespace, matchers, startMs, endMs, limits, shards }),
        );
        assert.deepEqual(
          { ...st, matchers: plain(st.matchers) },
          { namespace, matchers: plain(matchers), startMs, endMs, limits, shards },
        );
        const tags = decodeSeriesTagsResponse(encodeSeriesTagsResponse(tagged));
        assert.deepEqual(
          tags.map((t) => [t.id, [...t.encodedTags]]),
          tagged.map((t) => [t.id, [...t.encodedTags]]),
        );
        const ln = decodeLabelNamesRequest(
          encodeLabelNamesRequest({ namespace, matchers, startMs, endMs }),
        );
        assert.deepEqual(
          [ln.namespace, plain(ln.matchers), ln.startMs, ln.endMs],
          [namespace, plain(matchers), startMs, endMs],
        );
        const lv = decodeLabelValuesRequest(
          encodeLabelValuesRequest({ namespace, name: labels[0] ?? "", matchers, startMs, endMs }),
        );
        assert.equal(lv.name, labels[0] ?? "");
        assert.deepEqual(decodeLabelsResponse(encodeLabelsResponse(labels)), labels);
      },
    ),
    { numRuns: RUNS },
  );
});

test("Health and Aggregate messages round-trip", () => {
  fc.assert(
    fc.property(
      fc.constantFrom("bootstrapping", "bootstrapped", "failed"),
      fc.option(fc.string({ unit: "binary", minLength: 1, maxLength: 20 })),
      fc.record({
        namespace: text,
        query: fc.string({ unit: "binary", maxLength: 40 }),
        startMs: fc.double(),
        endMs: fc.double(),
        stepMs: fc.double(),
        lookbackMs: fc.double(),
        maxSeries: fc.nat(),
        maxSamples: fc.nat(),
        shards: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 8 }),
      }),
      fc.uint8Array({ maxLength: 50 }),
      (state, failureReason, agg: AggregateRequest, partial) => {
        assert.deepEqual(decodeHealthResponse(encodeHealthResponse({ state, failureReason })), {
          state,
          failureReason,
        });
        assert.deepEqual(decodeAggregateRequest(encodeAggregateRequest(agg)), { ...agg });
        assert.deepEqual(
          [...decodeAggregateResponse(encodeAggregateResponse(partial))],
          [...partial],
        );
      },
    ),
    { numRuns: RUNS },
  );
});

test("bytes cut short are refused with RpcMessageError naming the message", () => {
  const bytes = encodeFetchTaggedResponse([
    { id: "a", encodedTags: new Uint8Array([1, 2]), data: [new Uint8Array([1, 2, 3])] },
  ]);
  assert.throws(
    () => decodeFetchTaggedResponse(bytes.subarray(0, bytes.length - 1)),
    (e: unknown) => e instanceof RpcMessageError && e.messageName === "FetchTaggedResponse",
  );
  const req = encodeWriteBatchRequest({
    namespace: "ns",
    batch: { count: 2, series: [0, 0], timesMs: [1, 2], values: [1, 2], seriesIds: ["a"] },
  });
  // Field 3 (series) holds 8 bytes; declaring 7 leaves a column that is not whole.
  const cut = Uint8Array.from(req);
  const at = cut.indexOf(3 * 8 + 2);
  cut[at + 1] = 7;
  assert.throws(() => decodeWriteBatchRequest(cut), RpcMessageError);
});
