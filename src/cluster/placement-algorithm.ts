// A new cluster placement: each shard's replicas on instances of distinct
// isolation groups, each instance's share of the replicas proportional to its
// weight as far as the groups allow, every shard INITIALIZING (M3: nodes mark
// their shards AVAILABLE once they have bootstrapped them).
//
// The plan, in exact integer arithmetic:
// 1. Group shares. A group can hold each shard once, so at most numShards
//    replicas. Groups share the numShards × RF replicas in proportion to
//    their total weight; a group whose share would pass numShards is capped
//    there and the rest is shared among the other groups the same way
//    (water-filling), heaviest group first.
// 2. Instance ideals. An instance's ideal load is its group's share times its
//    weight over the group's weight. Each instance gets its ideal rounded
//    down or up (largest remainder first, ties by id), never taking a group
//    past numShards: so every load is within one shard of its ideal.
// 3. Striping. Lay the replicas out as one sequence, group by group (groups
//    by name), instance by instance within a group (by id), and give
//    position p shard p mod numShards. A group's run is at most numShards
//    long, so it never holds a shard twice; each shard gets exactly RF
//    positions. Each instance ends up owning a contiguous (wrapping) range.
import { M3tsError } from "../x/index.js";
import { type Instance, MAX_NUM_SHARDS, type Placement, type Shard } from "./placement.js";

/** An instance as a placement init names it: everything but its shards. */
export type PlacementInstanceInput = Omit<Instance, "shards">;

/** The largest weight an instance may have (placementpb's uint32). */
export const MAX_INSTANCE_WEIGHT = 0xffffffff;

/** What initialPlacement was asked that no placement can satisfy; names the field and why. */
export class InvalidPlacementInputError extends M3tsError {
  readonly field: string;

  constructor(field: string, why: string) {
    super("M3TS_ERR_PLACEMENT_INPUT", `${field}: ${why}`);
    this.field = field;
  }
}

/** Fewer isolation groups than the replication factor: no shard could have RF owners in distinct groups. */
export class NotEnoughIsolationGroupsError extends M3tsError {
  readonly replicaFactor: number;
  /** Each group's instance ids, groups and ids sorted. */
  readonly groups: Record<string, string[]>;

  constructor(replicaFactor: number, groups: Record<string, string[]>) {
    const names = Object.keys(groups);
    const listed = names.map((g) => `${JSON.stringify(g)}: ${groups[g].join(", ")}`).join("; ");
    super(
      "M3TS_ERR_PLACEMENT_ISOLATION_GROUPS",
      `replication factor ${replicaFactor} needs instances in at least ${replicaFactor} isolation groups, ` +
        `but the hosts are in ${names.length} group${names.length === 1 ? "" : "s"} ` +
        `(${listed}); give each replica's hosts their own isolationGroup (a rack or zone) or lower the replication factor`,
    );
    this.replicaFactor = replicaFactor;
    this.groups = groups;
  }
}

/** Builds a new placement: RF owners per shard in distinct groups, loads by weight, every shard INITIALIZING. */
export function initialPlacement(o: {
  instances: readonly PlacementInstanceInput[];
  numShards: number;
  replicaFactor: number;
}): Placement {
  const { numShards, replicaFactor } = o;
  if (!Number.isInteger(numShards) || numShards < 1 || numShards > MAX_NUM_SHARDS) {
    throw new InvalidPlacementInputError(
      "numShards",
      `expected an integer in 1..${MAX_NUM_SHARDS}, got ${numShards}`,
    );
  }
  if (!Number.isInteger(replicaFactor) || replicaFactor < 1) {
    throw new InvalidPlacementInputError(
      "replicationFactor",
      `expected an integer of at least 1, got ${replicaFactor}`,
    );
  }
  if (o.instances.length === 0) {
    throw new InvalidPlacementInputError("instances", "expected at least one instance, got none");
  }
  const byId = new Map<string, PlacementInstanceInput>();
  for (const [i, instance] of o.instances.entries()) {
    if (typeof instance.id !== "string" || instance.id === "") {
      throw new InvalidPlacementInputError(`instances[${i}].id`, "expected a non-empty id");
    }
    if (byId.has(instance.id)) {
      throw new InvalidPlacementInputError(
        `instances[${i}].id`,
        `instance id ${JSON.stringify(instance.id)} is given more than once; each instance needs its own id`,
      );
    }
    const w = instance.weight;
    if (!Number.isInteger(w) || w < 1 || w > MAX_INSTANCE_WEIGHT) {
      throw new InvalidPlacementInputError(
        `instances[${i}].weight`,
        `expected an integer in 1..${MAX_INSTANCE_WEIGHT}, got ${w}`,
      );
    }
    byId.set(instance.id, instance);
  }

  const ids = [...byId.keys()].sort(compareText);
  const groupMembers = new Map<string, string[]>();
  for (const id of ids) {
    const g = byId.get(id)?.isolationGroup ?? "";
    const members = groupMembers.get(g);
    if (members === undefined) groupMembers.set(g, [id]);
    else members.push(id);
  }
  const groupNames = [...groupMembers.keys()].sort(compareText);
  if (groupNames.length < replicaFactor) {
    const groups: Record<string, string[]> = {};
    for (const g of groupNames) groups[g] = groupMembers.get(g) ?? [];
    throw new NotEnoughIsolationGroupsError(replicaFactor, groups);
  }

  const weightOf = (id: string) => BigInt(byId.get(id)?.weight ?? 0);
  const loads = instanceLoads(
    groupNames.map((g) => ({
      members: (groupMembers.get(g) ?? []).map((id) => ({ id, weight: weightOf(id) })),
    })),
    numShards,
    replicaFactor,
  );

  const shardsOf = new Map<string, Shard[]>();
  let position = 0;
  for (const g of groupNames) {
    for (const id of groupMembers.get(g) ?? []) {
      const load = loads.get(id) ?? 0;
      const shards: Shard[] = [];
      for (let k = 0; k < load; k++, position++) {
        shards.push({
          id: position % numShards,
          state: "INITIALIZING",
          sourceId: "",
          cutoverNanos: "0",
          cutoffNanos: "0",
        });
      }
      shards.sort((a, b) => a.id - b.id);
      shardsOf.set(id, shards);
    }
  }
  if (position !== numShards * replicaFactor) {
    // The loads sum to numShards × RF by construction: anything else is a bug here.
    throw new Error(`placement assigned ${position} replicas, not ${numShards * replicaFactor}`);
  }

  const instances: Record<string, Instance> = {};
  for (const id of ids) {
    const input = byId.get(id) as PlacementInstanceInput;
    instances[id] = {
      id,
      isolationGroup: input.isolationGroup,
      zone: input.zone,
      weight: input.weight,
      endpoint: input.endpoint,
      shards: shardsOf.get(id) ?? [],
      // Shard sets belong to mirrored placements; M3 leaves them 0 otherwise.
      shardSetId: 0,
      hostname: input.hostname,
      port: input.port,
    };
  }
  return {
    instances,
    replicaFactor,
    numShards,
    isSharded: true,
    cutoverTime: "0",
    isMirrored: false,
    maxShardSetId: 0,
  };
}

/** An instance's ideal load as an exact fraction num/den of shards. */
export interface IdealLoad {
  num: bigint;
  den: bigint;
}

/**
 * Each instance's ideal number of shard replicas (exact): the group shares by
 * water-filling (step 1 above), then split within each group by weight.
 * Exported so tests can state the guarantee against it.
 */
export function idealLoads(
  groups: readonly { members: readonly { id: string; weight: bigint }[] }[],
  numShards: number,
  replicaFactor: number,
): Map<string, IdealLoad> {
  const n = BigInt(numShards);
  const weights = groups.map((g) => g.members.reduce((s, m) => s + m.weight, 0n));
  const capped = new Array<boolean>(groups.length).fill(false);
  let restReplicas = n * BigInt(replicaFactor);
  let restWeight = weights.reduce((s, w) => s + w, 0n);
  // Heaviest first: if any group is over the cap, the heaviest uncapped one is.
  const order = groups.map((_, i) => i).sort((a, b) => cmpBig(weights[b], weights[a]) || a - b);
  for (const i of order) {
    if (restWeight === 0n || restReplicas * weights[i] <= n * restWeight) break;
    capped[i] = true;
    restReplicas -= n;
    restWeight -= weights[i];
  }
  const out = new Map<string, IdealLoad>();
  for (const [i, g] of groups.entries()) {
    for (const m of g.members) {
      // Capped: n × w / W_g. Uncapped: the group's share R' W_g / W' times w / W_g.
      out.set(
        m.id,
        capped[i]
          ? { num: n * m.weight, den: weights[i] }
          : { num: restReplicas * m.weight, den: restWeight },
      );
    }
  }
  return out;
}

/** Integer loads within one shard of the ideals, summing to numShards × RF, no group past numShards. */
function instanceLoads(
  groups: readonly { members: readonly { id: string; weight: bigint }[] }[],
  numShards: number,
  replicaFactor: number,
): Map<string, number> {
  const ideals = idealLoads(groups, numShards, replicaFactor);
  const loads = new Map<string, number>();
  const groupLoad = new Array<number>(groups.length).fill(0);
  const fractional: { id: string; group: number; rem: bigint; den: bigint }[] = [];
  let assigned = 0;
  for (const [gi, g] of groups.entries()) {
    for (const m of g.members) {
      const { num, den } = ideals.get(m.id) as IdealLoad;
      const floor = Number(num / den);
      loads.set(m.id, floor);
      groupLoad[gi] += floor;
      assigned += floor;
      const rem = num % den;
      if (rem !== 0n) fractional.push({ id: m.id, group: gi, rem, den });
    }
  }
  // Largest remainder first (compared exactly across denominators), then by id.
  fractional.sort((a, b) => cmpBig(b.rem * a.den, a.rem * b.den) || compareText(a.id, b.id));
  let missing = numShards * replicaFactor - assigned;
  for (const f of fractional) {
    if (missing === 0) break;
    if (groupLoad[f.group] >= numShards) continue;
    loads.set(f.id, (loads.get(f.id) ?? 0) + 1);
    groupLoad[f.group]++;
    missing--;
  }
  if (missing !== 0) throw new Error(`placement loads fall ${missing} replicas short`);
  return loads;
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code-unit order, the same on every machine (localeCompare is not). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
