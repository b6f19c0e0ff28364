// Numbers, timestamps and query results as Prometheus's HTTP API writes
// them (web/api/v1 with util/jsonutil): sample values are JSON strings,
// timestamps are unix seconds with at most three decimals.

import type { QueryStats, QueryValue, ResultSeries } from "../engine-types.js";
import type { Labels } from "../labels.js";

/**
 * A sample value as Prometheus writes it: "NaN", "+Inf", "-Inf", otherwise
 * the shortest decimal that reads back to the same float64, in Go's
 * strconv 'f' form between 1e-6 and 1e21 and its 'e' form outside
 * ("1e-07", "1.5e+21"), as jsonutil.MarshalFloat chooses.
 */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  // JavaScript's shortest round-trip digits are Go's; JavaScript switches to
  // exponent form at the same bounds (below 1e-6, from 1e21 on), so only the
  // exponent's spelling differs: Go writes at least two digits and a sign.
  const s = String(v);
  const e = s.indexOf("e");
  if (e < 0) return s;
  const sign = s[e + 1];
  const digits = s.slice(e + 2);
  return `${s.slice(0, e)}e${sign}${digits.length < 2 ? `0${digits}` : digits}`;
}

/** A timestamp in milliseconds as unix seconds: `1435781451.781`, `1435781451`, `-0.5` as `-0.500`. */
export function formatTimestamp(ms: number): string {
  let t = Math.round(ms);
  let sign = "";
  if (t < 0) {
    sign = "-";
    t = -t;
  }
  const whole = Math.floor(t / 1000);
  const fraction = t - whole * 1000;
  if (fraction === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${String(fraction).padStart(3, "0")}`;
}

/** A label set as a JSON object, in the set's (sorted) order. */
export function labelsJson(labels: Labels): string {
  let s = "{";
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) s += ",";
    s += `${JSON.stringify(labels[i].name)}:${JSON.stringify(labels[i].value)}`;
  }
  return `${s}}`;
}

function pointJson(timeMs: number, value: number): string {
  return `[${formatTimestamp(timeMs)},"${formatValue(value)}"]`;
}

function matrixRowJson(s: ResultSeries): string {
  const parts: string[] = new Array(s.timesMs.length);
  for (let i = 0; i < s.timesMs.length; i++) parts[i] = pointJson(s.timesMs[i], s.values[i]);
  return `{"metric":${labelsJson(s.labels)},"values":[${parts.join(",")}]}`;
}

function vectorElementJson(s: ResultSeries): string {
  return `{"metric":${labelsJson(s.labels)},"value":${pointJson(s.timesMs[0], s.values[0])}}`;
}

/** The `result` of a query as JSON: a matrix, vector, scalar or string. */
export function resultJson(value: QueryValue): string {
  switch (value.resultType) {
    case "matrix":
      return `[${value.series.map(matrixRowJson).join(",")}]`;
    case "vector":
      return `[${value.series.map(vectorElementJson).join(",")}]`;
    case "scalar":
      return pointJson(value.timeMs, value.value);
    case "string":
      return `[${formatTimestamp(value.timeMs)},${JSON.stringify(value.value)}]`;
  }
}

/** Where an answer is written piece by piece (a response body that goes out in chunks). */
export interface JsonSink {
  /** Adds text to the body. */
  append(text: string): void;
  /** Sends what has gathered, and lets other work run, when enough has or enough time passed. */
  pause(): Promise<void>;
  /** True once the client has gone: the rest of the answer is not wanted. */
  readonly closed: boolean;
}

/** Writes the `result` of a query into `sink`, the same text as resultJson, pausing between series. */
export async function writeResultJson(value: QueryValue, sink: JsonSink): Promise<void> {
  if (value.resultType !== "matrix" && value.resultType !== "vector") {
    sink.append(resultJson(value));
    return;
  }
  const row = value.resultType === "matrix" ? matrixRowJson : vectorElementJson;
  sink.append("[");
  for (let i = 0; i < value.series.length; i++) {
    if (sink.closed) return;
    sink.append(i === 0 ? row(value.series[i]) : `,${row(value.series[i])}`);
    await sink.pause();
  }
  sink.append("]");
}

/**
 * The `stats` block of `stats=true|all` (util/stats' BuiltinStats): timings
 * in seconds, then sample counts; per-step counts as [unix seconds, count].
 * `queueMs` is the time the query waited in the API's queue, added to the
 * engine's queue and total times.
 */
export function statsJson(stats: QueryStats, queueMs: number): unknown {
  const t = stats.timings;
  const samples: Record<string, unknown> = {};
  if (stats.totalQueryableSamplesPerStep !== undefined) {
    samples.totalQueryableSamplesPerStep = stats.totalQueryableSamplesPerStep.map((p) => [
      p.timeMs / 1000,
      p.samples,
    ]);
  }
  samples.totalQueryableSamples = stats.totalQueryableSamples;
  // The engine counts each sample once, as it reads it from storage: that
  // count is both Prometheus's "queryable" and its "read" samples.
  samples.samplesRead = stats.totalQueryableSamples;
  samples.peakSamples = stats.peakSamples;
  return {
    timings: {
      evalTotalTime: t.evalTotalTimeMs / 1000,
      resultSortTime: t.resultSortTimeMs / 1000,
      queryPreparationTime: t.queryPreparationTimeMs / 1000,
      innerEvalTime: t.innerEvalTimeMs / 1000,
      execQueueTime: (t.execQueueTimeMs + queueMs) / 1000,
      execTotalTime: (t.execTotalTimeMs + queueMs) / 1000,
    },
    samples,
  };
}
