// Read-only views of a placement for routing: which shards an instance holds,
// and for each shard the instances that hold it (the view the cluster
// client's topology routes by, as M3's topology map does).
import type { Placement, Shard, ShardState } from "./placement.js";

/** One replica of a shard: the instance holding it, where to reach it, and the shard's state there. */
export interface ShardOwner {
  instanceId: string;
  endpoint: string;
  state: ShardState;
}

/** Owners by shard id: entry s lists shard s's replicas (every state), by instance id. */
export type ShardOwners = ShardOwner[][];

/** Each shard's owners (INITIALIZING, AVAILABLE and LEAVING alike), instances in id order. */
export function shardOwners(p: Placement): ShardOwners {
  const owners: ShardOwners = Array.from({ length: p.numShards }, () => []);
  for (const id of Object.keys(p.instances).sort()) {
    const instance = p.instances[id];
    for (const shard of instance.shards) {
      // A shard id past numShards would mean a damaged placement; routing cannot use it.
      if (shard.id < 0 || shard.id >= p.numShards || !Number.isInteger(shard.id)) {
        throw new RangeError(
          `placement instance ${JSON.stringify(id)} holds shard ${shard.id}, outside 0..${p.numShards - 1}`,
        );
      }
      owners[shard.id].push({ instanceId: id, endpoint: instance.endpoint, state: shard.state });
    }
  }
  return owners;
}

/** The shards `instanceId` holds, by shard id; empty when the placement does not name it. */
export function instanceShards(p: Placement, instanceId: string): Shard[] {
  const instance = Object.hasOwn(p.instances, instanceId) ? p.instances[instanceId] : undefined;
  if (instance === undefined) return [];
  return [...instance.shards].sort((a, b) => a.id - b.id);
}
