// A bounded number of simulation seeds on every test run; `npm run test:sim`
// runs more.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_OPTIONS, describeFailure, runSeeds } from "./run-seeds.js";

const SEEDS = 200;

test(`the storage engine keeps every acknowledged datapoint over ${SEEDS} simulated seeds`, async () => {
  const { failed } = await runSeeds(1, SEEDS, DEFAULT_OPTIONS);
  if (failed !== null) assert.fail(describeFailure(failed, DEFAULT_OPTIONS));
});
