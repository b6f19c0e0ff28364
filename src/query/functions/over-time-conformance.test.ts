// Our range-vector functions against Prometheus's own test scripts: every
// eval of the scripts in the test-data folder that is one call of such a
// function over a plain float selector runs here, and its samples, labels
// and annotations must be what Prometheus expects.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Annotations } from "../annotations.js";
import type { VectorBlock } from "../block.js";
import { dropMetricName, formatLabels, labelsKey } from "../labels.js";
import type { FunctionCallContext } from "./function-impl.js";
import { OVER_TIME_FUNCTIONS } from "./over-time-functions.js";
import {
  almostEqual,
  type EvalCase,
  evaluateArgs,
  parseCall,
  readScript,
  Unsupported,
} from "./over-time-script.js";

const TESTDATA = process.env.PROMQL_TESTDATA ?? "/work/shared/promql-testdata";

/** Runs one case; returns why it does not match Prometheus, or null; "skip" outside the subset. */
function runCase(c: EvalCase): string | null | "skip" {
  let call: ReturnType<typeof parseCall>;
  try {
    call = parseCall(c.query);
  } catch (e) {
    if (e instanceof Unsupported) return "skip";
    throw e;
  }
  const impl = OVER_TIME_FUNCTIONS[call.func];
  if (impl === undefined || c.touchesHistograms) return "skip";
  let args: ReturnType<typeof evaluateArgs>;
  try {
    args = evaluateArgs(c, call);
  } catch (e) {
    if (e instanceof Unsupported) return "skip";
    throw e;
  }
  const annotations = new Annotations();
  const ctx: FunctionCallContext = {
    annotations,
    query: c.query,
    accountSamples: () => {},
    call,
    steps: c.steps,
  };
  let out: VectorBlock;
  try {
    out = impl(args, ctx) as VectorBlock;
  } catch (e) {
    if (c.expectFail === null) return `failed: ${(e as Error).message}`;
    if (c.expectFail !== "" && (e as Error).message !== c.expectFail) {
      return `failed with ${JSON.stringify((e as Error).message)}, expected ${JSON.stringify(c.expectFail)}`;
    }
    return null;
  }
  if (c.expectFail !== null) return "did not fail";
  const problems: string[] = [];
  const n = c.steps.count;
  const got = new Map<string, (number | null)[]>();
  out.series.forEach((s, r) => {
    const vals: (number | null)[] = [];
    let any = false;
    for (let j = 0; j < n; j++) {
      const present = out.present[r * n + j] === 1;
      any ||= present;
      vals.push(present ? out.values[r * n + j] : null);
    }
    if (!any) return;
    const labels = s.dropName ? dropMetricName(s.labels) : s.labels;
    got.set(labelsKey(labels), vals);
  });
  for (const e of c.expected) {
    const key = labelsKey(e.labels);
    const g = got.get(key);
    if (g === undefined) {
      problems.push(`missing ${formatLabels(e.labels)}`);
      continue;
    }
    got.delete(key);
    for (let j = 0; j < n; j++) {
      const want = e.values[j] ?? null;
      const have = g[j];
      if (want === null || have === null ? want !== have : !almostEqual(want, have)) {
        problems.push(`${formatLabels(e.labels)} step ${j}: got ${have}, want ${want}`);
      }
    }
  }
  for (const key of got.keys()) problems.push(`unexpected series ${JSON.stringify(key)}`);
  checkAnnotations("warn", c.expectWarn, annotations.warnings, problems);
  checkAnnotations("info", c.expectInfo, annotations.infos, problems);
  return problems.length === 0 ? null : problems.join("; ");
}

function checkAnnotations(
  kind: string,
  want: string[] | "any" | "none" | null,
  have: string[],
  problems: string[],
): void {
  if (want === "none" && have.length > 0) problems.push(`unexpected ${kind}: ${have.join(" | ")}`);
  if (want === "any" && have.length === 0) problems.push(`no ${kind}`);
  if (Array.isArray(want)) {
    for (const w of want)
      if (!have.includes(w))
        problems.push(`missing ${kind} ${JSON.stringify(w)} (have ${have.join(" | ")})`);
  }
}

// The scripts where cases of the subset must run (so that a reader gone wrong
// cannot pass by skipping everything); the other scripts run what they hold.
const MIN_CASES: Record<string, number> = {
  "functions.test": 150,
  "extended_vectors.test": 100,
  "staleness.test": 5,
  "at_modifier.test": 5,
};

for (const file of readdirSync(TESTDATA)
  .filter((f) => f.endsWith(".test"))
  .sort()) {
  const minCases = MIN_CASES[file] ?? 0;
  test(`Prometheus's ${file}: range-vector function cases match`, (t) => {
    const cases = readScript(readFileSync(join(TESTDATA, file), "utf8"));
    const failures: string[] = [];
    let ran = 0;
    let skipped = 0;
    for (const c of cases) {
      const r = runCase(c);
      if (r === "skip") skipped++;
      else {
        ran++;
        if (r !== null) failures.push(`line ${c.line} ${c.query}: ${r}`);
      }
    }
    t.diagnostic(`${ran} cases ran, ${skipped} outside the subset`);
    assert.deepEqual(failures, []);
    assert.ok(ran >= minCases, `only ${ran} cases ran; the reader lost track of the script`);
  });
}
