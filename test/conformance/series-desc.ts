// The series lines of Prometheus's PromQL test scripts: `metric{a="b"} 0+10x5 _ stale`,
// read as promqltest reads them (its grammar is promql/parser's series
// description): a label set, then values in the expanding notation.
//
// Value items, each one or more positions at the load's interval:
//   `v`          one value (a number, `Inf`, `NaN`, `stale`, signs allowed)
//   `vxN`        N+1 copies of v
//   `v+dxN`      N+1 values v, v+d, v+2d... (`v-dxN` subtracts); each is the
//                previous plus d, so rounding accumulates as it does there
//   `_`, `_xN`   one or N positions with no sample
//   `{{...}}`    a native histogram (also `{{..}}xN`, `{{..}}+{{..}}xN`): kept as
//                positions marked "histogram", since m3ts stores floats only.

import type { Labels } from "../../src/query/index.js";
import { makeLabels } from "../../src/query/index.js";
import { parseGoString } from "./go-string.js";

/** One position of a series line. */
export type SeqValue =
  | { kind: "float"; value: number }
  | { kind: "stale" }
  | { kind: "omitted" }
  | { kind: "histogram"; text: string };

export interface SeriesDesc {
  labels: Labels;
  values: SeqValue[];
}

/** A series line that does not parse, with the reason and the text. */
export class SeriesDescError extends Error {
  constructor(line: string, reason: string) {
    super(`invalid series line ${JSON.stringify(line)}: ${reason}`);
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Parses `metric{labels} values...` (the metric name or the braces may be absent). */
export function parseSeriesDesc(line: string): SeriesDesc {
  let pos = 0;
  const pairs: [string, string][] = [];
  const name = METRIC_NAME.exec(line);
  if (name !== null) {
    pairs.push(["__name__", name[0]]);
    pos = name[0].length;
  }
  if (line[pos] === "{") {
    pos = parseLabelSet(line, pos + 1, pairs);
  } else if (name === null) {
    throw new SeriesDescError(line, "expected a metric name or a label set");
  }
  if (pos < line.length && !/\s/.test(line[pos])) {
    throw new SeriesDescError(line, `unexpected ${JSON.stringify(line[pos])} after the labels`);
  }
  const names = new Set<string>();
  for (const [n] of pairs) {
    if (names.has(n)) throw new SeriesDescError(line, `label ${n} is given twice`);
    names.add(n);
  }
  return { labels: makeLabels(pairs), values: parseValues(line, pos) };
}

function skipSpace(line: string, pos: number): number {
  while (pos < line.length && (line[pos] === " " || line[pos] === "\t")) pos++;
  return pos;
}

/** Reads `name="value", ...}` from just after the `{`; returns the position after `}`. */
function parseLabelSet(line: string, pos: number, pairs: [string, string][]): number {
  for (;;) {
    pos = skipSpace(line, pos);
    if (line[pos] === "}") return pos + 1;
    let labelName: string;
    if (line[pos] === '"' || line[pos] === "'" || line[pos] === "`") {
      const s = parseGoString(line, pos);
      labelName = s.value;
      pos = skipSpace(line, s.end);
      if (line[pos] === "," || line[pos] === "}") {
        // A quoted string on its own is the metric name (UTF-8 names).
        pairs.push(["__name__", labelName]);
        if (line[pos] === ",") pos++;
        continue;
      }
    } else {
      const m = LABEL_NAME.exec(line.slice(pos));
      if (m === null) throw new SeriesDescError(line, `expected a label name at char ${pos + 1}`);
      labelName = m[0];
      pos = skipSpace(line, pos + m[0].length);
    }
    if (line[pos] !== "=") {
      throw new SeriesDescError(line, `expected "=" after label ${labelName} at char ${pos + 1}`);
    }
    pos = skipSpace(line, pos + 1);
    const v = parseGoString(line, pos);
    pairs.push([labelName, v.value]);
    pos = skipSpace(line, v.end);
    if (line[pos] === ",") pos++;
    else if (line[pos] !== "}") {
      throw new SeriesDescError(line, `expected "," or "}" at char ${pos + 1}`);
    }
  }
}

/** The repetition count of `xN`: a decimal unsigned integer. */
function repeatCount(line: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new SeriesDescError(line, `invalid repetition "x${text}"`);
  return Number(text);
}

function parseValues(line: string, pos: number): SeqValue[] {
  const out: SeqValue[] = [];
  for (;;) {
    pos = skipSpace(line, pos);
    if (pos >= line.length) return out;
    if (line.startsWith("{{", pos)) {
      pos = parseHistogramItem(line, pos, out);
      continue;
    }
    let end = pos;
    while (end < line.length && line[end] !== " " && line[end] !== "\t") end++;
    expandItem(line, line.slice(pos, end), out);
    pos = end;
  }
}

/** `{{...}}`, `{{...}}xN`, `{{a}}+{{b}}xN` or `{{a}}-{{b}}xN`: positions marked as histograms. */
function parseHistogramItem(line: string, pos: number, out: SeqValue[]): number {
  const close = line.indexOf("}}", pos);
  if (close < 0) throw new SeriesDescError(line, "a histogram {{ is not closed");
  const text = line.slice(pos, close + 2);
  pos = close + 2;
  let count = 1;
  if (line[pos] === "+" || line[pos] === "-") {
    if (!line.startsWith("{{", pos + 1)) {
      throw new SeriesDescError(line, "expected a histogram after + or -");
    }
    const close2 = line.indexOf("}}", pos + 1);
    if (close2 < 0) throw new SeriesDescError(line, "a histogram {{ is not closed");
    pos = close2 + 2;
    if (line[pos] !== "x") throw new SeriesDescError(line, "expected xN after a histogram series");
  }
  if (line[pos] === "x") {
    let end = pos + 1;
    while (end < line.length && line[end] >= "0" && line[end] <= "9") end++;
    count = repeatCount(line, line.slice(pos + 1, end)) + 1;
    pos = end;
  }
  for (let i = 0; i < count; i++) out.push({ kind: "histogram", text });
  return pos;
}

// A number as the series lexer scans it (no hexadecimal), or Inf/NaN/stale.
const NUMBER = String.raw`(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?|[iI][nN][fF]|[nN][aA][nN]`;
const ITEM = new RegExp(`^([+-]?)(${NUMBER}|stale)(?:([+-])(${NUMBER}))?(?:x(\\d+))?$`);

function parseNumberText(text: string): number {
  const t = text.toLowerCase();
  if (t === "inf") return Number.POSITIVE_INFINITY;
  if (t === "nan") return Number.NaN;
  return Number(text.replaceAll("_", ""));
}

/** Appends the positions of one value item (not a histogram). */
function expandItem(line: string, item: string, out: SeqValue[]): void {
  if (item === "_") {
    out.push({ kind: "omitted" });
    return;
  }
  if (item.startsWith("_x")) {
    const n = repeatCount(line, item.slice(2));
    for (let i = 0; i < n; i++) out.push({ kind: "omitted" });
    return;
  }
  const m = ITEM.exec(item);
  if (m === null) throw new SeriesDescError(line, `invalid value ${JSON.stringify(item)}`);
  const [, sign, first, deltaSign, deltaText, times] = m;
  if (deltaText !== undefined && times === undefined) {
    throw new SeriesDescError(line, `${JSON.stringify(item)} needs xN after the increment`);
  }
  if (first === "stale") {
    if (sign !== "" || deltaText !== undefined) {
      throw new SeriesDescError(line, `"stale" takes no sign or increment in ${item}`);
    }
    const n = times === undefined ? 1 : repeatCount(line, times) + 1;
    for (let i = 0; i < n; i++) out.push({ kind: "stale" });
    return;
  }
  let value = parseNumberText(first);
  if (sign === "-") value = -value;
  if (times === undefined) {
    out.push({ kind: "float", value });
    return;
  }
  let delta = deltaText === undefined ? 0 : parseNumberText(deltaText);
  if (deltaSign === "-") delta = -delta;
  const n = repeatCount(line, times);
  // N+1 positions: the first value, then N steps; each adds delta to the last.
  for (let i = 0; i <= n; i++) {
    out.push({ kind: "float", value });
    value += delta;
  }
}
