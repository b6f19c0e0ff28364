// Runs a range of seeds and reports the first failure with its trace and the
// command that replays it.
import { runSeed, type SimOptions, type SimOutcome } from "./simulation.js";

export const DEFAULT_OPTIONS: SimOptions = { steps: 30, faultRate: 0 };

/** Seeds from `first`, `count` of them; stops at the first failure. */
export async function runSeeds(
  first: number,
  count: number,
  options: SimOptions = DEFAULT_OPTIONS,
): Promise<{ passed: number; failed: SimOutcome | null }> {
  for (let i = 0; i < count; i++) {
    const outcome = await runSeed(first + i, options);
    if (!outcome.ok) return { passed: i, failed: outcome };
  }
  return { passed: count, failed: null };
}

/** The failure report: what broke, the replay command, the step trace. */
export function describeFailure(o: SimOutcome, options: SimOptions = DEFAULT_OPTIONS): string {
  let flags = options.faultRate > 0 ? ` --faults ${options.faultRate}` : "";
  if (options.isolateTicks === true) flags += " --isolate-ticks";
  return [
    `simulation seed ${o.seed} failed: ${o.failure}`,
    `replay: npm run test:sim -- --seed ${o.seed}${flags}`,
    "trace:",
    ...o.trace.map((l) => `  ${l}`),
  ].join("\n");
}
