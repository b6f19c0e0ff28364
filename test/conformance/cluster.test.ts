// Prometheus's PromQL test scripts against the engine reading a three-node
// cluster over loopback gRPC (RF 3, the cluster client, the node servers),
// held to the same known failures as the single node: the cluster answers
// exactly as one node does. One script per family keeps it short.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { atVariants } from "./at-variants.js";
import { ClusterTestStorage } from "./cluster-storage.js";
import { engineFor, KNOWN_FAILURES_PATH, TESTDATA_DIR } from "./run.js";
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

test("the PromQL test scripts give the single node's verdicts on a three-node cluster", async () => {
  const storage = await ClusterTestStorage.open();
  let suite: Awaited<ReturnType<typeof runSuite>>;
  try {
    suite = await runSuite(TESTDATA_DIR, storage, engineFor, atVariants, (f) => FAMILIES.has(f));
  } finally {
    await storage.close();
  }
  const known = new Map(
    [...readKnownFailures(readFileSync(KNOWN_FAILURES_PATH, "utf8"))].filter(([id]) =>
      FAMILIES.has(id.slice(0, id.indexOf(":"))),
    ),
  );
  const verdict = judge(suite, known);
  const files = new Set(suite.results.map((r) => r.file));
  assert.deepEqual([...files].sort(), [...FAMILIES].sort(), "every family's script ran");
  assert.ok(suite.samplesWritten > 0);
  assert.ok(
    verdict.newFailures.length === 0 && verdict.fixed.length === 0 && verdict.stale.length === 0,
    describeVerdict(verdict),
  );
});
