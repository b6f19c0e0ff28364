// A reader of Prometheus's PromQL test scripts (promql/promqltest's format),
// for the subset that exercises range-vector functions on float series:
// `load` blocks, and `eval instant|range` of one call whose range argument is
// a plain selector, with its expected samples and annotations. The tests use
// it to run our implementations against Prometheus's own expected values;
// everything outside the subset is reported as skipped, never guessed.

import type { Call, Expr, LabelMatcherNode, MatrixSelector } from "../ast.js";
import type { MatrixBlock, SampleRun, SeriesMeta, Steps, Value } from "../block.js";
import { constantScalar, stepTime } from "../block.js";
import { type Labels, METRIC_NAME, makeLabels } from "../labels.js";
import { almostEqual as almostEqualWithin } from "./bucket-quantile.js";

export interface LoadedSeries {
  labels: Labels;
  timesMs: number[];
  values: number[];
}

export interface ExpectedSeries {
  labels: Labels;
  /** One entry per step; null where no sample is expected. */
  values: (number | null)[];
}

export interface EvalCase {
  line: number;
  query: string;
  steps: Steps;
  series: LoadedSeries[];
  /** Selectors that would read a native-histogram series (not supported here). */
  touchesHistograms: boolean;
  expected: ExpectedSeries[];
  expectFail: string | null;
  expectWarn: string[] | "any" | "none" | null;
  expectInfo: string[] | "any" | "none" | null;
}

/** Thrown for an expression outside the subset this reader understands. */
export class Unsupported extends Error {}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** A Prometheus duration (`5m`, `15m1s`) or a plain number of seconds, in milliseconds. */
export function parseDuration(text: string): number {
  if (/^[0-9.]+$/.test(text)) return Number(text) * 1000;
  let ms = 0;
  const re = /([0-9]+)(ms|s|m|h|d|w|y)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  for (;;) {
    m = re.exec(text);
    if (m === null) break;
    ms += Number(m[1]) * DURATION_UNITS[m[2]];
    end = re.lastIndex;
  }
  if (end !== text.length || text.length === 0) throw new Unsupported(`duration ${text}`);
  return ms;
}

function parseNumber(text: string): number {
  const t = text.toLowerCase();
  if (t === "nan" || t === "+nan" || t === "-nan") return Number.NaN;
  if (t === "inf" || t === "+inf") return Number.POSITIVE_INFINITY;
  if (t === "-inf") return Number.NEGATIVE_INFINITY;
  const v = Number(text);
  if (Number.isNaN(v)) throw new Unsupported(`number ${text}`);
  return v;
}

/** Reads `name{a="b", ...}` starting at i; returns the labels and the index after it. */
function parseMetric(text: string, i: number): [Labels, number] {
  const pairs: [string, string][] = [];
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(text.slice(i));
  if (nameMatch) {
    pairs.push([METRIC_NAME, nameMatch[0]]);
    i += nameMatch[0].length;
  }
  if (text[i] === "{") {
    const body = /^\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/.exec(text.slice(i));
    if (!body) throw new Unsupported(`labels in ${text}`);
    const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*")\s*,?/gy;
    let m: RegExpExecArray | null;
    for (;;) {
      m = re.exec(body[1]);
      if (m === null) break;
      pairs.push([m[1], JSON.parse(m[2]) as string]);
    }
    i += body[0].length;
  }
  return [makeLabels(pairs), i];
}

/** Expands a value sequence (`0+10x5 _ stale NaN 1x3`); `stale` counts as a gap (stale markers are removed). */
export function expandValues(text: string): (number | null)[] {
  const out: (number | null)[] = [];
  for (const tok of text.trim().split(/\s+/)) {
    if (tok === "") continue;
    if (tok === "_" || tok === "stale") {
      out.push(null);
      continue;
    }
    const blanks = /^_x([0-9]+)$/.exec(tok);
    if (blanks) {
      for (let i = 0; i < Number(blanks[1]); i++) out.push(null);
      continue;
    }
    const num = "[-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN|inf|nan)";
    const seq = new RegExp(`^(${num})(?:([-+])(${num.slice(5)}))?x([0-9]+)$`).exec(tok);
    if (seq) {
      let v = parseNumber(seq[1]);
      const inc = seq[2] === undefined ? 0 : parseNumber(seq[2] + seq[3]);
      for (let i = 0; i <= Number(seq[4]); i++) {
        out.push(v);
        v += inc;
      }
      continue;
    }
    out.push(parseNumber(tok));
  }
  return out;
}

/** A cursor over one expression's text. */
class ExprReader {
  pos = 0;
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? "";
  }

  expect(ch: string): void {
    if (this.peek() !== ch) throw new Unsupported(`expected ${ch} at ${this.pos} in ${this.text}`);
    this.pos++;
  }

  word(re: RegExp): string | null {
    this.skipSpace();
    const m = new RegExp(`^(?:${re.source})`).exec(this.text.slice(this.pos));
    if (!m) return null;
    this.pos += m[0].length;
    return m[0];
  }
}

const MATCHER_OPS = ["=~", "!~", "!=", "="] as const;

function readSelector(r: ExprReader, start: number): MatrixSelector {
  const name = r.word(/[a-zA-Z_:][a-zA-Z0-9_:]*/);
  const matchers: LabelMatcherNode[] = [];
  if (name !== null) matchers.push({ name: METRIC_NAME, op: "=", value: name });
  if (r.peek() === "{") {
    r.pos++;
    while (r.peek() !== "}") {
      const label = r.word(/[a-zA-Z_][a-zA-Z0-9_]*/);
      if (label === null) throw new Unsupported("matcher");
      r.skipSpace();
      const op = MATCHER_OPS.find((o) => r.text.startsWith(o, r.pos));
      if (op === undefined) throw new Unsupported("matcher op");
      r.pos += op.length;
      const value = r.word(/"(?:[^"\\]|\\.)*"/);
      if (value === null) throw new Unsupported("matcher value");
      matchers.push({ name: label, op, value: JSON.parse(value) as string });
      if (r.peek() === ",") r.pos++;
    }
    r.pos++;
  }
  if (matchers.length === 0) throw new Unsupported("selector");
  r.expect("[");
  const range = r.word(/[0-9a-z.]+/);
  if (range === null || r.peek() !== "]") throw new Unsupported("range (a subquery?)");
  r.pos++;
  let offset = 0;
  let at: { kind: "time"; ms: number } | null = null;
  let anchored = false;
  let smoothed = false;
  for (;;) {
    if (r.word(/offset\b/)) {
      const neg = r.word(/-/) !== null;
      const d = r.word(/[0-9a-z.]+/);
      if (d === null) throw new Unsupported("offset");
      offset = neg ? -parseDuration(d) : parseDuration(d);
    } else if (r.word(/@/)) {
      const t = r.word(/-?[0-9.]+/);
      if (t === null) throw new Unsupported("@");
      at = { kind: "time", ms: Number(t) * 1000 };
    } else if (r.word(/anchored\b/)) anchored = true;
    else if (r.word(/smoothed\b/)) smoothed = true;
    else break;
  }
  const pos = { start, end: r.pos };
  return {
    kind: "matrixSelector",
    vector: {
      kind: "vectorSelector",
      name,
      matchers,
      offset,
      at,
      anchored,
      smoothed,
      pos,
    },
    range: parseDuration(range),
    pos,
  };
}

function readArg(r: ExprReader): Expr {
  r.skipSpace();
  const start = r.pos;
  if (r.peek() === "(") {
    r.pos++;
    const inner = readArg(r);
    r.expect(")");
    return { kind: "paren", expr: inner, pos: { start, end: r.pos } };
  }
  const num = r.word(
    /[-+]?(?:[0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?(?:ms|s|m|h|d|w|y)?(?:[0-9]+(?:ms|s|m|h|d|w|y))*|Inf|NaN)(?![a-zA-Z_{[])/,
  );
  if (num !== null) {
    const isDuration = /[a-z]$/.test(num) && !/Inf|NaN/i.test(num);
    const value = isDuration ? parseDuration(num.replace(/^[-+]/, "")) / 1000 : parseNumber(num);
    return {
      kind: "number",
      value: num.startsWith("-") && isDuration ? -value : value,
      pos: { start, end: r.pos },
    };
  }
  return readSelector(r, start);
}

/** Parses `fn(args)` (optionally in parentheses) into a Call. */
export function parseCall(query: string): Call {
  const r = new ExprReader(query);
  let parens = 0;
  while (r.peek() === "(") {
    r.pos++;
    parens++;
  }
  r.skipSpace();
  const start = r.pos;
  const func = r.word(/[a-z_]+/);
  if (func === null) throw new Unsupported("not a call");
  r.expect("(");
  const args: Expr[] = [];
  while (r.peek() !== ")") {
    args.push(readArg(r));
    if (r.peek() === ",") r.pos++;
    else if (r.peek() !== ")") throw new Unsupported("argument list");
  }
  r.pos++;
  const pos = { start, end: r.pos };
  for (let i = 0; i < parens; i++) r.expect(")");
  if (r.peek() !== "") throw new Unsupported("more after the call");
  return { kind: "call", func, args, pos };
}

function matches(labels: Labels, m: LabelMatcherNode): boolean {
  const v = labels.find((l) => l.name === m.name)?.value ?? "";
  switch (m.op) {
    case "=":
      return v === m.value;
    case "!=":
      return v !== m.value;
    case "=~":
      return regexOf(m.value).test(v);
    case "!~":
      return !regexOf(m.value).test(v);
  }
}

/** A matcher's regular expression, anchored; Go-only syntax is outside the subset. */
function regexOf(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`, "s");
  } catch {
    throw new Unsupported(`regular expression ${source}`);
  }
}

/** `foo_bucket{le=...}` loaded as a native histogram is selected as `foo`. */
function withoutBucketSuffix(labels: Labels): Labels {
  return labels
    .filter((l) => l.name !== "le")
    .map((l) =>
      l.name === METRIC_NAME
        ? { name: l.name, value: l.value.replace(/_(bucket|sum|count)$/, "") }
        : l,
    );
}

function unwrap(e: Expr): Expr {
  return e.kind === "paren" ? unwrap(e.expr) : e;
}

/** The arguments of a call as the engine would hand them over. */
export function evaluateArgs(c: EvalCase, call: Call): Value[] {
  return call.args.map((raw) => {
    const a = unwrap(raw);
    if (a.kind === "number") return constantScalar(c.steps, a.value);
    if (a.kind !== "matrixSelector") throw new Unsupported(a.kind);
    const vs = a.vector;
    const chosen = c.series.filter((s) => vs.matchers.every((m) => matches(s.labels, m)));
    const windowEndMs = new Float64Array(c.steps.count);
    const offset = vs.offset as number;
    for (let j = 0; j < c.steps.count; j++) {
      const at = vs.at !== null && vs.at.kind === "time" ? vs.at.ms : stepTime(c.steps, j);
      windowEndMs[j] = at - offset;
    }
    const series: SeriesMeta[] = chosen.map((s) => ({ labels: s.labels, dropName: false }));
    const samples: SampleRun[] = chosen.map((s) => ({
      timesMs: Float64Array.from(s.timesMs),
      values: Float64Array.from(s.values),
      count: s.timesMs.length,
    }));
    const m: MatrixBlock = {
      type: "matrix",
      steps: c.steps,
      series,
      samples,
      rangeMs: a.range as number,
      windowEndMs,
      anchored: vs.anchored,
      smoothed: vs.smoothed,
    };
    return m;
  });
}

/** Splits a script into its eval cases, each with the series loaded before it. */
export function readScript(text: string): EvalCase[] {
  const lines = text.split("\n");
  const cases: EvalCase[] = [];
  let series: LoadedSeries[] = [];
  let histograms: Labels[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i].trim();
    i++;
    if (line === "clear") {
      series = [];
      histograms = [];
      continue;
    }
    const load = /^(load|load_with_nhcb)\s+(\S+)$/.exec(line);
    if (load) {
      // Classic histograms loaded as native ones are outside the subset.
      const asHistograms = load[1] === "load_with_nhcb";
      const intervalMs = parseDuration(load[2]);
      while (i < lines.length && /^\s+\S/.test(lines[i]) && !lines[i].trim().startsWith("#")) {
        const def = lines[i].trim();
        i++;
        const [labels, after] = parseMetric(def, 0);
        const rest = def.slice(after);
        let values: (number | null)[] | null = null;
        if (!asHistograms && !rest.includes("{{")) {
          try {
            values = expandValues(rest);
          } catch (e) {
            if (!(e instanceof Unsupported)) throw e;
          }
        }
        if (values === null) {
          // Native histograms, start timestamps (`@st`) and the like: selecting one skips the case.
          histograms = [...histograms, labels];
          if (asHistograms) histograms = [...histograms, withoutBucketSuffix(labels)];
          continue;
        }
        const s: LoadedSeries = { labels, timesMs: [], values: [] };
        values.forEach((v, k) => {
          if (v !== null) {
            s.timesMs.push(k * intervalMs);
            s.values.push(v);
          }
        });
        // A new array, so that cases read before this load do not see it.
        series = [...series, s];
      }
      continue;
    }
    const ev =
      /^eval\s+(?:instant\s+at\s+(\S+)|range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+))\s+(.*)$/.exec(
        line,
      );
    if (!ev) continue;
    let steps: Steps;
    if (ev[1] !== undefined) steps = { startMs: parseDuration(ev[1]), stepMs: 0, count: 1 };
    else {
      const from = parseDuration(ev[2]);
      const stepMs = parseDuration(ev[4]);
      steps = {
        startMs: from,
        stepMs,
        count: Math.floor((parseDuration(ev[3]) - from) / stepMs) + 1,
      };
    }
    const c: EvalCase = {
      line: i,
      query: ev[5].trim(),
      steps,
      series,
      touchesHistograms: false,
      expected: [],
      expectFail: null,
      expectWarn: null,
      expectInfo: null,
    };
    let touches = false;
    try {
      const call = parseCall(c.query);
      for (const a of call.args) {
        const u = unwrap(a);
        if (u.kind === "matrixSelector") {
          touches ||= histograms.some((h) => u.vector.matchers.every((m) => matches(h, m)));
        }
      }
    } catch {
      // Left for the caller to skip.
    }
    c.touchesHistograms = touches;
    while (i < lines.length && /^\s+\S/.test(lines[i])) {
      const body = lines[i].trim();
      i++;
      if (body.startsWith("#")) continue;
      const exp = /^expect\s+(\w+)(?:\s+msg:\s*(.*))?$/.exec(body);
      if (exp) {
        const [, kind, msg] = exp;
        if (kind === "fail") c.expectFail = msg ?? "";
        else if (kind === "warn")
          c.expectWarn = msg === undefined ? "any" : [...asList(c.expectWarn), msg];
        else if (kind === "info")
          c.expectInfo = msg === undefined ? "any" : [...asList(c.expectInfo), msg];
        else if (kind === "no_warn") c.expectWarn = "none";
        else if (kind === "no_info") c.expectInfo = "none";
        continue;
      }
      if (body.includes("{{")) {
        c.touchesHistograms = true;
        continue;
      }
      try {
        const [labels, after] = parseMetric(body, 0);
        c.expected.push({ labels, values: expandValues(body.slice(after)) });
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
        c.touchesHistograms = true;
      }
    }
    cases.push(c);
  }
  return cases;
}

function asList(v: string[] | "any" | "none" | null): string[] {
  return Array.isArray(v) ? v : [];
}

/** Prometheus's test comparison: equal within a relative 1e-6, NaN equal to NaN. */
export function almostEqual(a: number, b: number): boolean {
  return almostEqualWithin(a, b, 1e-6);
}
