// The cluster KV: what placement, namespaces and (later) rules live in. The
// single node uses the embedded file-backed KV; a cluster uses etcd behind
// the same interface. Values are JSON; every change of a key raises its
// version by one (the first version is 1), so writers can check-and-set.
import { M3tsError } from "../x/index.js";

export interface KVValue {
  value: unknown;
  version: number;
}

export interface KV {
  get(key: string): Promise<KVValue | null>;
  /** Sets a key whatever its version; resolves with the new version once durable. */
  set(key: string, value: unknown): Promise<number>;
  /** Sets a key only if its version is `expectedVersion` (KVVersionMismatchError otherwise). */
  checkAndSet(key: string, expectedVersion: number, value: unknown): Promise<number>;
  /** Sets a key only if it does not exist (KVKeyExistsError otherwise). */
  setIfNotExists(key: string, value: unknown): Promise<number>;
  /** Deletes a key; resolves with what it held, or null. */
  delete(key: string): Promise<KVValue | null>;
  /** Calls `onChange` after each durable change of `key`, in order; returns the way to stop. */
  watch(key: string, onChange: (value: KVValue | null) => void): () => void;
  close(): Promise<void>;
}

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

export class KVKeyExistsError extends M3tsError {
  readonly key: string;

  constructor(key: string) {
    super("M3TS_ERR_KV_KEY_EXISTS", `key ${JSON.stringify(key)} already exists`);
    this.key = key;
  }
}
