// A query running over a real database lets writes be acknowledged between
// its blocks: the engine yields to the event loop after every block.
import assert from "node:assert/strict";
import { test } from "node:test";
import { InProcessClient } from "../../src/client/index.js";
import { batchOf, MIN, NOW, openDb } from "../../src/dbnode/storage/testing.js";
import { clientQuerier, createEngine } from "../../src/query/engine/index.js";

test("writes arriving while a range query runs are acknowledged before the query ends", async () => {
  const { db } = await openDb();
  await db.createNamespace("q", { index: { enabled: true } });
  const client = new InProcessClient(db);
  const start = NOW - 9 * MIN;
  const points: [string, number, number][] = [];
  for (let s = 0; s < 200; s++) {
    for (let i = 0; i < 36; i++) points.push([`m${s}`, start + i * 15_000 + s, i]);
  }
  const loaded = await client.writeBatch("q", batchOf(points));
  assert.equal(loaded.written, points.length);

  const events: string[] = [];
  const engine = createEngine({
    querier: clientQuerier(client, "q"),
    blockSteps: 4,
    onBlock: (i) => {
      events.push(`block ${i}`);
      if (i === 0) {
        // A write request arriving from outside: a task of its own on the event loop.
        setImmediate(() => {
          void client.writeBatch("q", batchOf([["late", NOW, 1]])).then((r) => {
            events.push(`ack ${r.written}`);
          });
        });
      }
    },
  });
  const result = await engine.rangeQuery('{__name__=~"m.*"}', start, start + 9 * MIN, 15_000);
  events.push("done");
  assert.equal(result.value.resultType, "matrix");
  assert.equal(result.value.resultType === "matrix" && result.value.series.length, 200);
  const ack = events.indexOf("ack 1");
  const lastBlock = events.lastIndexOf(
    events.filter((e) => e.startsWith("block")).at(-1) as string,
  );
  assert.ok(ack > 0, `the write was acknowledged: ${events.join(", ")}`);
  assert.ok(ack < lastBlock, `the write was acknowledged between blocks: ${events.join(", ")}`);
  assert.ok(events.filter((e) => e.startsWith("block")).length >= 9);
  await db.close();
});
