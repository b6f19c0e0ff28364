// The metadata store: distinct entries per family most recent first, both bounds, and a
// property test against a plain model of what the store must hold.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  DEFAULT_MAX_METADATA_METRICS,
  METRIC_TYPES,
  MetadataLimitError,
  MetricMetadataStore,
  type MetricType,
  metricTypeOfEnum,
} from "./index.js";

test("enum values map to Prometheus's lowercase type names; unknown values read as unknown", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(metricTypeOfEnum), [
    "unknown",
    "counter",
    "gauge",
    "histogram",
    "gaugehistogram",
    "summary",
    "info",
    "stateset",
  ]);
  assert.equal(metricTypeOfEnum(8), "unknown");
  assert.equal(metricTypeOfEnum(-1), "unknown");
});

test("a family keeps its distinct entries, the most recent first, an entry seen again moving first", () => {
  const s = new MetricMetadataStore();
  s.observe("http_requests_total", "counter", "Number of HTTP requests", "");
  s.observe("http_requests_total", "counter", "Number of HTTP requests", "");
  assert.deepEqual(s.get("http_requests_total"), [
    { type: "counter", help: "Number of HTTP requests", unit: "" },
  ]);
  s.observe("http_requests_total", "counter", "Amount of HTTP requests", "");
  s.observe("http_requests_total", "gauge", "Amount of HTTP requests", "");
  assert.deepEqual(
    s.get("http_requests_total").map((e) => `${e.type}/${e.help}`),
    [
      "gauge/Amount of HTTP requests",
      "counter/Amount of HTTP requests",
      "counter/Number of HTTP requests",
    ],
  );
  s.observe("http_requests_total", "counter", "Number of HTTP requests", "");
  assert.deepEqual(
    s.get("http_requests_total").map((e) => `${e.type}/${e.help}`),
    [
      "counter/Number of HTTP requests",
      "gauge/Amount of HTTP requests",
      "counter/Amount of HTTP requests",
    ],
  );
  // The unit tells entries apart too.
  s.observe("http_requests_total", "counter", "Number of HTTP requests", "requests");
  assert.equal(s.get("http_requests_total").length, 4);
  assert.deepEqual(s.get("absent"), []);
  assert.equal(s.size, 1);
});

test("past maxEntriesPerMetric the least recent entry of the family goes", () => {
  const s = new MetricMetadataStore({ maxEntriesPerMetric: 2 });
  s.observe("m", "gauge", "a", "");
  s.observe("m", "gauge", "b", "");
  s.observe("m", "gauge", "c", "");
  assert.deepEqual(
    s.get("m").map((e) => e.help),
    ["c", "b"],
  );
  s.observe("m", "gauge", "b", "");
  assert.deepEqual(
    s.get("m").map((e) => e.help),
    ["b", "c"],
  );
});

test("past maxMetrics the family seen least recently goes, and the evictions are counted", () => {
  const s = new MetricMetadataStore({ maxMetrics: 3 });
  for (const name of ["a", "b", "c"]) s.observe(name, "gauge", "", "");
  // Seen again, even unchanged: "a" is now the most recent.
  s.observe("a", "gauge", "", "");
  s.observe("d", "counter", "", "");
  assert.deepEqual(s.names(), ["a", "c", "d"]);
  assert.equal(s.evictedMetrics, 1);
  s.observe("e", "counter", "", "");
  assert.deepEqual(s.names(), ["a", "d", "e"]);
  assert.equal(s.evictedMetrics, 2);
  assert.equal(s.size, 3);
});

test("an empty family name is ignored; names() is sorted and follows additions and evictions", () => {
  const s = new MetricMetadataStore({ maxMetrics: 2 });
  s.observe("", "gauge", "no name", "");
  assert.equal(s.size, 0);
  s.observe("zeta", "gauge", "", "");
  s.observe("alpha", "gauge", "", "");
  assert.deepEqual(s.names(), ["alpha", "zeta"]);
  s.observe("mu", "gauge", "", "");
  assert.deepEqual(s.names(), ["alpha", "mu"]);
});

test("changes grows on what a save must write, not on an entry seen again unchanged", () => {
  const s = new MetricMetadataStore();
  const c0 = s.changes;
  s.observe("m", "gauge", "h", "");
  const c1 = s.changes;
  assert.ok(c1 > c0);
  s.observe("m", "gauge", "h", "");
  assert.equal(s.changes, c1);
  s.observe("m", "gauge", "other", "");
  assert.ok(s.changes > c1);
});

test("bounds must be positive integers; the defaults apply when none is given", () => {
  assert.equal(new MetricMetadataStore().maxMetrics, DEFAULT_MAX_METADATA_METRICS);
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => new MetricMetadataStore({ maxMetrics: bad }),
      (e: unknown) =>
        e instanceof MetadataLimitError &&
        e.code === "M3TS_ERR_METADATA_LIMIT" &&
        e.message.includes(`maxMetrics is ${bad}`),
    );
  }
  assert.throws(() => new MetricMetadataStore({ maxEntriesPerMetric: 0 }), MetadataLimitError);
});

test("property: the store holds what a plain model of both bounds holds", () => {
  const observation = fc.record({
    family: fc.constantFrom("a", "b", "c", "d", "e"),
    type: fc.constantFrom<MetricType>(...METRIC_TYPES),
    help: fc.constantFrom("", "h1", "h2", "h3"),
    unit: fc.constantFrom("", "bytes"),
  });
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 3 }),
      fc.array(observation, { maxLength: 60 }),
      (maxMetrics, maxEntriesPerMetric, observations) => {
        const s = new MetricMetadataStore({ maxMetrics, maxEntriesPerMetric });
        // The model: families in order of last sight, each a list of entry keys, most recent first.
        let order: string[] = [];
        const lists = new Map<string, string[]>();
        let evicted = 0;
        for (const o of observations) {
          s.observe(o.family, o.type, o.help, o.unit);
          const key = `${o.type}|${o.help}|${o.unit}`;
          const list = (lists.get(o.family) ?? []).filter((k) => k !== key);
          list.unshift(key);
          lists.set(o.family, list.slice(0, maxEntriesPerMetric));
          order = order.filter((f) => f !== o.family);
          order.push(o.family);
          while (order.length > maxMetrics) {
            lists.delete(order.shift() as string);
            evicted++;
          }
        }
        assert.deepEqual(s.names(), [...order].sort());
        assert.deepEqual(
          [...s.byRecency()].map(([f]) => f),
          order,
        );
        for (const f of order) {
          assert.deepEqual(
            s.get(f).map((e) => `${e.type}|${e.help}|${e.unit}`),
            lists.get(f),
          );
        }
        assert.equal(s.evictedMetrics, evicted);
      },
    ),
    { seed: 42, numRuns: 300 },
  );
});
