// Labelled samples as the disk benchmarks hand them to m3ts, Prometheus and
// VictoriaMetrics, and the pieces of the text formats both Go parsers read
// them in (Prometheus exposition lines, OpenMetrics).

/** Series to store: each one's labels (with `__name__`) and its points, times in epoch ms. */
export interface Samples {
  series: { labels: [string, string][]; timesMs: Float64Array; values: Float64Array }[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `name{a="x",b="y"}` of one series, label values escaped as both formats require. */
export function seriesPrefix(labels: [string, string][]): string {
  let name = "";
  const pairs: string[] = [];
  for (const [key, value] of labels) {
    if (key === "__name__") {
      name = value;
      continue;
    }
    if (!LABEL_NAME.test(key)) throw new RangeError(`invalid label name "${key}"`);
    pairs.push(`${key}="${escapeLabelValue(value)}"`);
  }
  if (!METRIC_NAME.test(name)) throw new RangeError(`invalid or missing metric name "${name}"`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(",")}}`;
}

/** Escapes a label value for the text formats: backslash, double quote and newline. */
function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A sample value in the spelling both Go parsers accept. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

/** Throws unless a timestamp is a whole, non-negative number of ms (what both formats can spell). */
export function checkTimeMs(timeMs: number): void {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) {
    throw new RangeError(`timestamp must be a whole non-negative number of ms, got ${timeMs}`);
  }
}

/** OpenMetrics timestamps are seconds; ms precision is kept as a 3-digit fraction. */
export function formatSeconds(timeMs: number): string {
  const ms = timeMs % 1000;
  const s = (timeMs - ms) / 1000;
  return ms === 0 ? String(s) : `${s}.${String(ms).padStart(3, "0")}`;
}
