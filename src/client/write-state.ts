// The state of one cluster write (M3-NOTES §9.4, M3's write_state.go): each
// datapoint goes to every owner of its shard and is settled as soon as its
// level is decided: `one` at the first counted success, `majority` at a
// majority, `all` once every replica answered, any level once nothing is
// pending. Only a replica whose shard is AVAILABLE counts by default; a
// success elsewhere is recorded as ShardNotAvailableError. Replicas still
// pending when the level is met finish in the background, and the caller's
// promise resolves once every datapoint is settled.

import type { WriteBatch, WriteResult } from "../dbnode/ts/index.js";
import type { M3tsError } from "../x/index.js";
import type { WriteConsistencyLevel } from "./client.js";
import {
  isTransient,
  type ReplicaError,
  ShardNotAvailableError,
  WriteConsistencyError,
  writeSuccessesNeeded,
} from "./consistency.js";
import type { ReplicaWriteSink } from "./host-queue.js";
import type { ShardOwner, Topology } from "./topology.js";

export class WriteState implements ReplicaWriteSink {
  readonly namespace: string;
  readonly batch: WriteBatch;
  readonly deadlineMs: number;
  private readonly level: WriteConsistencyLevel;
  private readonly needed: number;
  private readonly countNonAvailable: boolean;
  private readonly topology: Topology;
  /** shardOf[i]: datapoint i's shard. */
  private readonly shardOf: Int32Array;
  private readonly onReplicaFailure: () => void;
  private readonly successes: Int32Array;
  private readonly pending: Int32Array;
  private readonly settled: Uint8Array;
  /** The replicas' errors of each datapoint, made at the first. */
  private readonly errors: (ReplicaError[] | undefined)[];
  private readonly failed: { index: number; error: M3tsError }[] = [];
  private unsettled: number;
  private written = 0;
  private resolve: ((r: WriteResult) => void) | null = null;
  readonly done: Promise<WriteResult>;

  constructor(o: {
    namespace: string;
    batch: WriteBatch;
    deadlineMs: number;
    level: WriteConsistencyLevel;
    countNonAvailable: boolean;
    topology: Topology;
    shardOf: Int32Array;
    /** Told of every replica write that failed, also those after the level was met. */
    onReplicaFailure?: () => void;
  }) {
    this.namespace = o.namespace;
    this.batch = o.batch;
    this.deadlineMs = o.deadlineMs;
    this.level = o.level;
    this.needed = writeSuccessesNeeded(o.level, o.topology.replicaFactor);
    this.countNonAvailable = o.countNonAvailable;
    this.topology = o.topology;
    this.shardOf = o.shardOf;
    this.onReplicaFailure = o.onReplicaFailure ?? (() => {});
    const n = o.batch.count;
    this.successes = new Int32Array(n);
    this.pending = new Int32Array(n);
    this.settled = new Uint8Array(n);
    this.errors = new Array(n);
    this.unsettled = n;
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    if (n === 0) this.finish();
  }

  /** The owners datapoint `index` goes to; call before its first replicaDone. */
  ownersOf(index: number): readonly ShardOwner[] {
    const owners = this.topology.owners[this.shardOf[index]];
    this.pending[index] = owners.length;
    if (owners.length === 0) this.settle(index);
    return owners;
  }

  replicaDone(index: number, slot: number, error: M3tsError | null): void {
    this.pending[index]--;
    // A replica that missed a write the caller was already answered for is
    // the gap repair will close: it must at least be counted.
    if (error !== null) this.onReplicaFailure();
    if (this.settled[index] === 1) return;
    const owner = this.topology.owners[this.shardOf[index]][slot];
    if (error === null && !this.countNonAvailable && owner.state !== "AVAILABLE") {
      error = new ShardNotAvailableError(owner.instanceId, this.shardOf[index], owner.state);
    }
    if (error === null) {
      this.successes[index]++;
    } else {
      let list = this.errors[index];
      if (list === undefined) {
        list = [];
        this.errors[index] = list;
      }
      list.push({ instanceId: owner.instanceId, error });
    }
    const s = this.successes[index];
    const p = this.pending[index];
    const decided =
      p === 0 ||
      (this.level === "one" && s >= 1) ||
      (this.level === "majority" && s >= this.needed);
    if (decided) this.settle(index);
  }

  private settle(index: number): void {
    this.settled[index] = 1;
    if (this.successes[index] >= this.needed) {
      this.written++;
    } else {
      this.failed.push({ index, error: this.failureOf(index) });
    }
    this.errors[index] = undefined;
    if (--this.unsettled === 0) this.finish();
  }

  /**
   * Where every replica refused the datapoint with the same lasting error
   * (a write outside the window, a bad datapoint), that error, so the
   * caller sees what a single node says; otherwise the consistency error.
   */
  private failureOf(index: number): M3tsError {
    const errors = this.errors[index] ?? [];
    const owners = this.topology.owners[this.shardOf[index]].length;
    if (errors.length === owners && owners > 0) {
      const first = errors[0].error;
      if (!isTransient(first) && errors.every((e) => e.error.code === first.code)) return first;
    }
    return new WriteConsistencyError(this.level, this.successes[index], this.needed, errors);
  }

  private finish(): void {
    this.failed.sort((a, b) => a.index - b.index);
    const refs = new Float64Array(this.batch.seriesIds.length).fill(-1);
    this.resolve?.({ written: this.written, errors: this.failed, refs });
    this.resolve = null;
  }
}
