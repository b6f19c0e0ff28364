// Metric metadata from remote write bodies into the store: 1.0's request-level
// MetricMetadata and 2.0's per-series Metadata with its symbol refs, decoded from the
// bytes the encoder writes and from hand-built ones.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { METRIC_TYPES, MetricMetadataStore } from "../../query/metadata/index.js";
import { familyOfSeries, MetadataFeed } from "./metadata-feed.js";
import { encodeWriteRequest, type TestMetadata, type TestSeries } from "./request-encoder.js";
import { decodeWriteRequest, WriteRequestColumns } from "./write-request.js";
import { decodeWriteRequestV2 } from "./write-request-v2.js";

function fed(body: Uint8Array, version: "1.0" | "2.0", store = new MetricMetadataStore()) {
  const cols = new WriteRequestColumns();
  if (version === "2.0") decodeWriteRequestV2(body, cols);
  else decodeWriteRequest(body, cols, true);
  const recorded = new MetadataFeed(store).record(body, cols, version);
  return { store, cols, recorded };
}

function series(name: string, metadata?: TestMetadata, extra: [string, string][] = []): TestSeries {
  return { labels: [["__name__", name], ...extra], timesMs: [1000], values: [1], metadata };
}

test("1.0: a metadata request as Prometheus sends it fills the store, one entry per family", () => {
  const body = encodeWriteRequest([], {
    version: "1.0",
    familyMetadata: [
      { type: 1, family: "http_requests_total", help: "Number of HTTP requests" },
      { type: 2, family: "node_memory_bytes", help: "Memory in use", unit: "bytes" },
      { type: 3, family: "rpc_seconds", help: "RPC latency" },
      { type: 0, family: "mystery" },
      { type: 7, family: "feature_state", help: "ツ 😀" },
    ],
  });
  const { store, cols, recorded } = fed(body, "1.0");
  assert.equal(cols.series, 0);
  assert.equal(cols.metadata, 5);
  assert.equal(cols.metaEntries, 5);
  assert.equal(recorded, 5);
  assert.deepEqual(store.get("http_requests_total"), [
    { type: "counter", help: "Number of HTTP requests", unit: "" },
  ]);
  assert.deepEqual(store.get("node_memory_bytes"), [
    { type: "gauge", help: "Memory in use", unit: "bytes" },
  ]);
  assert.deepEqual(store.get("rpc_seconds"), [
    { type: "histogram", help: "RPC latency", unit: "" },
  ]);
  assert.deepEqual(store.get("mystery"), [{ type: "unknown", help: "", unit: "" }]);
  assert.deepEqual(store.get("feature_state"), [{ type: "stateset", help: "ツ 😀", unit: "" }]);
});

test("1.0: metadata beside series is kept, and the family name is taken as sent, suffix and all", () => {
  const body = encodeWriteRequest(
    [
      series("rpc_seconds_bucket", { type: 3, help: "h", family: "rpc_seconds" }, [["le", "1"]]),
      series("rpc_seconds_count", { type: 3, help: "h" }),
    ],
    { version: "1.0" },
  );
  const { store, cols } = fed(body, "1.0");
  assert.equal(cols.series, 2);
  assert.equal(cols.samples, 2);
  assert.deepEqual(store.names(), ["rpc_seconds", "rpc_seconds_count"]);
});

test("2.0: per-series metadata is kept under the family, once per request however many series repeat it", () => {
  const h = { type: 3, help: "RPC latency", unit: "seconds" };
  const body = encodeWriteRequest(
    [
      series("rpc_seconds_bucket", h, [["le", "0.1"]]),
      series("rpc_seconds_bucket", h, [["le", "+Inf"]]),
      series("rpc_seconds_sum", h),
      series("rpc_seconds_count", h),
      series("http_requests_total", { type: 1, help: "Number of HTTP requests" }, [
        ["code", "200"],
      ]),
      series("http_requests_total", { type: 1, help: "Number of HTTP requests" }, [
        ["code", "500"],
      ]),
      series("q_seconds", { type: 5, help: "quantiles" }, [["quantile", "0.5"]]),
      series("q_seconds_sum", { type: 5, help: "quantiles" }),
      series("plain"),
    ],
    { version: "2.0" },
  );
  const { store, cols, recorded } = fed(body, "2.0");
  assert.equal(cols.series, 9);
  assert.equal(cols.metadata, 8, "the series without metadata says nothing");
  assert.equal(cols.metaEntries, 8);
  // The three rpc_seconds names, one http_requests_total, the two q_seconds names.
  assert.equal(recorded, 6);
  assert.deepEqual(store.names(), ["http_requests_total", "q_seconds", "rpc_seconds"]);
  assert.deepEqual(store.get("rpc_seconds"), [
    { type: "histogram", help: "RPC latency", unit: "seconds" },
  ]);
  assert.deepEqual(store.get("http_requests_total"), [
    { type: "counter", help: "Number of HTTP requests", unit: "" },
  ]);
  assert.deepEqual(store.get("q_seconds"), [{ type: "summary", help: "quantiles", unit: "" }]);
});

test("2.0: metadata of a series with no metric name is counted and not kept", () => {
  const body = encodeWriteRequest(
    [
      { labels: [["job", "a"]], timesMs: [1], values: [1], metadata: { type: 2, help: "x" } },
      { labels: [["__name__", ""]], timesMs: [1], values: [1], metadata: { type: 2 } },
    ],
    { version: "2.0" },
  );
  const { store, cols } = fed(body, "2.0");
  assert.equal(cols.metadata, 2);
  assert.equal(cols.metaEntries, 0);
  assert.equal(store.size, 0);
});

test("2.0: a help or unit ref outside the symbol table drops that metadata, not the samples", () => {
  const body = Uint8Array.from([
    ...[0x22, 0x00], // symbol 0: ""
    ...[0x22, 0x08, ...Buffer.from("__name__")], // symbol 1
    ...[0x22, 0x01, 0x6d], // symbol 2: "m"
    ...[0x2a, 0x0e], // timeseries, 14 bytes
    ...[0x0a, 0x02, 0x01, 0x02], // labels_refs [1, 2]: __name__="m"
    ...[0x12, 0x02, 0x10, 0x05], // sample at 5 ms, value 0
    ...[0x2a, 0x04, 0x08, 0x02, 0x18, 0x09], // metadata: gauge, help_ref 9 (there are 3 symbols)
  ]);
  const { store, cols } = fed(body, "2.0");
  assert.equal(cols.samples, 1);
  assert.equal(cols.timesMs[0], 5);
  assert.equal(cols.metadata, 1);
  assert.equal(cols.metaEntries, 0);
  assert.equal(store.size, 0);
});

test("2.0: repeated Metadata messages merge, the last value of each field winning", () => {
  const body = Uint8Array.from([
    ...[0x22, 0x00],
    ...[0x22, 0x08, ...Buffer.from("__name__")], // symbol 1
    ...[0x22, 0x01, 0x6d], // symbol 2: "m"
    ...[0x22, 0x02, 0x68, 0x31], // symbol 3: "h1"
    ...[0x22, 0x02, 0x68, 0x32], // symbol 4: "h2"
    ...[0x2a, 0x10],
    ...[0x0a, 0x02, 0x01, 0x02],
    ...[0x2a, 0x04, 0x08, 0x01, 0x18, 0x03], // counter, help "h1"
    ...[0x2a, 0x04, 0x08, 0x02, 0x18, 0x04], // gauge, help "h2"
  ]);
  const { store } = fed(body, "2.0");
  assert.deepEqual(store.get("m"), [{ type: "gauge", help: "h2", unit: "" }]);
});

test("the columns of one request do not leak metadata into the next", () => {
  const cols = new WriteRequestColumns();
  decodeWriteRequest(encodeWriteRequest([series("a", { type: 1 })], { version: "1.0" }), cols);
  assert.equal(cols.metaEntries, 1);
  decodeWriteRequest(encodeWriteRequest([series("a")], { version: "1.0" }), cols);
  assert.equal(cols.metaEntries, 0);
  decodeWriteRequestV2(encodeWriteRequest([series("a", { type: 1 })], { version: "2.0" }), cols);
  assert.equal(cols.metaEntries, 1);
  decodeWriteRequestV2(encodeWriteRequest([series("a")], { version: "2.0" }), cols);
  assert.equal(cols.metaEntries, 0);
});

test("a 2.0 series' family: the type's suffixes come off, counters and gauges keep their names", () => {
  assert.equal(familyOfSeries("rpc_seconds_bucket", "histogram"), "rpc_seconds");
  assert.equal(familyOfSeries("rpc_seconds_count", "histogram"), "rpc_seconds");
  assert.equal(familyOfSeries("rpc_seconds", "histogram"), "rpc_seconds");
  assert.equal(familyOfSeries("q_sum", "summary"), "q");
  assert.equal(familyOfSeries("q_bucket", "summary"), "q_bucket");
  assert.equal(familyOfSeries("g_gcount", "gaugehistogram"), "g");
  assert.equal(familyOfSeries("http_requests_total", "counter"), "http_requests_total");
  assert.equal(familyOfSeries("x_count", "gauge"), "x_count");
  assert.equal(familyOfSeries("_sum", "summary"), "_sum", "never an empty family");
});

test("property: 1.0 and 2.0 bodies give the store the type, help and unit each family was sent with", () => {
  const text = fc.string({
    unit: fc.constantFrom("a", "_", " ", "\n", "é", "ツ", "😀"),
    maxLength: 6,
  });
  const entry = fc.record({ type: fc.nat(9), help: text, unit: text });
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { maxLength: 6 }),
      fc.array(entry, { minLength: 6, maxLength: 6 }),
      (names, entries) => {
        const metadata = names.map((name, i) => ({ ...entries[i], family: name }));
        // Names without an underscore never lose a suffix, so both versions name families alike.
        const expected = new Map(
          metadata.map((m) => [
            m.family,
            { type: METRIC_TYPES[m.type] ?? "unknown", help: m.help, unit: m.unit },
          ]),
        );
        // 2.0 has no empty metadata: type 0 with no help and no unit says nothing.
        const said = new Map(
          metadata.map((m) => [m.family, m.type !== 0 || m.help + m.unit !== ""]),
        );
        const v1 = fed(encodeWriteRequest([], { version: "1.0", familyMetadata: metadata }), "1.0");
        const v2 = fed(
          encodeWriteRequest(
            metadata.map((m) => series(m.family, { type: m.type, help: m.help, unit: m.unit })),
            { version: "2.0" },
          ),
          "2.0",
        );
        for (const [{ store }, want] of [
          [v1, expected],
          [v2, new Map([...expected].filter(([f]) => said.get(f)))],
        ] as const) {
          assert.deepEqual(store.names(), [...want.keys()].sort());
          for (const [family, e] of want) assert.deepEqual(store.get(family), [e]);
        }
      },
    ),
    { seed: 42, numRuns: 200 },
  );
});
