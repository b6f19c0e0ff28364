// Checks a query's outcome against an eval's expectations as promqltest
// does: values within a relative tolerance of 1e-6 (util/almost.Equal),
// labels exactly, order only under `ordered`, range results sorted by
// labels, the expected error, and warn/info annotations present, absent or
// matching. Each check answers null (it holds) or a failure whose first
// line is a short reason (what known-failures.txt records) and whose next
// lines show what was expected and what came back.

import type { Labels, QueryValue, ResultSeries } from "../../src/query/index.js";
import { compareLabels, formatLabels, labelsKey } from "../../src/query/index.js";
import {
  type EvalCmd,
  type ExpectedSeries,
  expectsFailure,
  expectsOrder,
  type TextMatch,
} from "./script.js";
import type { SeqValue } from "./series-desc.js";

/** promqltest's defaultEpsilon: relative error allowed for sample values. */
export const EPSILON = 1e-6;
/** The smallest positive normal float64. */
const MIN_NORMAL = 2.2250738585072014e-308;

const view = new DataView(new ArrayBuffer(8));

/** Whether `v` has the bits of Prometheus's stale marker (0x7ff0000000000002). */
export function isStaleMarker(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  view.setFloat64(0, v);
  return view.getUint32(0) === 0x7ff00000 && view.getUint32(4) === 0x00000002;
}

/**
 * Prometheus's almost.Equal: equal, both NaN (stale markers only equal each
 * other), or differing by less than epsilon times the sum of their
 * magnitudes; near zero the allowance is epsilon times the smallest normal.
 */
export function almostEqual(a: number, b: number, epsilon = EPSILON): boolean {
  if (isStaleMarker(a) || isStaleMarker(b)) return isStaleMarker(a) && isStaleMarker(b);
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** Whether an expected position matches a sample value (`_` stands for 0, as in promqltest). */
function valueMatches(expected: SeqValue, actual: number): boolean {
  if (expected.kind === "stale") return isStaleMarker(actual);
  if (expected.kind === "float") return almostEqual(expected.value, actual);
  if (expected.kind === "omitted") return almostEqual(0, actual);
  return false;
}

/** A float as Prometheus prints one (`NaN`, `+Inf`, `-Inf`, shortest decimal). */
export function formatValue(v: number): string {
  if (isStaleMarker(v)) return "stale";
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function formatSeq(v: SeqValue): string {
  if (v.kind === "float") return formatValue(v.value);
  if (v.kind === "stale") return "stale";
  if (v.kind === "omitted") return "_";
  return v.text;
}

/** How many series a failure shows of each side. */
const SHOWN_SERIES = 5;
/** How many points a failure shows of one series. */
const SHOWN_POINTS = 12;

function showPoints(s: ResultSeries): string {
  const parts: string[] = [];
  const n = s.values.length;
  for (let i = 0; i < Math.min(n, SHOWN_POINTS); i++) {
    parts.push(`${formatValue(s.values[i])}@${s.timesMs[i]}`);
  }
  if (n > SHOWN_POINTS) parts.push(`... (${n} points)`);
  return parts.join(" ");
}

function showActual(series: readonly ResultSeries[]): string[] {
  const lines = series
    .slice(0, SHOWN_SERIES)
    .map((s) => `    ${formatLabels(s.labels)} ${showPoints(s)}`);
  if (series.length > SHOWN_SERIES) lines.push(`    ... (${series.length} series)`);
  if (series.length === 0) lines.push("    (no series)");
  return lines;
}

function showExpected(cmd: EvalCmd): string[] {
  if (cmd.expectedScalar !== null) return [`    scalar ${formatSeq(cmd.expectedScalar)}`];
  if (cmd.expectedString !== null) return [`    string ${JSON.stringify(cmd.expectedString)}`];
  const all = [...cmd.expected.values()].sort((a, b) => a.pos - b.pos);
  const lines = all.slice(0, SHOWN_SERIES).map((e) => {
    const vals = e.values.slice(0, SHOWN_POINTS).map(formatSeq).join(" ");
    const more = e.values.length > SHOWN_POINTS ? ` ... (${e.values.length} points)` : "";
    return `    ${formatLabels(e.labels)} ${vals}${more}`;
  });
  if (all.length > SHOWN_SERIES) lines.push(`    ... (${all.length} series)`);
  if (all.length === 0) lines.push("    (no series)");
  return lines;
}

/** A result as the failures show it: its type, then its first series and points. */
export function showValue(value: QueryValue): string[] {
  if (value.resultType === "scalar") return [`    scalar ${formatValue(value.value)}`];
  if (value.resultType === "string") return [`    string ${JSON.stringify(value.value)}`];
  return [`    ${value.resultType}:`, ...showActual(value.series)];
}

/** A failure: the reason, then expected and got. */
function failure(reason: string, cmd: EvalCmd, value: QueryValue): string {
  return [reason, "  expected:", ...showExpected(cmd), "  got:", ...showValue(value)].join("\n");
}

/** The expected series of a result series, or undefined. */
function expectedOf(cmd: EvalCmd, labels: Labels): ExpectedSeries | undefined {
  return cmd.expected.get(labelsKey(labels));
}

/**
 * Compares a result with the eval's expected series, scalar or string.
 * Expected points of a matrix sit at start + i*step (the eval's range, or
 * its `expect range vector`).
 */
export function compareResult(cmd: EvalCmd, value: QueryValue): string | null {
  if (value.resultType === "matrix") return compareMatrix(cmd, value);
  if (value.resultType === "vector") return compareVector(cmd, value);
  if (value.resultType === "scalar") {
    if (cmd.expectedScalar === null) {
      return failure("expected a vector or matrix result, got a scalar", cmd, value);
    }
    if (!valueMatches(cmd.expectedScalar, value.value)) {
      return failure(
        `expected scalar ${formatSeq(cmd.expectedScalar)}, got ${formatValue(value.value)}`,
        cmd,
        value,
      );
    }
    return null;
  }
  const expected = cmd.expectedString ?? "";
  if (expected !== value.value) {
    return failure(
      `expected string ${JSON.stringify(expected)}, got ${JSON.stringify(value.value)}`,
      cmd,
      value,
    );
  }
  return null;
}

function compareMatrix(cmd: EvalCmd, value: QueryValue & { resultType: "matrix" }): string | null {
  if (expectsOrder(cmd)) return failure("expected an ordered vector, got a matrix", cmd, value);
  if (cmd.expectedScalar !== null) return failure("expected a scalar, got a matrix", cmd, value);
  const series = value.series;
  for (let i = 0; i + 1 < series.length; i++) {
    if (compareLabels(series[i].labels, series[i + 1].labels) > 0) {
      return failure(
        `matrix not sorted by labels: ${formatLabels(series[i + 1].labels)} after ${formatLabels(series[i].labels)}`,
        cmd,
        value,
      );
    }
  }
  const seen = new Set<string>();
  for (const s of series) {
    const exp = expectedOf(cmd, s.labels);
    if (exp === undefined) {
      return failure(`unexpected series ${formatLabels(s.labels)}`, cmd, value);
    }
    seen.add(labelsKey(s.labels));
    const times: number[] = [];
    const vals: SeqValue[] = [];
    let histograms = 0;
    for (let i = 0; i < exp.values.length; i++) {
      const t = cmd.startMs + i * cmd.stepMs;
      if (t > cmd.endMs) {
        return failure(
          `expected ${exp.values.length} points for ${formatLabels(exp.labels)}, more than the query range holds`,
          cmd,
          value,
        );
      }
      const e = exp.values[i];
      if (e.kind === "histogram") histograms++;
      else if (e.kind !== "omitted") {
        times.push(t);
        vals.push(e);
      }
    }
    if (histograms > 0) {
      return failure(
        `expected ${histograms} histogram points for ${formatLabels(exp.labels)} (m3ts stores floats only)`,
        cmd,
        value,
      );
    }
    if (times.length !== s.values.length) {
      return failure(
        `expected ${times.length} points for ${formatLabels(exp.labels)}, got ${s.values.length}`,
        cmd,
        value,
      );
    }
    for (let i = 0; i < times.length; i++) {
      if (times[i] !== s.timesMs[i]) {
        return failure(
          `point ${i} of ${formatLabels(exp.labels)}: expected time ${times[i]}, got ${s.timesMs[i]}`,
          cmd,
          value,
        );
      }
      if (!valueMatches(vals[i], s.values[i])) {
        return failure(
          `point ${i} (t=${times[i]}) of ${formatLabels(exp.labels)}: expected ${formatSeq(vals[i])}, got ${formatValue(s.values[i])}`,
          cmd,
          value,
        );
      }
    }
  }
  for (const [key, exp] of cmd.expected) {
    if (!seen.has(key)) {
      return failure(`expected series ${formatLabels(exp.labels)} not found`, cmd, value);
    }
  }
  return null;
}

function compareVector(cmd: EvalCmd, value: QueryValue & { resultType: "vector" }): string | null {
  if (cmd.expectedScalar !== null) return failure("expected a scalar, got a vector", cmd, value);
  const ordered = expectsOrder(cmd);
  const seen = new Set<string>();
  for (let pos = 0; pos < value.series.length; pos++) {
    const s = value.series[pos];
    const v = s.values[0];
    const exp = expectedOf(cmd, s.labels);
    if (exp === undefined) {
      return failure(
        `unexpected series ${formatLabels(s.labels)} with value ${formatValue(v)}`,
        cmd,
        value,
      );
    }
    if (ordered && exp.pos !== pos + 1) {
      return failure(
        `expected ${formatLabels(s.labels)} at position ${exp.pos}, got it at ${pos + 1}`,
        cmd,
        value,
      );
    }
    const e = exp.values[0];
    if (e === undefined || !valueMatches(e, v)) {
      return failure(
        `expected ${e === undefined ? "no value" : formatSeq(e)} for ${formatLabels(s.labels)}, got ${formatValue(v)}`,
        cmd,
        value,
      );
    }
    seen.add(labelsKey(s.labels));
  }
  for (const [key, exp] of cmd.expected) {
    if (!seen.has(key)) {
      return failure(`expected series ${formatLabels(exp.labels)} not found`, cmd, value);
    }
  }
  return null;
}

/** Whether a message satisfies an expectation. */
export function textMatches(m: TextMatch, text: string): boolean {
  if (m.kind === "any") return /^.*$/.test(text);
  if (m.kind === "msg") return m.text === text;
  return m.re.test(text);
}

function showMatch(m: TextMatch): string {
  if (m.kind === "any") return "anything";
  if (m.kind === "msg") return `message ${JSON.stringify(m.text)}`;
  return `pattern ${JSON.stringify(m.source)}`;
}

/** The `expect warn`/`expect info` lines against the annotations of that type. */
function checkAnnotationsOfType(
  type: "warn" | "info",
  expected: readonly TextMatch[],
  actual: readonly string[],
): string | null {
  if (expected.length === 0) return null;
  if (actual.length === 0) return `expected ${type} annotations, got none`;
  for (const e of expected) {
    if (!actual.some((a) => textMatches(e, a))) {
      return `no ${type} annotation matches ${showMatch(e)}\n  got: ${JSON.stringify(actual)}`;
    }
  }
  for (const a of actual) {
    if (!expected.some((e) => textMatches(e, a))) {
      return `unexpected ${type} annotation ${JSON.stringify(a)}`;
    }
  }
  return null;
}

/** Presence, absence and messages of warnings and infos. */
export function checkAnnotations(
  cmd: EvalCmd,
  warnings: readonly string[],
  infos: readonly string[],
): string | null {
  if (cmd.warn && warnings.length === 0) return "expected warnings, got none";
  if (cmd.info && infos.length === 0) return "expected info annotations, got none";
  const w = checkAnnotationsOfType("warn", cmd.expect.warn, warnings);
  if (w !== null) return w;
  const i = checkAnnotationsOfType("info", cmd.expect.info, infos);
  if (i !== null) return i;
  if (cmd.expect.noWarn && warnings.length > 0) {
    return `unexpected warnings: ${JSON.stringify(warnings)}`;
  }
  if (cmd.expect.noInfo && infos.length > 0) {
    return `unexpected info annotations: ${JSON.stringify(infos)}`;
  }
  return null;
}

/** An error the query ended in, against the eval's expectations. */
export function checkError(cmd: EvalCmd, message: string): string | null {
  if (!expectsFailure(cmd)) return `unexpected error: ${message}`;
  if (cmd.failMessage !== null && cmd.failMessage !== message) {
    return `expected error ${JSON.stringify(cmd.failMessage)}\n  got: ${message}`;
  }
  if (cmd.failRegex !== null && !textMatches(cmd.failRegex, message)) {
    return `expected an error matching ${showMatch(cmd.failRegex)}\n  got: ${message}`;
  }
  const f = cmd.expect.fail[0];
  if (f !== undefined && !textMatches(f, message)) {
    return `expected an error matching ${showMatch(f)}\n  got: ${message}`;
  }
  return null;
}
