import assert from "node:assert/strict";
import { test } from "node:test";
import { QueryTimeoutError } from "../errors.js";
import { QueryGate, QueryQueueFullError } from "./query-gate.js";

test("queries beyond maxConcurrent wait in order and run as slots free", async () => {
  const gate = new QueryGate(2, 5);
  const r1 = await gate.acquire(1000);
  const r2 = await gate.acquire(1000);
  const order: number[] = [];
  const w3 = gate.acquire(1000).then((r) => {
    order.push(3);
    return r;
  });
  const w4 = gate.acquire(1000).then((r) => {
    order.push(4);
    return r;
  });
  assert.equal(gate.active, 2);
  assert.equal(gate.queued, 2);
  r1();
  const r3 = await w3;
  assert.deepEqual(order, [3]);
  r1(); // a second release of the same slot changes nothing
  assert.equal(gate.queued, 1);
  r2();
  const r4 = await w4;
  assert.deepEqual(order, [3, 4]);
  r3();
  r4();
  assert.equal(gate.active, 0);
});

test("a query past the queue's bound is refused at once", async () => {
  const gate = new QueryGate(1, 1);
  const r = await gate.acquire(1000);
  const waiting = gate.acquire(1000);
  await assert.rejects(gate.acquire(1000), (e: Error) => {
    assert.ok(e instanceof QueryQueueFullError);
    assert.equal(e.status, 503);
    assert.equal(e.errorType, "unavailable");
    assert.match(e.message, /1 running and 1 waiting/);
    return true;
  });
  r();
  (await waiting)();
});

test("a query still waiting at its timeout leaves the queue with a timeout error", async () => {
  const gate = new QueryGate(1, 4);
  const r = await gate.acquire(1000);
  await assert.rejects(gate.acquire(20), (e: Error) => {
    assert.ok(e instanceof QueryTimeoutError);
    assert.equal(e.message, "query timed out in query queue");
    return true;
  });
  assert.equal(gate.queued, 0);
  r();
  assert.equal(gate.active, 0);
});
