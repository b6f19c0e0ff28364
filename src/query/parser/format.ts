// The tree printed back as PromQL text, as Prometheus's Expr.String() prints
// it: the canonical one-line form (sorted matchers, durations in their
// largest units, "@ <seconds>.<ms>", modifiers in a fixed order).

import type {
  AtModifier,
  Binary,
  Duration,
  DurationExpr,
  Expr,
  LabelMatcherNode,
  VectorMatching,
  VectorSelector,
} from "../ast.js";
import { formatFloatFixed as formatFloat, goQuote } from "../go-format.js";
import { formatLabelName } from "../labels.js";
import { formatDurationMs } from "./literals.js";

function formatLabelList(names: string[]): string {
  return names.map(formatLabelName).join(", ");
}

/** A matcher as Prometheus's Matcher.String() prints it. */
export function formatMatcher(m: LabelMatcherNode): string {
  return `${formatLabelName(m.name)}${m.op}${goQuote(m.value)}`;
}

/** A float as Go's %v prints it (the fill modifiers' values). */
function goFloatV(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v).replace(/e([+-])(\d)$/, "e$10$2");
}

/** PromQL text of an expression, as Prometheus's String() gives it. */
export function formatExpr(expr: Expr): string {
  return format(expr, null);
}

/** Prints with a cache of the subtrees already printed (prettyExpr asks for every subtree's length). */
function format(expr: Expr, cache: Map<Expr, string> | null): string {
  const hit = cache?.get(expr);
  if (hit !== undefined) return hit;
  const text = formatUncached(expr, cache);
  cache?.set(expr, text);
  return text;
}

function formatUncached(expr: Expr, cache: Map<Expr, string> | null): string {
  const f = (e: Expr): string => format(e, cache);
  switch (expr.kind) {
    case "number":
      return formatFloat(expr.value);
    case "string":
      return goQuote(expr.value);
    case "paren":
      return `(${f(expr.expr)})`;
    case "unary":
      return `${expr.op}${f(expr.expr)}`;
    case "call":
      return `${expr.func}(${expr.args.map(f).join(", ")})`;
    case "aggregate": {
      let head: string = expr.op;
      if (expr.without) head += ` without (${formatLabelList(expr.grouping)}) `;
      else if (expr.grouping.length > 0) head += ` by (${formatLabelList(expr.grouping)}) `;
      const param = expr.param === null ? "" : `${f(expr.param)}, `;
      return `${head}(${param}${f(expr.expr)})`;
    }
    case "binary": {
      // The left side is walked in a loop: long chains are left-deep.
      const spine: Binary[] = [];
      let e: Expr = expr;
      while (e.kind === "binary" && (e === expr || cache?.get(e) === undefined)) {
        spine.push(e);
        e = e.lhs;
      }
      let text = f(e);
      for (let i = spine.length - 1; i >= 0; i--) {
        const n = spine[i] as Binary;
        text = `${text} ${n.op}${n.returnBool ? " bool" : ""}${formatMatching(n.matching)} ${f(n.rhs)}`;
        if (i > 0) cache?.set(n, text);
      }
      return text;
    }
    case "vectorSelector":
      return formatSelector(expr, true);
    case "matrixSelector": {
      const vs = expr.vector;
      const ext = vs.anchored ? " anchored" : vs.smoothed ? " smoothed" : "";
      return `${formatSelector(vs, false)}[${formatDuration(expr.range)}]${ext}${formatAt(vs.at)}${formatOffset(vs.offset)}`;
    }
    case "subquery": {
      const step = expr.step === 0 ? "" : formatDuration(expr.step);
      return `${f(expr.expr)}[${formatDuration(expr.range)}:${step}]${formatAt(expr.at)}${formatOffset(expr.offset)}`;
    }
  }
}

/** The matching part of a binary operator: " on (a) group_left (b) fill (0)". */
export function formatMatching(m: VectorMatching | null): string {
  if (m === null) return "";
  let out = "";
  const grouped = m.card === "many-to-one" || m.card === "one-to-many";
  if (m.labels.length > 0 || m.on || grouped) {
    out += ` ${m.on ? "on" : "ignoring"} (${formatLabelList(m.labels)})`;
  }
  if (grouped)
    out += ` group_${m.card === "many-to-one" ? "left" : "right"} (${formatLabelList(m.include)})`;
  if (m.fillLeft !== null && m.fillRight !== null && Object.is(m.fillLeft, m.fillRight)) {
    out += ` fill (${goFloatV(m.fillLeft)})`;
  } else {
    if (m.fillLeft !== null) out += ` fill_left (${goFloatV(m.fillLeft)})`;
    if (m.fillRight !== null) out += ` fill_right (${goFloatV(m.fillRight)})`;
  }
  return out;
}

function formatSelector(vs: VectorSelector, withModifiers: boolean): string {
  const parts: string[] = [];
  for (const m of vs.matchers) {
    if (m.name === "__name__" && m.op === "=" && m.value === vs.name && m.value !== "") continue;
    parts.push(formatMatcher(m));
  }
  // Go sorts the printed matchers by their bytes; the code units of these strings order the same way.
  parts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let out = vs.name ?? "";
  if (parts.length > 0) out += `{${parts.join(",")}}`;
  if (!withModifiers) return out;
  out += formatAt(vs.at);
  if (vs.anchored) out += " anchored";
  else if (vs.smoothed) out += " smoothed";
  return out + formatOffset(vs.offset);
}

function formatAt(at: AtModifier | null): string {
  if (at === null) return "";
  if (at.kind === "start") return " @ start()";
  if (at.kind === "end") return " @ end()";
  return ` @ ${(at.ms / 1000).toFixed(3)}`;
}

function formatOffset(offset: Duration): string {
  if (typeof offset !== "number") {
    // After "offset" only a literal, a call or a parenthesised expression may stand.
    const text = formatDurationExpr(offset);
    const bare =
      offset.kind === "durationCall" ||
      (offset.kind === "durationUnary" && offset.expr.kind !== "durationBinary");
    return ` offset ${bare ? text : `(${text})`}`;
  }
  if (offset > 0) return ` offset ${formatDurationMs(offset)}`;
  if (offset < 0) return ` offset -${formatDurationMs(-offset)}`;
  return "";
}

function formatDuration(d: Duration): string {
  return typeof d === "number" ? formatDurationMs(d) : formatDurationExpr(d);
}

const DURATION_PRECEDENCE: Record<string, number> = {
  "+": 1,
  "-": 1,
  "*": 2,
  "/": 2,
  "%": 2,
  "^": 4,
};

/** A duration expression; parentheses are written where precedence needs them. */
export function formatDurationExpr(d: DurationExpr): string {
  switch (d.kind) {
    case "durationLiteral":
      return d.ms < 0 ? `-${formatDurationMs(-d.ms)}` : formatDurationMs(d.ms);
    case "durationNumber":
      return formatFloat(d.seconds);
    case "durationCall":
      return `${d.func}(${d.args.map(formatDurationExpr).join(", ")})`;
    case "durationUnary": {
      const inner = formatDurationExpr(d.expr);
      const wrap = d.expr.kind === "durationBinary";
      const body = wrap ? `(${inner})` : inner;
      return d.op === "-" ? `-${body}` : body;
    }
    case "durationBinary": {
      const prec = DURATION_PRECEDENCE[d.op] as number;
      const side = (e: DurationExpr, right: boolean): string => {
        const s = formatDurationExpr(e);
        if (e.kind === "durationUnary" && right && d.op !== "^") return s;
        if (e.kind !== "durationBinary") {
          return e.kind === "durationUnary" && d.op === "^" && !right ? `(${s})` : s;
        }
        const p = DURATION_PRECEDENCE[e.op] as number;
        const rightAssoc = d.op === "^";
        const needs = p < prec || (p === prec && (right ? !rightAssoc : rightAssoc));
        return needs ? `(${s})` : s;
      };
      return `${side(d.lhs, false)} ${d.op} ${side(d.rhs, true)}`;
    }
  }
}

/** Lines longer than this are broken up by prettyExpr, as Prometheus's prettier does. */
export const PRETTY_MAX_LINE_BYTES = 100;

const indent = (level: number): string => "  ".repeat(level);

function needsSplit(expr: Expr, max: number, cache: Map<Expr, string>): boolean {
  // A node longer than the limit in characters is longer in bytes too: the
  // byte count is only needed for the rest.
  const text = format(expr, cache);
  return text.length > max || Buffer.byteLength(text) > max;
}

function aggregateHead(expr: Expr & { kind: "aggregate" }): string {
  if (expr.without) return `${expr.op} without (${formatLabelList(expr.grouping)}) `;
  if (expr.grouping.length > 0) return `${expr.op} by (${formatLabelList(expr.grouping)}) `;
  return expr.op;
}

/**
 * The expression over several indented lines where it is long, as
 * Prometheus's Pretty(level) prints it (what /api/v1/format_query returns).
 * A tree too deep to indent is printed on one line.
 */
export function prettyExpr(expr: Expr, maxLineBytes = PRETTY_MAX_LINE_BYTES): string {
  try {
    return pretty(expr, 0, maxLineBytes, new Map());
  } catch (e) {
    // Thousands of nested operators: the indented form would run to millions
    // of characters and out of stack; the one-line form says the same.
    if (e instanceof RangeError) return formatExpr(expr);
    throw e;
  }
}

function pretty(expr: Expr, level: number, max: number, cache: Map<Expr, string>): string {
  const pad = indent(level);
  switch (expr.kind) {
    case "aggregate": {
      if (!needsSplit(expr, max, cache)) return pad + format(expr, cache);
      const param = expr.param === null ? "" : `${pretty(expr.param, level + 1, max, cache)},\n`;
      return `${pad}${aggregateHead(expr)}(\n${param}${pretty(expr.expr, level + 1, max, cache)}\n${pad})`;
    }
    case "binary": {
      if (!needsSplit(expr, max, cache)) return pad + format(expr, cache);
      const op = `${expr.op}${expr.returnBool ? " bool" : ""}${formatMatching(expr.matching)}`;
      return `${pretty(expr.lhs, level + 1, max, cache)}\n${pad}${op}\n${pretty(expr.rhs, level + 1, max, cache)}`;
    }
    case "call":
      if (!needsSplit(expr, max, cache)) return pad + format(expr, cache);
      return `${pad}${expr.func}(\n${expr.args.map((a) => pretty(a, level + 1, max, cache)).join(",\n")}\n${pad})`;
    case "paren":
      if (!needsSplit(expr, max, cache)) return pad + format(expr, cache);
      return `${pad}(\n${pretty(expr.expr, level + 1, max, cache)}\n${pad})`;
    case "subquery": {
      // Prometheus writes a short subquery without indentation.
      if (!needsSplit(expr, max, cache)) return format(expr, cache);
      const suffix = formatExpr({
        ...expr,
        expr: { kind: "number", value: 0, pos: expr.pos },
      }).slice(1);
      return pretty(expr.expr, level, max, cache) + suffix;
    }
    case "unary":
      return `${pad}${expr.op}${pretty(expr.expr, level, max, cache).trim()}`;
    default:
      return pad + format(expr, cache);
  }
}
