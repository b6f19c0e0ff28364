// Graphite carbon plaintext: `path value timestamp` lines from a TCP stream,
// the path's dot-separated parts as tags __g0__, __g1__, … (no __name__), as
// M3's src/cmd/services/m3coordinator/ingest/carbon/ingest.go names them, and
// the splitter that cuts the stream into lines.
//
// What the two reference receivers accept, and what we take:
// - Separators: carbon (lib/carbon/protocols.py) splits on any whitespace; M3
//   (src/metrics/carbon/parser.go) on runs of spaces. We take runs of spaces
//   and tabs, and ignore them at both ends.
// - Timestamp: carbon requires it and reads it as a float in seconds; `-1`
//   (any value whose integer part is -1) means "now". M3 requires an integer
//   in seconds and has no "now". We take integer or fractional seconds (exact
//   to the nanosecond, exponents allowed), `-1` as now like carbon, and a
//   missing timestamp as now too (an extension: both refuse two-field lines).
// - Value: both read a float with the nan/inf spellings of their language
//   (Python float(), Go ParseFloat plus M3's `-nan`): nan, +nan, -nan, inf,
//   +inf, -inf, infinity, +infinity, -infinity in any case, and decimals with
//   an exponent. Carbon drops NaN values; M3 keeps them, and so do we. A
//   decimal that overflows a float64 is refused, as by M3.
// - Path: split on `.`; `a..b` and an empty path are refused as in M3; a
//   trailing dot adds no part (M3); a leading dot, which M3 turns into an empty
//   __g0__, is refused as another empty part.
// - Bytes: M3 refuses lines that are not UTF-8; the splitter drops and counts them.
import { isUtf8 } from "node:buffer";
import { M3tsError } from "../../x/index.js";
import {
  INSTANT_RANGE_TEXT,
  type Instant,
  type ParsedSample,
  parseDecimalInstant,
  quoteToken,
} from "./parsed-sample.js";

/** A carbon line parsed to one sample, or the reason it was refused. */
export type CarbonParse = { sample: ParsedSample } | { reason: string };

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const DOT = 0x2e;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

// Field offsets of the line being parsed, reused across calls.
const FIELD_STARTS = new Int32Array(4);
const FIELD_ENDS = new Int32Array(4);
// Tag names __g0__, __g1__, … made once (for the first parts only: a path's
// part count is bounded only by the line's length).
const MAX_CACHED_PART_NAMES = 64;
const PART_NAMES: string[] = [];

/** Parses one carbon plaintext line (without its newline); `nowMs` stands in for a missing or `-1` timestamp. */
export function parseCarbonLine(line: string, nowMs: number): CarbonParse {
  // Cut the line into at most four fields by runs of spaces and tabs.
  let end = line.length;
  while (end > 0 && isBlank(line.charCodeAt(end - 1), true)) end--;
  const starts = FIELD_STARTS;
  const ends = FIELD_ENDS;
  let count = 0;
  let i = 0;
  while (i < end && count < 4) {
    while (i < end && isBlank(line.charCodeAt(i), false)) i++;
    if (i >= end) break;
    starts[count] = i;
    while (i < end && !isBlank(line.charCodeAt(i), false)) i++;
    ends[count++] = i;
  }
  if (count < 2 || count > 3) {
    return {
      reason: `expected "path value [timestamp]" separated by spaces, got ${count > 3 ? "more than 3" : count} fields in ${quoteToken(line)}`,
    };
  }
  const path = line.slice(starts[0], ends[0]);
  const valueText = line.slice(starts[1], ends[1]);

  const labels = pathLabels(path);
  if (typeof labels === "string") return { reason: labels };

  const value = carbonValue(valueText);
  if (value === null) {
    return {
      reason: `value ${quoteToken(valueText)} is not a number: expected a decimal, nan or inf`,
    };
  }

  let time: Instant = { timeMs: nowMs, nsInMs: 0 };
  if (count === 3) {
    const timeText = line.slice(starts[2], ends[2]);
    const t = parseDecimalInstant(timeText, 9, true);
    if (t === "syntax") {
      return {
        reason: `timestamp ${quoteToken(timeText)} is not a number: expected unix seconds, or -1 for now`,
      };
    }
    if (t === "range") {
      return { reason: `timestamp ${quoteToken(timeText)} is outside ${INSTANT_RANGE_TEXT}` };
    }
    if (!meansNow(t)) time = t;
  }
  return { sample: { labels, timeMs: time.timeMs, nsInMs: time.nsInMs, value } };
}

function isBlank(c: number, orCr: boolean): boolean {
  return c === SPACE || c === TAB || (orCr && c === CR);
}

/** Carbon takes a timestamp whose integer part is -1, i.e. in (-2 s, -1 s], as "now". */
function meansNow(t: Instant): boolean {
  const aboveMinus2s = t.timeMs > -2000 || (t.timeMs === -2000 && t.nsInMs > 0);
  const atMostMinus1s = t.timeMs < -1000 || (t.timeMs === -1000 && t.nsInMs === 0);
  return aboveMinus2s && atMostMinus1s;
}

function pathLabels(path: string): [string, string][] | string {
  const labels: [string, string][] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length && path.charCodeAt(i) !== DOT) continue;
    if (i === start) {
      // An empty part is refused unless it is the one after a trailing dot.
      if (i === path.length && i > 0) break;
      return `path ${quoteToken(path)} has an empty part at offset ${i}: parts are separated by single dots`;
    }
    const k = labels.length;
    if (k === PART_NAMES.length && k < MAX_CACHED_PART_NAMES) PART_NAMES.push(`__g${k}__`);
    labels.push([k < PART_NAMES.length ? PART_NAMES[k] : `__g${k}__`, path.slice(start, i)]);
    start = i + 1;
  }
  return labels;
}

function carbonValue(text: string): number | null {
  switch (text.toLowerCase()) {
    case "nan":
    case "+nan":
    case "-nan":
      return Number.NaN;
    case "inf":
    case "+inf":
    case "infinity":
    case "+infinity":
      return Number.POSITIVE_INFINITY;
    case "-inf":
    case "-infinity":
      return Number.NEGATIVE_INFINITY;
  }
  if (!FLOAT.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** A CarbonLineSplitter option out of range. */
export class CarbonLineLimitError extends M3tsError {
  constructor(maxLineBytes: number) {
    super(
      "M3TS_ERR_CARBON_LINE_LIMIT",
      `maxLineBytes ${maxLineBytes} is not allowed: expected an integer from 1 to ${MAX_LINE_BYTES_LIMIT}`,
    );
  }
}

const MAX_LINE_BYTES_LIMIT = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Cuts a TCP byte stream into lines ending in `\n` (a `\r` before it is
 * dropped). A line over `maxLineBytes` (not counting its `\r\n`) is dropped
 * and counted in `droppedLongLines`, and only `maxLineBytes + 1` bytes of a
 * line are ever held; a line that is not valid UTF-8 is dropped and counted in
 * `droppedNonUtf8Lines`.
 */
export class CarbonLineSplitter {
  droppedLongLines = 0;
  droppedNonUtf8Lines = 0;
  private readonly maxLineBytes: number;
  // The start of a line whose end has not arrived yet; room for the line and its `\r`.
  private readonly partial: Buffer;
  private partialBytes = 0;
  // True while reading through the rest of a line already counted as too long.
  private skipping = false;

  constructor(options: { maxLineBytes?: number } = {}) {
    const max = options.maxLineBytes ?? 4096;
    if (!Number.isInteger(max) || max < 1 || max > MAX_LINE_BYTES_LIMIT) {
      throw new CarbonLineLimitError(max);
    }
    this.maxLineBytes = max;
    this.partial = Buffer.allocUnsafe(max + 1);
  }

  /** Feeds the next bytes of the stream; calls `onLine` for each complete line. */
  push(chunk: Buffer, onLine: (line: string) => void): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      if (!this.skipping) {
        if (this.partialBytes === 0) this.emit(chunk, start, nl, onLine);
        else if (this.append(chunk, start, nl)) {
          this.emit(this.partial, 0, this.partialBytes, onLine);
        }
      }
      this.skipping = false;
      this.partialBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length && !this.skipping) this.append(chunk, start, chunk.length);
  }

  /** Ends the stream: a last line without `\n` is still delivered. */
  end(onLine: (line: string) => void): void {
    if (!this.skipping && this.partialBytes > 0) {
      this.emit(this.partial, 0, this.partialBytes, onLine);
    }
    this.partialBytes = 0;
    this.skipping = false;
  }

  /** Adds bytes to the held line; false (and counted) when it grows past the bound. */
  private append(chunk: Buffer, from: number, to: number): boolean {
    if (this.partialBytes + (to - from) > this.maxLineBytes + 1) {
      this.droppedLongLines++;
      this.partialBytes = 0;
      this.skipping = true;
      return false;
    }
    chunk.copy(this.partial, this.partialBytes, from, to);
    this.partialBytes += to - from;
    return true;
  }

  private emit(bytes: Buffer, from: number, to: number, onLine: (line: string) => void): void {
    if (to > from && bytes[to - 1] === CR) to--;
    if (to - from > this.maxLineBytes) {
      this.droppedLongLines++;
      return;
    }
    const line = bytes.subarray(from, to);
    if (!isUtf8(line)) {
      this.droppedNonUtf8Lines++;
      return;
    }
    onLine(line.toString("utf8"));
  }
}
