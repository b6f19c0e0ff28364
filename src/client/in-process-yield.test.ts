// The in-process fetch lets other work run while it reads many series: a
// write arriving during a large fetch is acknowledged before the fetch ends.
import assert from "node:assert/strict";
import { test } from "node:test";
import { batchOf, MIN, NOW, openDb } from "../dbnode/storage/testing.js";
import { newMatcher } from "../index/index.js";
import { InProcessClient } from "./in-process.js";

const SERIES = 4000;
const POINTS_PER_SERIES = 36;
const SERIES_PER_BATCH = 200;
const STEP_MS = 15_000;

test("a write issued while fetchTagged reads thousands of series is acknowledged before the fetch resolves", async () => {
  const { db } = await openDb();
  await db.createNamespace("q", { index: { enabled: true } });
  const client = new InProcessClient(db);
  // Inside the write window (the last ten minutes).
  const start = NOW - 9 * MIN;
  for (let first = 0; first < SERIES; first += SERIES_PER_BATCH) {
    const points: [string, number, number][] = [];
    for (let s = first; s < first + SERIES_PER_BATCH; s++) {
      for (let i = 0; i < POINTS_PER_SERIES; i++) points.push([`m${s}`, start + i * STEP_MS, i]);
    }
    const loaded = await client.writeBatch("q", batchOf(points));
    assert.equal(loaded.written, points.length);
  }

  const events: string[] = [];
  const fetching = client
    .fetchTagged("q", [newMatcher("=~", "__name__", "m.*")], start, NOW, {
      maxSeries: 0,
      maxDocsScanned: 0,
      maxSamples: 0,
    })
    .then((series) => {
      events.push(`fetched ${series.length}`);
      return series;
    });
  // A write request arriving from outside: a task of its own on the event loop.
  setImmediate(() => {
    void client.writeBatch("q", batchOf([["late", NOW, 1]])).then((r) => {
      events.push(`ack ${r.written}`);
    });
  });
  const series = await fetching;
  assert.equal(series.length, SERIES);
  assert.equal(
    series.reduce((n, s) => n + s.count, 0),
    SERIES * POINTS_PER_SERIES,
  );
  assert.deepEqual(events, ["ack 1", `fetched ${SERIES}`]);
  await db.close();
});
