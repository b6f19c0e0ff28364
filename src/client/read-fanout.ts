// A read sent to every node owning shards, one call per node for all of its
// shards, and counted per shard against the read consistency level
// (M3-NOTES §9.3): it stops waiting as soon as every shard may stop (M3's
// termination rule) and then fails with ReadConsistencyError naming the
// shards short of the level. A node's lasting error (a bad matcher, a query
// limit) fails the read at once, as on one node: more replicas would say
// the same.

import type { Clock, M3tsError } from "../x/index.js";
import type { ReadConsistencyLevel } from "./client.js";
import {
  isTransient,
  ReadConsistencyError,
  type ReplicaError,
  readDone,
  readSuccessesNeeded,
} from "./consistency.js";
import { asM3tsError, withDeadline } from "./deadline.js";
import { shardsByEndpoint, type Topology } from "./topology.js";
import { type NodeTransport, NodeUnavailableError } from "./transport.js";

/** One node's answer, with its rank in the replica order (by instance ID). */
export interface ReplicaAnswer<T> {
  rank: number;
  endpoint: string;
  value: T;
}

export interface FanOutOptions<T> {
  topology: Topology;
  transports: ReadonlyMap<string, NodeTransport>;
  level: ReadConsistencyLevel;
  /** Count replicas whose shard is not AVAILABLE toward the level (M3's default: no). */
  countNonAvailable: boolean;
  deadlineMs: number;
  wallClock: Clock;
  /** Told of each node's outcome: null on success. */
  onOutcome?: (endpoint: string, error: M3tsError | null) => void;
  call: (transport: NodeTransport, shards: readonly number[], deadlineMs: number) => Promise<T>;
}

/**
 * Whether a node's error would be every replica's: not a transient one, and
 * not an unknown namespace, which the client has checked against the
 * registry, so the node only lags behind it.
 */
function isLasting(error: M3tsError): boolean {
  return !isTransient(error) && error.code !== "M3TS_ERR_UNKNOWN_NAMESPACE";
}

/** The answers of the nodes that answered by the time the level was decided, in replica order. */
export function fanOutRead<T>(o: FanOutOptions<T>): Promise<ReplicaAnswer<T>[]> {
  const top = o.topology;
  const byEndpoint = shardsByEndpoint(top);
  const rankOf = new Map<string, number>();
  const idOf = new Map<string, string>();
  top.instances.forEach((inst, rank) => {
    rankOf.set(inst.endpoint, rank);
    idOf.set(inst.endpoint, inst.instanceId);
  });
  // countsFor[endpoint]: the shards whose count that node's answer raises.
  const countsFor = new Map<string, Set<number>>();
  const pending = new Int32Array(top.numShards);
  const successes = new Int32Array(top.numShards);
  for (let shard = 0; shard < top.numShards; shard++) {
    for (const owner of top.owners[shard]) {
      pending[shard]++;
      if (o.countNonAvailable || owner.state === "AVAILABLE") {
        let set = countsFor.get(owner.endpoint);
        if (set === undefined) {
          set = new Set();
          countsFor.set(owner.endpoint, set);
        }
        set.add(shard);
      }
    }
  }
  const answers: ReplicaAnswer<T>[] = [];
  const replicaErrors: ReplicaError[] = [];
  const rf = top.replicaFactor;
  const needed = readSuccessesNeeded(o.level, rf);

  return new Promise((resolve, reject) => {
    let finished = false;
    const conclude = (): void => {
      if (finished) return;
      for (let shard = 0; shard < top.numShards; shard++) {
        if (!readDone(o.level, rf, successes[shard], pending[shard])) return;
      }
      finished = true;
      const short: number[] = [];
      for (let shard = 0; shard < top.numShards; shard++) {
        if (successes[shard] < needed) short.push(shard);
      }
      if (short.length > 0) {
        reject(new ReadConsistencyError(o.level, short, needed, replicaErrors));
        return;
      }
      answers.sort((a, b) => a.rank - b.rank);
      resolve(answers);
    };
    const answered = (endpoint: string, error: M3tsError | null): void => {
      const shards = byEndpoint.get(endpoint) ?? [];
      const counted = countsFor.get(endpoint);
      for (const shard of shards) {
        pending[shard]--;
        if (error === null && counted?.has(shard)) successes[shard]++;
      }
      if (error !== null) replicaErrors.push({ instanceId: idOf.get(endpoint) ?? endpoint, error });
    };
    for (const [endpoint, shards] of byEndpoint) {
      const transport = o.transports.get(endpoint);
      const run =
        transport === undefined
          ? Promise.reject(
              new NodeUnavailableError(endpoint, "the client holds no connection to it"),
            )
          : withDeadline(endpoint, o.deadlineMs, o.wallClock.nowMs(), () =>
              o.call(transport, shards, o.deadlineMs),
            );
      run.then(
        (value) => {
          o.onOutcome?.(endpoint, null);
          if (finished) return;
          answers.push({ rank: rankOf.get(endpoint) ?? 0, endpoint, value });
          answered(endpoint, null);
          conclude();
        },
        (e: unknown) => {
          const error = asM3tsError(endpoint, e);
          o.onOutcome?.(endpoint, error);
          if (finished) return;
          if (isLasting(error)) {
            finished = true;
            reject(error);
            return;
          }
          answered(endpoint, error);
          conclude();
        },
      );
    }
    // No owner at all (an empty placement) decides at once.
    conclude();
  });
}
