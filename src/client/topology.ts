// The client's view of a placement: for each shard, the instances that own
// it, with their endpoints and the shard's state there, and the route of a
// series ID to its shard (murmur3 of the ID's UTF-8 bytes with seed 0, as the
// node computes it).

import { type Placement, type ShardOwner, shardOwners } from "../cluster/index.js";
import { shardOf } from "../x/index.js";

export type { ShardOwner } from "../cluster/index.js";

/** Which instances own which shards, from one version of the placement. */
export interface Topology {
  numShards: number;
  replicaFactor: number;
  /**
   * owners[shard]: the shard's owners ordered by instance ID. The order is
   * the replica order of reads: at equal instants iterate_last_pushed takes
   * the value of the last replica in it (the greatest instance ID).
   */
  owners: ShardOwner[][];
  /** Every instance with its endpoint, by instance ID: the replica order. */
  instances: { instanceId: string; endpoint: string }[];
}

/** The topology a placement describes (InvalidPlacementError for a damaged one). */
export function topologyOf(placement: Placement): Topology {
  const owners = shardOwners(placement);
  const instances = Object.values(placement.instances).sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  return {
    numShards: placement.numShards,
    replicaFactor: placement.replicaFactor,
    owners,
    instances: instances.map((i) => ({ instanceId: i.id, endpoint: i.endpoint })),
  };
}

const utf8 = new TextEncoder();
/** The UTF-8 bytes of the ID being hashed; grows to the longest ID met. */
let idBytes = new Uint8Array(1024);

/** The shard of a series ID among `numShards`, as the node computes it. */
export function shardOfSeries(id: string, numShards: number): number {
  // A UTF-16 unit takes at most 3 UTF-8 bytes.
  if (id.length * 3 > idBytes.length) idBytes = new Uint8Array(id.length * 3);
  const { written } = utf8.encodeInto(id, idBytes);
  return shardOf(idBytes.subarray(0, written), numShards, 0);
}

/** For each endpoint, the shards it owns (any state), ascending. */
export function shardsByEndpoint(topology: Topology): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let shard = 0; shard < topology.numShards; shard++) {
    for (const owner of topology.owners[shard]) {
      let list = out.get(owner.endpoint);
      if (list === undefined) {
        list = [];
        out.set(owner.endpoint, list);
      }
      list.push(shard);
    }
  }
  return out;
}
