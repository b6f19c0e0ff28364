// InfluxDB line protocol (M3-NOTES Part B §1.4): each numeric or boolean
// field of a point becomes a series `<measurement>_<field>` whose labels are
// the point's tags, names made valid for Prometheus as M3 does (other
// characters become `_`). String fields are not samples and are skipped.
// A line that does not parse is reported and the other lines still count.
import { M3tsError } from "../x/index.js";
import { instantFromDigits, type ParsedSample, type ParseProblem } from "./parsed-sample.js";

/** An unknown `precision` parameter (HTTP 400). */
export class InfluxPrecisionError extends M3tsError {
  constructor(precision: string) {
    super(
      "M3TS_ERR_INFLUX_PRECISION",
      `precision ${JSON.stringify(precision)} is not one of ns, n, u, us, ms, s, m, h`,
    );
  }
}

const PRECISION_NS: Record<string, number> = {
  ns: 1,
  n: 1,
  u: 1e3,
  us: 1e3,
  µ: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

class LineError extends Error {}

export function parseInfluxLines(
  body: string,
  options: { precision?: string; nowMs: number; nowNsInMs?: number },
): { samples: ParsedSample[]; problems: ParseProblem[] } {
  const unitNs = PRECISION_NS[options.precision ?? "ns"];
  if (unitNs === undefined) throw new InfluxPrecisionError(options.precision ?? "");
  const samples: ParsedSample[] = [];
  const problems: ParseProblem[] = [];
  const lines = body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const trimmed = line.trimStart();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    try {
      parseLine(trimmed, unitNs, options, samples);
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      problems.push({ line: i + 1, reason: e.message });
    }
  }
  return { samples, problems };
}

/** Reads up to an unescaped stop character; `\` escapes the stops and itself. */
function readToken(line: string, pos: number, stops: string): [string, number] {
  let out = "";
  let i = pos;
  while (i < line.length) {
    const c = line[i];
    if (
      c === "\\" &&
      i + 1 < line.length &&
      (stops.includes(line[i + 1]) || line[i + 1] === "\\")
    ) {
      out += line[i + 1];
      i += 2;
      continue;
    }
    if (stops.includes(c)) break;
    out += c;
    i++;
  }
  return [out, i];
}

function parseLine(
  line: string,
  unitNs: number,
  options: { nowMs: number; nowNsInMs?: number },
  out: ParsedSample[],
): void {
  let [measurement, pos] = readToken(line, 0, ", ");
  if (measurement === "") throw new LineError("missing measurement");
  const tags: [string, string][] = [];
  while (line[pos] === ",") {
    const [key, afterKey] = readToken(line, pos + 1, ",= ");
    if (line[afterKey] !== "=" || key === "")
      throw new LineError(`tag ${JSON.stringify(key)} has no "=value"`);
    const [value, afterValue] = readToken(line, afterKey + 1, ", ");
    if (value === "") throw new LineError(`tag ${JSON.stringify(key)} has an empty value`);
    tags.push([key, value]);
    pos = afterValue;
  }
  if (line[pos] !== " ")
    throw new LineError(`expected a space before the fields at column ${pos + 1}`);
  while (line[pos] === " ") pos++;
  const fields: [string, number | null][] = [];
  for (;;) {
    const [key, afterKey] = readToken(line, pos, ",= ");
    if (line[afterKey] !== "=" || key === "") {
      throw new LineError(`field ${JSON.stringify(key)} at column ${pos + 1} has no "=value"`);
    }
    pos = afterKey + 1;
    if (line[pos] === '"') {
      // A string field: skipped, but its quotes and escapes must be read through.
      let i = pos + 1;
      while (i < line.length && line[i] !== '"') i += line[i] === "\\" ? 2 : 1;
      if (i >= line.length)
        throw new LineError(`string field ${JSON.stringify(key)} is not closed`);
      fields.push([key, null]);
      pos = i + 1;
    } else {
      let end = pos;
      while (end < line.length && line[end] !== "," && line[end] !== " ") end++;
      const text = line.slice(pos, end);
      const value = fieldValue(text);
      if (value === undefined)
        throw new LineError(
          `field ${JSON.stringify(key)} has invalid value ${JSON.stringify(text)}`,
        );
      fields.push([key, value]);
      pos = end;
    }
    if (line[pos] === ",") {
      pos++;
      continue;
    }
    break;
  }
  while (line[pos] === " ") pos++;
  let timeMs = options.nowMs;
  let nsInMs = options.nowNsInMs ?? 0;
  if (pos < line.length) {
    const text = line.slice(pos).trimEnd();
    const t = instantFromDigits(text, unitNs);
    if (t === null) throw new LineError(`timestamp ${JSON.stringify(text)} is not an integer`);
    timeMs = t.timeMs;
    nsInMs = t.nsInMs;
  }
  const labels: [string, string][] = [];
  const seen = new Set<string>(["__name__"]);
  for (const [key, value] of tags) {
    const name = labelName(key);
    if (seen.has(name))
      throw new LineError(
        `tag ${JSON.stringify(key)} gives the non-unique label ${JSON.stringify(name)}`,
      );
    seen.add(name);
    labels.push([name, value]);
  }
  for (const [field, value] of fields) {
    if (value === null) continue;
    out.push({
      labels: [["__name__", metricName(`${measurement}_${field}`)], ...labels],
      timeMs,
      nsInMs,
      value,
    });
  }
}

/** A field's value as a sample, null for strings (not samples), undefined when invalid. */
function fieldValue(text: string): number | undefined {
  switch (text) {
    case "t":
    case "T":
    case "true":
    case "True":
    case "TRUE":
      return 1;
    case "f":
    case "F":
    case "false":
    case "False":
    case "FALSE":
      return 0;
  }
  if (/^-?\d+i$/.test(text) || /^\d+u$/.test(text)) return Number(text.slice(0, -1));
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return undefined;
}

function metricName(s: string): string {
  let out = s.replace(/[^a-zA-Z0-9_:]/g, "_");
  if (/^[0-9]/.test(out)) out = `_${out.slice(1)}`;
  return out;
}

function labelName(s: string): string {
  let out = s.replace(/[^a-zA-Z0-9_]/g, "_");
  if (/^[0-9]/.test(out)) out = `_${out.slice(1)}`;
  return out;
}
