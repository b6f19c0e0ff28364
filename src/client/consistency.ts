// M3's consistency levels as rules (M3-NOTES §9.3, M3's
// src/dbnode/topology/consistency_level.go): how many replica successes a
// write or a read needs, when waiting for more stops paying, and the typed
// errors for a level that was not met. Both are retryable: the coordinator
// answers 503, so a writer tries again once replicas are back.

import { M3tsError } from "../x/index.js";
import type { ReadConsistencyLevel, WriteConsistencyLevel } from "./client.js";

/** M3's majority of a replica factor: ceil((RF + 1) / 2), so RF 3 -> 2, RF 2 -> 2, RF 1 -> 1. */
export function majorityOf(replicaFactor: number): number {
  return Math.ceil((replicaFactor + 1) / 2);
}

/** The successes a write needs at `level` among `replicaFactor` replicas. */
export function writeSuccessesNeeded(level: WriteConsistencyLevel, replicaFactor: number): number {
  if (level === "one") return 1;
  if (level === "majority") return majorityOf(replicaFactor);
  return replicaFactor;
}

/** The successes a read must have at `level` to answer (unstrict levels settle for one). */
export function readSuccessesNeeded(level: ReadConsistencyLevel, replicaFactor: number): number {
  if (level === "majority") return majorityOf(replicaFactor);
  if (level === "all") return replicaFactor;
  return 1;
}

/**
 * Whether a read of one shard can stop waiting (M3's termination rule):
 * `one` at the first success, the majorities at a majority or once every
 * replica answered, the alls only once every replica answered.
 */
export function readDone(
  level: ReadConsistencyLevel,
  replicaFactor: number,
  successes: number,
  pending: number,
): boolean {
  if (pending === 0) return true;
  if (level === "one") return successes >= 1;
  if (level === "majority" || level === "unstrict_majority") {
    return successes >= majorityOf(replicaFactor);
  }
  return false;
}

/** One replica's failure, as the consistency errors list it. */
export interface ReplicaError {
  /** The placement's instance ID. */
  instanceId: string;
  error: M3tsError;
}

/**
 * A datapoint whose write did not reach the write consistency level: it may
 * be on some replicas, but fewer than the level asks. Retryable.
 */
export class WriteConsistencyError extends M3tsError {
  readonly level: WriteConsistencyLevel;
  readonly successes: number;
  readonly needed: number;
  readonly replicaErrors: readonly ReplicaError[];

  constructor(
    level: WriteConsistencyLevel,
    successes: number,
    needed: number,
    replicaErrors: readonly ReplicaError[],
  ) {
    super(
      "M3TS_ERR_WRITE_CONSISTENCY",
      `write consistency ${level} not met: ${successes} of the ${needed} replica successes needed` +
        `${describeReplicaErrors(replicaErrors)}; retry once the replicas are back`,
    );
    this.level = level;
    this.successes = successes;
    this.needed = needed;
    this.replicaErrors = replicaErrors;
  }
}

/** Shards whose replicas did not answer a read as the read consistency level asks. Retryable. */
export class ReadConsistencyError extends M3tsError {
  readonly level: ReadConsistencyLevel;
  /** The shards short of the level, ascending. */
  readonly shards: readonly number[];
  readonly replicaErrors: readonly ReplicaError[];

  constructor(
    level: ReadConsistencyLevel,
    shards: readonly number[],
    needed: number,
    replicaErrors: readonly ReplicaError[],
  ) {
    const listed = shards.slice(0, MAX_SHARDS_NAMED).join(", ");
    const more =
      shards.length > MAX_SHARDS_NAMED ? ` and ${shards.length - MAX_SHARDS_NAMED} more` : "";
    super(
      "M3TS_ERR_READ_CONSISTENCY",
      `read consistency ${level} not met for shard${shards.length === 1 ? "" : "s"} ${listed}${more}: ` +
        `fewer than ${needed} replica${needed === 1 ? "" : "s"} answered` +
        `${describeReplicaErrors(replicaErrors)}; retry once the replicas are back`,
    );
    this.level = level;
    this.shards = shards;
    this.replicaErrors = replicaErrors;
  }
}

/**
 * A replica that took a write for a shard it does not yet (INITIALIZING) or
 * no longer (LEAVING) serve: the write is kept but does not count toward
 * consistency (M3's default), as M3 records it. Retryable.
 */
export class ShardNotAvailableError extends M3tsError {
  readonly shard: number;

  constructor(instanceId: string, shard: number, state: string) {
    super(
      "M3TS_ERR_SHARD_NOT_AVAILABLE",
      `shard ${shard} is not available on ${instanceId} (${state.toLowerCase()}): its success does not count`,
    );
    this.shard = shard;
  }
}

/** Error codes of failures that may pass on their own: a retry, or another replica, may succeed. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "M3TS_ERR_NODE_OVERLOADED",
  "M3TS_ERR_NODE_UNAVAILABLE",
  "M3TS_ERR_HOST_QUEUE_FULL",
  "M3TS_ERR_SHARD_NOT_AVAILABLE",
  "M3TS_ERR_WRITE_CONSISTENCY",
  "M3TS_ERR_READ_CONSISTENCY",
  "M3TS_ERR_BOOTSTRAPPING",
  "M3TS_ERR_COMMITLOG_QUEUE_FULL",
  "M3TS_ERR_NODE_STOPPING",
  "M3TS_ERR_NODE_FAILED",
  "M3TS_ERR_NAMESPACE_CHANGING",
  "M3TS_ERR_COMMITLOG_WRITE",
  "M3TS_ERR_COMMITLOG_CLOSED",
]);

/** True when a replica's error may pass on its own (the node's 503s and the transport's failures). */
export function isTransient(error: M3tsError): boolean {
  return TRANSIENT_CODES.has(error.code);
}

/** Replica errors named in a consistency error's message, at most. */
const MAX_ERRORS_NAMED = 3;
/** Shards named in a read consistency error's message, at most. */
const MAX_SHARDS_NAMED = 16;

function describeReplicaErrors(errors: readonly ReplicaError[]): string {
  if (errors.length === 0) return "";
  const named = errors
    .slice(0, MAX_ERRORS_NAMED)
    .map((e) => `${e.instanceId}: ${e.error.message}`)
    .join("; ");
  const more =
    errors.length > MAX_ERRORS_NAMED ? ` (and ${errors.length - MAX_ERRORS_NAMED} more)` : "";
  return ` (${named}${more})`;
}
