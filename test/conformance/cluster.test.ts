// Prometheus's PromQL test scripts against the engine reading a three-node
// cluster over loopback gRPC (RF 3, the cluster client, the node servers),
// held to the same known failures as the single node: the cluster answers
// exactly as one node does, with aggregations evaluated at the coordinator
// over merged replicas and with them pushed down to the nodes. One script
// per family keeps it short.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { clientQuerier, createEngine, pushdownTarget } from "../../src/query/engine/index.js";
import { atVariants } from "./at-variants.js";
import { ClusterTestStorage } from "./cluster-storage.js";
import { engineFor, KNOWN_FAILURES_PATH, TESTDATA_DIR } from "./run.js";
import type { EngineFor } from "./runner.js";
import { describeVerdict, judge, readKnownFailures, runSuite } from "./suite.js";

/** One script of each family of the suite's statements. */
const FAMILIES = new Set([
  "aggregators.test",
  "functions.test",
  "operators.test",
  "selectors.test",
  "staleness.test",
  "subquery.test",
  "at_modifier.test",
  "range_queries.test",
  "histograms.test",
  "limit.test",
]);

/** The scripts where aggregations are most varied, run again with them pushed to the nodes. */
const PUSHDOWN_FAMILIES = new Set([
  "aggregators.test",
  "functions.test",
  "subquery.test",
  "at_modifier.test",
  "range_queries.test",
  "limit.test",
]);

async function verdictOn(files: ReadonlySet<string>, engine: EngineFor) {
  const storage = await ClusterTestStorage.open();
  let suite: Awaited<ReturnType<typeof runSuite>>;
  try {
    suite = await runSuite(TESTDATA_DIR, storage, engine, atVariants, (f) => files.has(f));
  } finally {
    await storage.close();
  }
  const known = new Map(
    [...readKnownFailures(readFileSync(KNOWN_FAILURES_PATH, "utf8"))].filter(([id]) =>
      files.has(id.slice(0, id.indexOf(":"))),
    ),
  );
  const ran = new Set(suite.results.map((r) => r.file));
  assert.deepEqual([...ran].sort(), [...files].sort(), "every family's script ran");
  assert.ok(suite.samplesWritten > 0);
  return judge(suite, known);
}

test("the PromQL test scripts give the single node's verdicts on a three-node cluster", async () => {
  const verdict = await verdictOn(FAMILIES, engineFor);
  assert.ok(
    verdict.newFailures.length === 0 && verdict.fixed.length === 0 && verdict.stale.length === 0,
    describeVerdict(verdict),
  );
});

test("... and with aggregations pushed down to the nodes", async () => {
  let pushed = 0;
  // At read consistency one the engine pushes every aggregation it can.
  const pushing: EngineFor = (client, namespace) => {
    const target = pushdownTarget(client, namespace, "one");
    assert.ok(target !== undefined, "the cluster client takes pushed-down aggregations");
    return createEngine({
      querier: clientQuerier(client, namespace),
      pushdown: {
        ...target,
        aggregatePartials: (req, deadlineMs) => {
          pushed++;
          return target.aggregatePartials(req, deadlineMs);
        },
      },
    });
  };
  const verdict = await verdictOn(PUSHDOWN_FAMILIES, pushing);
  assert.ok(pushed > 100, `only ${pushed} aggregations were pushed`);
  assert.ok(
    verdict.newFailures.length === 0 && verdict.fixed.length === 0 && verdict.stale.length === 0,
    describeVerdict(verdict),
  );
});
