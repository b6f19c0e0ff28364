// /api/v1/metadata's answer: Prometheus's envelope, its three parameters with their
// semantics at the edges (limit 0 and negative, limit_per_metric 0), and its wording for
// a limit that is not a number.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MetricMetadataStore } from "../metadata/index.js";
import { metadataResponse } from "./metadata.js";

function store(): MetricMetadataStore {
  const s = new MetricMetadataStore();
  s.observe("http_requests_total", "counter", "Number of HTTP requests", "");
  s.observe("http_requests_total", "counter", "Amount of HTTP requests", "");
  s.observe("cortex_ring_tokens", "gauge", "Number of tokens in the ring", "");
  s.observe("node_memory_bytes", "gauge", "Memory in use", "bytes");
  return s;
}

function answer(query: string) {
  return metadataResponse(store(), new URLSearchParams(query));
}

function data(query: string): Record<string, { type: string; help: string; unit: string }[]> {
  const r = answer(query);
  assert.equal(r.status, 200);
  const body = r.body as { status: string; data: Record<string, never> };
  assert.equal(body.status, "success");
  // The body goes out as JSON: compare what a client reads.
  return JSON.parse(JSON.stringify(body.data));
}

test("without parameters every family is listed with its distinct entries, most recent first", () => {
  const r = answer("");
  assert.equal(
    JSON.stringify(r.body),
    JSON.stringify({
      status: "success",
      data: {
        cortex_ring_tokens: [{ type: "gauge", help: "Number of tokens in the ring", unit: "" }],
        http_requests_total: [
          { type: "counter", help: "Amount of HTTP requests", unit: "" },
          { type: "counter", help: "Number of HTTP requests", unit: "" },
        ],
        node_memory_bytes: [{ type: "gauge", help: "Memory in use", unit: "bytes" }],
      },
    }),
  );
});

test("limit bounds the families (in name order); 0 gives none, a negative one or an empty one no bound", () => {
  assert.deepEqual(Object.keys(data("limit=2")), ["cortex_ring_tokens", "http_requests_total"]);
  assert.deepEqual(data("limit=0"), {});
  assert.equal(Object.keys(data("limit=-1")).length, 3);
  assert.equal(Object.keys(data("limit=")).length, 3);
  assert.equal(Object.keys(data("limit=%2B1")).length, 1, "Go's Atoi takes a plus sign");
  // A raw "+" in a query string is a space, as Go's form parsing reads it too.
  assert.equal(answer("limit=+1").status, 400);
  assert.equal(Object.keys(data("limit=0003")).length, 3);
  assert.equal(Object.keys(data("limit=9223372036854775807")).length, 3);
});

test("limit_per_metric bounds each family's entries to the most recent; 0 or negative does not", () => {
  assert.deepEqual(data("limit_per_metric=1").http_requests_total, [
    { type: "counter", help: "Amount of HTTP requests", unit: "" },
  ]);
  assert.equal(data("limit_per_metric=0").http_requests_total.length, 2);
  assert.equal(data("limit_per_metric=-5").http_requests_total.length, 2);
  assert.equal(data("limit_per_metric=1&limit=1").cortex_ring_tokens.length, 1);
});

test("metric picks one family; an unknown one gives an empty object", () => {
  assert.deepEqual(data("metric=node_memory_bytes"), {
    node_memory_bytes: [{ type: "gauge", help: "Memory in use", unit: "bytes" }],
  });
  assert.deepEqual(data("metric=absent_metric"), {});
  assert.deepEqual(data("metric=node_memory_bytes&limit=0"), {});
  assert.equal(data("metric=http_requests_total&limit_per_metric=1").http_requests_total.length, 1);
});

test("a limit that is not an int64 is 400 bad_data in Prometheus's words", () => {
  for (const bad of ["abc", "1.5", "1e3", " 1", "0x10", "9223372036854775808", "--1", "1_000"]) {
    const q = new URLSearchParams({ limit: bad }).toString();
    assert.deepEqual(
      answer(q),
      {
        status: 400,
        body: { status: "error", errorType: "bad_data", error: "limit must be a number" },
      },
      bad,
    );
    const q2 = new URLSearchParams({ limit_per_metric: bad }).toString();
    assert.deepEqual(
      answer(q2),
      {
        status: 400,
        body: {
          status: "error",
          errorType: "bad_data",
          error: "limit_per_metric must be a number",
        },
      },
      bad,
    );
  }
  // limit is checked first, as Prometheus does.
  assert.equal(
    (answer("limit=x&limit_per_metric=y").body as { error: string }).error,
    "limit must be a number",
  );
});

test("a family named __proto__ is listed as any other", () => {
  const s = new MetricMetadataStore();
  s.observe("__proto__", "gauge", "odd", "");
  const body = metadataResponse(s, new URLSearchParams()).body as { data: object };
  assert.deepEqual(JSON.parse(JSON.stringify(body.data)), {
    ["__proto__"]: [{ type: "gauge", help: "odd", unit: "" }],
  });
});
