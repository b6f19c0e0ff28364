// Prometheus's PromQL test scripts against m3ts's engine over an in-memory
// database, held against known-failures.txt. Alone: `npm run test:conformance`;
// M3TS_UPDATE_KNOWN_FAILURES=1 rewrites the list from the run instead of checking it.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { KNOWN_FAILURES_PATH, runConformance } from "./run.js";
import { describeVerdict, judge, readKnownFailures, writeKnownFailures } from "./suite.js";

test("the PromQL test scripts: every failure is a known one, and no known one passes", async () => {
  const suite = await runConformance();
  const known = existsSync(KNOWN_FAILURES_PATH)
    ? readKnownFailures(readFileSync(KNOWN_FAILURES_PATH, "utf8"))
    : new Map<string, string>();
  const verdict = judge(suite, known);
  for (const line of verdict.report) console.log(line);

  // The sets are the index's: every listed statement ran or was skipped by scope.
  const inSet = (set: string) => suite.results.filter((r) => r.set === set).length;
  assert.equal(inSet("stable"), 878);
  assert.equal(inSet("experimental"), 410);
  assert.ok(suite.samplesWritten > 0);

  if (process.env.M3TS_UPDATE_KNOWN_FAILURES === "1") {
    const n = writeKnownFailures(KNOWN_FAILURES_PATH, suite);
    console.log(`wrote ${n} known failures to ${KNOWN_FAILURES_PATH}`);
    return;
  }
  const ok =
    verdict.newFailures.length === 0 && verdict.fixed.length === 0 && verdict.stale.length === 0;
  assert.ok(ok, describeVerdict(verdict));
});
