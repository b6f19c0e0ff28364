// A node's own shard-state change in the placement: once it has bootstrapped
// shards it was given INITIALIZING, it marks them AVAILABLE by check-and-set
// on the placement key (M3's dbnode does the same through its placement
// service), re-reading and retrying when another writer got there first.
import { M3tsError } from "../x/index.js";
import { type KV, KVVersionMismatchError } from "./kv.js";
import type { Placement } from "./placement.js";

/** Check-and-set attempts before markShardsAvailable gives up: other nodes mark theirs too, each change a version. */
export const DEFAULT_MAX_MARK_ATTEMPTS = 32;

/** The placement key holds no placement, or none naming this instance. */
export class PlacementInstanceMissingError extends M3tsError {
  readonly key: string;
  readonly instanceId: string;

  constructor(key: string, instanceId: string, why: string) {
    super(
      "M3TS_ERR_PLACEMENT_INSTANCE_MISSING",
      `cannot mark shards of instance ${JSON.stringify(instanceId)} available in ${JSON.stringify(key)}: ${why}`,
    );
    this.key = key;
    this.instanceId = instanceId;
  }
}

/** Every check-and-set attempt lost to a concurrent change of the placement. */
export class PlacementContendedError extends M3tsError {
  readonly key: string;
  readonly attempts: number;

  constructor(key: string, instanceId: string, attempts: number) {
    super(
      "M3TS_ERR_PLACEMENT_CONTENDED",
      `could not mark shards of instance ${JSON.stringify(instanceId)} available: ${JSON.stringify(key)} ` +
        `changed under each of ${attempts} check-and-set attempts; retry later`,
    );
    this.key = key;
    this.attempts = attempts;
  }
}

/** What a markShardsAvailable did: the shards it flipped and the placement as written (or as read, when none). */
export interface MarkResult {
  marked: number[];
  placement: Placement;
  version: number;
}

/**
 * Flips this instance's INITIALIZING shards (all, or those in `shardIds`) to
 * AVAILABLE by check-and-set, re-reading on a version mismatch, at most
 * `maxAttempts` times. A shard the instance does not hold, or holds in
 * another state, is left as it is; with nothing to flip nothing is written.
 * A shard's sourceId is kept: removing the source's LEAVING copy belongs to
 * shard handoff, which a new placement does not have.
 */
export async function markShardsAvailable(
  kv: KV,
  key: string,
  instanceId: string,
  shardIds?: Iterable<number>,
  o: { maxAttempts?: number } = {},
): Promise<MarkResult> {
  const maxAttempts = o.maxAttempts ?? DEFAULT_MAX_MARK_ATTEMPTS;
  const wanted = shardIds === undefined ? null : new Set(shardIds);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const got = await kv.get(key);
    if (got === null)
      throw new PlacementInstanceMissingError(key, instanceId, "there is no placement");
    const placement = got.value as Placement;
    if (typeof placement?.instances !== "object" || placement.instances === null) {
      throw new PlacementInstanceMissingError(key, instanceId, "the key holds no placement");
    }
    const instance = Object.hasOwn(placement.instances, instanceId)
      ? placement.instances[instanceId]
      : undefined;
    if (instance === undefined) {
      throw new PlacementInstanceMissingError(
        key,
        instanceId,
        `the placement has no such instance (it has ${Object.keys(placement.instances).sort().join(", ")})`,
      );
    }
    const marked: number[] = [];
    for (const shard of instance.shards) {
      if (shard.state !== "INITIALIZING" || (wanted !== null && !wanted.has(shard.id))) continue;
      shard.state = "AVAILABLE";
      marked.push(shard.id);
    }
    if (marked.length === 0) return { marked, placement, version: got.version };
    try {
      const version = await kv.checkAndSet(key, got.version, placement);
      return { marked: marked.sort((a, b) => a - b), placement, version };
    } catch (e) {
      if (!(e instanceof KVVersionMismatchError)) throw e;
    }
  }
  throw new PlacementContendedError(key, instanceId, maxAttempts);
}
