// Prometheus's JSON envelope (web/api/v1 Response): {status, data,
// errorType, error, warnings, infos}, and the one mapping from an error to
// its errorType and HTTP status.

import type { ServerResponse } from "node:http";
import { type Logger, M3tsError } from "../../x/index.js";
import { QueryError, type QueryErrorType } from "../errors.js";
import type { JsonSink } from "./json-format.js";

/** Error codes of the parts below the API, by the errorType and status they answer with. */
const TYPE_BY_CODE: Record<string, [QueryErrorType, number]> = {
  M3TS_ERR_INVALID_MATCHER: ["bad_data", 400],
  M3TS_ERR_QUERY_LIMIT: ["bad_data", 400],
  M3TS_ERR_UNKNOWN_NAMESPACE: ["bad_data", 400],
  M3TS_ERR_BOOTSTRAPPING: ["unavailable", 503],
  M3TS_ERR_NODE_STOPPING: ["unavailable", 503],
  M3TS_ERR_NODE_FAILED: ["unavailable", 503],
  M3TS_ERR_NAMESPACE_CHANGING: ["unavailable", 503],
};

/** The errorType and status an error answers with; anything unknown is internal (500). */
export function classify(error: unknown): { errorType: QueryErrorType; status: number } {
  if (error instanceof QueryError) return { errorType: error.errorType, status: error.status };
  if (error instanceof M3tsError) {
    const known = TYPE_BY_CODE[error.code];
    if (known !== undefined) return { errorType: known[0], status: known[1] };
  }
  return { errorType: "internal", status: 500 };
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

function annotationsJson(warnings: readonly string[], infos: readonly string[]): string {
  let s = "";
  if (warnings.length > 0) s += `,"warnings":${JSON.stringify(warnings)}`;
  if (infos.length > 0) s += `,"infos":${JSON.stringify(infos)}`;
  return s;
}

/** Any JSON body with a status (a handler that builds its own envelope). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body));
}

/** A success whose `data` is already JSON text (query results are written by hand, for speed). */
export function sendSuccessRaw(
  res: ServerResponse,
  dataJson: string,
  warnings: readonly string[] = [],
  infos: readonly string[] = [],
): void {
  send(res, 200, `{"status":"success","data":${dataJson}${annotationsJson(warnings, infos)}}`);
}

/** Text gathered before a chunk of a streamed answer is written (UTF-16 units). */
const CHUNK_CHARS = 64 * 1024;
/** The longest a streamed answer holds the event loop before it yields. */
const SLICE_MS = 5;

/**
 * A response body written in chunks as it is produced, yielding to the event
 * loop every few milliseconds and waiting for the socket to drain when it is
 * full, so that a large answer neither blocks other requests nor sits whole
 * in memory. An answer that ends within its first chunk goes out as one
 * body with its Content-Length, as `send` writes it.
 */
class ChunkedBody implements JsonSink {
  private readonly res: ServerResponse;
  private readonly status: number;
  private pending = "";
  private started = false;
  private sliceStartMs = performance.now();
  private gone = false;

  constructor(res: ServerResponse, status: number) {
    this.res = res;
    this.status = status;
    res.once("close", () => {
      this.gone = true;
    });
  }

  get closed(): boolean {
    return this.gone || this.res.destroyed;
  }

  append(text: string): void {
    this.pending += text;
  }

  async pause(): Promise<void> {
    if (this.pending.length >= CHUNK_CHARS) await this.flush();
    if (performance.now() - this.sliceStartMs >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.sliceStartMs = performance.now();
    }
  }

  private async flush(): Promise<void> {
    if (this.closed) {
      this.pending = "";
      return;
    }
    if (!this.started) {
      this.started = true;
      this.res.writeHead(this.status, { "Content-Type": "application/json" });
    }
    const chunk = this.pending;
    this.pending = "";
    if (this.res.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off("drain", done);
        this.res.off("close", done);
        resolve();
      };
      this.res.on("drain", done);
      this.res.on("close", done);
    });
  }

  end(): void {
    if (!this.started) {
      send(this.res, this.status, this.pending);
    } else if (!this.closed) {
      this.res.end(this.pending);
    }
    this.pending = "";
  }
}

/**
 * A success whose `data` is written by `writeData` into a chunked body: the
 * same bytes as sendSuccessRaw with the text it appends.
 */
export async function sendSuccessStreamed(
  res: ServerResponse,
  writeData: (sink: JsonSink) => Promise<void>,
  warnings: readonly string[] = [],
  infos: readonly string[] = [],
): Promise<void> {
  const body = new ChunkedBody(res, 200);
  body.append(`{"status":"success","data":`);
  await writeData(body);
  body.append(`${annotationsJson(warnings, infos)}}`);
  body.end();
}

/** A success with `data` (any JSON value). */
export function sendSuccess(
  res: ServerResponse,
  data: unknown,
  warnings: readonly string[] = [],
  infos: readonly string[] = [],
): void {
  sendSuccessRaw(res, JSON.stringify(data), warnings, infos);
}

/** A failure: its errorType, status and message; a server fault is logged. */
export function sendError(res: ServerResponse, error: unknown, logger: Logger): void {
  const { errorType, status } = classify(error);
  const message = error instanceof Error ? error.message : String(error);
  if (status >= 500 && errorType === "internal") {
    logger.error({ err: error }, "query API request failed");
  }
  send(res, status, JSON.stringify({ status: "error", errorType, error: message }));
}
