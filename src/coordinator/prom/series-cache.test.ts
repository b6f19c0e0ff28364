import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodeTags, seriesIdString } from "../../x/index.js";
import { InvalidLabelsError } from "../series-errors.js";
import { encodeWriteRequest } from "./request-encoder.js";
import { SeriesCache } from "./series-cache.js";
import { decodeLabels, decodeWriteRequest, WriteRequestColumns } from "./write-request.js";

function decoded(series: [string, string][][]): { body: Uint8Array; cols: WriteRequestColumns } {
  const body = encodeWriteRequest(series.map((labels) => ({ labels, timesMs: [1], values: [1] })));
  const cols = new WriteRequestColumns();
  decodeWriteRequest(body, cols);
  return { body, cols };
}

/** The entry a series resolves to; fails the test when its labels were refused. */
function entryOf(
  cache: SeriesCache,
  body: Uint8Array,
  cols: WriteRequestColumns,
  s: number,
): number {
  const e = cache.resolve(body, cols, s);
  if (typeof e !== "number") assert.fail(`series ${s} was refused: ${e.message}`);
  return e;
}

test("a series is found again from its label bytes, in a later request with other bytes around it", () => {
  const cache = new SeriesCache();
  const a: [string, string][] = [
    ["__name__", "up"],
    ["job", "node"],
  ];
  const b: [string, string][] = [
    ["__name__", "up"],
    ["job", "api"],
  ];
  const first = decoded([a, b]);
  const ea = entryOf(cache, first.body, first.cols, 0);
  const eb = entryOf(cache, first.body, first.cols, 1);
  assert.notEqual(ea, eb);
  const second = decoded([[["__name__", "other"]], b, a]);
  assert.equal(entryOf(cache, second.body, second.cols, 2), ea);
  assert.equal(entryOf(cache, second.body, second.cols, 1), eb);
  assert.equal(cache.size, 2);
  assert.equal(cache.ids[ea], seriesIdString(a));
  assert.deepEqual(decodeTags(cache.tags[ea]), a);
});

test("labels are sorted into the canonical ID whatever order they arrive in; empty values are dropped", () => {
  const cache = new SeriesCache();
  const { body, cols } = decoded([
    [
      ["job", "x"],
      ["__name__", "m"],
      ["env", ""],
    ],
  ]);
  const e = entryOf(cache, body, cols, 0);
  assert.ok(e >= 0);
  assert.equal(
    cache.ids[e],
    seriesIdString([
      ["__name__", "m"],
      ["job", "x"],
    ]),
  );
});

test("invalid label sets are refused with a message naming the series and the rule", () => {
  const cases: { labels: [string, string][]; reason: RegExp }[] = [
    {
      labels: [
        ["", "v"],
        ["__name__", "m"],
      ],
      reason: /label name is empty/,
    },
    {
      labels: [
        ["__name__", "m"],
        ["bad-name", "v"],
      ],
      reason: /label name "bad-name" is invalid/,
    },
    {
      labels: [
        ["__name__", "m"],
        ["a", "1"],
        ["a", "2"],
      ],
      reason: /duplicate tag name "a"/,
    },
    { labels: [["a", ""]], reason: /at least one tag/ },
  ];
  for (const { labels, reason } of cases) {
    const cache = new SeriesCache();
    const { body, cols } = decoded([labels]);
    const refused = cache.resolve(body, cols, 0);
    assert.ok(refused instanceof InvalidLabelsError, JSON.stringify(labels));
    assert.match(refused.message, reason);
    assert.match(refused.message, /^series \{/);
    assert.equal(cache.size, 0);
  }
});

test("a label value that is not UTF-8 is refused", () => {
  const cache = new SeriesCache();
  const { body, cols } = decoded([[["__name__", "mmmm"]]]);
  body[cols.valueAt[0]] = 0xff;
  const refused = cache.resolve(body, cols, 0);
  assert.ok(refused instanceof InvalidLabelsError);
  assert.match(refused.message, /not valid UTF-8/);
});

test("past its bound the cache empties and starts a new generation, and still resolves correctly", () => {
  const cache = new SeriesCache(4);
  const series = Array.from(
    { length: 10 },
    (_, i) => [["__name__", `m${i}`]] as [string, string][],
  );
  const { body, cols } = decoded(series);
  for (let s = 0; s < 10; s++) {
    const e = entryOf(cache, body, cols, s);
    assert.equal(cache.ids[e], seriesIdString(series[s]));
  }
  assert.ok(cache.generation >= 2);
  assert.ok(cache.size <= 4);
});

test("past its byte bound the cache empties, gives back its grown arrays and still resolves correctly", () => {
  const maxBytes = 512 * 1024;
  const cache = new SeriesCache(1 << 21, maxBytes);
  const long = "x".repeat(200);
  const series = Array.from(
    { length: 5000 },
    (_, i) =>
      [
        ["__name__", `m${i}`],
        ["pod", `${long}${i}`],
      ] as [string, string][],
  );
  const { body, cols } = decoded(series);
  let peak = 0;
  for (let s = 0; s < series.length; s++) {
    const e = entryOf(cache, body, cols, s);
    assert.equal(cache.ids[e], seriesIdString(series[s]));
    assert.deepEqual(decodeTags(cache.tags[e]), series[s]);
    peak = Math.max(peak, cache.bytes);
  }
  // 5000 series of ~230-byte keys, IDs and tags are about 3 MiB: several clears.
  assert.ok(cache.generation >= 3, `generation ${cache.generation}`);
  assert.ok(peak <= maxBytes, `peak ${peak} bytes over the bound of ${maxBytes}`);
  // What is left is found again without a miss.
  const before = cache.size;
  const last = entryOf(cache, body, cols, series.length - 1);
  assert.equal(cache.size, before);
  assert.equal(cache.ids[last], seriesIdString(series[series.length - 1]));
});

test("the byte count covers what the entries hold", () => {
  const cache = new SeriesCache();
  const empty = cache.bytes;
  const series = Array.from(
    { length: 3000 },
    (_, i) =>
      [
        ["__name__", `metric_${i}`],
        ["instance", `host-${i}:9100`],
      ] as [string, string][],
  );
  const { body, cols } = decoded(series);
  for (let s = 0; s < series.length; s++) entryOf(cache, body, cols, s);
  let held = 0;
  for (let e = 0; e < cache.size; e++) held += cache.ids[e].length + cache.tags[e].length;
  assert.ok(cache.bytes - empty >= held, `${cache.bytes - empty} counted, ${held} held`);
});

test("property: equal label sets resolve to one entry, different ones to different entries", () => {
  const label = fc.tuple(
    fc.constantFrom("__name__", "job", "instance", "le", "a_b"),
    fc.string({ minLength: 1, maxLength: 6 }),
  );
  const labelSet = fc.uniqueArray(label, { minLength: 1, maxLength: 5, selector: (l) => l[0] });
  fc.assert(
    fc.property(fc.array(labelSet, { minLength: 1, maxLength: 30 }), (sets) => {
      const cache = new SeriesCache();
      const { body, cols } = decoded(sets as [string, string][][]);
      const byId = new Map<string, number>();
      for (let s = 0; s < sets.length; s++) {
        const e = entryOf(cache, body, cols, s);
        assert.ok(e >= 0);
        const id = seriesIdString([...sets[s]].sort((x, y) => (x[0] < y[0] ? -1 : 1)));
        assert.equal(cache.ids[e], id);
        const seen = byId.get(JSON.stringify(sets[s]));
        if (seen !== undefined) assert.equal(e, seen);
        byId.set(JSON.stringify(sets[s]), e);
      }
    }),
  );
});

test("lazily decoded requests resolve to the same series as eagerly decoded ones, labels parsed only on a miss", () => {
  const sets: [string, string][][] = [
    [
      ["__name__", "a"],
      ["job", "x"],
    ],
    [
      ["__name__", "b"],
      ["job", "y"],
      ["le", "0.5"],
    ],
  ];
  const body = encodeWriteRequest(
    sets.map((labels) => ({ labels, timesMs: [1, 2], values: [3, 4] })),
  );
  const eager = new WriteRequestColumns();
  decodeWriteRequest(body, eager);
  const lazy = new WriteRequestColumns();
  decodeWriteRequest(body, lazy, true);
  assert.deepEqual([lazy.labelCount[0], lazy.labelCount[1]], [-1, -1]);
  assert.deepEqual(
    Array.from(lazy.timesMs.subarray(0, 4)),
    Array.from(eager.timesMs.subarray(0, 4)),
  );
  const a = new SeriesCache();
  const b = new SeriesCache();
  for (let s = 0; s < 2; s++)
    assert.equal(a.ids[entryOf(a, body, lazy, s)], b.ids[entryOf(b, body, eager, s)]);
  // Seen before: found from the raw label run without parsing the labels again.
  const again = new WriteRequestColumns();
  decodeWriteRequest(body, again, true);
  assert.equal(entryOf(a, body, again, 1), 1);
  assert.equal(again.labelCount[1], -1);
  decodeLabels(body, again, 1);
  assert.equal(again.labelCount[1], 3);
});
