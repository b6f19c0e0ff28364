// A query's answer is produced and written in chunks: the same bytes as one
// body, other work runs between chunks, and a full socket is waited for.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { test } from "node:test";
import type { QueryValue, ResultSeries } from "../engine-types.js";
import { makeLabels } from "../labels.js";
import { resultJson, writeResultJson } from "./json-format.js";
import { sendSuccessStreamed } from "./respond.js";

/** A response that records what is written; `full` makes write report a full socket. */
class FakeResponse extends EventEmitter {
  headersSent = false;
  destroyed = false;
  finished = false;
  status = 0;
  headers: Record<string, string | number> = {};
  chunks: string[] = [];
  full = false;

  writeHead(status: number, headers: Record<string, string | number>): this {
    this.status = status;
    this.headers = headers;
    this.headersSent = true;
    return this;
  }

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return !this.full;
  }

  end(chunk: string): this {
    this.chunks.push(chunk);
    this.finished = true;
    return this;
  }
}

function matrix(seriesCount: number, points: number): QueryValue {
  return { resultType: "matrix", series: rows(seriesCount, points) };
}

function rows(seriesCount: number, points: number): ResultSeries[] {
  return Array.from({ length: seriesCount }, (_, k) => ({
    labels: makeLabels([
      ["__name__", "m"],
      ["k", `s${k}`],
    ]),
    timesMs: Float64Array.from({ length: points }, (_, i) => 1_700_000_000_123 + i * 15_000),
    values: Float64Array.from({ length: points }, (_, i) => i / 3 + k),
  }));
}

function send(res: FakeResponse, value: QueryValue): Promise<void> {
  return sendSuccessStreamed(
    res as unknown as ServerResponse,
    async (sink) => {
      sink.append(`{"resultType":"${value.resultType}","result":`);
      await writeResultJson(value, sink);
      sink.append("}");
    },
    ["w1"],
  );
}

function expectedBody(value: QueryValue): string {
  return `{"status":"success","data":{"resultType":"${value.resultType}","result":${resultJson(value)}},"warnings":["w1"]}`;
}

test("a large answer goes out in several chunks whose bytes are those of the whole body", async () => {
  const value = matrix(2_000, 60);
  const res = new FakeResponse();
  await send(res, value);
  assert.ok(res.chunks.length > 10, `chunks: ${res.chunks.length}`);
  assert.equal(res.chunks.join(""), expectedBody(value));
  assert.equal(res.status, 200);
  assert.equal(res.headers["Content-Length"], undefined);
  assert.equal(res.finished, true);
});

test("a small answer is one body with its Content-Length", async () => {
  for (const value of [
    matrix(3, 4),
    { resultType: "vector", series: rows(2, 1) } as QueryValue,
    { resultType: "scalar", timeMs: 1_500, value: 2.5 } as QueryValue,
  ]) {
    const res = new FakeResponse();
    await send(res, value);
    const body = expectedBody(value);
    assert.deepEqual(res.chunks, [body]);
    assert.equal(res.headers["Content-Length"], Buffer.byteLength(body));
  }
});

test("other tasks run while a large answer is produced", async () => {
  const value = matrix(4_000, 120);
  const res = new FakeResponse();
  const events: string[] = [];
  setImmediate(() => events.push("other task"));
  await send(res, value);
  events.push("answer sent");
  assert.deepEqual(events, ["other task", "answer sent"]);
});

test("a full socket is waited for: nothing more is written until it drains", async () => {
  const value = matrix(2_000, 60);
  const res = new FakeResponse();
  res.full = true;
  const sending = send(res, value);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(res.chunks.length, 1);
  res.full = false;
  res.emit("drain");
  await sending;
  assert.equal(res.chunks.join(""), expectedBody(value));
});

test("a client that goes away stops the answer", async () => {
  const value = matrix(2_000, 60);
  const res = new FakeResponse();
  res.full = true;
  const sending = send(res, value);
  await new Promise((resolve) => setTimeout(resolve, 20));
  res.destroyed = true;
  res.emit("close");
  await sending;
  assert.equal(res.chunks.length, 1);
  assert.equal(res.finished, false);
});
