// The errors a query can end in, each with the errorType Prometheus's HTTP
// API reports for it, so that the API answers as Prometheus does.

import { M3tsError } from "../x/index.js";

/** Prometheus's API error types. */
export type QueryErrorType =
  | "bad_data"
  | "execution"
  | "timeout"
  | "canceled"
  | "internal"
  | "unavailable"
  | "not_found";

/** Any failure of a query, with the errorType and HTTP status the API answers with. */
export class QueryError extends M3tsError {
  readonly errorType: QueryErrorType;
  readonly status: number;

  constructor(errorType: QueryErrorType, status: number, message: string, code = "M3TS_ERR_QUERY") {
    super(code, message);
    this.errorType = errorType;
    this.status = status;
  }
}

/** The query does not parse or does not type-check: "parse error at char N: ...". */
export class PromQLParseError extends QueryError {
  /** Character offset (0-based) of the error in the query text. */
  readonly position: number;

  constructor(
    position: number,
    detail: string,
    message = `parse error at char ${position + 1}: ${detail}`,
  ) {
    super("bad_data", 400, message, "M3TS_ERR_PROMQL_PARSE");
    this.position = position;
  }
}

/** An error raised while evaluating (a function's argument out of range, a many-to-many match...). */
export class EvaluationError extends QueryError {
  constructor(message: string) {
    super("execution", 422, message, "M3TS_ERR_PROMQL_EVAL");
  }
}

/** A query limit was passed: names the limit and its value. */
export class QueryLimitExceededError extends QueryError {
  readonly limit: string;
  readonly max: number;

  constructor(
    limit: string,
    max: number,
    errorType: QueryErrorType,
    status: number,
    message: string,
  ) {
    super(errorType, status, message, "M3TS_ERR_QUERY_LIMIT");
    this.limit = limit;
    this.max = max;
  }
}

/** The query ran past its timeout and was stopped. */
export class QueryTimeoutError extends QueryError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, during: string) {
    super("timeout", 503, `query timed out in ${during}`, "M3TS_ERR_QUERY_TIMEOUT");
    this.timeoutMs = timeoutMs;
  }
}
