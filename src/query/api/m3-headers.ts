// M3's query headers (M3-NOTES part B §2.2 and §2.4): the limits and
// timeout a request may set, and the headers a result reports back.

import type { IncomingMessage, ServerResponse } from "node:http";
import {
  EQUAL_TIMESTAMP_STRATEGIES,
  type EqualTimestampStrategy,
  READ_CONSISTENCY_LEVELS,
  type ReadConsistencyLevel,
} from "../../client/index.js";
import { formatDurationMs, parseDurationMs } from "../../x/index.js";
import { PUSHDOWN_MODES, type PushdownMode } from "../engine-types.js";
import { ParamError, parseDuration } from "./params.js";

/** M3's bound on a request's timeout (fetch_options.go): 10 minutes. */
export const MAX_REQUEST_TIMEOUT_MS = 10 * 60_000;

export interface RequestLimits {
  maxSeries: number;
  requireExhaustive: boolean;
  timeoutMs: number;
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name.toLowerCase()];
  if (v === undefined) return null;
  return Array.isArray(v) ? v[0] : v;
}

/** Go's strconv.ParseBool. */
function parseGoBool(name: string, text: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  throw new ParamError(
    `invalid header ${JSON.stringify(name)}: ${JSON.stringify(text)} is not a boolean; use true or false`,
  );
}

function checkTimeout(where: string, text: string, ms: number): number {
  if (!(ms > 0) || ms > MAX_REQUEST_TIMEOUT_MS) {
    throw new ParamError(
      `invalid ${where}: timeout ${JSON.stringify(text)} must be greater than 0 and at most 10m`,
    );
  }
  return ms;
}

/**
 * The limits of one request: `M3-Limit-Max-Series`, `M3-Limit-Require-Exhaustive`,
 * and the timeout from the `timeout` parameter (Prometheus's duration syntax)
 * or else the `M3-Timeout` / `timeout` header (Go's), each > 0 and <= 10m.
 */
export function requestLimits(
  req: IncomingMessage,
  timeoutParam: string | null,
  defaults: RequestLimits,
): RequestLimits {
  let maxSeries = defaults.maxSeries;
  const ms = header(req, "M3-Limit-Max-Series");
  if (ms !== null) {
    if (!/^\d+$/.test(ms) || !Number.isSafeInteger(Number(ms))) {
      throw new ParamError(
        `invalid header "M3-Limit-Max-Series": ${JSON.stringify(ms)} is not a non-negative integer`,
      );
    }
    maxSeries = Number(ms);
  }
  const re = header(req, "M3-Limit-Require-Exhaustive");
  const requireExhaustive =
    re === null ? defaults.requireExhaustive : parseGoBool("M3-Limit-Require-Exhaustive", re);
  let timeoutMs = defaults.timeoutMs;
  if (timeoutParam !== null && timeoutParam !== "") {
    let parsed: number;
    try {
      parsed = parseDuration(timeoutParam);
    } catch (e) {
      throw new ParamError(`invalid parameter "timeout": ${(e as Error).message}`);
    }
    timeoutMs = checkTimeout('parameter "timeout"', timeoutParam, parsed);
  } else {
    const name = header(req, "M3-Timeout") !== null ? "M3-Timeout" : "timeout";
    const text = header(req, name);
    if (text !== null) {
      let parsed: number;
      try {
        parsed = parseDurationMs(text);
      } catch (e) {
        throw new ParamError(`invalid header ${JSON.stringify(name)}: ${(e as Error).message}`);
      }
      timeoutMs = checkTimeout(`header ${JSON.stringify(name)}`, text, parsed);
    }
  }
  return { maxSeries, requireExhaustive, timeoutMs };
}

/** How a request asks its data to be read; a field left out takes the server's default. */
export interface ReadOptions {
  readConsistency?: ReadConsistencyLevel;
  equalTimestampStrategy?: EqualTimestampStrategy;
  pushdown?: PushdownMode;
}

export const READ_CONSISTENCY_HEADER = "M3-Read-Consistency-Level";
export const EQUAL_TIMESTAMP_HEADER = "M3-Iterate-Equal-Timestamp-Strategy";
/** m3ts's own: whether aggregations run at the nodes (M3 has no such header). */
export const PUSHDOWN_HEADER = "M3TS-Query-Pushdown";

function oneOf<T extends string>(
  req: IncomingMessage,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const text = header(req, name);
  if (text === null) return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new ParamError(
    `invalid header ${JSON.stringify(name)}: ${JSON.stringify(text)} is not one of ${allowed.join(", ")}`,
  );
}

/**
 * `M3-Read-Consistency-Level`, `M3-Iterate-Equal-Timestamp-Strategy` (M3's
 * names and values) and `M3TS-Query-Pushdown` (auto, on, off); a value
 * outside the allowed ones is a 400 naming the header, the value and them.
 */
export function requestReadOptions(req: IncomingMessage): ReadOptions {
  const out: ReadOptions = {};
  const level = oneOf(req, READ_CONSISTENCY_HEADER, READ_CONSISTENCY_LEVELS);
  if (level !== undefined) out.readConsistency = level;
  const strategy = oneOf(req, EQUAL_TIMESTAMP_HEADER, EQUAL_TIMESTAMP_STRATEGIES);
  if (strategy !== undefined) out.equalTimestampStrategy = strategy;
  const pushdown = oneOf(req, PUSHDOWN_HEADER, PUSHDOWN_MODES);
  if (pushdown !== undefined) out.pushdown = pushdown;
  return out;
}

/** What a result reports in M3's response headers. */
export interface ResultHeaders {
  timeoutMs: number;
  seriesFetched: number;
  limited: readonly string[];
  namespaces: readonly string[];
}

/** Sets M3-Timeout, M3-Series-Count (when > 0), M3-Results-Limited (when any) and M3-Namespaces. */
export function setResultHeaders(res: ServerResponse, h: ResultHeaders): void {
  res.setHeader("M3-Timeout", formatDurationMs(h.timeoutMs));
  if (h.seriesFetched > 0) res.setHeader("M3-Series-Count", String(h.seriesFetched));
  if (h.limited.length > 0) res.setHeader("M3-Results-Limited", h.limited.join(","));
  if (h.namespaces.length > 0) res.setHeader("M3-Namespaces", h.namespaces.join(","));
}
