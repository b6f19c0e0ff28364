// bench:cluster's figures: CPU per replicated sample against the single
// node's per sample, and the pushdown agreement check.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkPushdownAgrees,
  clusterIngestFigures,
  PUSHDOWN_REL_TOLERANCE,
  PushdownMismatchError,
} from "./cluster-figures.js";
import { clusterCreateBody } from "./cluster-processes.js";
import type { QueryData } from "./query-compare.js";

test("a client sample counts once per replica in the cluster's CPU per million", () => {
  const f = clusterIngestFigures(
    { samplesPerS: 400_000, accepted: 4_000_000, cpuS: 8 },
    { samplesPerS: 100_000, accepted: 1_000_000, cpuS: 9 },
    3,
  );
  assert.equal(f.singleCpuSPerM, 2);
  assert.equal(f.cpuSPerMReplicated, 3);
  assert.equal(f.cpuRatioVsSingle, 1.5);
  assert.equal(f.samplesPerS, 100_000);
  assert.equal(f.ratioVsSingle, 0.25);
});

function vector(...values: string[]): QueryData {
  return {
    resultType: "vector",
    result: values.map((v, i) => ({ metric: { job: `job-${i}` }, value: [1700000000, v] })),
  };
}

test("pushed-down and fanned-out answers within 1e-12 relative agree, in any order", () => {
  const a = vector("1000", "2.5");
  const b: QueryData = {
    resultType: "vector",
    result: [
      ...(vector(String(1000 * (1 + PUSHDOWN_REL_TOLERANCE / 2)), "2.5").result as unknown[]),
    ].reverse(),
  };
  assert.doesNotThrow(() => checkPushdownAgrees("sum_rate", a, b));
});

test("answers further apart than 1e-12 relative, or with other series, fail the check", () => {
  const far = vector(String(1000 * (1 + 1e-11)), "2.5");
  assert.throws(
    () => checkPushdownAgrees("sum_rate", vector("1000", "2.5"), far),
    (e: unknown) =>
      e instanceof PushdownMismatchError &&
      e.differences === 1 &&
      e.code === "M3TS_ERR_BENCH_PUSHDOWN_MISMATCH",
  );
  assert.throws(
    () => checkPushdownAgrees("sum_rate", vector("1", "2"), vector("1")),
    PushdownMismatchError,
  );
});

test("the cluster body puts every host in its own isolation group on its RPC port", () => {
  const body = clusterCreateBody(
    [
      { name: "node-0", rpcPort: 9000 },
      { name: "node-1", rpcPort: 9100 },
      { name: "node-2", rpcPort: 9200 },
    ],
    { namespace: "default", retentionTime: "48h", numShards: 64, replicationFactor: 3 },
  );
  assert.equal(body.type, "cluster");
  assert.equal(body.replicationFactor, 3);
  const hosts = body.hosts as {
    id: string;
    isolationGroup: string;
    port: number;
    address: string;
  }[];
  assert.deepEqual(
    hosts.map((h) => h.id),
    ["node-0", "node-1", "node-2"],
  );
  assert.equal(new Set(hosts.map((h) => h.isolationGroup)).size, 3);
  assert.deepEqual(
    hosts.map((h) => h.port),
    [9000, 9100, 9200],
  );
  assert.ok(hosts.every((h) => h.address === "127.0.0.1"));
});
