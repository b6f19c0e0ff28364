// M3's single-sample JSON write (M3-NOTES Part B §1.5):
// `{"tags": {name: value}, "timestamp": "<string>", "value": <number>}`. The
// timestamp is unix seconds (fractions to the nanosecond) or RFC 3339; a JSON
// number is taken as unix seconds.
import { M3tsError } from "../x/index.js";
import { instantFromDigits, instantFromSeconds, type ParsedSample } from "./parsed-sample.js";

export class JsonWriteError extends M3tsError {
  readonly field: string;

  constructor(field: string, message: string) {
    super("M3TS_ERR_JSON_WRITE", `${field}: ${message}`);
    this.field = field;
  }
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseJsonWrite(body: string, _nowMs: number): ParsedSample {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw new JsonWriteError("body", `not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new JsonWriteError("body", "expected a JSON object with tags, timestamp and value");
  }
  const o = json as Record<string, unknown>;
  if (typeof o.tags !== "object" || o.tags === null || Array.isArray(o.tags)) {
    throw new JsonWriteError(
      "tags",
      `expected an object of label names to string values, got ${JSON.stringify(o.tags)}`,
    );
  }
  const labels: [string, string][] = [];
  for (const [name, value] of Object.entries(o.tags)) {
    if (typeof value !== "string") {
      throw new JsonWriteError(
        `tags.${name}`,
        `expected a string value, got ${JSON.stringify(value)}`,
      );
    }
    labels.push([name, value]);
  }
  if (labels.length === 0) throw new JsonWriteError("tags", "at least one tag is needed");
  if (typeof o.value !== "number") {
    throw new JsonWriteError("value", `expected a number, got ${JSON.stringify(o.value)}`);
  }
  const t = instantOf(o.timestamp);
  return { labels, timeMs: t.timeMs, nsInMs: t.nsInMs, value: o.value };
}

function instantOf(ts: unknown): { timeMs: number; nsInMs: number } {
  const bad = () =>
    new JsonWriteError(
      "timestamp",
      `expected unix seconds or an RFC 3339 time, got ${JSON.stringify(ts)}`,
    );
  if (typeof ts === "number") {
    if (!Number.isFinite(ts)) throw bad();
    const t = instantFromSeconds(ts.toFixed(9).replace(/\.?0+$/, ""));
    if (t === null) throw bad();
    return t;
  }
  if (typeof ts !== "string") throw bad();
  const seconds = instantFromSeconds(ts.trim());
  if (seconds !== null) return seconds;
  const m = RFC3339.exec(ts.trim());
  if (m === null) throw bad();
  const [, y, mo, d, h, mi, s, frac = "", zone] = m;
  const offsetMin =
    zone === "Z" || zone === "z"
      ? 0
      : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const baseMs =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) -
    offsetMin * 60_000;
  if (!Number.isFinite(baseMs)) throw bad();
  const t = instantFromDigits(frac.padEnd(9, "0"), 1);
  if (t === null) throw bad();
  return { timeMs: baseMs + t.timeMs, nsInMs: t.nsInMs };
}
