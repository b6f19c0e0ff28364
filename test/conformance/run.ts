// The conformance suite from the command line, and its wiring to the engine:
//   node dist/test/conformance/run.js [--update-known-failures] [--list-skipped]
//                                     [--show-failures] [--file=<script>.test]
// prints the promql.conformance.* counts; --show-failures prints every
// failure in full, --list-skipped the statements left out by scope (native
// histograms), --file runs one script only (and never updates the list);
// --update-known-failures rewrites known-failures.txt from this run (or set
// M3TS_UPDATE_KNOWN_FAILURES=1 under `npm run test:conformance`).

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { clientQuerier, createEngine } from "../../src/query/engine/index.js";
import { atVariants } from "./at-variants.js";
import type { EngineFor } from "./runner.js";
import { runSuite, type SuiteResult, statementId, writeKnownFailures } from "./suite.js";
import { TestStorage } from "./test-storage.js";

/** The source folder (run from dist/test/conformance, the data stays in test/conformance). */
export const CONFORMANCE_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "test",
  "conformance",
);
export const TESTDATA_DIR = join(CONFORMANCE_DIR, "testdata");
export const KNOWN_FAILURES_PATH = join(CONFORMANCE_DIR, "known-failures.txt");

/**
 * The engine as promqltest's test engine is set: 5 m lookback, 1 m
 * subquery resolution (the engine's defaults), reading one namespace.
 */
export const engineFor: EngineFor = (client, namespace) =>
  createEngine({ querier: clientQuerier(client, namespace) });

/** Runs the whole suite (or the scripts `onlyFile` accepts) on a fresh in-memory database. */
export async function runConformance(
  onlyFile: (file: string) => boolean = () => true,
): Promise<SuiteResult> {
  const storage = await TestStorage.open();
  try {
    return await runSuite(TESTDATA_DIR, storage, engineFor, atVariants, onlyFile);
  } finally {
    await storage.close();
  }
}

async function main(args: string[]): Promise<void> {
  const { judge, readKnownFailures } = await import("./suite.js");
  const { readFileSync, existsSync } = await import("node:fs");
  const only = args.find((a) => a.startsWith("--file="))?.slice("--file=".length);
  const suite = await runConformance(only === undefined ? undefined : (f) => f === only);
  const known = existsSync(KNOWN_FAILURES_PATH)
    ? readKnownFailures(readFileSync(KNOWN_FAILURES_PATH, "utf8"))
    : new Map<string, string>();
  const verdict = judge(suite, known);
  for (const l of verdict.report) console.log(l);
  if (args.includes("--list-skipped")) {
    for (const s of suite.skipped) console.log(`skipped-by-scope ${statementId(s.file, s.line)}`);
  }
  if (args.includes("--show-failures")) {
    for (const r of suite.results) {
      if (r.failure !== null)
        console.log(`\n${statementId(r.file, r.line)} [${r.set}] ${r.failure}`);
    }
  }
  if (args.includes("--update-known-failures") && only === undefined) {
    const n = writeKnownFailures(KNOWN_FAILURES_PATH, suite);
    console.log(`wrote ${n} known failures to ${KNOWN_FAILURES_PATH}`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
