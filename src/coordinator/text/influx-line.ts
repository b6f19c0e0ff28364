// InfluxDB line protocol: each numeric or boolean field of a point becomes a
// sample of the series `<measurement>_<field>`, labelled with the point's
// tags; names are made valid for Prometheus as M3 does (M3's
// src/query/api/v1/handler/influxdb/write.go and rewrite.go).
//
// Syntax: `measurement[,tag=value...] field=value[,field=value...] [timestamp]`.
// Escapes (InfluxDB's line protocol reference, "Special characters"): in the
// measurement `\,` `\ `; in tag keys, tag values and field keys `\,` `\=` `\ `;
// in quoted string field values `\"`; everywhere `\\` is one backslash, and a
// backslash before any other character is literal, as the 2.x reference puts
// it (InfluxDB 1.x's parser, which M3 uses, keeps `\\` in names as two
// backslashes). Sections are separated by spaces (runs allowed); lines by
// `\n` with an optional `\r`; a line whose first non-blank character is `#`
// is a comment. A newline always ends a line, even inside a quoted string
// (the reference allows no newlines in values), so one bad line cannot swallow
// the lines after it.
import { M3tsError } from "../../x/index.js";
import {
  INSTANT_RANGE_TEXT,
  type Instant,
  type InstantFailure,
  type ParsedSample,
  type ParseProblem,
  parseDecimalInstant,
  parseIntegerMsInstant,
  quoteToken,
} from "./parsed-sample.js";

/** An unknown `precision` parameter (HTTP 400). */
export class InfluxPrecisionError extends M3tsError {
  readonly precision: string;

  constructor(precision: string) {
    super(
      "M3TS_ERR_INFLUX_PRECISION",
      `query parameter precision=${JSON.stringify(precision)} is not one of ns, n, u, us, ms, s, m, h`,
    );
    this.precision = precision;
  }
}

/** Options of parseInfluxLines: the `precision` parameter and the instant given to points without a timestamp. */
export interface InfluxParseOptions {
  precision?: string;
  nowMs: number;
  nowNsInMs?: number;
}

// A precision is either a power of ten of nanoseconds (parsed by shifting
// digits, exact) or a whole number of milliseconds (minutes and hours).
// InfluxDB 1.x takes `n` and `u`; 2.x takes `ns` and `us`; both are accepted.
// An empty parameter (`?precision=`) means the default, nanoseconds.
const PRECISIONS: Record<string, { exp10: number; unitMs: number }> = {
  "": { exp10: 0, unitMs: 0 },
  ns: { exp10: 0, unitMs: 0 },
  n: { exp10: 0, unitMs: 0 },
  us: { exp10: 3, unitMs: 0 },
  u: { exp10: 3, unitMs: 0 },
  ms: { exp10: 6, unitMs: 0 },
  s: { exp10: 9, unitMs: 0 },
  m: { exp10: -1, unitMs: 60_000 },
  h: { exp10: -1, unitMs: 3_600_000 },
};

/** Parses a line-protocol body; bad lines are reported in `problems` and the others still yield samples. */
export function parseInfluxLines(
  body: string,
  options: InfluxParseOptions,
): { samples: ParsedSample[]; problems: ParseProblem[] } {
  const precision = options.precision ?? "";
  const unit = Object.hasOwn(PRECISIONS, precision) ? PRECISIONS[precision] : undefined;
  if (unit === undefined) throw new InfluxPrecisionError(precision);
  const parser = new LineParser(unit.exp10, unit.unitMs, {
    timeMs: options.nowMs,
    nsInMs: options.nowNsInMs ?? 0,
  });
  const samples: ParsedSample[] = [];
  const problems: ParseProblem[] = [];
  let lineNo = 0;
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf("\n", start);
    if (end < 0) end = body.length;
    lineNo++;
    let stop = end;
    if (stop > start && body.charCodeAt(stop - 1) === 0x0d) stop--;
    const reason = parser.parse(body, start, stop, samples);
    if (reason !== null) problems.push({ line: lineNo, reason });
    start = end + 1;
  }
  return { samples, problems };
}

const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HASH = 0x23;

// Which characters a backslash escapes in each kind of name.
const MEASUREMENT_ESCAPES = ", \\";
const KEY_ESCAPES = ",= \\";

/** Parses one line at a time; holds the position and the unescaped token between calls. */
class LineParser {
  private readonly exp10: number;
  private readonly unitMs: number;
  private readonly now: Instant;
  private line = "";
  private pos = 0;
  private end = 0;
  // The last token read by readName (unescaped).
  private token = "";
  private readonly tagLabels: [string, string][] = [];
  private readonly fieldNames: string[] = [];
  private readonly fieldValues: number[] = [];

  constructor(exp10: number, unitMs: number, now: Instant) {
    this.exp10 = exp10;
    this.unitMs = unitMs;
    this.now = now;
  }

  /** Parses `text[start, end)`, appending samples; returns why it is bad, or null. */
  parse(text: string, start: number, end: number, out: ParsedSample[]): string | null {
    this.line = text;
    this.end = end;
    this.pos = start;
    this.skipBlanks();
    if (this.pos >= end || text.charCodeAt(this.pos) === HASH) return null;
    this.tagLabels.length = 0;
    this.fieldNames.length = 0;
    this.fieldValues.length = 0;

    // Measurement, up to an unescaped comma (tags follow) or space (fields follow).
    const from = this.pos;
    const afterMeasurement = this.readName(MEASUREMENT_ESCAPES, COMMA, SPACE, -1);
    const measurement = this.token;
    if (measurement === "") {
      return `missing measurement before ${quoteToken(this.rest(from))}: a line starts "measurement[,tag=value] field=value"`;
    }
    if (afterMeasurement === -1) {
      return `measurement ${quoteToken(measurement)} has no fields: expected a space then field=value`;
    }

    const reason = this.readTags(afterMeasurement) ?? this.readFields();
    if (reason !== null) return reason;

    let time = this.now;
    this.skipBlanks();
    if (this.pos < end) {
      const tsStart = this.pos;
      while (this.pos < end && !this.isBlank(this.line.charCodeAt(this.pos))) this.pos++;
      const tsText = this.line.slice(tsStart, this.pos);
      this.skipBlanks();
      if (this.pos < end) {
        return `unexpected ${quoteToken(this.rest(this.pos))} after the timestamp: nothing may follow it`;
      }
      const t = this.parseTimestamp(tsText);
      if (t === "syntax") {
        return `timestamp ${quoteToken(tsText)} is not an integer: expected a count of the request's precision since the epoch`;
      }
      if (t === "range") {
        return `timestamp ${quoteToken(tsText)} is outside ${INSTANT_RANGE_TEXT}`;
      }
      time = t;
    }

    // Labels: sanitised tag names must be unique and must not be __name__.
    const labels = this.tagLabels;
    const duplicate = duplicateName(labels);
    if (duplicate !== null) return nonUnique(duplicate);
    const prefix = `${measurement}_`;
    for (let i = 0; i < this.fieldNames.length; i++) {
      const sampleLabels: [string, string][] = new Array(labels.length + 1);
      sampleLabels[0] = ["__name__", metricName(prefix + this.fieldNames[i])];
      for (let j = 0; j < labels.length; j++) sampleLabels[j + 1] = labels[j];
      out.push({
        labels: sampleLabels,
        timeMs: time.timeMs,
        nsInMs: time.nsInMs,
        value: this.fieldValues[i],
      });
    }
    return null;
  }

  /** Reads `,key=value` pairs after the measurement; stops at the space before the fields. */
  private readTags(afterMeasurement: number): string | null {
    let stop = afterMeasurement;
    while (stop === COMMA) {
      this.pos++; // the comma
      const keyStart = this.pos;
      const afterKey = this.readName(KEY_ESCAPES, EQUALS, COMMA, SPACE);
      const key = this.token;
      if (afterKey !== EQUALS || key === "") {
        return `tag ${quoteToken(this.line.slice(keyStart, this.pos))} is not key=value: expected a non-empty key, "=", then a value`;
      }
      this.pos++; // the equals sign
      stop = this.readName(KEY_ESCAPES, COMMA, SPACE, EQUALS);
      const value = this.token;
      if (stop === EQUALS) {
        return `tag ${quoteToken(key)} has a value with an unescaped "=": write it as \\=`;
      }
      if (value === "") return `tag ${quoteToken(key)} has an empty value: expected key=value`;
      this.tagLabels.push([labelName(key), value]);
    }
    if (stop !== SPACE) {
      return `the tag set ends the line: expected a space then field=value`;
    }
    return null;
  }

  /** Reads `key=value[,key=value]` after the tag set; leaves pos after the last value. */
  private readFields(): string | null {
    this.skipBlanks();
    const fieldsStart = this.pos;
    for (;;) {
      const keyStart = this.pos;
      const afterKey = this.readName(KEY_ESCAPES, EQUALS, COMMA, SPACE);
      const key = this.token;
      if (afterKey !== EQUALS || key === "") {
        const seen = this.line.slice(keyStart, this.pos);
        if (seen === "" && keyStart >= this.end) {
          return keyStart === fieldsStart
            ? "missing fields: expected field=value after the measurement and tags"
            : `the line ends after ",": expected another field=value`;
        }
        return `field ${quoteToken(seen)} is not key=value: expected a non-empty key, "=", then a value`;
      }
      this.pos++; // the equals sign
      if (this.pos < this.end && this.line.charCodeAt(this.pos) === QUOTE) {
        // A string field: not a sample, but read through its escapes to find its end.
        let i = this.pos + 1;
        while (i < this.end) {
          const c = this.line.charCodeAt(i);
          if (c === QUOTE) break;
          i += c === BACKSLASH && i + 1 < this.end ? 2 : 1;
        }
        if (i >= this.end) return `string field ${quoteToken(key)} has no closing quote`;
        this.pos = i + 1;
      } else {
        const valueStart = this.pos;
        while (this.pos < this.end) {
          const c = this.line.charCodeAt(this.pos);
          if (c === COMMA || this.isBlank(c)) break;
          this.pos++;
        }
        const text = this.line.slice(valueStart, this.pos);
        if (text === "") return `field ${quoteToken(key)} has no value: expected key=value`;
        const value = fieldValue(text);
        if (typeof value === "string")
          return `field ${quoteToken(key)} value ${quoteToken(text)} ${value}`;
        this.fieldNames.push(key);
        this.fieldValues.push(value);
      }
      if (this.pos >= this.end) return null;
      const c = this.line.charCodeAt(this.pos);
      if (c === COMMA) {
        this.pos++;
        continue;
      }
      if (this.isBlank(c)) return null;
      return `unexpected ${quoteToken(this.rest(this.pos))} after field ${quoteToken(key)}: expected "," or a space`;
    }
  }

  /**
   * Reads a name up to an unescaped `stop`, `alsoStop` or `third` (-1 for
   * none), unescaping the characters in `escapes`. Leaves the token in
   * `this.token` and `pos` on the stop character, and returns that character
   * (-1 at the end of the line).
   */
  private readName(escapes: string, stop: number, alsoStop: number, third: number): number {
    const line = this.line;
    let i = this.pos;
    let chunkStart = i;
    let out = "";
    let stopped = -1;
    while (i < this.end) {
      const c = line.charCodeAt(i);
      if (c === BACKSLASH && i + 1 < this.end && escapes.includes(line[i + 1])) {
        out += line.slice(chunkStart, i);
        chunkStart = i + 1; // keep the escaped character, drop the backslash
        i += 2;
        continue;
      }
      if (c === stop || c === alsoStop || c === third) {
        stopped = c;
        break;
      }
      i++;
    }
    this.token = out + line.slice(chunkStart, i);
    this.pos = i;
    return stopped;
  }

  private parseTimestamp(text: string): Instant | InstantFailure {
    return this.exp10 >= 0
      ? parseDecimalInstant(text, this.exp10, false)
      : parseIntegerMsInstant(text, this.unitMs);
  }

  private skipBlanks(): void {
    while (this.pos < this.end && this.isBlank(this.line.charCodeAt(this.pos))) this.pos++;
  }

  private isBlank(c: number): boolean {
    return c === SPACE || c === TAB;
  }

  private rest(from: number): string {
    return this.line.slice(from, this.end);
  }
}

/** The first label name that is __name__ or repeats an earlier one, or null. */
function duplicateName(labels: [string, string][]): string | null {
  // Pairwise for the usual handful of tags; a set for many, so a line of
  // thousands of tags stays linear.
  if (labels.length <= 16) {
    for (let i = 0; i < labels.length; i++) {
      const name = labels[i][0];
      if (name === "__name__") return name;
      for (let j = 0; j < i; j++) if (labels[j][0] === name) return name;
    }
    return null;
  }
  const seen = new Set<string>(["__name__"]);
  for (const [name] of labels) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}

function nonUnique(name: string): string {
  return `non-unique label ${quoteToken(name)}: two tags (or a tag and the metric name) give the same Prometheus label name`;
}

const INT64_MAX = "9223372036854775807";
const INT64_MIN_ABS = "9223372036854775808";
const UINT64_MAX = "18446744073709551615";
const INTEGER = /^(-?)(\d+)i$/;
const UNSIGNED = /^(\d+)u$/;
const FLOAT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A field's value as a sample value, or the reason it is invalid. Types as
 * InfluxDB reads them: `1i` integers (int64), `1u` unsigned (uint64; M3's
 * parser leaves these off, we take them), floats without `+`, NaN or Inf, and
 * the booleans t/T/true/True/TRUE, f/F/false/False/FALSE as 1 and 0.
 */
function fieldValue(text: string): number | string {
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
  const c = text.charCodeAt(text.length - 1);
  if (c === 0x69 /* i */) {
    const m = INTEGER.exec(text);
    if (m === null) return "is not an integer: expected digits then i, as 42i";
    if (!fitsDigits(m[2], m[1] === "-" ? INT64_MIN_ABS : INT64_MAX)) {
      return "is outside the signed 64-bit integer range";
    }
    return Number(text.slice(0, -1)) + 0; // + 0: -0i is the integer 0
  }
  if (c === 0x75 /* u */) {
    const m = UNSIGNED.exec(text);
    if (m === null) return "is not an unsigned integer: expected digits then u, as 42u";
    if (!fitsDigits(m[1], UINT64_MAX)) return "is outside the unsigned 64-bit integer range";
    return Number(m[1]);
  }
  if (!FLOAT.test(text)) {
    return "is not a number or boolean: expected a float, 42i, 42u, a quoted string, t or f";
  }
  const value = Number(text);
  if (!Number.isFinite(value)) return "is outside the 64-bit float range";
  return value;
}

/** True when the decimal `digits` are at most `max` (a digit string without leading zeros). */
function fitsDigits(digits: string, max: string): boolean {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 0x30) i++;
  const n = digits.length - i;
  if (n !== max.length) return n < max.length;
  return digits.slice(i) <= max;
}

// Prometheus's charsets, as M3's Influx handler applies them: a character
// outside is replaced by `_`, one `_` per UTF-8 byte (M3 rewrites bytes), so
// that the series match the ones M3 would store.
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A metric name in Prometheus's charset `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export function metricName(s: string): string {
  return METRIC_NAME.test(s) ? s : sanitize(s, true);
}

/** A label name in Prometheus's charset `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function labelName(s: string): string {
  return LABEL_NAME.test(s) ? s : sanitize(s, false);
}

function sanitize(s: string, colonOk: boolean): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      c === 0x5f ||
      (colonOk && c === 0x3a) ||
      (c >= 0x30 && c <= 0x39 && out.length > 0);
    if (ok) {
      out += s[i];
      continue;
    }
    if (c < 0x80) out += "_";
    else if (c < 0x800) out += "__";
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += "____"; // a surrogate pair: one 4-byte UTF-8 character
        i++;
      } else {
        out += "___"; // a lone surrogate is written as U+FFFD (3 bytes)
      }
    } else out += "___";
  }
  return out;
}
