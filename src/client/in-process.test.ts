// The in-process client's index-only read: the series fetchTagged answers,
// without reading a datapoint, under the same series limit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { batchOf, MIN, NOW, openDb } from "../dbnode/storage/testing.js";
import { newMatcher, QueryLimitError } from "../index/index.js";
import { FetchDeadlineError } from "./client.js";
import { InProcessClient } from "./in-process.js";

const NONE = { maxSeries: 0, maxDocsScanned: 0 };

async function loaded() {
  const { db } = await openDb();
  await db.createNamespace("q", { index: { enabled: true } });
  const client = new InProcessClient(db);
  const w = await client.writeBatch(
    "q",
    batchOf([
      ["cpu_a", NOW - 2 * MIN, 1],
      ["cpu_a", NOW - MIN, 2],
      ["cpu_b", NOW - MIN, 3],
      ["mem", NOW - MIN, 4],
    ]),
  );
  assert.equal(w.written, 4);
  return { db, client };
}

test("seriesTags answers the series and tags fetchTagged does, reading no datapoint", async () => {
  const { db, client } = await loaded();
  const cpu = [newMatcher("=~", "__name__", "cpu_.*")];
  const fetched = await client.fetchTagged("q", cpu, NOW - 5 * MIN, NOW, {
    ...NONE,
    maxSamples: 0,
  });
  let reads = 0;
  const fetch = db.fetch.bind(db);
  db.fetch = (...args) => {
    reads++;
    return fetch(...args);
  };
  const listed = await client.seriesTags("q", cpu, NOW - 5 * MIN, NOW, NONE);
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
  assert.deepEqual(
    listed.sort(byId).map((s) => [s.id, s.tags]),
    fetched.sort(byId).map((s) => [s.id, s.tags]),
  );
  assert.deepEqual(
    listed.map((s) => s.tags.find(([n]) => n === "__name__")?.[1]),
    ["cpu_a", "cpu_b"],
  );
  assert.equal(reads, 0);
  await db.close();
});

test("seriesTags fails past maxSeries as fetchTagged does, and 0 sets no bound", async () => {
  const { db, client } = await loaded();
  const all = [newMatcher("=~", "__name__", ".+")];
  await assert.rejects(
    client.seriesTags("q", all, NOW - 5 * MIN, NOW, { maxSeries: 2, maxDocsScanned: 0 }),
    (e: unknown) => e instanceof QueryLimitError && e.limit === "maxSeries" && e.value === 2,
  );
  assert.equal(
    (await client.seriesTags("q", all, NOW - 5 * MIN, NOW, { ...NONE, maxSeries: 3 })).length,
    3,
  );
  assert.equal((await client.seriesTags("q", all, NOW - 5 * MIN, NOW, NONE)).length, 3);
  await db.close();
});

test("a fetch past its deadline stops with FetchDeadlineError instead of reading every series", async () => {
  const { db } = await openDb();
  await db.createNamespace("q", { index: { enabled: true } });
  const client = new InProcessClient(db);
  const points: [string, number, number][] = [];
  for (let s = 0; s < 100; s++) points.push([`m${s}`, NOW - MIN, s]);
  assert.equal((await client.writeBatch("q", batchOf(points))).written, 100);
  const all = [newMatcher("=~", "__name__", "m.*")];
  let reads = 0;
  const fetch = db.fetch.bind(db);
  db.fetch = (...args) => {
    reads++;
    return fetch(...args);
  };
  await assert.rejects(
    client.fetchTagged("q", all, NOW - 5 * MIN, NOW, {
      ...NONE,
      maxSamples: 0,
      deadlineMs: Date.now() - 1,
    }),
    FetchDeadlineError,
  );
  assert.ok(reads < 100, `stopped after ${reads} series`);
  const whole = await client.fetchTagged("q", all, NOW - 5 * MIN, NOW, {
    ...NONE,
    maxSamples: 0,
    deadlineMs: Date.now() + 60_000,
  });
  assert.equal(whole.length, 100);
});

test("a client restricted to some shards reads and lists only their series, bounded among them", async () => {
  const { db } = await openDb();
  await db.createNamespace("q", { index: { enabled: true } });
  const points: [string, number, number][] = [];
  for (let s = 0; s < 40; s++) points.push([`m${s}`, NOW - MIN, s]);
  assert.equal((await new InProcessClient(db).writeBatch("q", batchOf(points))).written, 40);
  const all = [newMatcher("=~", "__name__", "m.*")];
  const shardOf = (id: string) => db.shardOfId(id);
  const everything = await new InProcessClient(db).seriesTags("q", all, NOW - 5 * MIN, NOW, NONE);
  const shard = shardOf(everything[0].id);
  const want = everything.filter((s) => shardOf(s.id) === shard).map((s) => s.id);
  assert.ok(want.length >= 2 && want.length < 40);
  const client = new InProcessClient(db, { shards: new Set([shard]) });
  const fetched = await client.fetchTagged("q", all, NOW - 5 * MIN, NOW, {
    ...NONE,
    maxSamples: 0,
  });
  assert.deepEqual(fetched.map((s) => s.id).sort(), [...want].sort());
  const listed = await client.seriesTags("q", all, NOW - 5 * MIN, NOW, NONE);
  assert.deepEqual(listed.map((s) => s.id).sort(), [...want].sort());
  // The series bound counts the shard's series, not every series the node holds.
  const bound = { ...NONE, maxSeries: want.length };
  assert.equal((await client.seriesTags("q", all, NOW - 5 * MIN, NOW, bound)).length, want.length);
  await assert.rejects(
    client.fetchTagged("q", all, NOW - 5 * MIN, NOW, {
      ...NONE,
      maxSeries: want.length - 1,
      maxSamples: 0,
    }),
    (e: unknown) => e instanceof QueryLimitError && e.limit === "maxSeries",
  );
  await db.close();
});
