// The query log: one JSON line per query, in the shape of Prometheus 3's
// query_log_file (promql/engine.go, logged through promslog's JSON format):
// time, level, msg, params {query, start, end, step}, error when it failed,
// stats {timings, samples}, and the request it came from (httpRequest).

import { createWriteStream, type WriteStream } from "node:fs";

export interface QueryLogEntry {
  query: string;
  /** The query's time range; start = end for an instant query. */
  startMs: number;
  endMs: number;
  /** 0 for an instant query. */
  stepMs: number;
  /** The error's message when the query failed. */
  error: string | null;
  stats: unknown;
  httpRequest: { clientIP: string; method: string; path: string };
}

/** A sink of query log lines (a file, or memory in tests). */
export interface QueryLogSink {
  write(line: string): void;
  close(): Promise<void>;
}

/** Prometheus's formatDate: RFC 3339 with milliseconds, in UTC. */
function formatDate(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** The line of one query, without its newline. */
export function queryLogLine(entry: QueryLogEntry, nowMs: number): string {
  const line: Record<string, unknown> = {
    time: formatDate(nowMs),
    level: "INFO",
    msg: "promql query logged",
    params: {
      query: entry.query,
      start: formatDate(entry.startMs),
      end: formatDate(entry.endMs),
      // Prometheus logs the step in whole seconds.
      step: Math.trunc(entry.stepMs / 1000),
    },
  };
  if (entry.error !== null) line.error = entry.error;
  line.stats = entry.stats;
  line.httpRequest = entry.httpRequest;
  return JSON.stringify(line);
}

/**
 * Appends lines to a file. Lines are dropped (and counted) while more than
 * `maxPendingBytes` wait for the disk, so a slow disk cannot grow memory.
 */
export class QueryLogFile implements QueryLogSink {
  readonly path: string;
  dropped = 0;
  private readonly stream: WriteStream;
  private readonly maxPendingBytes: number;

  constructor(path: string, maxPendingBytes = 16 * 1024 * 1024) {
    this.path = path;
    this.maxPendingBytes = maxPendingBytes;
    this.stream = createWriteStream(path, { flags: "a" });
    // A failing disk must not crash the node; the lines are lost and counted.
    this.stream.on("error", () => {
      this.dropped++;
    });
  }

  write(line: string): void {
    if (this.stream.writableLength > this.maxPendingBytes || this.stream.destroyed) {
      this.dropped++;
      return;
    }
    this.stream.write(`${line}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}
