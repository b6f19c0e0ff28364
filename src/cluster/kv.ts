// The cluster KV: what placement, namespaces and (later) rules live in. The
// single node uses the embedded file-backed KV; a cluster uses etcd behind
// the same interface. Values are JSON; every change of a key raises its
// version by one (the first version is 1), so writers can check-and-set.
import { M3tsError } from "../x/index.js";

/** A key's value (JSON-serialisable) and its version: 1 at creation, one more per change. */
export interface KVValue {
  value: unknown;
  version: number;
}

/** Versioned JSON values by key, as M3 keeps placement and namespaces (get, set, check-and-set, watch). */
export interface KV {
  get(key: string): Promise<KVValue | null>;
  /** Sets a key whatever its version; resolves with the new version once durable. */
  set(key: string, value: unknown): Promise<number>;
  /** Sets a key only if its version is `expectedVersion`, 0 meaning absent (KVVersionMismatchError otherwise). */
  checkAndSet(key: string, expectedVersion: number, value: unknown): Promise<number>;
  /** Sets a key only if it does not exist (KVKeyExistsError otherwise). */
  setIfNotExists(key: string, value: unknown): Promise<number>;
  /** Deletes a key; resolves with what it held, or null. */
  delete(key: string): Promise<KVValue | null>;
  /** Calls `onChange` after each durable change of `key`, in order; returns the way to stop. */
  watch(key: string, onChange: (value: KVValue | null) => void): () => void;
  /** Waits for changes under way, then refuses new ones (KVClosedError) and drops the watchers. */
  close(): Promise<void>;
}

/** A check-and-set whose expected version is not the key's version (0 = the key does not exist). */
export class KVVersionMismatchError extends M3tsError {
  readonly key: string;
  readonly expected: number;
  readonly actual: number;

  constructor(key: string, expected: number, actual: number) {
    super(
      "M3TS_ERR_KV_VERSION_MISMATCH",
      `key ${JSON.stringify(key)} is at version ${actual}, not ${expected}: it changed since it was read`,
    );
    this.key = key;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A set-if-not-exists on a key that exists. */
export class KVKeyExistsError extends M3tsError {
  readonly key: string;

  constructor(key: string) {
    super("M3TS_ERR_KV_KEY_EXISTS", `key ${JSON.stringify(key)} already exists`);
    this.key = key;
  }
}

/** A change (or, for a remote KV, any call) asked of a KV after its close(). */
export class KVClosedError extends M3tsError {
  readonly key: string;

  constructor(key: string, operation = "change") {
    super(
      "M3TS_ERR_KV_CLOSED",
      `cannot ${operation} key ${JSON.stringify(key)}: the KV is closed (open it again to write)`,
    );
    this.key = key;
  }
}

/**
 * A remote KV (etcd) that did not answer in time or dropped the call:
 * retryable once it is reachable again. A change that fails so may or may
 * not have been applied (`outcomeUnknown`): read the key before retrying it.
 */
export class KVUnavailableError extends M3tsError {
  /** The key asked about ("" for open()'s first call). */
  readonly key: string;
  readonly operation: string;
  readonly endpoints: readonly string[];
  readonly outcomeUnknown: boolean;
  readonly retryable = true;

  constructor(fields: {
    key: string;
    operation: string;
    endpoints: readonly string[];
    outcomeUnknown: boolean;
    why: string;
  }) {
    super(
      "M3TS_ERR_KV_UNAVAILABLE",
      `cannot ${fields.operation}${fields.key === "" ? "" : ` key ${JSON.stringify(fields.key)}`}: etcd at ${fields.endpoints.join(", ")} ${fields.why}` +
        (fields.outcomeUnknown
          ? "; the change may or may not have been applied, read the key before retrying"
          : "; retry once etcd is reachable"),
    );
    this.key = fields.key;
    this.operation = fields.operation;
    this.endpoints = fields.endpoints;
    this.outcomeUnknown = fields.outcomeUnknown;
  }
}

/** A value the KV cannot hold: not JSON-serialisable, or larger than the limit. */
export class KVInvalidValueError extends M3tsError {
  readonly key: string;

  constructor(key: string, why: string) {
    super("M3TS_ERR_KV_INVALID_VALUE", `cannot store key ${JSON.stringify(key)}: ${why}`);
    this.key = key;
  }
}

/**
 * The JSON text of a value for `key`, refusing what JSON cannot hold (and an
 * empty key) with KVInvalidValueError; `maxBytes` is the implementation's
 * limit on the text's UTF-8 size.
 */
export function kvValueJson(key: string, value: unknown, maxBytes: number): string {
  if (typeof key !== "string" || key === "") {
    throw new KVInvalidValueError(String(key), "the key must be a non-empty string");
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    throw new KVInvalidValueError(
      key,
      `the value is not JSON-serialisable (${(e as Error).message})`,
    );
  }
  if (json === undefined) {
    throw new KVInvalidValueError(key, `the value (${typeof value}) is not JSON-serialisable`);
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) {
    throw new KVInvalidValueError(
      key,
      `the value is ${bytes} bytes as JSON; the limit is ${maxBytes}`,
    );
  }
  return json;
}
