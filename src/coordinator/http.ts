// HTTP plumbing shared by the coordinator's handlers: bounded body reading,
// M3's JSON error body, and the one table from error codes to statuses.
import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import { type Logger, M3tsError } from "../x/index.js";

/** A request body over the configured limit (HTTP 413). */
export class BodyTooLargeError extends M3tsError {
  constructor(limitBytes: number, gotBytes: number) {
    super(
      "M3TS_ERR_BODY_TOO_LARGE",
      `request body of at least ${gotBytes} bytes is larger than coordinator.maxBodyBytes = ${limitBytes}`,
    );
  }
}

/** A request the handler cannot take as it is: names the field or parameter and the value. */
export class BadRequestError extends M3tsError {
  constructor(message: string) {
    super("M3TS_ERR_BAD_REQUEST", message);
  }
}

/** The server is over a bound (write queue, pending samples) or shutting down: the sender should retry later. */
export class OverloadedError extends M3tsError {
  readonly status: 429 | 503;

  constructor(status: 429 | 503, message: string) {
    super("M3TS_ERR_OVERLOADED", message);
    this.status = status;
  }
}

/** The route exists but not for this method (HTTP 405); `allow` lists the methods it takes. */
export class MethodNotAllowedError extends M3tsError {
  readonly allow: readonly string[];

  constructor(method: string, path: string, allow: readonly string[]) {
    super(
      "M3TS_ERR_METHOD_NOT_ALLOWED",
      `method ${method} is not allowed on ${path}; use ${allow.join(" or ")}`,
    );
    this.allow = allow;
  }
}

/**
 * A write that refused some of its samples: how many of how many, and the
 * first refusal. Its status is 400 when every refusal was the sender's fault,
 * otherwise a 5xx (the first refusal that was not, 500 for a 429), because
 * Prometheus drops a request answered 400 and retries one answered 5xx.
 */
export class SamplesRejectedError extends M3tsError {
  readonly status: number;
  readonly rejected: number;
  readonly written: number;
  readonly first: M3tsError;

  constructor(outcome: {
    rejected: number;
    written: number;
    firstError: M3tsError;
    retryError: M3tsError | null;
  }) {
    super(
      "M3TS_ERR_SAMPLES_REJECTED",
      `${outcome.rejected} of ${outcome.rejected + outcome.written} samples rejected; first: ${outcome.firstError.message}`,
    );
    this.status = outcome.retryError === null ? 400 : Math.max(500, statusOf(outcome.retryError));
    this.rejected = outcome.rejected;
    this.written = outcome.written;
    this.first = outcome.firstError;
  }
}

/** A resource the request names does not exist (HTTP 404). */
export class NotFoundError extends M3tsError {
  constructor(message: string) {
    super("M3TS_ERR_NOT_FOUND", message);
  }
}

/** The request conflicts with what exists (HTTP 409). */
export class ConflictError extends M3tsError {
  constructor(message: string) {
    super("M3TS_ERR_CONFLICT", message);
  }
}

/** HTTP status by error code; codes not listed are server faults (500). */
const STATUS_BY_CODE: Record<string, number> = {
  M3TS_ERR_BODY_TOO_LARGE: 413,
  M3TS_ERR_BAD_REQUEST: 400,
  M3TS_ERR_NOT_FOUND: 404,
  M3TS_ERR_METHOD_NOT_ALLOWED: 405,
  M3TS_ERR_CONFLICT: 409,
  M3TS_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  M3TS_ERR_WRITE_REQUEST_FORMAT: 400,
  M3TS_ERR_READ_REQUEST_FORMAT: 400,
  M3TS_ERR_INVALID_LABELS: 400,
  M3TS_ERR_INVALID_TAGS: 400,
  M3TS_ERR_INVALID_MATCHER: 400,
  M3TS_ERR_WRITE_WINDOW: 400,
  M3TS_ERR_INVALID_SERIES: 400,
  M3TS_ERR_INVALID_WRITE: 400,
  M3TS_ERR_QUERY_LIMIT: 400,
  M3TS_ERR_NAMESPACE_OPTION: 400,
  M3TS_ERR_NAMESPACE_OPTION_IMMUTABLE: 400,
  M3TS_ERR_INVALID_DATAPOINT: 400,
  M3TS_ERR_INDEX_DISABLED: 400,
  M3TS_ERR_ADMIN_REQUEST: 400,
  M3TS_ERR_INFLUX_PRECISION: 400,
  M3TS_ERR_JSON_WRITE: 400,
  // The query API's bad parameters (GET remote read's PromQL query).
  M3TS_ERR_QUERY_PARAM: 400,
  M3TS_ERR_UNKNOWN_NAMESPACE: 404,
  M3TS_ERR_NAMESPACE_EXISTS: 409,
  M3TS_ERR_KV_VERSION_MISMATCH: 409,
  M3TS_ERR_KV_KEY_EXISTS: 409,
  M3TS_ERR_BOOTSTRAPPING: 503,
  M3TS_ERR_COMMITLOG_QUEUE_FULL: 503,
  // Transient: the node is stopping, stopped taking writes after a disk
  // failure (until restarted), a namespace is being changed, or the commit
  // log could not write (ENOSPC, EIO). Prometheus retries 5xx, never 400.
  M3TS_ERR_NODE_STOPPING: 503,
  M3TS_ERR_NODE_FAILED: 503,
  M3TS_ERR_NAMESPACE_CHANGING: 503,
  M3TS_ERR_COMMITLOG_WRITE: 503,
  M3TS_ERR_COMMITLOG_CLOSED: 503,
  // The cluster KV (etcd) did not answer in time: retry once it is reachable.
  M3TS_ERR_KV_UNAVAILABLE: 503,
  // The cluster: too few replicas took a write or answered a read, or no placement yet.
  M3TS_ERR_WRITE_CONSISTENCY: 503,
  M3TS_ERR_READ_CONSISTENCY: 503,
  M3TS_ERR_NO_PLACEMENT: 503,
};

/** The status an error maps to. */
export function statusOf(error: unknown): number {
  if (error instanceof OverloadedError || error instanceof SamplesRejectedError)
    return error.status;
  if (error instanceof M3tsError) return STATUS_BY_CODE[error.code] ?? 500;
  return 500;
}

/** True when an error is the sender's fault, so a retry would fail again. */
export function isClientError(error: unknown): boolean {
  const s = statusOf(error);
  return s >= 400 && s < 500 && s !== 429;
}

/** Reads the whole body, refusing (413) past `maxBytes`; gunzips `Content-Encoding: gzip` when allowed. */
export async function readBody(
  req: IncomingMessage,
  maxBytes: number,
  options: { gzip?: boolean } = {},
): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? -1);
  if (declared > maxBytes) {
    req.resume();
    throw new BodyTooLargeError(maxBytes, declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw new BodyTooLargeError(maxBytes, size);
    }
    chunks.push(chunk);
  }
  const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
  const encoding = String(req.headers["content-encoding"] ?? "").toLowerCase();
  if (options.gzip === true && encoding === "gzip") {
    try {
      const plain = gunzipSync(body, { maxOutputLength: maxBytes });
      return plain;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw new BodyTooLargeError(maxBytes, maxBytes + 1);
      }
      throw new BadRequestError(`body is not valid gzip: ${(e as Error).message}`);
    }
  }
  return body;
}

/**
 * The answer to a request that failed with `error`: the status it maps to,
 * the headers it implies (`Allow` for a 405, `Retry-After` for an overload)
 * and M3's error body carrying its message. Every handler answers a failure
 * through this; a server fault (5xx) is logged with `context`, but not a
 * refusal that says the server is busy, nor a write that refused some samples
 * (those are counted in the metrics).
 */
export function sendFailure(
  res: ServerResponse,
  error: unknown,
  logger: Logger,
  context: Record<string, unknown> = {},
): void {
  const status = statusOf(error);
  if (error instanceof MethodNotAllowedError && !res.headersSent) {
    res.setHeader("Allow", error.allow.join(", "));
  }
  if (error instanceof OverloadedError && !res.headersSent) res.setHeader("Retry-After", "1");
  const expected = error instanceof OverloadedError || error instanceof SamplesRejectedError;
  if (status >= 500 && !expected) logger.error({ err: error, ...context }, "request failed");
  sendError(res, status, error instanceof Error ? error.message : String(error));
}

/** M3's error body: `{"status":"error","error":"..."}`. */
function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ status: "error", error: message });
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** Parses a JSON body, naming the problem in a 400 when it is not JSON. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0)
    throw new BadRequestError("request body is empty; a JSON object is expected");
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw new BadRequestError(`request body is not valid JSON: ${(e as Error).message}`);
  }
}
