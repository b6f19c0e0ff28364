// Aggregation pushed down to the nodes answers as the coordinator's own
// evaluation does. Random series (counters with resets, gauges, NaN, stale
// markers, gaps) go into one database; K "nodes" each read the series of
// their shards; random aggregation queries run with and without pushdown:
// the same rows and labels, bit for bit for min, max, count, group, topk and
// bottomk, within 1e-12 relative for sum, avg, stddev, stdvar and quantile,
// the same warnings, and the same errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  type Client,
  type ClusterAggregateRequest,
  type FetchedSeries,
  InProcessClient,
} from "../../src/client/index.js";
import { MIN, NOW, openDb } from "../../src/dbnode/storage/testing.js";
import type { WriteBatch } from "../../src/dbnode/ts/index.js";
import { QueryLimitError } from "../../src/index/index.js";
import {
  clientQuerier,
  createEngine,
  evaluatePartial,
  pushableAggregates,
} from "../../src/query/engine/index.js";
import { type QueryResult, QueryTimeoutError, type ResultSeries } from "../../src/query/index.js";
import { parsePromQL } from "../../src/query/parser/index.js";
import { encodeTags, seriesIdString, shardOf, type Tag } from "../../src/x/index.js";

const NUM_SHARDS = 16;
const SCRAPE_MS = 15_000;
const FIRST_MS = NOW - 25 * MIN;
const utf8 = new TextEncoder();

/** A client that sees only the series of `shards`, as a node does; maxSeries counts those alone. */
function shardClient(inner: Client, shards: ReadonlySet<number>): Client {
  return {
    ...inner,
    async fetchTagged(ns, matchers, startMs, endMs, limits): Promise<FetchedSeries[]> {
      const all = await inner.fetchTagged(ns, matchers, startMs, endMs, {
        ...limits,
        maxSeries: 0,
      });
      const mine = all.filter((s) => shards.has(shardOf(utf8.encode(s.id), NUM_SHARDS)));
      if (limits.maxSeries > 0 && mine.length > limits.maxSeries) {
        throw new QueryLimitError("maxSeries", limits.maxSeries, `more than ${limits.maxSeries}`);
      }
      return mine;
    },
  };
}

function staleNaN(): number {
  const f = new Float64Array(1);
  const w = new Uint32Array(f.buffer);
  w[0] = 2;
  w[1] = 0x7ff00000;
  return f[0];
}

interface SeriesSpec {
  name: "req_total" | "temp";
  job: string;
  inst: string;
  /** Per scrape: null for a gap, else the increment (counters) or the value (gauges). */
  points: (number | "nan" | "stale" | "reset" | null)[];
}

const SCRAPES = Math.floor((NOW - FIRST_MS) / SCRAPE_MS) + 1;

const seriesArb: fc.Arbitrary<SeriesSpec> = fc.record({
  name: fc.constantFrom("req_total" as const, "temp" as const),
  job: fc.constantFrom("api", "db", "web"),
  inst: fc.constantFrom("0", "1", "2", "3", "4", "5", "6", "7"),
  points: fc.array(
    fc.oneof(
      { weight: 30, arbitrary: fc.integer({ min: 0, max: 800 }).map((i) => i / 8) },
      { weight: 4, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constant("nan" as const) },
      { weight: 1, arbitrary: fc.constant("stale" as const) },
      { weight: 1, arbitrary: fc.constant("reset" as const) },
    ),
    { minLength: SCRAPES, maxLength: SCRAPES },
  ),
});

function batchOfSeries(specs: SeriesSpec[]): WriteBatch {
  const seen = new Set<string>();
  const ids: string[] = [];
  const tags: Uint8Array[] = [];
  const series: number[] = [];
  const times: number[] = [];
  const values: number[] = [];
  for (const s of specs) {
    const t: Tag[] = [
      ["__name__", s.name],
      ["inst", s.inst],
      ["job", s.job],
    ];
    const id = seriesIdString(t);
    if (seen.has(id)) continue;
    seen.add(id);
    const at = ids.length;
    ids.push(id);
    tags.push(encodeTags(t));
    let counter = 0;
    s.points.forEach((p, i) => {
      if (p === null) return;
      let v: number;
      if (p === "nan") v = Number.NaN;
      else if (p === "stale") v = staleNaN();
      else if (p === "reset") {
        counter = 0;
        v = 0;
      } else if (s.name === "req_total") {
        counter += p;
        v = counter;
      } else v = p;
      series.push(at);
      times.push(FIRST_MS + i * SCRAPE_MS);
      values.push(v);
    });
  }
  return {
    count: series.length,
    series,
    timesMs: times,
    // A Float64Array keeps the stale marker's payload.
    values: Float64Array.from(values),
    seriesIds: ids,
    seriesTags: tags,
  };
}

const INNER = [
  "temp",
  "req_total",
  '{__name__=~"temp|req_total"}',
  "rate(req_total[2m])",
  "irate(req_total[1m])",
  "increase(req_total[5m])",
  "avg_over_time(temp[3m])",
  "temp offset 2m",
  "rate(req_total[3m] offset 1m)",
  "temp * 2 - 1",
  "-temp",
  "abs(temp - 50)",
  "temp > 40",
  "max_over_time(temp[5m:1m])",
  "temp @ end()",
  "clamp_max(temp, 60)",
  // Not series-local: rows of two shards can collide, so never pushed.
  'label_replace(temp, "inst", "0", "", "")',
];

const GROUPING = ["", " by (job)", " without (inst)", " by (__name__, job)", " without ()"];

const OPS = ["sum", "avg", "count", "min", "max", "group", "stddev", "stdvar"];
const PARAM_OPS: [string, string[]][] = [
  ["topk", ["1", "2", "3"]],
  ["bottomk", ["1", "2"]],
  ["quantile", ["0.5", "0.9", "1.5"]],
];

const aggArb: fc.Arbitrary<string> = fc
  .record({
    op: fc.oneof(
      fc.constantFrom(...OPS).map((op) => ({ op, param: null as string | null })),
      fc
        .constantFrom(...PARAM_OPS)
        .chain(([op, params]) =>
          fc.constantFrom(...params).map((param) => ({ op, param: param as string | null })),
        ),
    ),
    grouping: fc.constantFrom(...GROUPING),
    inner: fc.constantFrom(...INNER),
  })
  .map(({ op, grouping, inner }) => {
    const param = op.param === null ? "" : `${op.param}, `;
    return `${op.op}${grouping}(${param}${inner})`;
  });

/** A pushed aggregation alone, or inside what the coordinator still evaluates itself. */
const queryArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: aggArb },
  { weight: 1, arbitrary: fc.tuple(aggArb, aggArb).map(([a, b]) => `${a} + on() group_left ${b}`) },
  { weight: 1, arbitrary: aggArb.map((a) => `max(${a})`) },
  { weight: 1, arbitrary: aggArb.map((a) => `abs(${a}) * 2`) },
  { weight: 1, arbitrary: aggArb.map((a) => `${a} + sum(temp)`) },
);

/** Whether a query's values are compared exactly (only exact operators in it). */
function exact(query: string): boolean {
  return !/\b(sum|avg|stddev|stdvar|quantile)\b/.test(query.replace(/_over_time/g, ""));
}

function close(a: number, b: number): boolean {
  if (Object.is(a, b)) return true;
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
}

function sortedSeries(r: QueryResult): ResultSeries[] {
  const v = r.value;
  assert.ok(v.resultType === "vector" || v.resultType === "matrix");
  const key = (s: ResultSeries) => JSON.stringify(s.labels);
  return [...v.series].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function assertSameResult(query: string, got: QueryResult, want: QueryResult): void {
  const g = sortedSeries(got);
  const w = sortedSeries(want);
  assert.deepEqual(
    g.map((s) => s.labels),
    w.map((s) => s.labels),
    `${query}: the same series`,
  );
  const isExact = exact(query);
  g.forEach((s, i) => {
    assert.deepEqual([...s.timesMs], [...w[i].timesMs], `${query}: times`);
    s.values.forEach((v, j) => {
      const u = w[i].values[j];
      assert.ok(isExact ? Object.is(v, u) : close(v, u), `${query}: ${v} vs ${u}`);
    });
  });
  assert.deepEqual([...got.warnings].sort(), [...want.warnings].sort(), `${query}: warnings`);
  assert.deepEqual([...got.infos].sort(), [...want.infos].sort(), `${query}: infos`);
  assert.equal(got.seriesFetched, want.seriesFetched, `${query}: series fetched`);
  // A subquery's inner steps are evaluated again by every block whose
  // windows reach them, so with subqueries the count follows the blocks.
  if (!query.includes(":1m]")) {
    assert.equal(
      got.stats.totalQueryableSamples,
      want.stats.totalQueryableSamples,
      `${query}: samples read at the steps`,
    );
  }
}

/** An error's text without the lists of series it names. */
function unlisted(message: string): string {
  return message.replace(/\[[^\]]*\]/g, "[...]");
}

async function outcome(work: Promise<QueryResult>): Promise<QueryResult | Error> {
  try {
    return await work;
  } catch (e) {
    return e as Error;
  }
}

test("pushed-down aggregations answer as the coordinator's own evaluation, over random data and queries", async () => {
  const { db } = await openDb();
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(seriesArb, { minLength: 0, maxLength: 12 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(queryArb, { minLength: 1, maxLength: 4 }),
      fc.oneof(
        fc.record({ instantAt: fc.integer({ min: 0, max: 20 }) }),
        fc.record({
          startAt: fc.integer({ min: 0, max: 10 }),
          steps: fc.integer({ min: 1, max: 40 }),
          stepMs: fc.constantFrom(15_000, 30_000, 60_000, 45_000),
        }),
      ),
      // One limit at a time: with two passed, which fires first depends
      // on the plan. A sample limit this low fails wherever it is checked.
      fc.constantFrom<{ maxSeries?: number; maxSamples?: number }>(
        {},
        {},
        {},
        { maxSeries: 2 },
        { maxSeries: 5 },
        { maxSamples: 1 },
      ),
      fc.integer({ min: 1, max: 6 }),
      fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
      async (specs, nodes, queries, when, limits, blockSteps, nodeBlockSteps) => {
        const ns = `p${run++}`;
        await db.createNamespace(ns, { index: { enabled: true }, bufferPastMs: 60 * MIN });
        const client = new InProcessClient(db);
        const batch = batchOfSeries(specs);
        if (batch.count > 0) {
          const w = await client.writeBatch(ns, batch);
          assert.equal(w.written, batch.count);
        }
        const nodeQueriers = Array.from({ length: nodes }, (_, n) => {
          const shards = new Set<number>();
          for (let s = n; s < NUM_SHARDS; s += nodes) shards.add(s);
          return clientQuerier(shardClient(client, shards), ns);
        });
        const asked: ClusterAggregateRequest[] = [];
        // The coordinator reads the whole cluster as the nodes' answers
        // merged: a series limit counts the series they return (those with
        // samples in the range), where one database's index also counts
        // matching series without any.
        const everyShard = new Set(Array.from({ length: NUM_SHARDS }, (_, s) => s));
        const querier = clientQuerier(shardClient(client, everyShard), ns);
        const plain = createEngine({ querier });
        const pushing = createEngine({
          querier,
          blockSteps,
          pushdown: {
            namespace: ns,
            aggregatePartials: async (req, deadlineMs) => {
              asked.push(req);
              return Promise.all(
                nodeQueriers.map((q) =>
                  evaluatePartial(q, {
                    ...req,
                    deadlineMs,
                    ...(nodeBlockSteps === undefined ? {} : { blockSteps: nodeBlockSteps }),
                  }),
                ),
              );
            },
          },
        });
        for (const query of queries) {
          const options = { maxSeries: 0, ...limits };
          const runOn = (e: ReturnType<typeof createEngine>, extra: object) =>
            "instantAt" in when
              ? e.instantQuery(query, NOW - when.instantAt * 30_000, { ...options, ...extra })
              : e.rangeQuery(
                  query,
                  NOW - 15 * MIN + when.startAt * 30_000,
                  NOW - 15 * MIN + when.startAt * 30_000 + (when.steps - 1) * when.stepMs,
                  when.stepMs,
                  { ...options, ...extra },
                );
          const before = asked.length;
          const want = await outcome(runOn(plain, {}));
          const got = await outcome(runOn(pushing, { pushdown: "on" }));
          if (want instanceof Error || got instanceof Error) {
            assert.ok(want instanceof Error, `${query}: pushed failed, plain did not: ${got}`);
            assert.ok(got instanceof Error, `${query}: plain failed, pushed did not: ${want}`);
            assert.equal(got.constructor, want.constructor, `${query}: ${got} vs ${want}`);
            // Which rows an error names follows the rows' order, which
            // differs: the merged groups come node by node.
            assert.equal(unlisted(got.message), unlisted(want.message), query);
            continue;
          }
          assertSameResult(query, got, want);
          // The aggregations were really pushed.
          assert.equal(asked.length - before, pushableAggregates(parsePromQL(query)).length);
        }
        await db.dropNamespace(ns);
      },
    ),
    { numRuns: 80 },
  );
  await db.close();
});

test("auto pushes at read consistency one only, off never, and a node's deadline is the query's", async () => {
  const { db } = await openDb();
  await db.createNamespace("q", { index: { enabled: true }, bufferPastMs: 60 * MIN });
  const client = new InProcessClient(db);
  const w = await client.writeBatch(
    "q",
    batchOfSeries([{ name: "temp", job: "api", inst: "0", points: [1, 2, 3] }]),
  );
  assert.equal(w.written, 3);
  const deadlines: number[] = [];
  const querier = clientQuerier(client, "q");
  const engine = createEngine({
    querier,
    pushdown: {
      namespace: "q",
      aggregatePartials: async (req, deadlineMs) => {
        deadlines.push(deadlineMs);
        return [await evaluatePartial(querier, { ...req, deadlineMs })];
      },
    },
  });
  const at = FIRST_MS + 2 * SCRAPE_MS;
  const startedMs = Date.now();
  const r = await engine.instantQuery("sum(temp)", at, { readConsistency: "one", timeoutMs: 9000 });
  assert.equal(deadlines.length, 1);
  assert.ok(deadlines[0] >= startedMs + 8000 && deadlines[0] <= Date.now() + 9000);
  assert.equal(r.value.resultType === "vector" && r.value.series[0].values[0], 3);
  await engine.instantQuery("sum(temp)", at);
  await engine.instantQuery("sum(temp)", at, { readConsistency: "majority" });
  await engine.instantQuery("sum(temp)", at, { readConsistency: "one", pushdown: "off" });
  assert.equal(deadlines.length, 1);
  await engine.instantQuery("sum(temp)", at, { readConsistency: "majority", pushdown: "on" });
  assert.equal(deadlines.length, 2);
  // A partial answer cannot be cut to the first series of the whole: not pushed.
  await engine.instantQuery("sum(temp)", at, { pushdown: "on", requireExhaustive: false });
  assert.equal(deadlines.length, 2);
  // A client whose own default is `one` pushes under auto.
  const byDefault = createEngine({
    querier,
    pushdown: {
      namespace: "q",
      defaultReadConsistency: "one",
      aggregatePartials: async (req, deadlineMs) => {
        deadlines.push(deadlineMs);
        return [await evaluatePartial(querier, { ...req, deadlineMs })];
      },
    },
  });
  await byDefault.instantQuery("sum(temp)", at);
  assert.equal(deadlines.length, 3);
  await assert.rejects(
    evaluatePartial(querier, {
      query: "sum(temp)",
      startMs: at,
      endMs: at,
      stepMs: 0,
      lookbackMs: 5 * MIN,
      maxSeries: 0,
      maxSamples: 1e6,
      deadlineMs: Date.now() - 1,
    }),
    QueryTimeoutError,
  );
  await assert.rejects(
    evaluatePartial(querier, {
      query: "sum(label_replace(temp, 'a', 'b', 'job', '.*'))",
      startMs: at,
      endMs: at,
      stepMs: 0,
      lookbackMs: 5 * MIN,
      maxSeries: 0,
      maxSamples: 1e6,
      deadlineMs: Date.now() + 10_000,
    }),
    /not an aggregation with a mergeable state over series-local input/,
  );
  await db.close();
});
