// /api/v1/query and /api/v1/query_range: parameters checked in Prometheus's
// order and wording (web/api/v1 query, queryRange), M3's limit and timeout
// headers, the concurrency gate, the engine call bounded by the timeout,
// the result with its stats, M3's response headers, and the query log line.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../x/index.js";
import type { QueryEngine, QueryOptions, QueryResult, QueryValue } from "../engine-types.js";
import {
  PromQLParseError,
  QueryError,
  QueryLimitExceededError,
  QueryTimeoutError,
} from "../errors.js";
import type { Form } from "./form.js";
import { statsJson, writeResultJson } from "./json-format.js";
import {
  type ReadOptions,
  type RequestLimits,
  requestLimits,
  requestReadOptions,
  setResultHeaders,
} from "./m3-headers.js";
import {
  invalidParam,
  ParamError,
  parseDuration,
  parseLimit,
  parseTime,
  parseTimeParam,
} from "./params.js";
import type { QueryGate } from "./query-gate.js";
import type { QueryLogSink } from "./query-log.js";
import { queryLogLine } from "./query-log.js";
import { sendError, sendSuccessStreamed } from "./respond.js";

/** Prometheus's bound on the points of one range query series. */
export const MAX_POINTS_PER_SERIES = 11_000;

/** The defaults of every query, from the `query:` configuration. */
export interface QueryDefaults extends RequestLimits {
  lookbackMs: number;
  maxSamples: number;
}

export interface QueryEndpointDeps {
  /** Takes each request's series limits in its query options. */
  engine: QueryEngine;
  gate: QueryGate;
  defaults: QueryDefaults;
  queryLog: QueryLogSink | null;
  now: () => number;
  logger: Logger;
}

interface ParsedQuery {
  query: string;
  startMs: number;
  endMs: number;
  /** 0 for an instant query. */
  stepMs: number;
  limit: number;
  limits: RequestLimits;
  read: ReadOptions;
  lookbackMs: number | null;
  stats: string;
}

function lookbackOf(form: Form, stepMs: number): number | null {
  const delta = form.get("lookback_delta");
  if (delta !== null && delta !== "") {
    try {
      const ms = parseDuration(delta);
      return ms > 0 ? ms : null;
    } catch (e) {
      throw new ParamError(`error parsing lookback delta duration: ${(e as Error).message}`);
    }
  }
  // M3's own parameter: a duration, or "step" for the query's step.
  const m3 = form.get("lookback");
  if (m3 === null || m3 === "") return null;
  if (m3 === "step") {
    if (stepMs <= 0) throw invalidParam("lookback", '"step" needs a range query\'s step');
    return stepMs;
  }
  try {
    const ms = parseDuration(m3);
    return ms > 0 ? ms : null;
  } catch (e) {
    throw invalidParam("lookback", (e as Error).message);
  }
}

function parseInstant(req: IncomingMessage, form: Form, deps: QueryEndpointDeps): ParsedQuery {
  const limit = parseLimit(form.get("limit"));
  const timeMs = parseTimeParam("time", form.get("time"), deps.now());
  const limits = requestLimits(req, form.get("timeout"), deps.defaults);
  return {
    query: form.get("query") ?? "",
    startMs: timeMs,
    endMs: timeMs,
    stepMs: 0,
    limit,
    limits,
    read: requestReadOptions(req),
    lookbackMs: lookbackOf(form, 0),
    stats: form.get("stats") ?? "",
  };
}

function parseRange(req: IncomingMessage, form: Form, deps: QueryEndpointDeps): ParsedQuery {
  const limit = parseLimit(form.get("limit"));
  const startMs = parseNamedTime("start", form.get("start") ?? "");
  const endMs = parseNamedTime("end", form.get("end") ?? "");
  if (endMs < startMs) throw invalidParam("end", "end timestamp must not be before start time");
  let stepMs: number;
  try {
    stepMs = parseDuration(form.get("step") ?? "");
  } catch (e) {
    throw invalidParam("step", (e as Error).message);
  }
  if (stepMs <= 0) {
    throw invalidParam(
      "step",
      "zero or negative query resolution step widths are not accepted. Try a positive integer",
    );
  }
  // Prometheus divides the range by the step as integer nanoseconds.
  if (Math.floor((endMs - startMs) / stepMs) > MAX_POINTS_PER_SERIES) {
    throw new ParamError(
      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
    );
  }
  const limits = requestLimits(req, form.get("timeout"), deps.defaults);
  return {
    query: form.get("query") ?? "",
    startMs,
    endMs,
    stepMs,
    limit,
    limits,
    read: requestReadOptions(req),
    lookbackMs: lookbackOf(form, stepMs),
    stats: form.get("stats") ?? "",
  };
}

function parseNamedTime(name: string, value: string): number {
  try {
    return parseTime(value);
  } catch (e) {
    throw invalidParam(name, (e as Error).message);
  }
}

/** Runs `work`, failing with the query's timeout error at `deadlineMs` even if the work does not stop. */
function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new QueryTimeoutError(timeoutMs, "expression evaluation")),
      Math.max(0, timeoutMs),
    );
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function truncate(value: QueryValue, limit: number): { value: QueryValue; truncated: boolean } {
  if (limit <= 0 || (value.resultType !== "vector" && value.resultType !== "matrix")) {
    return { value, truncated: false };
  }
  if (value.series.length <= limit) return { value, truncated: false };
  return { value: { ...value, series: value.series.slice(0, limit) }, truncated: true };
}

/** Answers /query (`range` false) or /query_range (`range` true). */
export async function handleQuery(
  req: IncomingMessage,
  res: ServerResponse,
  form: Form,
  range: boolean,
  deps: QueryEndpointDeps,
): Promise<void> {
  let parsed: ParsedQuery | null = null;
  let queueMs = 0;
  let result: QueryResult | null = null;
  let failure: unknown = null;
  try {
    parsed = range ? parseRange(req, form, deps) : parseInstant(req, form, deps);
    const p = parsed;
    const timeoutMs = p.limits.timeoutMs;
    const queuedAt = deps.now();
    const release = await deps.gate.acquire(timeoutMs);
    // The gate's slot is held until the engine's work really ends, even
    // when the answer went out at the deadline before it.
    queueMs = deps.now() - queuedAt;
    const remainingMs = timeoutMs - queueMs;
    if (remainingMs <= 0) {
      release();
      throw new QueryTimeoutError(timeoutMs, "query queue");
    }
    const options: QueryOptions = {
      timeoutMs: remainingMs,
      maxSeries: p.limits.maxSeries,
      requireExhaustive: p.limits.requireExhaustive,
      maxSamples: deps.defaults.maxSamples,
      lookbackMs: p.lookbackMs ?? deps.defaults.lookbackMs,
      perStepStats: p.stats === "all",
      ...p.read,
    };
    let work: Promise<QueryResult>;
    try {
      work = range
        ? deps.engine.rangeQuery(p.query, p.startMs, p.endMs, p.stepMs, options)
        : deps.engine.instantQuery(p.query, p.startMs, options);
    } catch (e) {
      // An engine that throws before it returns a promise still frees its slot.
      work = Promise.reject(e);
    }
    work.then(release, release);
    try {
      result = await withDeadline(work, remainingMs);
    } catch (e) {
      // Prometheus names the query parameter in what its engine refuses
      // before evaluating: syntax and type errors, not limits.
      if (
        e instanceof PromQLParseError ||
        (e instanceof QueryError &&
          e.errorType === "bad_data" &&
          !(e instanceof QueryLimitExceededError))
      ) {
        throw invalidParam("query", e.message);
      }
      throw e;
    }
    await respond(res, p, result, queueMs);
  } catch (e) {
    failure = e;
    sendError(res, e, deps.logger);
  } finally {
    if (parsed !== null && deps.queryLog !== null) {
      deps.queryLog.write(
        queryLogLine(
          {
            query: parsed.query,
            startMs: parsed.startMs,
            endMs: parsed.endMs,
            stepMs: parsed.stepMs,
            error: failure === null ? null : String((failure as Error).message ?? failure),
            stats: result === null ? null : statsJson(result.stats, queueMs),
            httpRequest: {
              clientIP: req.socket.remoteAddress ?? "",
              method: req.method ?? "",
              path: (req.url ?? "").split("?")[0],
            },
          },
          deps.now(),
        ),
      );
    }
  }
}

async function respond(
  res: ServerResponse,
  p: ParsedQuery,
  result: QueryResult,
  queueMs: number,
): Promise<void> {
  const warnings = [...result.warnings];
  const { value, truncated } = truncate(result.value, p.limit);
  if (truncated) warnings.push("results truncated due to limit");
  if (p.stats !== "" && p.stats !== "true" && p.stats !== "all") {
    warnings.push(
      `value ${JSON.stringify(p.stats)} for parameter "stats" is deprecated and will be rejected in the next major release, use "true" or "all"`,
    );
  }
  setResultHeaders(res, {
    timeoutMs: p.limits.timeoutMs,
    seriesFetched: result.seriesFetched,
    limited: result.limited,
    namespaces: result.namespaces,
  });
  // The answer can be tens of megabytes: it is produced and written in
  // chunks so that writes and other queries go on meanwhile.
  await sendSuccessStreamed(
    res,
    async (sink) => {
      sink.append(`{"resultType":"${value.resultType}","result":`);
      await writeResultJson(value, sink);
      if (p.stats !== "") {
        sink.append(`,"stats":${JSON.stringify(statsJson(result.stats, queueMs))}`);
      }
      sink.append("}");
    },
    warnings,
    result.infos,
  );
}
