// A bounded number of simulation seeds on every test run, without and with
// disk faults, and of the replicated cluster; `npm run test:sim` runs more.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CLUSTER_DEFAULT_OPTIONS,
  describeClusterFailure,
  runClusterSeeds,
} from "./cluster-simulation.js";
import { DEFAULT_OPTIONS, describeFailure, runSeeds } from "./run-seeds.js";

const SEEDS = 100;
const CLUSTER_SEEDS = 80;
const FAULTS = { ...DEFAULT_OPTIONS, faultRate: 0.01 };

test(`the storage engine keeps every acknowledged datapoint over ${SEEDS} simulated seeds`, async () => {
  const { failed } = await runSeeds(1, SEEDS, DEFAULT_OPTIONS);
  if (failed !== null) assert.fail(describeFailure(failed, DEFAULT_OPTIONS));
});

test(`... and over ${SEEDS} more with ENOSPC, EIO and failed fsyncs at 1% of disk operations`, async () => {
  const { failed } = await runSeeds(100_001, SEEDS, FAULTS);
  if (failed !== null) assert.fail(describeFailure(failed, FAULTS));
});

test(`three nodes at RF=3 serve every write acknowledged at majority over ${CLUSTER_SEEDS} simulated seeds of crashes and restarts`, async () => {
  const { failed } = await runClusterSeeds(1, CLUSTER_SEEDS, CLUSTER_DEFAULT_OPTIONS);
  if (failed !== null) assert.fail(describeClusterFailure(failed, CLUSTER_DEFAULT_OPTIONS));
});
