import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { QueryLogFile, queryLogLine } from "./query-log.js";

const ENTRY = {
  query: "up",
  startMs: 1_700_000_000_000,
  endMs: 1_700_000_060_500,
  stepMs: 15_000,
  error: null,
  stats: { timings: { evalTotalTime: 0.5 } },
  httpRequest: { clientIP: "127.0.0.1", method: "POST", path: "/api/v1/query_range" },
};

test("a line holds Prometheus's fields: time, params with the step in seconds, stats, request", () => {
  const line = JSON.parse(queryLogLine(ENTRY, 1_700_000_100_000));
  assert.deepEqual(line, {
    time: "2023-11-14T22:15:00.000Z",
    level: "INFO",
    msg: "promql query logged",
    params: {
      query: "up",
      start: "2023-11-14T22:13:20.000Z",
      end: "2023-11-14T22:14:20.500Z",
      step: 15,
    },
    stats: { timings: { evalTotalTime: 0.5 } },
    httpRequest: ENTRY.httpRequest,
  });
  const failed = JSON.parse(queryLogLine({ ...ENTRY, error: "boom", stats: null }, 0));
  assert.equal(failed.error, "boom");
});

test("the file gets one line per query, appended to what it held", async () => {
  const dir = mkdtempSync(join(tmpdir(), "m3ts-qlog-"));
  try {
    const path = join(dir, "queries.log");
    const first = new QueryLogFile(path);
    first.write(queryLogLine(ENTRY, 0));
    await first.close();
    const second = new QueryLogFile(path);
    second.write(queryLogLine({ ...ENTRY, query: "b" }, 0));
    second.write(queryLogLine({ ...ENTRY, query: "c" }, 0));
    await second.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).params.query),
      ["up", "b", "c"],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lines past the pending bound are dropped and counted, not held in memory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "m3ts-qlog-"));
  try {
    const log = new QueryLogFile(join(dir, "q.log"), 10);
    const line = queryLogLine(ENTRY, 0);
    log.write(line);
    log.write(line);
    log.write(line);
    assert.ok(log.dropped >= 1, `dropped ${log.dropped}`);
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
