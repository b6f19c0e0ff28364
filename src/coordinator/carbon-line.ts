// Graphite carbon plaintext (M3-NOTES Part B §1.3): `path value timestamp`,
// fields separated by spaces or tabs, the timestamp in seconds (fractions
// allowed; -1 or none means now, as carbon takes them). The path's
// dot-separated parts become tags __g0__, __g1__, …; a trailing dot adds no
// part, an empty part (`a..b`) or an empty path is refused.
import { instantFromSeconds, type ParsedSample } from "./parsed-sample.js";

export type CarbonParse = { sample: ParsedSample } | { reason: string };

export function parseCarbonLine(line: string, nowMs: number): CarbonParse {
  const fields = line.trim().split(/[ \t]+/);
  if (fields.length < 2 || fields.length > 3 || fields[0] === "") {
    return { reason: `expected "path value timestamp", got ${JSON.stringify(line.slice(0, 200))}` };
  }
  const [path, valueText, timeText] = fields;
  const parts = path.endsWith(".") ? path.slice(0, -1).split(".") : path.split(".");
  if (parts.length === 0 || parts.some((p) => p === "")) {
    return { reason: `path ${JSON.stringify(path)} has an empty part` };
  }
  const value = parseCarbonValue(valueText);
  if (value === null) return { reason: `value ${JSON.stringify(valueText)} is not a number` };
  let timeMs = nowMs;
  let nsInMs = 0;
  if (timeText !== undefined && timeText !== "-1") {
    const t = instantFromSeconds(timeText);
    if (t === null) return { reason: `timestamp ${JSON.stringify(timeText)} is not unix seconds` };
    timeMs = t.timeMs;
    nsInMs = t.nsInMs;
  }
  const labels: [string, string][] = parts.map((p, i) => [`__g${i}__`, p]);
  return { sample: { labels, timeMs, nsInMs, value } };
}

function parseCarbonValue(text: string): number | null {
  const lower = text.toLowerCase();
  if (lower === "nan") return Number.NaN;
  if (lower === "inf" || lower === "+inf") return Number.POSITIVE_INFINITY;
  if (lower === "-inf") return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  return Number(text);
}

/** Splits a TCP byte stream into lines, dropping (and counting) lines over a bound rather than buffering them. */
export class CarbonLineSplitter {
  droppedLongLines = 0;
  private readonly maxLineBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;

  constructor(options: { maxLineBytes?: number } = {}) {
    this.maxLineBytes = options.maxLineBytes ?? 4096;
  }

  push(chunk: Buffer, onLine: (line: string) => void): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      this.take(chunk.subarray(start, nl), true, onLine);
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start), false, onLine);
  }

  end(onLine: (line: string) => void): void {
    if (this.pendingBytes > 0 && !this.skipping) this.emit(onLine);
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
  }

  private take(part: Buffer, complete: boolean, onLine: (line: string) => void): void {
    if (!this.skipping) {
      if (this.pendingBytes + part.length > this.maxLineBytes) {
        this.skipping = true;
        this.droppedLongLines++;
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        this.pending.push(part);
        this.pendingBytes += part.length;
      }
    }
    if (!complete) return;
    if (!this.skipping) this.emit(onLine);
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
  }

  private emit(onLine: (line: string) => void): void {
    let line = Buffer.concat(this.pending, this.pendingBytes).toString("utf8");
    if (line.endsWith("\r")) line = line.slice(0, -1);
    onLine(line);
  }
}
