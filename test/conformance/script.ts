// Prometheus's PromQL test scripts (promql/promqltest, its README.md) read
// into commands: `load <interval>` with series lines, `clear`, and `eval`
// (instant or range) with its expectations. Line numbers are 1-based, as in
// evals-index.tsv, so a statement is named `file:line`.

import RE2 from "re2";
import type { Labels } from "../../src/query/index.js";
import { labelsKey } from "../../src/query/index.js";
import { parseDurationMs } from "../../src/query/parser/index.js";
import { parseGoString } from "./go-string.js";
import { parseSeriesDesc, type SeqValue, type SeriesDesc } from "./series-desc.js";

/** How an `expect` line (or an old-style directive) matches a message. */
export type TextMatch =
  | { kind: "any" }
  | { kind: "msg"; text: string }
  | { kind: "regex"; source: string; re: RE2 };

export interface LoadCmd {
  kind: "load";
  line: number;
  intervalMs: number;
  /** `load_with_nhcb`: Prometheus also loads the classic histograms as native ones. */
  withNhcb: boolean;
  series: SeriesDesc[];
}

export interface ClearCmd {
  kind: "clear";
  line: number;
}

/** One expected series of an eval: its position among the result lines (1-based) and its values. */
export interface ExpectedSeries {
  pos: number;
  labels: Labels;
  values: SeqValue[];
}

export interface EvalCmd {
  kind: "eval";
  line: number;
  expr: string;
  isRange: boolean;
  /** Instant: the evaluation time. Range: the query's start. */
  startMs: number;
  /** Range (or `expect range vector`): end and step of the expected points. */
  endMs: number;
  stepMs: number;
  /** The time an instant query is evaluated at (the end, under `expect range vector`). */
  evalMs: number;
  /** Old-style `eval_fail`, `eval_warn`, `eval_info`, `eval_ordered`. */
  fail: boolean;
  warn: boolean;
  info: boolean;
  ordered: boolean;
  /** `expected_fail_message` / `expected_fail_regexp` (old style). */
  failMessage: string | null;
  failRegex: TextMatch | null;
  /** `expect <type> [msg|regex: ...]` lines by type. */
  expect: {
    fail: TextMatch[];
    warn: TextMatch[];
    info: TextMatch[];
    noWarn: boolean;
    noInfo: boolean;
    ordered: boolean;
  };
  /** A bare number line: the expected scalar. */
  expectedScalar: SeqValue | null;
  /** Expected series by labelsKey. */
  expected: Map<string, ExpectedSeries>;
  /** `expect string "..."`. */
  expectedString: string | null;
  /** `expect range vector ...` or `expect string`: not re-run as a range query. */
  excludeFromRangeQuery: boolean;
}

export type Command = LoadCmd | ClearCmd | EvalCmd;

/** A script that does not parse: the file's line and why. */
export class ScriptError extends Error {
  readonly line: number;

  constructor(line: number, reason: string) {
    super(`line ${line}: ${reason}`);
    this.line = line;
  }
}

/** A duration as Prometheus's model.ParseDuration reads it ("1m30s", "5m", "0"), in ms. */
export function parsePromDuration(text: string): number {
  const d = parseDurationMs(text);
  if (typeof d !== "number") throw new Error(d.error);
  return d;
}

const LOAD = /^load(?:_(with_nhcb))?\s+(.+?)$/;
const EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const EVAL_RANGE =
  /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const EXPECT = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;
const EXPECT_RANGE = /^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$/;
const EXPECT_STRING = "expect string";

/** Lines trimmed, comments blanked (a blank line ends a command's block). */
function scriptLines(text: string): string[] {
  return text.split("\n").map((l) => {
    const t = l.trim();
    return t.startsWith("#") ? "" : t;
  });
}

/** Reads a whole script into its commands; throws ScriptError naming the line. */
export function parseScript(text: string): Command[] {
  const lines = scriptLines(text);
  const cmds: Command[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l === "") continue;
    const word = l.split(/[\t ]+/, 1)[0].toLowerCase();
    if (word === "clear") {
      cmds.push({ kind: "clear", line: i + 1 });
    } else if (word.startsWith("load")) {
      const [next, cmd] = parseLoad(lines, i);
      cmds.push(cmd);
      i = next;
    } else if (word.startsWith("eval")) {
      const [next, cmd] = parseEval(lines, i);
      cmds.push(cmd);
      i = next;
    } else {
      throw new ScriptError(i + 1, `invalid command ${JSON.stringify(l)}`);
    }
  }
  return cmds;
}

/** Runs `f`, turning what it throws into a ScriptError at `line` (0-based index). */
function at<T>(i: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ScriptError) throw e;
    throw new ScriptError(i + 1, (e as Error).message);
  }
}

function parseLoad(lines: string[], i: number): [number, LoadCmd] {
  const m = LOAD.exec(lines[i]);
  if (m === null) {
    throw new ScriptError(i + 1, "invalid load command (load[_with_nhcb] <step:duration>)");
  }
  const cmd: LoadCmd = {
    kind: "load",
    line: i + 1,
    intervalMs: at(i, () => parsePromDuration(m[2])),
    withNhcb: m[1] === "with_nhcb",
    series: [],
  };
  while (i + 1 < lines.length && lines[i + 1] !== "") {
    i++;
    const l = lines[i];
    // `metric{...}@st <offsets>`: start timestamps, which m3ts does not store.
    const head = l.split(/[\t ]/, 1)[0];
    if (head.endsWith("@st")) continue;
    cmd.series.push(at(i, () => parseSeriesDesc(l)));
  }
  return [i, cmd];
}

function newEval(expr: string, line: number, isRange: boolean): EvalCmd {
  return {
    kind: "eval",
    line,
    expr,
    isRange,
    startMs: 0,
    endMs: 0,
    stepMs: 0,
    evalMs: 0,
    fail: false,
    warn: false,
    info: false,
    ordered: false,
    failMessage: null,
    failRegex: null,
    expect: { fail: [], warn: [], info: [], noWarn: false, noInfo: false, ordered: false },
    expectedScalar: null,
    expected: new Map(),
    expectedString: null,
    excludeFromRangeQuery: false,
  };
}

function regexMatch(source: string): TextMatch {
  let re: RE2;
  try {
    re = new RE2(source);
  } catch (e) {
    throw new Error(`invalid regex ${source}: ${(e as Error).message}`);
  }
  return { kind: "regex", source, re };
}

/** A number line as Go's ParseInt (base 0) then ParseFloat accept it, or null. */
export function parseNumberLine(s: string): number | null {
  if (/^[+-]?(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+)$/.test(s)) {
    const neg = s.startsWith("-");
    let body = s.replace(/^[+-]/, "").replaceAll("_", "");
    if (/^0[0-7]/.test(body)) body = `0o${body.slice(1)}`;
    const n = Number(body);
    return neg ? -n : n;
  }
  if (/^[+-]?(inf|infinity)$/i.test(s)) {
    return s.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[+-]?nan$/i.test(s)) return Number.NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  return null;
}

function parseEval(lines: string[], i: number): [number, EvalCmd] {
  const line = lines[i];
  const inst = EVAL_INSTANT.exec(line);
  const rng = EVAL_RANGE.exec(line);
  let cmd: EvalCmd;
  let mod: string | undefined;
  if (inst !== null) {
    mod = inst[1];
    cmd = newEval(inst[3], i + 1, false);
    const t = at(i, () => parsePromDuration(inst[2] ?? ""));
    cmd.startMs = t;
    cmd.evalMs = t;
    // promqltest leaves an instant eval's end at Go's zero time (year 1), so
    // a matrix result is expected point by point only under `expect range vector`.
    cmd.endMs = Number.NEGATIVE_INFINITY;
  } else if (rng !== null) {
    mod = rng[1];
    cmd = newEval(rng[5], i + 1, true);
    const [from, to, step] = at(i, () => durations(rng[2], rng[3], rng[4]));
    cmd.startMs = from;
    cmd.endMs = to;
    cmd.stepMs = step;
  } else {
    throw new ScriptError(
      i + 1,
      "invalid evaluation command: 'eval[_fail|_warn|_info|_ordered] instant [at <time>] <query>' or " +
        "'eval[_fail|_warn|_info] range from <from> to <to> step <step> <query>'",
    );
  }
  if (mod === "fail") cmd.fail = true;
  else if (mod === "warn") cmd.warn = true;
  else if (mod === "info") cmd.info = true;
  else if (mod === "ordered") cmd.ordered = true;

  let rangeVector = false;
  let pos = 0;
  while (i + 1 < lines.length && lines[i + 1] !== "") {
    i++;
    const l = lines[i];
    if (cmd.fail && l.startsWith("expected_fail_message")) {
      cmd.failMessage = l.slice("expected_fail_message".length).trim();
      break;
    }
    if (cmd.fail && l.startsWith("expected_fail_regexp")) {
      const source = l.slice("expected_fail_regexp".length).trim();
      cmd.failRegex = at(i, () => regexMatch(source));
      break;
    }
    if (l.startsWith("expect range vector")) {
      const m = EXPECT_RANGE.exec(l);
      if (m === null) throw new ScriptError(i + 1, `invalid range vector definition ${l}`);
      const [from, to, step] = at(i, () => durations(m[1], m[2], m[3]));
      rangeVector = true;
      cmd.startMs = from;
      cmd.endMs = to;
      cmd.stepMs = step;
      cmd.evalMs = to;
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (l.startsWith(EXPECT_STRING)) {
      cmd.expectedString = at(i, () => expectedString(l));
      cmd.excludeFromRangeQuery = true;
      continue;
    }
    if (l.split(" ", 1)[0] === "expect") {
      at(i, () => addExpect(cmd, l));
      continue;
    }
    const n = parseNumberLine(l);
    if (n !== null) {
      cmd.expectedScalar = { kind: "float", value: n };
      break;
    }
    const desc = at(i, () => parseSeriesDesc(l));
    if (desc.values.length > 1 && !cmd.isRange && !rangeVector) {
      throw new ScriptError(
        i + 1,
        "expecting multiple values in instant evaluation not allowed (use 'expect range vector')",
      );
    }
    pos++;
    cmd.expectedScalar = null;
    cmd.expected.set(labelsKey(desc.labels), { pos, labels: desc.labels, values: desc.values });
  }
  return [i, cmd];
}

function durations(from: string, to: string, step: string): [number, number, number] {
  const f = parsePromDuration(from);
  const t = parsePromDuration(to);
  if (t < f) throw new Error(`end timestamp (${to}) is before start timestamp (${from})`);
  return [f, t, parsePromDuration(step)];
}

function expectedString(l: string): string {
  const rest = l.slice(EXPECT_STRING.length).trim();
  if (rest === "") throw new Error("expect string needs a quoted string literal");
  const s = parseGoString(rest, 0);
  if (s.end !== rest.length) throw new Error(`text after the string literal in ${l}`);
  return s.value;
}

function addExpect(cmd: EvalCmd, l: string): void {
  const m = EXPECT.exec(l.trim());
  if (m === null) {
    throw new Error("invalid expect statement: `expect <type> [<msg|regex>: <string>]`");
  }
  const [, type, how, text] = m;
  let match: TextMatch = { kind: "any" };
  if (how === "msg") match = { kind: "msg", text: text.trim() };
  else if (how === "regex") match = regexMatch(text.trim());
  const e = cmd.expect;
  if (type === "fail") e.fail.push(match);
  else if (type === "warn") e.warn.push(match);
  else if (type === "info") e.info.push(match);
  else if (type === "no_warn") e.noWarn = true;
  else if (type === "no_info") e.noInfo = true;
  else e.ordered = true;
  if (e.info.length > 0 && e.noInfo) throw new Error("info and no_info cannot be used together");
  if (e.warn.length > 0 && e.noWarn) throw new Error("warn and no_warn cannot be used together");
  if (e.fail.length > 1) throw new Error("multiple expect fail lines are not allowed");
}

/** Whether the eval expects the query to fail. */
export function expectsFailure(cmd: EvalCmd): boolean {
  return cmd.fail || cmd.expect.fail.length > 0;
}

/** Whether the eval expects its vector in the order written. */
export function expectsOrder(cmd: EvalCmd): boolean {
  return cmd.ordered || cmd.expect.ordered;
}
