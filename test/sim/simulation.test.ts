// A bounded number of simulation seeds on every test run, without and with
// disk faults; `npm run test:sim` runs more.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_OPTIONS, describeFailure, runSeeds } from "./run-seeds.js";

const SEEDS = 100;
const FAULTS = { ...DEFAULT_OPTIONS, faultRate: 0.01 };

test(`the storage engine keeps every acknowledged datapoint over ${SEEDS} simulated seeds`, async () => {
  const { failed } = await runSeeds(1, SEEDS, DEFAULT_OPTIONS);
  if (failed !== null) assert.fail(describeFailure(failed, DEFAULT_OPTIONS));
});

test(`... and over ${SEEDS} more with ENOSPC, EIO and failed fsyncs at 1% of disk operations`, async () => {
  const { failed } = await runSeeds(100_001, SEEDS, FAULTS);
  if (failed !== null) assert.fail(describeFailure(failed, FAULTS));
});
