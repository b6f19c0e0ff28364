// M3's placement model (placementpb, M3-NOTES Part A §9.1) as plain data, the
// single node's local placement, and the JSON shapes of M3's placement API
// (jsonpb: lowerCamel names, int64 as strings, enums by name).
import { M3tsError } from "../x/index.js";
import type { KV } from "./kv.js";

/** KV keys, as M3 names them (env default_env; the namespace key has no prefix in M3's KV API). */
export const PLACEMENT_KEY = "_sd.placement/default_env/m3db";
export const NAMESPACES_KEY = "m3db.node.namespaces";

export type ShardState = "INITIALIZING" | "AVAILABLE" | "LEAVING";

export interface Shard {
  id: number;
  state: ShardState;
  sourceId: string;
  cutoverNanos: string;
  cutoffNanos: string;
}

export interface Instance {
  id: string;
  isolationGroup: string;
  zone: string;
  weight: number;
  endpoint: string;
  shards: Shard[];
  shardSetId: number;
  hostname: string;
  port: number;
}

export interface Placement {
  instances: Record<string, Instance>;
  replicaFactor: number;
  numShards: number;
  isSharded: boolean;
  cutoverTime: string;
  isMirrored: boolean;
  maxShardSetId: number;
}

/** An admin request body that does not fit its schema; names the field, the value and what is expected. */
export class AdminRequestError extends M3tsError {
  readonly field: string;

  constructor(field: string, value: unknown, expected: string) {
    super("M3TS_ERR_ADMIN_REQUEST", `${field}: expected ${expected}, got ${show(value)}`);
    this.field = field;
  }
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}

/**
 * M3's local placement: one instance `m3db_local` in isolation group `local`
 * and zone `embedded`, weight 1, owning every shard. The shards are
 * AVAILABLE at once, since a lone node has no peer to stream them from.
 */
export function localPlacement(o: {
  numShards: number;
  endpoint: string;
  hostname: string;
  port: number;
  id?: string;
  isolationGroup?: string;
  zone?: string;
  weight?: number;
}): Placement {
  const id = o.id ?? "m3db_local";
  const shards: Shard[] = Array.from({ length: o.numShards }, (_, i) => ({
    id: i,
    state: "AVAILABLE",
    sourceId: "",
    cutoverNanos: "0",
    cutoffNanos: "0",
  }));
  return {
    instances: {
      [id]: {
        id,
        isolationGroup: o.isolationGroup ?? "local",
        zone: o.zone ?? "embedded",
        weight: o.weight ?? 1,
        endpoint: o.endpoint,
        shards,
        shardSetId: 0,
        hostname: o.hostname,
        port: o.port,
      },
    },
    replicaFactor: 1,
    numShards: o.numShards,
    isSharded: true,
    cutoverTime: "0",
    isMirrored: false,
    maxShardSetId: 0,
  };
}

/** True for M3's notion of a local placement: one instance m3db_local, group local, zone embedded. */
export function isLocalPlacement(p: Placement): boolean {
  const all = Object.values(p.instances);
  return (
    all.length === 1 &&
    all[0].id === "m3db_local" &&
    all[0].isolationGroup === "local" &&
    all[0].zone === "embedded"
  );
}

/** M3's GET placement response. */
export function placementToJson(
  p: Placement,
  version: number,
): { placement: Placement; version: number } {
  return { placement: p, version };
}

export interface PlacementInit {
  instances: Partial<Omit<Instance, "shards">>[];
  numShards: number;
  replicationFactor: number;
}

/** M3's placement init body: `{instances: [...], numShards, replicationFactor}` (snake_case also accepted). */
export function placementInitFromJson(body: unknown): PlacementInit {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AdminRequestError("body", body, "a JSON object");
  }
  const b = body as Record<string, unknown>;
  const numShards = b.numShards ?? b.num_shards;
  const rf = b.replicationFactor ?? b.replication_factor;
  if (!(Number.isInteger(numShards) && (numShards as number) > 0)) {
    throw new AdminRequestError("numShards", numShards, "a positive integer");
  }
  if (!(Number.isInteger(rf) && (rf as number) > 0)) {
    throw new AdminRequestError("replicationFactor", rf, "a positive integer");
  }
  if (!Array.isArray(b.instances) || b.instances.length === 0) {
    throw new AdminRequestError("instances", b.instances, "a non-empty array of instances");
  }
  const instances = b.instances.map((raw, i) => {
    if (typeof raw !== "object" || raw === null)
      throw new AdminRequestError(`instances[${i}]`, raw, "an object");
    const r = raw as Record<string, unknown>;
    const str = (name: string, alt: string) => {
      const v = r[name] ?? r[alt];
      if (v === undefined) return undefined;
      if (typeof v !== "string")
        throw new AdminRequestError(`instances[${i}].${name}`, v, "a string");
      return v;
    };
    const id = str("id", "id");
    if (id === undefined || id === "")
      throw new AdminRequestError(`instances[${i}].id`, r.id, "a non-empty string");
    const weight = r.weight;
    if (weight !== undefined && !(Number.isInteger(weight) && (weight as number) > 0)) {
      throw new AdminRequestError(`instances[${i}].weight`, weight, "a positive integer");
    }
    const port = r.port;
    if (
      port !== undefined &&
      !(Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536)
    ) {
      throw new AdminRequestError(`instances[${i}].port`, port, "a port number 1..65535");
    }
    return {
      id,
      isolationGroup: str("isolationGroup", "isolation_group"),
      zone: str("zone", "zone"),
      endpoint: str("endpoint", "endpoint"),
      hostname: str("hostname", "hostname"),
      weight: weight as number | undefined,
      port: port as number | undefined,
    };
  });
  return { instances, numShards: numShards as number, replicationFactor: rf as number };
}

/** The placement in the KV, creating the local placement when there is none (a lone node's first start). */
export async function ensureLocalPlacement(
  kv: KV,
  o: { numShards: number; endpoint: string; hostname: string; port: number },
): Promise<{ placement: Placement; version: number }> {
  const got = await kv.get(PLACEMENT_KEY);
  if (got !== null) return { placement: got.value as Placement, version: got.version };
  const placement = localPlacement(o);
  try {
    return { placement, version: await kv.setIfNotExists(PLACEMENT_KEY, placement) };
  } catch (e) {
    if ((e as { code?: string }).code !== "M3TS_ERR_KV_KEY_EXISTS") throw e;
    const again = await kv.get(PLACEMENT_KEY);
    if (again === null) throw e;
    return { placement: again.value as Placement, version: again.version };
  }
}
