// M3's query headers (M3-NOTES part B §2.2 and §2.4): the limits and
// timeout a request may set, and the headers a result reports back.

import type { IncomingMessage, ServerResponse } from "node:http";
import { formatDurationMs, parseDurationMs } from "../../x/index.js";
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
