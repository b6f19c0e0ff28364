// npm run test:sim -- [--seeds N] [--seed S] [--first F] [--steps K] [--faults P] [--isolate-ticks] [--verbose] [--trace-io]
// Runs the deterministic storage simulation (built into dist/ first).
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1000" },
    seed: { type: "string" },
    first: { type: "string", default: "1" },
    steps: { type: "string", default: "30" },
    faults: { type: "string", default: "0" },
    "isolate-ticks": { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    "trace-io": { type: "boolean", default: false },
  },
});
const { runSeeds, describeFailure } = await import("../dist/test/sim/run-seeds.js");
const options = {
  steps: Number(values.steps),
  faultRate: Number(values.faults),
  isolateTicks: values["isolate-ticks"],
  verbose: values.verbose,
  traceIo: values["trace-io"],
};
const first = values.seed !== undefined ? Number(values.seed) : Number(values.first);
const count = values.seed !== undefined ? 1 : Number(values.seeds);
const started = performance.now();
const { passed, failed } = await runSeeds(first, count, options);
const ms = performance.now() - started;
if (failed !== null) {
  console.error(describeFailure(failed, options));
  process.exit(1);
}
console.log(
  `${passed} seeds passed in ${(ms / 1000).toFixed(1)} s (${(ms / passed).toFixed(1)} ms per seed)`,
);
