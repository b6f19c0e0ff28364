// Runs one test script against an engine as promqltest's runner does: each
// load written into the script's namespace, each eval queried and checked.
// An instant eval is also run as a range query from t-1m to t+1m at a 1m
// step and its middle step checked against the same expectations (unless
// it expects a range vector or a string, or uses start(), end(), range() or
// step()), since a query must give the same answer both ways; and, given
// `variants`, again with `@` on its selectors at other times (at-variants.ts).

import type { Client } from "../../src/client/index.js";
import type { QueryEngine, QueryResult, ResultSeries } from "../../src/query/index.js";
import { QueryError } from "../../src/query/index.js";
import type { AtVariant } from "./at-variants.js";
import { checkAnnotations, checkError, compareResult, showValue } from "./compare.js";
import { type EvalCmd, expectsFailure, expectsOrder, parseScript } from "./script.js";
import { type ConformanceStorage, writeLoad } from "./test-storage.js";

/** Makes the engine that reads one namespace through the client. */
export type EngineFor = (client: Client, namespace: string) => QueryEngine;

/** The further queries an instant eval must answer alike (at-variants.ts); none by default. */
export type VariantsOf = (expr: string, evalMs: number) => AtVariant[];

export interface ScriptRun {
  /** Failure message by eval line, null for a pass; only the lines asked for. */
  outcomes: Map<number, string | null>;
  /** Samples written, and native histogram samples left out. */
  samplesWritten: number;
  histogramsSkipped: number;
}

const MINUTE_MS = 60_000;
const QUERY_CONTEXT_FUNCS = /(start|end|range|step)\(\)/;

/**
 * What a query ended in: its result, the message of the QueryError it threw,
 * or another exception (a bug, which no `expect fail` excuses).
 */
type Outcome =
  | { result: QueryResult; error: null; crash: null }
  | { result: null; error: string; crash: null }
  | { result: null; error: null; crash: string };

async function attempt(run: () => Promise<QueryResult>): Promise<Outcome> {
  try {
    return { result: await run(), error: null, crash: null };
  } catch (e) {
    if (e instanceof QueryError) return { result: null, error: e.message, crash: null };
    const where = e instanceof Error ? (e.stack ?? "").split("\n").slice(1, 3).join(" |") : "";
    return { result: null, error: null, crash: `the engine threw ${String(e)} ${where}`.trim() };
  }
}

/** Checks the outcome of one query of an eval (errors, annotations, result). */
function checkOutcome(cmd: EvalCmd, o: Outcome): string | null {
  if (o.crash !== null) return o.crash;
  if (o.error !== null) return checkError(cmd, o.error);
  if (expectsFailure(cmd)) {
    return ["expected an error, got none", "  got:", ...showValue(o.result.value)].join("\n");
  }
  return (
    checkAnnotations(cmd, o.result.warnings, o.result.infos) ?? compareResult(cmd, o.result.value)
  );
}

async function runRange(engine: QueryEngine, cmd: EvalCmd): Promise<string | null> {
  const o = await attempt(() => engine.rangeQuery(cmd.expr, cmd.startMs, cmd.endMs, cmd.stepMs));
  return checkOutcome(cmd, o);
}

/** One instant query of an eval and its range-mode twin, checked against the eval's expectations. */
async function runInstantAt(
  engine: QueryEngine,
  cmd: EvalCmd,
  expr: string,
  t: number,
): Promise<string | null> {
  const o = await attempt(() => engine.instantQuery(expr, t));
  const first = checkOutcome(cmd, o);
  if (first !== null || o.result === null) return first;
  if (cmd.excludeFromRangeQuery || QUERY_CONTEXT_FUNCS.test(expr)) return null;

  const r = await attempt(() => engine.rangeQuery(expr, t - MINUTE_MS, t + MINUTE_MS, MINUTE_MS));
  if (r.crash !== null) return `range mode: ${r.crash}`;
  if (r.error !== null) return `range mode: unexpected error: ${r.error}`;
  // A range query's series are sorted by labels: an expected order cannot hold.
  if (expectsOrder(cmd)) return null;
  const value = r.result.value;
  if (value.resultType !== "matrix") {
    return `range mode: expected a matrix, got a ${value.resultType}`;
  }
  const atT: ResultSeries[] = [];
  for (const s of value.series) {
    for (let i = 0; i < s.timesMs.length; i++) {
      if (s.timesMs[i] === t) {
        atT.push({
          labels: s.labels,
          timesMs: Float64Array.of(t),
          values: Float64Array.of(s.values[i]),
        });
        break;
      }
    }
  }
  let failure: string | null;
  if (o.result.value.resultType === "scalar") {
    failure =
      atT.length === 0
        ? "no point at the instant's time"
        : compareResult(cmd, { resultType: "scalar", timeMs: t, value: atT[0].values[0] });
  } else {
    failure = compareResult(cmd, { resultType: "vector", series: atT });
  }
  return failure === null ? null : `range mode (${t - MINUTE_MS}..${t + MINUTE_MS}): ${failure}`;
}

async function runInstant(
  engine: QueryEngine,
  cmd: EvalCmd,
  variants: VariantsOf,
): Promise<string | null> {
  const first = await runInstantAt(engine, cmd, cmd.expr, cmd.evalMs);
  if (first !== null) return first;
  for (const v of variants(cmd.expr, cmd.evalMs)) {
    const f = await runInstantAt(engine, cmd, v.expr, v.evalMs);
    if (f !== null) return `step invariance: ${v.expr} at ${v.evalMs} ms: ${f}`;
  }
  return null;
}

/**
 * Runs a script: a fresh namespace at the start and after every `clear`,
 * every load written through the client, the evals whose lines `selected`
 * accepts evaluated and checked (the others not run at all).
 */
export async function runScript(
  text: string,
  storage: ConformanceStorage,
  engineFor: EngineFor,
  selected: (line: number) => boolean,
  variants: VariantsOf = () => [],
): Promise<ScriptRun> {
  const cmds = parseScript(text);
  const run: ScriptRun = { outcomes: new Map(), samplesWritten: 0, histogramsSkipped: 0 };
  let namespace = await storage.fresh();
  let engine = engineFor(storage.client, namespace);
  // A load the database refused fails every eval until the next clear.
  let loadFailure: string | null = null;
  try {
    for (const cmd of cmds) {
      if (cmd.kind === "clear") {
        namespace = await storage.fresh();
        engine = engineFor(storage.client, namespace);
        loadFailure = null;
      } else if (cmd.kind === "load") {
        try {
          const stats = await writeLoad(storage.client, namespace, cmd);
          run.samplesWritten += stats.written;
          run.histogramsSkipped += stats.histograms;
        } catch (e) {
          loadFailure = (e as Error).message;
        }
      } else if (selected(cmd.line)) {
        let failure: string | null;
        if (loadFailure !== null) failure = `the data could not be loaded: ${loadFailure}`;
        else if (cmd.isRange) failure = await runRange(engine, cmd);
        else failure = await runInstant(engine, cmd, variants);
        run.outcomes.set(cmd.line, failure === null ? null : `${failure}\n  query: ${cmd.expr}`);
      }
    }
  } finally {
    await storage.release();
  }
  return run;
}
