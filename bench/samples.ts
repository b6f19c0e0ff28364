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

/**
 * One time range of a stream's samples, columnar: series s has its points at
 * [offsets[s], offsets[s + 1]) of timesMs and values, in time order.
 */
export interface SampleChunk {
  /** Start of the range, epoch ms (inclusive). */
  startMs: number;
  /** End of the range, epoch ms (exclusive). */
  endMs: number;
  /** seriesCount + 1 entries. */
  offsets: Int32Array;
  timesMs: Float64Array;
  values: Float64Array;
}

/**
 * Samples handed out one time range (chunk) at a time, so that a long
 * dataset never sits in memory whole. Chunks come in time order and do not
 * overlap; every call of chunks() yields the same samples again.
 */
export interface SampleStream {
  /** Labels of every series, `__name__` first, the rest sorted by name; chunks index series in this order. */
  readonly labels: [string, string][][];
  /** Number of chunks chunks() yields. */
  readonly chunkCount: number;
  /** Datapoints over all chunks. */
  readonly datapoints: number;
  chunks(): Iterable<SampleChunk>;
}

/** A stream over samples held in memory, cut into chunks of `chunkMs` from `startMs` (aligned to it). */
export function samplesStream(samples: Samples, startMs: number, chunkMs: number): SampleStream {
  let maxMs = startMs;
  let datapoints = 0;
  for (const s of samples.series) {
    if (s.timesMs.length !== s.values.length) {
      throw new RangeError(`series has ${s.timesMs.length} times, ${s.values.length} values`);
    }
    for (let i = 0; i < s.timesMs.length; i++) {
      const t = s.timesMs[i];
      if (t < startMs)
        throw new RangeError(`timestamp ${t} is before the stream's start ${startMs}`);
      if (i > 0 && t <= s.timesMs[i - 1]) {
        throw new RangeError(`timestamps must increase; ${t} follows ${s.timesMs[i - 1]}`);
      }
      if (t > maxMs) maxMs = t;
    }
    datapoints += s.timesMs.length;
  }
  const chunkCount = Math.floor((maxMs - startMs) / chunkMs) + 1;
  const labels = samples.series.map((s) => s.labels);
  return {
    labels,
    chunkCount,
    datapoints,
    *chunks() {
      const n = samples.series.length;
      const cursor = new Int32Array(n);
      for (let c = 0; c < chunkCount; c++) {
        const from = startMs + c * chunkMs;
        const to = from + chunkMs;
        const offsets = new Int32Array(n + 1);
        for (let s = 0; s < n; s++) {
          const ts = samples.series[s].timesMs;
          let end = cursor[s];
          while (end < ts.length && ts[end] < to) end++;
          offsets[s + 1] = offsets[s] + end - cursor[s];
        }
        const timesMs = new Float64Array(offsets[n]);
        const values = new Float64Array(offsets[n]);
        for (let s = 0; s < n; s++) {
          const { timesMs: ts, values: vs } = samples.series[s];
          const count = offsets[s + 1] - offsets[s];
          timesMs.set(ts.subarray(cursor[s], cursor[s] + count), offsets[s]);
          values.set(vs.subarray(cursor[s], cursor[s] + count), offsets[s]);
          cursor[s] += count;
        }
        yield { startMs: from, endMs: to, offsets, timesMs, values };
      }
    },
  };
}
