// Typed errors of the commit log: failed file operations (after which the log
// refuses all further work), use after close, a full queue, and bad input.
import { M3tsError } from "../../x/index.js";

/** The file operation that failed. */
export type CommitLogOp = "mkdir" | "list" | "create" | "write" | "sync" | "close";

/**
 * A commit log file operation failed. Once raised by a write or sync, the log
 * is failed closed: every later append and commit raises this same error.
 */
export class CommitLogWriteError extends M3tsError {
  readonly path: string;
  readonly op: CommitLogOp;
  /** The OS error code (`ENOSPC`, `EROFS`, `ENOTDIR`, ...) or "" when there is none. */
  readonly osCode: string;
  override readonly cause: unknown;

  constructor(path: string, op: CommitLogOp, cause: unknown) {
    const osCode = errorCode(cause);
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      "M3TS_ERR_COMMITLOG_WRITE",
      `commit log ${op} failed on ${path}: ${reason}` +
        (op === "write" || op === "sync"
          ? "; the commit log is failed closed and accepts no more writes"
          : ""),
    );
    this.path = path;
    this.op = op;
    this.osCode = osCode;
    this.cause = cause;
  }
}

/** An append, commit or rotate after close() was called. */
export class CommitLogClosedError extends M3tsError {
  readonly path: string;

  constructor(path: string) {
    super("M3TS_ERR_COMMITLOG_CLOSED", `commit log ${path} is closed; open a new CommitLog`);
    this.path = path;
  }
}

/** Appended bytes not yet written reached the configured bound: the disk is behind. */
export class CommitLogQueueFullError extends M3tsError {
  readonly queuedBytes: number;
  readonly maxQueueBytes: number;

  constructor(queuedBytes: number, maxQueueBytes: number) {
    super(
      "M3TS_ERR_COMMITLOG_QUEUE_FULL",
      `commit log queue is full: ${queuedBytes} bytes waiting to be written, limit ` +
        `${maxQueueBytes} (maxQueueBytes); the disk is not keeping up, retry the write later`,
    );
    this.queuedBytes = queuedBytes;
    this.maxQueueBytes = maxQueueBytes;
  }
}

/** An append whose arguments cannot be written (not an integer, out of range). */
export class InvalidCommitLogEntryError extends M3tsError {
  readonly field: string;

  constructor(field: string, value: unknown, allowed: string) {
    super(
      "M3TS_ERR_COMMITLOG_INVALID_ENTRY",
      `commit log entry has invalid ${field} ${String(value)}: must be ${allowed}`,
    );
    this.field = field;
  }
}

/** A CommitLogOptions field out of range. */
export class InvalidCommitLogOptionsError extends M3tsError {
  readonly option: string;

  constructor(option: string, value: unknown, allowed: string) {
    super(
      "M3TS_ERR_COMMITLOG_OPTIONS",
      `commit log option ${option} = ${String(value)} is invalid: must be ${allowed}`,
    );
    this.option = option;
  }
}

function errorCode(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return "";
}
