// Read-only views of a placement for routing: which shards an instance holds,
// and for each shard the instances that hold it (the view the cluster
// client's topology routes by, as M3's topology map does).
import { M3tsError } from "../x/index.js";
import type { Placement, Shard, ShardState } from "./placement.js";

/** A placement routing cannot use: a shard outside 0..numShards-1, or held twice by one instance. */
export class InvalidPlacementError extends M3tsError {
  readonly instanceId: string;

  constructor(instanceId: string, why: string) {
    super(
      "M3TS_ERR_PLACEMENT_INVALID",
      `placement instance ${JSON.stringify(instanceId)} ${why}; the placement in the KV is damaged`,
    );
    this.instanceId = instanceId;
  }
}

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
      if (!Number.isInteger(shard.id) || shard.id < 0 || shard.id >= p.numShards) {
        throw new InvalidPlacementError(
          id,
          `holds shard ${shard.id}, outside 0..${p.numShards - 1}`,
        );
      }
      const list = owners[shard.id];
      if (list.length > 0 && list[list.length - 1].instanceId === id) {
        throw new InvalidPlacementError(id, `holds shard ${shard.id} twice`);
      }
      list.push({ instanceId: id, endpoint: instance.endpoint, state: shard.state });
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
