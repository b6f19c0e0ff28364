// Typed errors of the storage engine: unknown namespaces, writes outside the
// window, bad series, reads before bootstrap has finished, and options out of
// range.
import { M3tsError } from "../../x/index.js";

/** The namespace does not exist. */
export class UnknownNamespaceError extends M3tsError {
  readonly namespace: string;

  constructor(namespace: string) {
    super("M3TS_ERR_UNKNOWN_NAMESPACE", `namespace "${namespace}" does not exist`);
    this.namespace = namespace;
  }
}

/** The namespace has no reverse index to query (its index.enabled is false). */
export class IndexDisabledError extends M3tsError {
  readonly namespace: string;

  constructor(namespace: string) {
    super(
      "M3TS_ERR_INDEX_DISABLED",
      `namespace "${namespace}" is not indexed (index.enabled is false), so it cannot be queried by labels`,
    );
    this.namespace = namespace;
  }
}

/** A namespace of that name exists already. */
export class NamespaceExistsError extends M3tsError {
  readonly namespace: string;

  constructor(namespace: string) {
    super("M3TS_ERR_NAMESPACE_EXISTS", `namespace "${namespace}" already exists`);
    this.namespace = namespace;
  }
}

/** A datapoint outside the times its namespace accepts now. */
export class WriteWindowError extends M3tsError {
  readonly namespace: string;
  readonly timeMs: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;

  constructor(
    namespace: string,
    timeMs: number,
    windowStartMs: number,
    windowEndMs: number,
    why: string,
  ) {
    super(
      "M3TS_ERR_WRITE_WINDOW",
      `datapoint at ${timeMs} ms is outside namespace "${namespace}"'s write window ` +
        `[${windowStartMs}, ${windowEndMs}) ms: ${why}`,
    );
    this.namespace = namespace;
    this.timeMs = timeMs;
    this.windowStartMs = windowStartMs;
    this.windowEndMs = windowEndMs;
  }
}

/** A series that cannot be created: empty or oversized ID, bad tags. */
export class InvalidSeriesError extends M3tsError {
  readonly field: string;

  constructor(field: string, message: string) {
    super("M3TS_ERR_INVALID_SERIES", message);
    this.field = field;
  }
}

/** A datapoint whose time, unit or position in the batch is malformed. */
export class InvalidWriteError extends M3tsError {
  readonly field: string;

  constructor(field: string, message: string) {
    super("M3TS_ERR_INVALID_WRITE", message);
    this.field = field;
  }
}

/** The database is still replaying its commit logs. */
export class BootstrappingError extends M3tsError {
  constructor(what: string) {
    super(
      "M3TS_ERR_BOOTSTRAPPING",
      `cannot ${what}: the database is bootstrapping (replaying its commit logs); retry when it reports bootstrapped`,
    );
  }
}

/**
 * The database is closing or closed: the write was not taken. Retryable
 * against the node once it runs again (HTTP 503).
 */
export class NodeStoppingError extends M3tsError {
  constructor(what: string) {
    super("M3TS_ERR_NODE_STOPPING", `cannot ${what}: the database is closing; retry later`);
  }
}

/**
 * The database stopped taking writes after its commit log failed to write or
 * sync (fail-stop): what was written since the last good sync may not be on
 * disk, so nothing more is acknowledged until the node is restarted and has
 * replayed what the disk really holds. Retryable against a restarted node.
 */
export class NodeFailedError extends M3tsError {
  readonly reason: string;

  constructor(what: string, reason: string) {
    super(
      "M3TS_ERR_NODE_FAILED",
      `cannot ${what}: the database stopped taking writes because ${reason}; ` +
        "fix the disk (space, I/O errors) and restart the node",
    );
    this.reason = reason;
  }
}

/**
 * A namespace was created, dropped or changed while the request used it, or
 * is being dropped now: the datapoints named were not written. Retryable.
 */
export class NamespaceChangingError extends M3tsError {
  readonly namespace: string;

  constructor(namespace: string, why: string) {
    super("M3TS_ERR_NAMESPACE_CHANGING", `namespace "${namespace}" ${why}; retry the request`);
    this.namespace = namespace;
  }
}

/** A database option outside the integers it may take: which, what it was, and the range allowed. */
export class DatabaseOptionError extends M3tsError {
  readonly option: string;
  readonly value: unknown;
  /** The smallest and largest value allowed, both included. */
  readonly min: number;
  readonly max: number;

  constructor(option: string, value: unknown, min: number, max: number) {
    const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
    super(
      "M3TS_ERR_DATABASE_OPTION",
      `database option ${option} = ${shown} is invalid: it must be an integer in ${min}..${max}`,
    );
    this.option = option;
    this.value = value;
    this.min = min;
    this.max = max;
  }
}
