// The query API over HTTP with a fake engine, parser and client: every
// endpoint with valid and invalid parameters, Grafana's requests, M3's
// headers, the concurrency bound and the timeout.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Tag } from "../../x/index.js";
import { EvaluationError, QueryLimitExceededError, QueryTimeoutError } from "../errors.js";
import { MetricMetadataStore } from "../metadata/index.js";
import { QueryApi, type QueryApiLimits, type QueryApiOptions } from "./query-api.js";
import { FakeEngine, fakeClient, fakePromQL, resultOf, serveRoutes } from "./testing.js";

const SERIES: Tag[][] = [
  [
    ["__name__", "up"],
    ["instance", "b:9100"],
    ["job", "node"],
  ],
  [
    ["__name__", "up"],
    ["instance", "a:9090"],
    ["job", "prometheus"],
  ],
  [
    ["__name__", "node_cpu_seconds_total"],
    ["cpu", "0"],
    ["job", "node"],
  ],
];

const LIMITS: QueryApiLimits = {
  lookbackMs: 300_000,
  timeoutMs: 30_000,
  maxSeries: 100_000,
  requireExhaustive: true,
  maxSamples: 50_000_000,
  maxConcurrent: 4,
  maxQueued: 4,
};

const NOW_MS = 1_700_000_000_123;

interface Api {
  base: string;
  engine: FakeEngine;
  client: ReturnType<typeof fakeClient>;
  api: QueryApi;
  log: string[];
}

async function withApi(
  fn: (a: Api) => Promise<void>,
  adjust: Omit<Partial<QueryApiOptions>, "limits"> & { limits?: Partial<QueryApiLimits> } = {},
): Promise<void> {
  const engine = new FakeEngine();
  const client = fakeClient(SERIES);
  const log: string[] = [];
  const api = new QueryApi({
    engine,
    client,
    namespace: "default",
    promql: fakePromQL,
    version: "9.8.7",
    queryLog: { write: (l) => log.push(l), close: async () => {} },
    now: () => NOW_MS,
    ...adjust,
    limits: { ...LIMITS, ...adjust.limits },
  });
  const server = await serveRoutes(api.routes());
  try {
    await fn({ base: server.base, engine, client, api, log });
  } finally {
    engine.releaseAll();
    await server.close();
  }
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

async function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

function badData(r: { status: number; body: unknown }, error: string): void {
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { status: "error", errorType: "bad_data", error });
}

const UP = [
  { name: "__name__", value: "up" },
  { name: "job", value: "node" },
];

test("an instant query answers a vector in Prometheus's shape, with M3's headers", async () => {
  await withApi(async ({ base, engine }) => {
    engine.answer = (c) =>
      resultOf(
        {
          resultType: "vector",
          series: [
            { labels: UP, timesMs: new Float64Array([c.startMs]), values: new Float64Array([1]) },
          ],
        },
        { seriesFetched: 2, namespaces: ["default"] },
      );
    const r = await get(`${base}/api/v1/query?query=up&time=1435781451.781`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      status: "success",
      data: {
        resultType: "vector",
        result: [{ metric: { __name__: "up", job: "node" }, value: [1435781451.781, "1"] }],
      },
    });
    assert.equal(r.headers.get("M3-Engine"), "prometheus");
    assert.equal(r.headers.get("M3-Series-Count"), "2");
    assert.equal(r.headers.get("M3-Namespaces"), "default");
    assert.equal(r.headers.get("M3-Results-Limited"), null);
    assert.equal(r.headers.get("M3-Timeout"), "30s");
    assert.deepEqual(engine.calls[0], {
      kind: "instant",
      query: "up",
      startMs: 1_435_781_451_781,
      endMs: 1_435_781_451_781,
      stepMs: 0,
      options: {
        timeoutMs: 30_000,
        maxSeries: 100_000,
        requireExhaustive: true,
        maxSamples: 50_000_000,
        lookbackMs: 300_000,
        perStepStats: false,
      },
    });
  });
});

test("an instant query without time runs at now; no series fetched means no M3-Series-Count", async () => {
  await withApi(async ({ base, engine }) => {
    engine.answer = () => resultOf({ resultType: "scalar", timeMs: NOW_MS, value: 2 });
    const r = await get(`${base}/api/v1/query?query=1%2B1`);
    assert.deepEqual(r.body, {
      status: "success",
      data: { resultType: "scalar", result: [1700000000.123, "2"] },
    });
    assert.equal(engine.calls[0].query, "1+1");
    assert.equal(engine.calls[0].startMs, NOW_MS);
    assert.equal(r.headers.get("M3-Series-Count"), null);
  });
});

test("Grafana's table query: a form-encoded POST of query and time", async () => {
  await withApi(async ({ base, engine }) => {
    engine.answer = () =>
      resultOf({
        resultType: "vector",
        series: [
          {
            labels: UP,
            timesMs: new Float64Array([1_700_000_000_000]),
            values: new Float64Array([Number.NaN]),
          },
        ],
      });
    const r = await postForm(`${base}/api/v1/query`, { query: "up", time: "1700000000" });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data.result, [
      { metric: { __name__: "up", job: "node" }, value: [1700000000, "NaN"] },
    ]);
    assert.equal(engine.calls[0].startMs, 1_700_000_000_000);
  });
});

test("Grafana's graph query: query_range POST with step as seconds or as a duration", async () => {
  await withApi(async ({ base, engine }) => {
    engine.answer = (c) =>
      resultOf({
        resultType: "matrix",
        series: [
          {
            labels: UP,
            timesMs: new Float64Array([c.startMs, c.startMs + c.stepMs]),
            values: new Float64Array([1, Number.POSITIVE_INFINITY]),
          },
        ],
      });
    const r = await postForm(`${base}/api/v1/query_range`, {
      query: "rate(up[5m])",
      start: "1700000000",
      end: "1700000060",
      step: "15",
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, {
      resultType: "matrix",
      result: [
        {
          metric: { __name__: "up", job: "node" },
          values: [
            [1700000000, "1"],
            [1700000015, "+Inf"],
          ],
        },
      ],
    });
    const c = engine.calls[0];
    assert.deepEqual(
      [c.kind, c.startMs, c.endMs, c.stepMs],
      ["range", 1_700_000_000_000, 1_700_000_060_000, 15_000],
    );
    const r2 = await get(
      `${base}/api/v1/query_range?query=up&start=2023-11-14T22:13:20Z&end=2023-11-14T23:13:20.5Z&step=1m`,
    );
    assert.equal(r2.status, 200);
    assert.deepEqual(
      [engine.calls[1].startMs, engine.calls[1].endMs, engine.calls[1].stepMs],
      [1_700_000_000_000, 1_700_003_600_500, 60_000],
    );
  });
});

test("query_range refuses bad parameters with Prometheus's texts", async () => {
  await withApi(async ({ base, engine }) => {
    const q = (p: string) => get(`${base}/api/v1/query_range?query=up&${p}`);
    badData(
      await q("start=foo&end=10&step=1"),
      `invalid parameter "start": cannot parse "foo" to a valid timestamp`,
    );
    badData(
      await q("end=10&step=1"),
      `invalid parameter "start": cannot parse "" to a valid timestamp`,
    );
    badData(
      await q("start=1&end=bar&step=1"),
      `invalid parameter "end": cannot parse "bar" to a valid timestamp`,
    );
    badData(
      await q("start=10&end=9&step=1"),
      `invalid parameter "end": end timestamp must not be before start time`,
    );
    badData(
      await q("start=1&end=10&step=x"),
      `invalid parameter "step": cannot parse "x" to a valid duration`,
    );
    const zero = `invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer`;
    badData(await q("start=1&end=10&step=0"), zero);
    badData(await q("start=1&end=10&step=-5"), zero);
    badData(
      await q("start=0&end=11001&step=1"),
      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
    );
    assert.equal((await q("start=0&end=11000&step=1")).status, 200, "11 000 points are allowed");
    badData(
      await q("start=1&end=10&step=1&timeout=x"),
      `invalid parameter "timeout": cannot parse "x" to a valid duration`,
    );
    badData(
      await q("start=1&end=10&step=1&limit=-1"),
      `invalid parameter "limit": limit must be non-negative`,
    );
    badData(
      await q("start=1&end=10&step=1&lookback_delta=x"),
      `error parsing lookback delta duration: cannot parse "x" to a valid duration`,
    );
    assert.equal(engine.calls.length, 1);
  });
});

test("a query that does not parse is bad_data naming the query parameter", async () => {
  await withApi(async ({ base, engine }) => {
    engine.answer = (c) => {
      fakePromQL.parse(c.query);
      return resultOf({ resultType: "vector", series: [] });
    };
    badData(
      await get(`${base}/api/v1/query?query=`),
      `invalid parameter "query": parse error at char 1: unexpected input in ""`,
    );
    badData(
      await get(`${base}/api/v1/query?query=up{`),
      `invalid parameter "query": parse error at char 1: unexpected input in "up{"`,
    );
  });
});

test("engine failures answer with their errorType and status", async () => {
  await withApi(async ({ base, engine }) => {
    engine.answer = () => {
      throw new EvaluationError("found duplicate series for the match group");
    };
    let r = await get(`${base}/api/v1/query?query=up`);
    assert.equal(r.status, 422);
    assert.deepEqual(r.body, {
      status: "error",
      errorType: "execution",
      error: "found duplicate series for the match group",
    });
    engine.answer = () => {
      throw new QueryLimitExceededError(
        "maxSamples",
        10,
        "execution",
        422,
        "query processing would load too many samples into memory in query execution",
      );
    };
    r = await get(`${base}/api/v1/query?query=up`);
    assert.equal(r.status, 422);
    assert.equal(r.body.errorType, "execution");
    engine.answer = () => {
      throw new QueryTimeoutError(1, "expression evaluation");
    };
    r = await get(`${base}/api/v1/query?query=up`);
    assert.equal(r.status, 503);
    assert.deepEqual(r.body, {
      status: "error",
      errorType: "timeout",
      error: "query timed out in expression evaluation",
    });
    engine.answer = () => {
      throw new Error("a bug");
    };
    r = await get(`${base}/api/v1/query?query=up`);
    assert.equal(r.status, 500);
    assert.equal(r.body.errorType, "internal");
  });
});

test("an engine that throws at once frees its slot", async () => {
  await withApi(
    async ({ base, engine }) => {
      engine.instantQuery = () => {
        throw new EvaluationError("thrown before any promise");
      };
      for (let i = 0; i < 3; i++) {
        const r = await get(`${base}/api/v1/query?query=up`);
        assert.equal(r.status, 422, "a leaked slot would make the second query wait and time out");
      }
    },
    { limits: { maxConcurrent: 1, maxQueued: 0, timeoutMs: 200 } },
  );
});

test("a query past its timeout is answered 503 timeout, and the next query works", async () => {
  await withApi(async ({ base, engine, api }) => {
    engine.hold = true;
    const r = await get(`${base}/api/v1/query?query=up&timeout=0.05`);
    assert.equal(r.status, 503);
    assert.deepEqual(r.body, {
      status: "error",
      errorType: "timeout",
      error: "query timed out in expression evaluation",
    });
    assert.equal(api.gate.active, 1, "the slot stays taken until the engine's work ends");
    engine.hold = false;
    engine.releaseAll();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(api.gate.active, 0);
    const ok = await get(`${base}/api/v1/query?query=up`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, "success");
  });
});

test("timeouts come from the timeout parameter or M3-Timeout, greater than 0 and at most 10m", async () => {
  await withApi(async ({ base, engine }) => {
    let r = await get(`${base}/api/v1/query?query=up`, { "M3-Timeout": "2s" });
    assert.equal(r.status, 200);
    assert.equal(engine.calls[0].options.timeoutMs, 2000);
    assert.equal(r.headers.get("M3-Timeout"), "2s");
    r = await get(`${base}/api/v1/query?query=up&timeout=1m`, { "M3-Timeout": "2s" });
    assert.equal(engine.calls[1].options.timeoutMs, 60_000, "the parameter wins");
    r = await get(`${base}/api/v1/query?query=up`, { "M3-Timeout": "11m" });
    badData(r, `invalid header "M3-Timeout": timeout "11m" must be greater than 0 and at most 10m`);
    r = await get(`${base}/api/v1/query?query=up&timeout=0`);
    badData(r, `invalid parameter "timeout": timeout "0" must be greater than 0 and at most 10m`);
    r = await get(`${base}/api/v1/query?query=up`, { "M3-Timeout": "soon" });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /^invalid header "M3-Timeout": invalid duration "soon"/);
    assert.equal(engine.calls.length, 2);
  });
});

test("M3's series limit headers reach the engine, and limited results say so", async () => {
  await withApi(async ({ base, engine }) => {
    engine.answer = (c) =>
      resultOf(
        { resultType: "vector", series: [] },
        c.options.requireExhaustive
          ? {}
          : {
              warnings: ["m3db exceeded query limit: results not exhaustive"],
              limited: ["max_fetch_series_limit_applied"],
              seriesFetched: 10,
            },
      );
    const r = await get(`${base}/api/v1/query?query=up`, {
      "M3-Limit-Max-Series": "10",
      "M3-Limit-Require-Exhaustive": "false",
    });
    assert.equal(r.status, 200);
    assert.equal(engine.calls[0].options.maxSeries, 10);
    assert.equal(engine.calls[0].options.requireExhaustive, false);
    assert.equal(r.headers.get("M3-Results-Limited"), "max_fetch_series_limit_applied");
    assert.equal(r.headers.get("M3-Series-Count"), "10");
    assert.deepEqual(r.body.warnings, ["m3db exceeded query limit: results not exhaustive"]);
    badData(
      await get(`${base}/api/v1/query?query=up`, { "M3-Limit-Max-Series": "-1" }),
      `invalid header "M3-Limit-Max-Series": "-1" is not a non-negative integer`,
    );
    badData(
      await get(`${base}/api/v1/query?query=up`, { "M3-Limit-Require-Exhaustive": "maybe" }),
      `invalid header "M3-Limit-Require-Exhaustive": "maybe" is not a boolean; use true or false`,
    );
  });
});

test("read consistency, equal-timestamp strategy and pushdown headers reach the engine; bad values are 400", async () => {
  await withApi(async ({ base, engine }) => {
    engine.answer = () => resultOf({ resultType: "vector", series: [] });
    const r = await get(`${base}/api/v1/query_range?query=up&start=0&end=60&step=15`, {
      "M3-Read-Consistency-Level": "one",
      "M3-Iterate-Equal-Timestamp-Strategy": "iterate_highest_value",
      "M3TS-Query-Pushdown": "on",
    });
    assert.equal(r.status, 200);
    assert.equal(engine.calls[0].options.readConsistency, "one");
    assert.equal(engine.calls[0].options.equalTimestampStrategy, "iterate_highest_value");
    assert.equal(engine.calls[0].options.pushdown, "on");
    // Left out, the engine's (and client's) defaults apply.
    await get(`${base}/api/v1/query?query=up`);
    assert.equal("readConsistency" in engine.calls[1].options, false);
    assert.equal("equalTimestampStrategy" in engine.calls[1].options, false);
    assert.equal("pushdown" in engine.calls[1].options, false);
    badData(
      await get(`${base}/api/v1/query?query=up`, { "M3-Read-Consistency-Level": "quorum" }),
      `invalid header "M3-Read-Consistency-Level": "quorum" is not one of one, unstrict_majority, majority, unstrict_all, all`,
    );
    badData(
      await get(`${base}/api/v1/query?query=up`, {
        "M3-Iterate-Equal-Timestamp-Strategy": "newest",
      }),
      `invalid header "M3-Iterate-Equal-Timestamp-Strategy": "newest" is not one of iterate_last_pushed, iterate_highest_value, iterate_lowest_value, iterate_highest_frequency_value`,
    );
    badData(
      await get(`${base}/api/v1/query?query=up`, { "M3TS-Query-Pushdown": "yes" }),
      `invalid header "M3TS-Query-Pushdown": "yes" is not one of auto, on, off`,
    );
    assert.equal(engine.calls.length, 2);
  });
});

test("queries past maxConcurrent wait; past maxQueued they are refused 503 unavailable", async () => {
  await withApi(
    async ({ base, engine }) => {
      engine.hold = true;
      const first = get(`${base}/api/v1/query?query=a`);
      while (engine.calls.length < 1) await new Promise((r) => setTimeout(r, 2));
      const second = get(`${base}/api/v1/query?query=b`);
      await new Promise((r) => setTimeout(r, 30));
      const third = await get(`${base}/api/v1/query?query=c`);
      assert.equal(third.status, 503);
      assert.equal(third.body.errorType, "unavailable");
      assert.match(third.body.error, /too many queries: 1 running and 1 waiting/);
      assert.equal(engine.calls.length, 1, "the second query waits for the first");
      engine.hold = false;
      engine.releaseAll();
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
      assert.deepEqual(
        engine.calls.map((c) => c.query),
        ["a", "b"],
      );
    },
    { limits: { maxConcurrent: 1, maxQueued: 1 } },
  );
});

test("a query that waits in the queue past its timeout answers 503 timeout", async () => {
  await withApi(
    async ({ base, engine }) => {
      engine.hold = true;
      const first = get(`${base}/api/v1/query?query=a`);
      while (engine.calls.length < 1) await new Promise((r) => setTimeout(r, 2));
      const r = await get(`${base}/api/v1/query?query=b&timeout=0.03`);
      assert.equal(r.status, 503);
      assert.deepEqual(r.body, {
        status: "error",
        errorType: "timeout",
        error: "query timed out in query queue",
      });
      engine.releaseAll();
      assert.equal((await first).status, 200);
    },
    { limits: { maxConcurrent: 1, maxQueued: 5 } },
  );
});

test("stats=all adds the stats block with per-step samples; without stats there is none", async () => {
  await withApi(async ({ base, engine }) => {
    engine.answer = (c) => {
      const r = resultOf({ resultType: "matrix", series: [] });
      r.stats.totalQueryableSamples = 7;
      r.stats.peakSamples = 3;
      if (c.options.perStepStats)
        r.stats.totalQueryableSamplesPerStep = [{ timeMs: 1000, samples: 7 }];
      return r;
    };
    const all = await get(`${base}/api/v1/query_range?query=up&start=1&end=2&step=1&stats=all`);
    assert.equal(engine.calls[0].options.perStepStats, true);
    const stats = all.body.data.stats;
    assert.deepEqual(Object.keys(stats.timings).sort(), [
      "evalTotalTime",
      "execQueueTime",
      "execTotalTime",
      "innerEvalTime",
      "queryPreparationTime",
      "resultSortTime",
    ]);
    assert.deepEqual(stats.samples, {
      totalQueryableSamplesPerStep: [[1, 7]],
      totalQueryableSamples: 7,
      samplesRead: 7,
      peakSamples: 3,
    });
    const plain = await get(`${base}/api/v1/query_range?query=up&start=1&end=2&step=1`);
    assert.equal(plain.body.data.stats, undefined);
    const odd = await get(`${base}/api/v1/query?query=up&stats=yes`);
    assert.ok(odd.body.data.stats !== undefined);
    assert.match(odd.body.warnings[0], /value "yes" for parameter "stats" is deprecated/);
  });
});

test("limit truncates a query's series with Prometheus's warning; lookback_delta reaches the engine", async () => {
  await withApi(async ({ base, engine }) => {
    const one = (v: string) => ({
      labels: [{ name: "a", value: v }],
      timesMs: new Float64Array([0]),
      values: new Float64Array([1]),
    });
    engine.answer = () =>
      resultOf({ resultType: "vector", series: [one("x"), one("y"), one("z")] });
    const r = await get(`${base}/api/v1/query?query=up&limit=2&lookback_delta=1m`);
    assert.equal(r.body.data.result.length, 2);
    assert.deepEqual(r.body.warnings, ["results truncated due to limit"]);
    assert.equal(engine.calls[0].options.lookbackMs, 60_000);
    const m3 = await get(
      `${base}/api/v1/query_range?query=up&start=0&end=60&step=30&lookback=step`,
    );
    assert.equal(m3.status, 200);
    assert.equal(engine.calls[1].options.lookbackMs, 30_000);
  });
});

test("form values in a POST body come before those of the URL; an oversized body is refused", async () => {
  await withApi(
    async ({ base, engine }) => {
      await postForm(`${base}/api/v1/query?query=fromurl`, { query: "frombody" });
      assert.equal(engine.calls[0].query, "frombody");
      await postForm(
        `${base}/api/v1/query`,
        { query: "withcharset" },
        { "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8" },
      );
      assert.equal(engine.calls[1].query, "withcharset");
      const r = await postForm(`${base}/api/v1/query`, { query: "x".repeat(200) });
      assert.equal(r.status, 413);
      assert.equal(r.body.status, "error");
      assert.match(r.body.error, /larger than the 100 bytes/);
    },
    { maxFormBytes: 100 },
  );
});

test("series: match[] required, selectors unioned and sorted, limit, time range defaults", async () => {
  await withApi(async ({ base, client }) => {
    badData(await get(`${base}/api/v1/series`), "no match[] parameter provided");
    const r = await get(`${base}/api/v1/series?match[]=up`);
    assert.deepEqual(r.body, {
      status: "success",
      data: [
        { __name__: "up", instance: "a:9090", job: "prometheus" },
        { __name__: "up", instance: "b:9100", job: "node" },
      ],
    });
    // Prometheus's MinTime and MaxTime: unix -9223309901257974 s and 9223309901257974.999 s.
    const [from, to] = client.ranges[0];
    assert.ok(Math.abs(from + 9.223309901257974e18) < 1e4, String(from));
    assert.ok(Math.abs(to - 9.223309901257974e18) < 1e4, String(to));
    const both = await postForm(`${base}/api/v1/series`, {
      "match[]": 'node_cpu_seconds_total{cpu="0"}',
      start: "1700000000",
      end: "2023-11-14T22:13:21Z",
    });
    assert.deepEqual(both.body.data, [
      { __name__: "node_cpu_seconds_total", cpu: "0", job: "node" },
    ]);
    assert.deepEqual(client.ranges[1], [1_700_000_000_000, 1_700_000_001_000]);
    const union = await get(
      `${base}/api/v1/series?match[]=up{job="node"}&match[]={job="node"}&limit=1`,
    );
    assert.deepEqual(union.body.data, [
      { __name__: "node_cpu_seconds_total", cpu: "0", job: "node" },
    ]);
    assert.deepEqual(union.body.warnings, ["results truncated due to limit"]);
    badData(
      await get(`${base}/api/v1/series?match[]=up&start=foo`),
      `invalid parameter "start": invalid time value for 'start': cannot parse "foo" to a valid timestamp`,
    );
    badData(
      await get(`${base}/api/v1/series?match[]=${encodeURIComponent('{job=~".*"}')}`),
      `invalid parameter "match[]": match[] must contain at least one non-empty matcher`,
    );
    badData(
      await get(`${base}/api/v1/series?match[]=up&limit=x`),
      `invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax`,
    );
    const badRe = await get(`${base}/api/v1/series?match[]=${encodeURIComponent('{job=~"("}')}`);
    assert.equal(badRe.status, 400);
    assert.match(badRe.body.error, /invalid regex/);
  });
});

test("series: M3-Limit-Max-Series cuts the answer with M3-Results-Limited when not exhaustive", async () => {
  await withApi(async ({ base }) => {
    const r = await get(`${base}/api/v1/series?match[]=up`, {
      "M3-Limit-Max-Series": "1",
      "M3-Limit-Require-Exhaustive": "false",
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.data.length, 1);
    assert.equal(r.headers.get("M3-Results-Limited"), "max_fetch_series_limit_applied");
    assert.match(r.body.warnings[0], /more than 1 series/);
    const all = await get(`${base}/api/v1/series?match[]=up`);
    assert.equal(all.body.data.length, 2);
    assert.equal(all.headers.get("M3-Results-Limited"), null);
    const refused = await get(`${base}/api/v1/series?match[]=up`, { "M3-Limit-Max-Series": "1" });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errorType, "bad_data");
    assert.match(refused.body.error, /maxSeries/);
  });
});

test("labels: every name sorted, or those of the selected series; limit", async () => {
  await withApi(async ({ base }) => {
    const all = await get(`${base}/api/v1/labels`);
    assert.deepEqual(all.body, { status: "success", data: ["__name__", "cpu", "instance", "job"] });
    const some = await postForm(`${base}/api/v1/labels`, {
      "match[]": "up",
      start: "0",
      end: "10",
    });
    assert.deepEqual(some.body.data, ["__name__", "instance", "job"]);
    const cut = await get(`${base}/api/v1/labels?limit=2`);
    assert.deepEqual(cut.body, {
      status: "success",
      data: ["__name__", "cpu"],
      warnings: ["results truncated due to limit"],
    });
    badData(
      await get(`${base}/api/v1/labels?end=x`),
      `invalid parameter "end": invalid time value for 'end': cannot parse "x" to a valid timestamp`,
    );
    badData(
      await get(`${base}/api/v1/labels?match[]=${encodeURIComponent('{job!=""}')}&match[]=1+`),
      'parse error at char 1: unexpected input in "1 "',
    );
  });
});

test("label values: Grafana's job values, __name__, match[], U__ escaping, bad names", async () => {
  await withApi(async ({ base }) => {
    const job = await get(`${base}/api/v1/label/job/values`);
    assert.deepEqual(job.body, { status: "success", data: ["node", "prometheus"] });
    const names = await get(`${base}/api/v1/label/__name__/values`);
    assert.deepEqual(names.body.data, ["node_cpu_seconds_total", "up"]);
    const sel = await get(
      `${base}/api/v1/label/instance/values?match[]=${encodeURIComponent('up{job="node"}')}`,
    );
    assert.deepEqual(sel.body.data, ["b:9100"]);
    const escaped = await get(`${base}/api/v1/label/U__job/values`);
    assert.deepEqual(escaped.body.data, ["node", "prometheus"]);
    const cut = await get(`${base}/api/v1/label/job/values?limit=1`);
    assert.deepEqual(cut.body.warnings, ["results truncated due to limit"]);
    badData(await get(`${base}/api/v1/label/%ff/values`), 'invalid label name: "%ff"');
    const post = await fetch(`${base}/api/v1/label/job/values`, { method: "POST" });
    assert.equal(post.status, 405);
  });
});

test("buildinfo reports the Prometheus version followed and m3ts's own", async () => {
  await withApi(async ({ base }) => {
    const r = await get(`${base}/api/v1/status/buildinfo`);
    assert.equal(r.status, 200);
    assert.equal(r.body.status, "success");
    assert.match(r.body.data.version, /^3\.\d+\.\d+$/);
    assert.equal(r.body.data.m3tsVersion, "9.8.7");
    for (const k of ["revision", "branch", "buildUser", "buildDate", "goVersion"]) {
      assert.equal(typeof r.body.data[k], "string", k);
    }
  });
});

test("format_query and parse_query answer from the parser; a bad query names the parameter", async () => {
  await withApi(async ({ base }) => {
    const f = await get(`${base}/api/v1/format_query?query=${encodeURIComponent('up{job="x"}')}`);
    assert.deepEqual(f.body, { status: "success", data: 'up{job="x"}' });
    const p = await postForm(`${base}/api/v1/parse_query`, { query: "up" });
    assert.equal(p.body.data.type, "vectorSelector");
    assert.equal(p.body.data.name, "up");
    badData(
      await get(`${base}/api/v1/format_query`),
      `invalid parameter "query": parse error at char 1: unexpected input in ""`,
    );
    badData(
      await get(`${base}/api/v1/parse_query?query=(`),
      `invalid parameter "query": parse error at char 1: unexpected input in "("`,
    );
  });
});

test("without a printer in the parser, format_query and parse_query answer 503 unavailable", async () => {
  await withApi(
    async ({ base }) => {
      const f = await get(`${base}/api/v1/format_query?query=up`);
      assert.equal(f.status, 503);
      assert.equal(f.body.errorType, "unavailable");
      assert.match(f.body.error, /^format_query is not available/);
      const p = await get(`${base}/api/v1/parse_query?query=up`);
      assert.equal(p.status, 503);
      badData(
        await get(`${base}/api/v1/format_query?query=(`),
        `invalid parameter "query": parse error at char 1: unexpected input in "("`,
      );
    },
    { promql: { parse: fakePromQL.parse } },
  );
});

test("exemplars, rules and alerts answer as an empty Prometheus does", async () => {
  await withApi(async ({ base }) => {
    assert.deepEqual((await get(`${base}/api/v1/query_exemplars?query=up&start=1&end=2`)).body, {
      status: "success",
      data: [],
    });
    badData(
      await get(`${base}/api/v1/query_exemplars?query=up&start=2&end=1`),
      "end timestamp must not be before start timestamp",
    );
    badData(
      await get(`${base}/api/v1/query_exemplars?query=(`),
      'parse error at char 1: unexpected input in "("',
    );
    assert.deepEqual((await get(`${base}/api/v1/rules`)).body, {
      status: "success",
      data: { groups: [] },
    });
    assert.deepEqual((await get(`${base}/api/v1/rules?type=alert`)).body.data, { groups: [] });
    badData(
      await get(`${base}/api/v1/rules?type=x`),
      `invalid parameter "type": not supported value "x"`,
    );
    assert.deepEqual((await get(`${base}/api/v1/alerts`)).body, {
      status: "success",
      data: { alerts: [] },
    });
  });
});

test("M3's prefixes are answered by the one engine and named in M3-Engine", async () => {
  await withApi(async ({ base, engine }) => {
    const p = await get(`${base}/prometheus/api/v1/query?query=up`);
    assert.equal(p.status, 200);
    assert.equal(p.headers.get("M3-Engine"), "prometheus");
    const m = await get(`${base}/m3query/api/v1/query_range?query=up&start=0&end=1&step=1`);
    assert.equal(m.status, 200);
    assert.equal(m.headers.get("M3-Engine"), "m3query");
    assert.equal((await get(`${base}/m3query/api/v1/labels`)).body.data.length, 4);
    assert.equal(engine.calls.length, 2);
  });
});

test("on the plain path the engine parameter or M3-Engine header picks the engine name echoed", async () => {
  await withApi(async ({ base }) => {
    const byParam = await get(`${base}/api/v1/query?query=up&engine=m3query`);
    assert.equal(byParam.status, 200);
    assert.equal(byParam.headers.get("M3-Engine"), "m3query");
    const byHeader = await get(`${base}/api/v1/query?query=up`, { "M3-Engine": "m3query" });
    assert.equal(byHeader.headers.get("M3-Engine"), "m3query");
    const paramWins = await get(`${base}/api/v1/query?query=up&engine=prometheus`, {
      "M3-Engine": "m3query",
    });
    assert.equal(paramWins.headers.get("M3-Engine"), "prometheus");
    const prefixWins = await get(`${base}/prometheus/api/v1/query?query=up&engine=m3query`);
    assert.equal(prefixWins.headers.get("M3-Engine"), "prometheus");
    badData(
      await get(`${base}/api/v1/query?query=up&engine=graphite`),
      `invalid parameter "engine": "graphite" is not an engine; use prometheus or m3query`,
    );
  });
});

test("/metadata answers an empty map without a store, and the store's families with one", async () => {
  await withApi(async ({ base }) => {
    assert.deepEqual((await get(`${base}/api/v1/metadata`)).body, { status: "success", data: {} });
  });
  const store = new MetricMetadataStore();
  store.observe("up", "gauge", "Whether the target answered.", "");
  store.observe("http_requests_total", "counter", "Requests.", "");
  await withApi(
    async ({ base }) => {
      const r = await get(`${base}/prometheus/api/v1/metadata?metric=up`);
      assert.deepEqual(r.body, {
        status: "success",
        data: { up: [{ type: "gauge", help: "Whether the target answered.", unit: "" }] },
      });
      assert.equal(r.headers.get("M3-Engine"), "prometheus");
      const all = await get(`${base}/api/v1/metadata?limit=1`);
      assert.deepEqual(Object.keys(all.body.data), ["http_requests_total"]);
      const bad = await get(`${base}/api/v1/metadata?limit=x`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errorType, "bad_data");
    },
    { metadata: store },
  );
});

test("each query writes one query log line with its parameters, stats and request", async () => {
  await withApi(async ({ base, log }) => {
    await get(`${base}/api/v1/query_range?query=up&start=1700000000&end=1700000060&step=30`);
    await get(`${base}/api/v1/query?query=up&time=x`);
    await get(`${base}/api/v1/labels`);
    assert.equal(log.length, 1, "only queries that got past their parameters are logged");
    const line = JSON.parse(log[0]);
    assert.equal(line.msg, "promql query logged");
    assert.equal(line.time, new Date(NOW_MS).toISOString());
    assert.deepEqual(line.params, {
      query: "up",
      start: "2023-11-14T22:13:20.000Z",
      end: "2023-11-14T22:14:20.000Z",
      step: 30,
    });
    assert.equal(typeof line.stats.timings.evalTotalTime, "number");
    assert.equal(line.httpRequest.method, "GET");
    assert.equal(line.httpRequest.path, "/api/v1/query_range");
    assert.equal(line.error, undefined);
  });
});
