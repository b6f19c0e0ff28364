import assert from "node:assert/strict";
import { test } from "node:test";
import type { WriteBatch, WriteResult } from "../dbnode/ts/index.js";
import { type M3tsError, systemClock, TimeUnit } from "../x/index.js";
import { HostQueue, type HostQueueOptions, type ReplicaWriteSink } from "./host-queue.js";
import type { NodeTransport } from "./transport.js";

/** A transport that records each batch and answers from `answer` (all written by default). */
function recorder(answer?: (ns: string, b: WriteBatch) => Promise<WriteResult>) {
  const sent: { namespace: string; batch: WriteBatch }[] = [];
  const transport = {
    endpoint: "n0:9000",
    writeBatch(namespace: string, batch: WriteBatch): Promise<WriteResult> {
      sent.push({ namespace, batch });
      if (answer !== undefined) return answer(namespace, batch);
      return Promise.resolve({ written: batch.count, errors: [], refs: new Float64Array(0) });
    },
  } as unknown as NodeTransport;
  return { sent, transport };
}

function sink(namespace: string, batch: WriteBatch) {
  const outcomes: { index: number; slot: number; error: M3tsError | null }[] = [];
  const s: ReplicaWriteSink = {
    namespace,
    batch,
    deadlineMs: Date.now() + 5_000,
    replicaDone: (index, slot, error) => outcomes.push({ index, slot, error }),
  };
  return { s, outcomes };
}

function batchOf(n: number, seriesCount = n): WriteBatch {
  return {
    count: n,
    series: Int32Array.from({ length: n }, (_, i) => i % seriesCount),
    timesMs: Float64Array.from({ length: n }, (_, i) => 1000 + i),
    values: Float64Array.from({ length: n }, (_, i) => i * 1.5),
    seriesIds: Array.from({ length: seriesCount }, (_, i) => `s${i}`),
    seriesTags: Array.from({ length: seriesCount }, (_, i) => Uint8Array.of(i)),
  };
}

const OPTIONS: HostQueueOptions = {
  maxOpsPerBatch: 128,
  flushIntervalMs: 60_000,
  maxQueuedOps: 1000,
  maxBatchesInFlight: 8,
  maxWriteAttempts: 1,
  retryBackoffMs: 1,
  wallClock: systemClock,
};

test("a batch is sent as soon as it holds maxOpsPerBatch datapoints, not before", async () => {
  const { sent, transport } = recorder();
  const q = new HostQueue(transport, OPTIONS);
  const { s, outcomes } = sink("ns", batchOf(300, 10));
  for (let i = 0; i < 127; i++) q.enqueue(s, i, 0);
  assert.equal(sent.length, 0);
  q.enqueue(s, 127, 0);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].batch.count, 128);
  // Each series once in the batch, whatever its datapoints.
  assert.deepEqual(
    sent[0].batch.seriesIds,
    Array.from({ length: 10 }, (_, i) => `s${i}`),
  );
  assert.deepEqual(
    Array.from(sent[0].batch.series).slice(0, 12),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1],
  );
  assert.deepEqual(Array.from(sent[0].batch.values).slice(0, 3), [0, 1.5, 3]);
  assert.equal(q.queuedOps, 128);
  await new Promise((r) => setImmediate(r));
  assert.equal(outcomes.length, 128);
  assert.ok(outcomes.every((o) => o.error === null && o.slot === 0));
  assert.equal(q.queuedOps, 0);
  q.close();
});

test("a partial batch is sent flushIntervalMs after its first datapoint", async () => {
  const { sent, transport } = recorder();
  const q = new HostQueue(transport, { ...OPTIONS, flushIntervalMs: 1 });
  const { s, outcomes } = sink("ns", batchOf(3));
  q.enqueue(s, 0, 2);
  q.enqueue(s, 2, 2);
  assert.equal(sent.length, 0);
  while (outcomes.length < 2) await new Promise((r) => setTimeout(r, 1));
  assert.equal(sent.length, 1);
  assert.deepEqual(Array.from(sent[0].batch.timesMs), [1000, 1002]);
  assert.deepEqual(
    outcomes.map((o) => [o.index, o.slot]),
    [
      [0, 2],
      [2, 2],
    ],
  );
  q.close();
});

test("datapoints of two namespaces go out as two batches; a node's per-datapoint refusal reaches its datapoint", async () => {
  const { sent, transport } = recorder(async (_ns, b) => ({
    written: b.count - 1,
    errors: [{ index: 0, error: { code: "M3TS_ERR_WRITE_WINDOW", message: "old" } as M3tsError }],
    refs: new Float64Array(0),
  }));
  const q = new HostQueue(transport, { ...OPTIONS, maxOpsPerBatch: 4 });
  const a = sink("a", batchOf(2));
  const b = sink("b", batchOf(2));
  q.enqueue(a.s, 0, 0);
  q.enqueue(b.s, 0, 0);
  q.enqueue(a.s, 1, 0);
  q.enqueue(b.s, 1, 0);
  assert.deepEqual(
    sent.map((x) => [x.namespace, x.batch.count]),
    [
      ["a", 2],
      ["b", 2],
    ],
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    a.outcomes.map((o) => [o.index, o.error?.code ?? null]),
    [
      [0, "M3TS_ERR_WRITE_WINDOW"],
      [1, null],
    ],
  );
  q.close();
});

test("at most maxBatchesInFlight batches are on the wire; the rest wait and go as answers come", async () => {
  const answers: (() => void)[] = [];
  const { sent, transport } = recorder(
    (_ns, b) =>
      new Promise((resolve) =>
        answers.push(() => resolve({ written: b.count, errors: [], refs: new Float64Array(0) })),
      ),
  );
  const q = new HostQueue(transport, { ...OPTIONS, maxOpsPerBatch: 10, maxBatchesInFlight: 2 });
  const { s, outcomes } = sink("ns", batchOf(50, 5));
  for (let i = 0; i < 50; i++) q.enqueue(s, i, 0);
  assert.equal(sent.length, 2, "two batches on the wire, three waiting");
  assert.equal(q.queuedOps, 50);
  answers.shift()?.();
  await new Promise((r) => setImmediate(r));
  assert.equal(sent.length, 3, "an answer frees a slot for the next batch");
  while (answers.length > 0) {
    answers.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(sent.length, 5);
  assert.deepEqual(
    sent.map((b) => b.batch.count),
    [10, 10, 10, 10, 10],
  );
  assert.equal(outcomes.length, 50);
  assert.ok(outcomes.every((o) => o.error === null));
  assert.equal(q.queuedOps, 0);
});

test("close fails what is gathered and refuses more", () => {
  const { sent, transport } = recorder();
  const q = new HostQueue(transport, OPTIONS);
  const { s, outcomes } = sink("ns", batchOf(2));
  q.enqueue(s, 0, 1);
  q.close();
  q.enqueue(s, 1, 1);
  assert.equal(sent.length, 0);
  assert.deepEqual(
    outcomes.map((o) => o.error?.code),
    ["M3TS_ERR_NODE_UNAVAILABLE", "M3TS_ERR_NODE_UNAVAILABLE"],
  );
  assert.equal(q.queuedOps, 0);
});

test("a batch mixing sources with and without units gives the latter milliseconds", () => {
  const { sent, transport } = recorder();
  const q = new HostQueue(transport, { ...OPTIONS, maxOpsPerBatch: 2 });
  const plain = sink("ns", batchOf(1));
  const withUnits = sink("ns", { ...batchOf(1), units: Int32Array.of(TimeUnit.Second) });
  q.enqueue(plain.s, 0, 0);
  q.enqueue(withUnits.s, 0, 0);
  assert.deepEqual(Array.from(sent[0].batch.units ?? []), [TimeUnit.Millisecond, TimeUnit.Second]);
  // The same series ID from two sources may sit at two indices; the node resolves both to one series.
  assert.deepEqual(sent[0].batch.seriesIds, ["s0", "s0"]);
  q.close();
});
