// Query limits on a real database: each fires with its error type and a
// message naming the limit, and the node goes on answering and writing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { InProcessClient } from "../../src/client/index.js";
import { batchOf, MIN, NOW, openDb } from "../../src/dbnode/storage/testing.js";
import { clientQuerier, createEngine } from "../../src/query/engine/index.js";
import { QueryError, QueryTimeoutError } from "../../src/query/index.js";

async function loaded() {
  const { db } = await openDb();
  await db.createNamespace("q", { index: { enabled: true } });
  const client = new InProcessClient(db);
  const points: [string, number, number][] = [];
  for (let s = 0; s < 50; s++)
    for (let i = 0; i < 20; i++) points.push([`m${s}`, NOW - 5 * MIN + i * 15_000, i]);
  assert.equal((await client.writeBatch("q", batchOf(points))).written, points.length);
  return { db, client };
}

async function stillHealthy(client: InProcessClient, engine: ReturnType<typeof createEngine>) {
  const plain = await engine.instantQuery("m1", NOW);
  assert.equal(plain.value.resultType, "vector");
  assert.equal(plain.value.resultType === "vector" && plain.value.series.length, 1);
  const w = await client.writeBatch("q", batchOf([["after", NOW, 1]]));
  assert.equal(w.written, 1);
}

test("the series limit fails the query with 422 naming M3-Limit-Max-Series, or truncates with a warning", async () => {
  const { db, client } = await loaded();
  const strict = createEngine({ querier: clientQuerier(client, "q", { maxSeries: 10 }) });
  await assert.rejects(strict.instantQuery('{__name__=~"m.*"}', NOW), (err: unknown) => {
    assert.ok(err instanceof QueryError);
    assert.equal(err.status, 422);
    assert.match(err.message, /limit of 10 series \(M3-Limit-Max-Series\)/);
    return true;
  });
  await stillHealthy(client, strict);
  const partial = createEngine({
    querier: clientQuerier(client, "q", { maxSeries: 10, requireExhaustive: false }),
  });
  const r = await partial.instantQuery('{__name__=~"m.*"}', NOW);
  assert.equal(r.value.resultType === "vector" && r.value.series.length, 10);
  assert.deepEqual(r.limited, ["max_fetch_series_limit_applied"]);
  assert.equal(r.warnings.length, 1);
  await db.close();
});

test("one engine applies each query's own series limits", async () => {
  const { db, client } = await loaded();
  const engine = createEngine({ querier: clientQuerier(client, "q"), maxSeries: 10 });
  const all = '{__name__=~"m.*"}';
  await assert.rejects(engine.instantQuery(all, NOW), /limit of 10 series/);
  const roomy = await engine.instantQuery(all, NOW, { maxSeries: 50 });
  assert.equal(roomy.value.resultType === "vector" && roomy.value.series.length, 50);
  assert.deepEqual(roomy.limited, []);
  await assert.rejects(engine.instantQuery(all, NOW, { maxSeries: 49 }), /limit of 49 series/);
  const cut = await engine.instantQuery(all, NOW, { maxSeries: 5, requireExhaustive: false });
  assert.equal(cut.value.resultType === "vector" && cut.value.series.length, 5);
  assert.deepEqual(cut.limited, ["max_fetch_series_limit_applied"]);
  // The earlier queries' limits did not stick to the engine.
  await assert.rejects(engine.instantQuery(all, NOW), /limit of 10 series/);
  await db.close();
});

test("the samples limit and the timeout fire and the node goes on", async () => {
  const { db, client } = await loaded();
  const small = createEngine({ querier: clientQuerier(client, "q"), maxSamples: 100 });
  await assert.rejects(
    small.rangeQuery('{__name__=~"m.*"}', NOW - 5 * MIN, NOW, 15_000),
    (err: unknown) => {
      assert.ok(err instanceof QueryError);
      assert.equal(err.errorType, "execution");
      assert.match(err.message, /too many samples/);
      return true;
    },
  );
  await stillHealthy(client, small);
  let calls = 0;
  const slow = createEngine({
    querier: clientQuerier(client, "q"),
    timeoutMs: 1000,
    blockSteps: 2,
    // Every reading of the clock moves it a second on.
    nowMs: () => NOW + 1000 * calls++,
  });
  await assert.rejects(
    slow.rangeQuery('{__name__=~"m.*"}', NOW - 5 * MIN, NOW, 15_000),
    QueryTimeoutError,
  );
  await stillHealthy(client, createEngine({ querier: clientQuerier(client, "q") }));
  await db.close();
});
