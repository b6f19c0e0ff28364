// The Prometheus query API of `m3ts start` on data written by remote write,
// through the real engine and parser: Grafana's requests answered in the
// shapes it reads, M3's series limit headers, the concurrency bound, and a
// timeout that leaves the node healthy.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { uncompressSync } from "snappy";
import type { Client } from "../../src/client/index.js";
import { PROMETHEUS_VERSION } from "../../src/query/api/index.js";
import { decodeReadResponse } from "../support/remote-read-client.js";
import { remoteWrite, startTestNode, startWrappedNode, type WrappedTestNode } from "./support.js";

/** A client whose fetches can be held until released, to make a query slow on purpose; it counts them. */
function holdingClient(inner: Client): {
  client: Client;
  hold(): void;
  release(): void;
  fetches(): number;
} {
  let held: (() => void)[] | null = null;
  let fetches = 0;
  const client: Client = Object.create(inner);
  client.fetchTagged = async (...args) => {
    fetches++;
    if (held !== null) {
      const h = held;
      await new Promise<void>((resolve) => h.push(resolve));
    }
    return inner.fetchTagged(...args);
  };
  return {
    client,
    hold: () => {
      held = [];
    },
    release: () => {
      const h = held ?? [];
      held = null;
      for (const f of h) f();
    },
    fetches: () => fetches,
  };
}

interface Reply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, read field by field
  body: any;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const r = await fetch(url, { headers });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

async function postForm(url: string, form: Record<string, string>): Promise<Reply> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

describe("the query API of m3ts start", () => {
  let n: WrappedTestNode;
  let holding: ReturnType<typeof holdingClient>;
  // Samples every 15 s over the last four minutes, on whole seconds.
  const baseMs = Math.floor(Date.now() / 1000) * 1000 - 240_000;
  const times = Array.from({ length: 16 }, (_, k) => baseMs + k * 15_000);
  const lastS = (baseMs + 15 * 15_000) / 1000;

  before(async () => {
    n = await startWrappedNode(
      (inner) => {
        holding = holdingClient(inner);
        return holding.client;
      },
      (c) => {
        c.query.maxConcurrent = 1;
        c.query.maxQueued = 1;
      },
    );
    const counter = (instance: string, rate: number) => ({
      labels: [
        ["__name__", "http_requests_total"],
        ["instance", instance],
        ["job", "api"],
      ] as [string, string][],
      timesMs: times,
      values: times.map((_, k) => k * rate),
    });
    const up = {
      labels: [
        ["__name__", "up"],
        ["instance", "c"],
        ["job", "node"],
      ] as [string, string][],
      timesMs: times,
      values: times.map(() => 1),
    };
    const w = await remoteWrite(n.base, [counter("a", 10), counter("b", 5), up]);
    assert.equal(w.status, 204, w.text);
  });
  after(async () => {
    holding.release();
    await n.stop();
  });

  test("Grafana's connection check: buildinfo with a Prometheus 3 version", async () => {
    const r = await get(`${n.base}/api/v1/status/buildinfo`);
    assert.equal(r.status, 200);
    assert.equal(r.body.data.version, PROMETHEUS_VERSION);
    assert.match(r.body.data.m3tsVersion, /^\d+\.\d+\.\d+/);
  });

  test("Grafana's metric browser: labels, series with match[], label values", async () => {
    const fetchesBefore = holding.fetches();
    const labels = await get(`${n.base}/api/v1/labels`);
    assert.equal(labels.status, 200);
    assert.deepEqual(labels.body.data, ["__name__", "instance", "job"]);
    const series = await get(
      `${n.base}/api/v1/series?match[]=http_requests_total&start=${baseMs / 1000}&end=${lastS}`,
    );
    assert.deepEqual(series.body.data, [
      { __name__: "http_requests_total", instance: "a", job: "api" },
      { __name__: "http_requests_total", instance: "b", job: "api" },
    ]);
    const unbounded = await get(`${n.base}/api/v1/series?match[]=up`);
    assert.equal(unbounded.status, 200, JSON.stringify(unbounded.body));
    assert.deepEqual(unbounded.body.data, [{ __name__: "up", instance: "c", job: "node" }]);
    const jobs = await get(`${n.base}/api/v1/label/job/values`);
    assert.deepEqual(jobs.body.data, ["api", "node"]);
    const upJobs = await get(`${n.base}/api/v1/label/job/values?match[]=up`);
    assert.deepEqual(upJobs.body.data, ["node"]);
    const names = await get(`${n.base}/api/v1/label/__name__/values`);
    assert.deepEqual(names.body.data, ["http_requests_total", "up"]);
    // Series, labels and values come from the index: not one datapoint was fetched.
    assert.equal(holding.fetches(), fetchesBefore);
  });

  test("a table's instant query and a graph's range query, as form-encoded POSTs", async () => {
    const instant = await postForm(`${n.base}/api/v1/query`, {
      query: "http_requests_total",
      time: String(lastS),
    });
    assert.equal(instant.status, 200, JSON.stringify(instant.body));
    assert.equal(instant.body.data.resultType, "vector");
    assert.deepEqual(
      instant.body.data.result.map((s: { metric: { instance: string }; value: unknown }) => [
        s.metric.instance,
        s.value,
      ]),
      [
        ["a", [lastS, "150"]],
        ["b", [lastS, "75"]],
      ],
    );
    assert.equal(instant.headers.get("M3-Series-Count"), "2");
    assert.equal(instant.headers.get("M3-Namespaces"), "default");
    const range = await postForm(`${n.base}/api/v1/query_range`, {
      query: "up",
      start: String(baseMs / 1000),
      end: String(baseMs / 1000 + 60),
      step: "15s",
    });
    assert.equal(range.status, 200, JSON.stringify(range.body));
    assert.deepEqual(range.body.data, {
      resultType: "matrix",
      result: [
        {
          metric: { __name__: "up", instance: "c", job: "node" },
          values: [0, 15, 30, 45, 60].map((d) => [baseMs / 1000 + d, "1"]),
        },
      ],
    });
  });

  test("the parser's refusals name the query parameter", async () => {
    const r = await get(`${n.base}/api/v1/query?query=${encodeURIComponent("sum(")}`);
    assert.equal(r.status, 400);
    assert.equal(r.body.errorType, "bad_data");
    assert.match(r.body.error, /^invalid parameter "query": /);
    const m = await get(
      `${n.base}/api/v1/query_range?query=${encodeURIComponent("up[5m]")}&start=1&end=2&step=1`,
    );
    assert.equal(m.status, 400);
    assert.equal(
      m.body.error,
      `invalid parameter "query": invalid expression type "range vector" for range query, must be Scalar or instant Vector`,
    );
  });

  test("M3-Limit-Max-Series: partial results with M3-Results-Limited, or 422 when exhaustive", async () => {
    const partial = await get(`${n.base}/api/v1/query?query=http_requests_total&time=${lastS}`, {
      "M3-Limit-Max-Series": "1",
      "M3-Limit-Require-Exhaustive": "false",
    });
    assert.equal(partial.status, 200, JSON.stringify(partial.body));
    assert.equal(partial.body.data.result.length, 1);
    assert.equal(partial.headers.get("M3-Results-Limited"), "max_fetch_series_limit_applied");
    assert.equal(partial.body.warnings.length, 1);
    const cut = await get(`${n.base}/api/v1/series?match[]=http_requests_total`, {
      "M3-Limit-Max-Series": "1",
      "M3-Limit-Require-Exhaustive": "false",
    });
    assert.equal(cut.body.data.length, 1);
    assert.equal(cut.headers.get("M3-Results-Limited"), "max_fetch_series_limit_applied");
    const over = await get(`${n.base}/api/v1/series?match[]=http_requests_total`, {
      "M3-Limit-Max-Series": "1",
    });
    assert.equal(over.status, 400, JSON.stringify(over.body));
    assert.equal(over.body.errorType, "bad_data");
    const refused = await get(`${n.base}/api/v1/query?query=http_requests_total&time=${lastS}`, {
      "M3-Limit-Max-Series": "1",
    });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.errorType, "execution");
    // The same query on the same engine, with room for both series, answers both.
    const roomy = await get(`${n.base}/api/v1/query?query=http_requests_total&time=${lastS}`, {
      "M3-Limit-Max-Series": "2",
    });
    assert.equal(roomy.status, 200, JSON.stringify(roomy.body));
    assert.equal(roomy.body.data.result.length, 2);
    assert.equal(roomy.headers.get("M3-Results-Limited"), null);
    assert.equal(roomy.headers.get("M3-Series-Count"), "2");
    const roomySeries = await get(`${n.base}/api/v1/series?match[]=http_requests_total`, {
      "M3-Limit-Max-Series": "2",
    });
    assert.equal(roomySeries.status, 200, JSON.stringify(roomySeries.body));
    assert.equal(roomySeries.body.data.length, 2);
  });

  test("M3's GET remote read answers the samples a PromQL query's selectors read", async () => {
    const q = encodeURIComponent('rate(http_requests_total{instance="a"}[1m]) + up');
    const res = await fetch(
      `${n.base}/api/v1/prom/remote/read?query=${q}&start=${lastS}&end=${lastS}`,
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("Content-Encoding"), "snappy");
    const results = decodeReadResponse(
      uncompressSync(Buffer.from(await res.arrayBuffer())) as Buffer,
    );
    assert.equal(results.length, 2);
    // The range selector reads the last minute (left end included by remote read): 5 samples.
    assert.deepEqual(
      results[0].map((s) => [s.labels.instance, s.values]),
      [["a", [110, 120, 130, 140, 150]]],
    );
    // The instant selector reads its lookback window, 5 minutes: every sample.
    assert.equal(results[1][0].labels.__name__, "up");
    assert.equal(results[1][0].values.length, 16);
    const bad = await fetch(
      `${n.base}/api/v1/prom/remote/read?query=${encodeURIComponent("sum(")}`,
    );
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /^invalid parameter "query": /);
  });

  test("format_query prints a query as Prometheus does and parse_query gives its tree", async () => {
    const f = await get(
      `${n.base}/api/v1/format_query?query=${encodeURIComponent("sum by(job)(rate(up[5m]))  +1")}`,
    );
    assert.equal(f.status, 200);
    assert.deepEqual(f.body, { status: "success", data: "sum by (job) (rate(up[5m])) + 1" });
    const p = await get(`${n.base}/api/v1/parse_query?query=${encodeURIComponent("up offset 1m")}`);
    assert.equal(p.status, 200);
    assert.equal(p.body.data.type, "vectorSelector");
    assert.equal(p.body.data.name, "up");
    const bad = await get(`${n.base}/api/v1/format_query?query=${encodeURIComponent("sum(")}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errorType, "bad_data");
  });

  test("M3's prefixes answer through the same engine", async () => {
    const r = await get(`${n.base}/m3query/api/v1/query?query=up&time=${lastS}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("M3-Engine"), "m3query");
    assert.equal(r.body.data.result[0].value[1], "1");
  });

  test("with one query running and one waiting, the next is refused 503 unavailable", async () => {
    holding.hold();
    const first = get(`${n.base}/api/v1/query?query=up&time=${lastS}`);
    await new Promise((r) => setTimeout(r, 50));
    const second = get(`${n.base}/api/v1/query?query=up&time=${lastS}`);
    await new Promise((r) => setTimeout(r, 50));
    const third = await get(`${n.base}/api/v1/query?query=up&time=${lastS}`);
    assert.equal(third.status, 503);
    assert.equal(third.body.errorType, "unavailable");
    holding.release();
    assert.equal((await first).status, 200);
    assert.equal((await second).status, 200);
  });

  test("a query past its timeout is 503 timeout, and the node keeps answering and ingesting", async () => {
    holding.hold();
    const r = await get(`${n.base}/api/v1/query?query=up&time=${lastS}&timeout=0.1`);
    assert.equal(r.status, 503);
    assert.equal(r.body.errorType, "timeout");
    holding.release();
    const next = await get(`${n.base}/api/v1/query?query=up&time=${lastS}`);
    assert.equal(next.status, 200);
    assert.equal(next.body.data.result.length, 1);
    const health = await fetch(`${n.base}/health`);
    assert.equal(health.status, 200);
    const w = await remoteWrite(n.base, [
      {
        labels: [["__name__", "after_timeout"]],
        timesMs: [Date.now()],
        values: [1],
      },
    ]);
    assert.equal(w.status, 204);
  });
});

test("query.logFile: m3ts start appends a line per query to the file", async () => {
  let path = "";
  const n = await startTestNode((c) => {
    path = join(c.dataDir, "..", "queries.log");
    c.query.logFile = path;
  });
  try {
    const r = await fetch(`${n.base}/api/v1/query?query=2&time=10`);
    assert.equal(r.status, 200);
    assert.deepEqual(((await r.json()) as { data: unknown }).data, {
      resultType: "scalar",
      result: [10, "2"],
    });
  } finally {
    await n.node.stop();
  }
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]);
  assert.equal(line.params.query, "2");
  assert.equal(line.params.start, "1970-01-01T00:00:10.000Z");
  assert.equal(line.httpRequest.path, "/api/v1/query");
  await n.stop();
});
