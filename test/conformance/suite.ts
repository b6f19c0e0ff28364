// The whole conformance suite: every script of testdata/ run, its eval
// statements sorted by evals-index.tsv into the stable set (no native
// histograms, no experimental feature, not in the two scripts whose
// features Prometheus keeps behind flags), the experimental set (the rest
// without native histograms) and those skipped by scope (native
// histograms, which m3ts does not store), then held against the list of
// known failures, which may only shrink.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type EngineFor, runScript, type VariantsOf } from "./runner.js";
import type { ConformanceStorage } from "./test-storage.js";

export type StatementSet = "stable" | "experimental" | "skipped";

/** One eval statement as evals-index.tsv lists it. */
export interface IndexedStatement {
  file: string;
  line: number;
  kind: string;
  set: StatementSet;
  expr: string;
}

/** Scripts whose features Prometheus keeps behind flags: never in the stable set. */
const FLAGGED_FILES: ReadonlySet<string> = new Set([
  "duration_expression.test",
  "type_and_unit.test",
]);

/** Reads evals-index.tsv (header: file, line, kind, time, expects, native_histograms, nh_reason, features, expr). */
export function readIndex(text: string): IndexedStatement[] {
  const rows = text.split("\n").filter((l) => l !== "");
  const header = rows[0].split("\t");
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`evals-index.tsv has no column ${name}`);
    return i;
  };
  const [file, line, kind, nh, features, expr] = [
    col("file"),
    col("line"),
    col("kind"),
    col("native_histograms"),
    col("features"),
    col("expr"),
  ];
  return rows.slice(1).map((r) => {
    const c = r.split("\t");
    const set: StatementSet =
      c[nh] === "yes"
        ? "skipped"
        : c[features] === "" && !FLAGGED_FILES.has(c[file])
          ? "stable"
          : "experimental";
    return {
      file: c[file],
      line: Number(c[line]),
      kind: c[kind],
      set,
      expr: c.slice(expr).join("\t"),
    };
  });
}

export function statementId(file: string, line: number): string {
  return `${file}:${line}`;
}

/** known-failures.txt: `file:line reason` per line; `#` starts a comment line. */
export function readKnownFailures(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const l = raw.trim();
    if (l === "" || l.startsWith("#")) continue;
    const space = l.indexOf(" ");
    const id = space < 0 ? l : l.slice(0, space);
    out.set(id, space < 0 ? "" : l.slice(space + 1).trim());
  }
  return out;
}

/** Longest reason written to the list (the first line of a failure, cut). */
const REASON_CHARS = 160;

/** The list's text for these failures: sorted by file, then line. */
export function formatKnownFailures(failures: readonly StatementResult[]): string {
  const sorted = [...failures].sort((a, b) =>
    a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1,
  );
  const lines = [
    "# Eval statements of testdata/*.test that m3ts does not pass yet: file:line, then why",
    "# (the first line of the failure). The conformance test fails when a statement",
    "# not listed here fails and when a listed one passes. Regenerate with",
    "#   node dist/test/conformance/run.js --update-known-failures",
  ];
  for (const f of sorted) {
    const reason = (f.failure ?? "").split("\n", 1)[0];
    const cut = reason.length > REASON_CHARS ? `${reason.slice(0, REASON_CHARS - 3)}...` : reason;
    lines.push(`${statementId(f.file, f.line)} ${cut}`);
  }
  return `${lines.join("\n")}\n`;
}

export interface StatementResult {
  file: string;
  line: number;
  set: StatementSet;
  expr: string;
  /** null: passed. */
  failure: string | null;
}

export interface SuiteResult {
  /** Every statement that ran (stable and experimental). */
  results: StatementResult[];
  /** Statements not run because they need native histograms. */
  skipped: IndexedStatement[];
  samplesWritten: number;
}

/** Runs every script of `testdataDir` against engines made by `engineFor` (`variants`: see runner.ts). */
export async function runSuite(
  testdataDir: string,
  storage: ConformanceStorage,
  engineFor: EngineFor,
  variants: VariantsOf = () => [],
  onlyFile: (file: string) => boolean = () => true,
): Promise<SuiteResult> {
  const index = readIndex(readFileSync(join(testdataDir, "evals-index.tsv"), "utf8")).filter((s) =>
    onlyFile(s.file),
  );
  const byFile = new Map<string, IndexedStatement[]>();
  for (const s of index) {
    const list = byFile.get(s.file) ?? [];
    list.push(s);
    byFile.set(s.file, list);
  }
  const out: SuiteResult = {
    results: [],
    skipped: index.filter((s) => s.set === "skipped"),
    samplesWritten: 0,
  };
  for (const [file, statements] of [...byFile].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const run = statements.filter((s) => s.set !== "skipped");
    if (run.length === 0) continue;
    const lines = new Set(run.map((s) => s.line));
    const text = readFileSync(join(testdataDir, file), "utf8");
    let outcomes: Map<number, string | null>;
    try {
      const r = await runScript(text, storage, engineFor, (l) => lines.has(l), variants);
      outcomes = r.outcomes;
      out.samplesWritten += r.samplesWritten;
    } catch (e) {
      const why = `the script could not run: ${(e as Error).message}`;
      outcomes = new Map(run.map((s) => [s.line, why]));
    }
    for (const s of run) {
      const failure = outcomes.has(s.line)
        ? (outcomes.get(s.line) ?? null)
        : "the script reader found no eval at this line";
      out.results.push({ file, line: s.line, set: s.set, expr: s.expr, failure });
    }
  }
  return out;
}

export interface Verdict {
  /** The plain `promql.conformance.*` lines and the skipped summary. */
  report: string[];
  /** Failed and not on the list. */
  newFailures: StatementResult[];
  /** On the list and passed. */
  fixed: StatementResult[];
  /** On the list but not a statement that runs. */
  stale: string[];
}

/** Counts and the comparison with the known failures. */
export function judge(suite: SuiteResult, known: ReadonlyMap<string, string>): Verdict {
  const count = (set: StatementSet, passedOnly: boolean) =>
    suite.results.filter((r) => r.set === set && (!passedOnly || r.failure === null)).length;
  const skippedByFile = new Map<string, number>();
  for (const s of suite.skipped) skippedByFile.set(s.file, (skippedByFile.get(s.file) ?? 0) + 1);
  const report = [
    `promql.conformance.stable.passed ${count("stable", true)}`,
    `promql.conformance.stable.total ${count("stable", false)}`,
    `promql.conformance.experimental.passed ${count("experimental", true)}`,
    `promql.conformance.experimental.total ${count("experimental", false)}`,
    `promql.conformance.skipped_by_scope ${suite.skipped.length}`,
    `skipped by scope (native histograms): ${[...skippedByFile]
      .map(([f, n]) => `${f} ${n}`)
      .join(", ")}`,
  ];
  const ran = new Set(suite.results.map((r) => statementId(r.file, r.line)));
  return {
    report,
    newFailures: suite.results.filter(
      (r) => r.failure !== null && !known.has(statementId(r.file, r.line)),
    ),
    fixed: suite.results.filter(
      (r) => r.failure === null && known.has(statementId(r.file, r.line)),
    ),
    stale: [...known.keys()].filter((id) => !ran.has(id)),
  };
}

/** How many new failures a report shows in full. */
const SHOWN_FAILURES = 25;

/** The verdict as text for a failing test: each new failure in full, then fixed and stale entries. */
export function describeVerdict(v: Verdict): string {
  const parts: string[] = [];
  if (v.newFailures.length > 0) {
    parts.push(`${v.newFailures.length} statements fail that known-failures.txt does not list:`);
    for (const f of v.newFailures.slice(0, SHOWN_FAILURES)) {
      parts.push(`${statementId(f.file, f.line)} ${f.failure}`);
    }
    if (v.newFailures.length > SHOWN_FAILURES) {
      parts.push(`... and ${v.newFailures.length - SHOWN_FAILURES} more`);
    }
  }
  if (v.fixed.length > 0) {
    parts.push(
      `${v.fixed.length} statements listed in known-failures.txt now pass; remove them:`,
      ...v.fixed.map((f) => `  ${statementId(f.file, f.line)}`),
    );
  }
  if (v.stale.length > 0) {
    parts.push(
      `${v.stale.length} entries of known-failures.txt name no statement that runs:`,
      ...v.stale.map((id) => `  ${id}`),
    );
  }
  return parts.join("\n");
}

/** Writes the list for the statements that fail now. */
export function writeKnownFailures(path: string, suite: SuiteResult): number {
  const failures = suite.results.filter((r) => r.failure !== null);
  writeFileSync(path, formatKnownFailures(failures));
  return failures.length;
}
