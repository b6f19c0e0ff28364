// The runner with a stand-in engine that knows only bare metric names and
// number literals, reading the real in-memory database through the client:
// what is checked is the loading, the fresh namespaces and the verdicts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Client } from "../../src/client/index.js";
import { newMatcher } from "../../src/index/index.js";
import type { QueryEngine, QueryResult, ResultSeries } from "../../src/query/index.js";
import { compareLabels, EvaluationError, makeLabels } from "../../src/query/index.js";
import { resultOf } from "../../src/query/testing.js";
import { isStaleMarker } from "./compare.js";
import { runScript } from "./runner.js";
import { TestStorage } from "./test-storage.js";

const LOOKBACK_MS = 300_000;

function result(value: QueryResult["value"], warnings: string[] = []): QueryResult {
  return resultOf(value, { warnings });
}

/** Bare metric names (latest sample in the lookback, not stale), numbers, and `fail`. */
function fakeEngine(client: Client, namespace: string, skewRange = false): QueryEngine {
  const select = async (name: string, t: number): Promise<ResultSeries[]> => {
    const found = await client.fetchTagged(
      namespace,
      [newMatcher("=", "__name__", name)],
      t - LOOKBACK_MS + 1,
      t,
      { maxSeries: 0, maxDocsScanned: 0, maxSamples: 0 },
    );
    const out: ResultSeries[] = [];
    for (const s of found) {
      const v = s.values[s.count - 1];
      if (s.count === 0 || isStaleMarker(v)) continue;
      out.push({
        labels: makeLabels(s.tags),
        timesMs: Float64Array.of(t),
        values: Float64Array.of(v),
      });
    }
    return out.sort((a, b) => compareLabels(a.labels, b.labels));
  };
  const instant = async (q: string, t: number): Promise<QueryResult> => {
    if (q === "fail") throw new EvaluationError("boom");
    if (/^\d+$/.test(q)) return result({ resultType: "scalar", timeMs: t, value: Number(q) });
    return result(
      { resultType: "vector", series: await select(q, t) },
      q === "warned" ? ["w"] : [],
    );
  };
  return {
    instantQuery: instant,
    async rangeQuery(q, start, end, step) {
      const rows = new Map<string, { labels: ResultSeries["labels"]; t: number[]; v: number[] }>();
      for (let t = start; t <= end; t += step) {
        const r = await instant(q, t);
        const points: ResultSeries[] =
          r.value.resultType === "vector"
            ? r.value.series
            : r.value.resultType === "scalar"
              ? [
                  {
                    labels: [],
                    timesMs: Float64Array.of(t),
                    values: Float64Array.of(r.value.value),
                  },
                ]
              : [];
        for (const p of points) {
          const key = JSON.stringify(p.labels);
          const row = rows.get(key) ?? { labels: p.labels, t: [], v: [] };
          row.t.push(t);
          row.v.push(p.values[0] + (skewRange ? 1 : 0));
          rows.set(key, row);
        }
      }
      const series = [...rows.values()]
        .map((r) => ({
          labels: r.labels,
          timesMs: Float64Array.from(r.t),
          values: Float64Array.from(r.v),
        }))
        .sort((a, b) => compareLabels(a.labels, b.labels));
      return result({ resultType: "matrix", series });
    },
  };
}

let storage: TestStorage;
before(async () => {
  storage = await TestStorage.open();
});
after(async () => {
  await storage.close();
});

const SCRIPT = `
load 5m
  http_requests{job="api", instance="0"} 0+10x10
  http_requests{job="api", instance="1"} 0+20x10 _ 5
  gone 1 stale

eval instant at 50m http_requests
  http_requests{job="api", instance="0"} 100
  http_requests{job="api", instance="1"} 200

eval instant at 1h http_requests
  http_requests{job="api", instance="1"} 5

eval instant at 4m gone
  gone 1

eval instant at 5m gone

eval range from 0 to 10m step 5m http_requests
  http_requests{job="api", instance="0"} 0 10 20
  http_requests{job="api", instance="1"} 0 20 40

eval instant at 0 7
  7

eval instant at 0 fail
  expect fail msg: boom

eval instant at 0 warned
  expect warn

clear

eval instant at 50m http_requests

eval instant at 50m http_requests
  http_requests{job="api", instance="0"} 100
`;

test("a script's series go in through writeBatch at their epoch times, and every expectation is checked", async () => {
  const run = await runScript(
    SCRIPT,
    storage,
    (c, ns) => fakeEngine(c, ns),
    () => true,
  );
  // 11 + 13 positions less one gap, plus 2 for `gone` (the stale marker is a sample).
  assert.equal(run.samplesWritten, 11 + 12 + 2);
  const failures = [...run.outcomes].filter(([, f]) => f !== null);
  // Only the last eval fails: after `clear` the namespace is a fresh, empty one.
  assert.deepEqual(
    failures.map(([line]) => line),
    [36],
  );
  assert.match(
    failures[0][1] ?? "",
    /^expected series http_requests\{instance="0", job="api"\} not found/,
  );
  assert.match(failures[0][1] ?? "", /\n {2}query: http_requests$/);
  assert.equal(run.outcomes.size, 10);
});

test("evals not selected are not run, and a wrong expectation reads as expected vs got", async () => {
  const text = "load 1m\n  m 1 2 3\n\neval instant at 2m m\n  m 4\n\neval instant at 2m m\n  m 3\n";
  const run = await runScript(
    text,
    storage,
    (c, ns) => fakeEngine(c, ns),
    (l) => l === 4,
  );
  assert.deepEqual([...run.outcomes.keys()], [4]);
  const msg = run.outcomes.get(4) ?? "";
  assert.equal(msg.split("\n")[0], "expected 4 for m{}, got 3");
  assert.match(msg, /expected:\n {4}m\{\} 4\n {2}got:\n {4}vector:\n {4}m\{\} 3@120000/);
});

test("an instant eval is also checked in range mode at its middle step", async () => {
  const text = "load 1m\n  m 1 2 3\n\neval instant at 2m m\n  m 3\n";
  const ok = await runScript(
    text,
    storage,
    (c, ns) => fakeEngine(c, ns),
    () => true,
  );
  assert.equal(ok.outcomes.get(4), null);
  const skewed = await runScript(
    text,
    storage,
    (c, ns) => fakeEngine(c, ns, true),
    () => true,
  );
  assert.match(
    skewed.outcomes.get(4) ?? "",
    /^range mode \(60000\.\.180000\): expected 3 for m\{\}, got 4/,
  );
});

test("an error where none was expected, and none where one was, both fail", async () => {
  const text = "eval instant at 0 fail\n  m 1\n\neval instant at 0 m\n  expect fail\n";
  const run = await runScript(
    text,
    storage,
    (c, ns) => fakeEngine(c, ns),
    () => true,
  );
  assert.match(run.outcomes.get(1) ?? "", /^unexpected error: boom/);
  assert.match(run.outcomes.get(4) ?? "", /^expected an error, got none/);
});

test("an exception that is not a query error is a failure, not a pass of expect fail", async () => {
  const throwing: QueryEngine = {
    instantQuery: async () => {
      throw new TypeError("engine bug");
    },
    rangeQuery: async () => {
      throw new TypeError("engine bug");
    },
  };
  const run = await runScript(
    "eval instant at 0 m\n  expect fail\n",
    storage,
    () => throwing,
    () => true,
  );
  assert.match(run.outcomes.get(1) ?? "", /^the engine threw TypeError: engine bug/);
});

test("with variants, an instant eval must also pass each variant query at its time", async () => {
  const text = "load 1m\n  m 1 2 3\n  other 7\n\neval instant at 2m m\n  m 3\n";
  const same = await runScript(
    text,
    storage,
    (c, ns) => fakeEngine(c, ns),
    () => true,
    (expr, t) => [{ expr, evalMs: t }],
  );
  assert.equal(same.outcomes.get(5), null);
  const differs = await runScript(
    text,
    storage,
    (c, ns) => fakeEngine(c, ns),
    () => true,
    () => [{ expr: "other", evalMs: 0 }],
  );
  assert.match(
    differs.outcomes.get(5) ?? "",
    /^step invariance: other at 0 ms: unexpected series other\{\}/,
  );
});
