// npm run test:sim -- [--cluster] [--seeds N] [--seed S] [--first F] [--steps K] [--faults P] [--isolate-ticks] [--verbose] [--trace-io]
// Runs the deterministic storage simulation (built into dist/ first);
// --cluster runs the simulation of three replicating nodes instead (it
// takes --seeds, --seed, --first, --steps, --verbose and --trace-io).
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
    cluster: { type: "boolean", default: false },
  },
});
let runSeeds;
let describeFailure;
let options;
if (values.cluster) {
  const sim = await import("../dist/test/sim/cluster-simulation.js");
  runSeeds = sim.runClusterSeeds;
  describeFailure = sim.describeClusterFailure;
  options = {
    steps: Number(values.steps),
    verbose: values.verbose,
    traceIo: values["trace-io"],
  };
} else {
  const sim = await import("../dist/test/sim/run-seeds.js");
  runSeeds = sim.runSeeds;
  describeFailure = sim.describeFailure;
  options = {
    steps: Number(values.steps),
    faultRate: Number(values.faults),
    isolateTicks: values["isolate-ticks"],
    verbose: values.verbose,
    traceIo: values["trace-io"],
  };
}
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
