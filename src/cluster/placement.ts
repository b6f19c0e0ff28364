// M3's placement model (M3's src/cluster/generated/proto/placementpb/
// placement.proto) as plain data, the single node's local placement, and the
// JSON shapes of M3's placement API (jsonpb: lowerCamel names, int64 as
// strings, enums by name).
import { M3tsError } from "../x/index.js";
import { type KV, KVKeyExistsError } from "./kv.js";

/**
 * KV keys, as M3 names them. M3 stores the m3db placement under
 * `_sd.placement/<env>/<service>` (env `default_env`, service `m3db`) and the
 * namespace registry under `m3db.node.namespaces`, which its etcd client
 * prefixes with `_kv/<env>/` (M3's src/cluster/services/util.go and
 * src/cluster/client/etcd/client.go); the embedded KV has a single
 * environment, so the keys carry no such prefix.
 */
export const PLACEMENT_KEY = "_sd.placement/default_env/m3db";
export const NAMESPACES_KEY = "m3db.node.namespaces";

/** A shard's goal state on an instance (placementpb.ShardState, by name). */
export type ShardState = "INITIALIZING" | "AVAILABLE" | "LEAVING";

// The model keeps placementpb's lowerCamel field names; its int64 fields
// (nanosecond times) are decimal strings, as in jsonpb, so a placement is
// plain JSON in the KV without losing precision beyond 2^53.

/** One shard on one instance (placementpb.Shard). */
export interface Shard {
  id: number;
  state: ShardState;
  /** The instance the shard is taken from while INITIALIZING; "" otherwise. */
  sourceId: string;
  cutoverNanos: string;
  cutoffNanos: string;
}

/** A node of the placement (placementpb.Instance). */
export interface Instance {
  id: string;
  isolationGroup: string;
  zone: string;
  weight: number;
  /** The node's "host:port" for the database protocol. */
  endpoint: string;
  shards: Shard[];
  shardSetId: number;
  hostname: string;
  port: number;
}

/** Which instances own which shards (placementpb.Placement). */
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

/** The value as JSON, cut at 100 characters; what JSON cannot show (NaN, bigint) as text. */
function show(v: unknown): string {
  if (v === undefined) return "nothing";
  let s: string | undefined;
  try {
    s = typeof v === "number" && !Number.isFinite(v) ? String(v) : JSON.stringify(v);
  } catch {
    s = undefined;
  }
  s ??= String(v);
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}

/** M3's instance id, isolation group and zone of a local placement (database/create.go). */
export const LOCAL_INSTANCE_ID = "m3db_local";
export const LOCAL_ISOLATION_GROUP = "local";
export const LOCAL_ZONE = "embedded";

/**
 * M3's local placement: one instance `m3db_local` in isolation group `local`
 * and zone `embedded`, weight 1, replica factor 1, owning every shard.
 * M3's placement init writes new shards INITIALIZING and the dbnode marks
 * them AVAILABLE once it has bootstrapped them (storage/cluster/database.go);
 * a lone node has no peer to stream from and nothing here flips the state,
 * so the shards are written AVAILABLE at once.
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
  if (!Number.isInteger(o.numShards) || o.numShards < 1 || o.numShards > MAX_NUM_SHARDS) {
    throw new AdminRequestError("numShards", o.numShards, `an integer in 1..${MAX_NUM_SHARDS}`);
  }
  const id = o.id ?? LOCAL_INSTANCE_ID;
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
        isolationGroup: o.isolationGroup ?? LOCAL_ISOLATION_GROUP,
        zone: o.zone ?? LOCAL_ZONE,
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

/** M3's test for a local placement: exactly one instance, `m3db_local`, in group `local` and zone `embedded`. */
export function isLocalPlacement(p: Placement): boolean {
  const all = Object.values(p.instances);
  return (
    all.length === 1 &&
    all[0].id === LOCAL_INSTANCE_ID &&
    all[0].isolationGroup === LOCAL_ISOLATION_GROUP &&
    all[0].zone === LOCAL_ZONE
  );
}

/**
 * M3's GET placement response `{placement, version}` as its jsonpb marshaller
 * writes it (EmitDefaults): every field present, lowerCamel names, int64 as
 * strings, uint32 as numbers, enums by name, instances in key order, and the
 * fields m3ts does not model with their proto defaults.
 */
export function placementToJson(
  p: Placement,
  version: number,
): { placement: Record<string, unknown>; version: number } {
  const instances: Record<string, unknown> = {};
  for (const key of Object.keys(p.instances).sort()) {
    const i = p.instances[key];
    instances[key] = {
      id: i.id,
      isolationGroup: i.isolationGroup,
      zone: i.zone,
      weight: i.weight,
      endpoint: i.endpoint,
      shards: i.shards.map((s) => ({
        id: s.id,
        state: s.state,
        sourceId: s.sourceId,
        cutoverNanos: String(s.cutoverNanos),
        cutoffNanos: String(s.cutoffNanos),
        redirectToShardId: null,
      })),
      shardSetId: i.shardSetId,
      hostname: i.hostname,
      port: i.port,
      metadata: { debugPort: 0 },
      subclusterId: 0,
    };
  }
  return {
    placement: {
      instances,
      replicaFactor: p.replicaFactor,
      numShards: p.numShards,
      isSharded: p.isSharded,
      cutoverTime: String(p.cutoverTime),
      isMirrored: p.isMirrored,
      maxShardSetId: p.maxShardSetId,
      isSubclustered: false,
      instancesPerSubcluster: 0,
    },
    version,
  };
}

/**
 * Most shards a placement may have. M3 deployments use 64 (local) to a few
 * thousand; every shard is listed per owner, so the bound keeps a placement
 * (and a request asking for one) to a few megabytes.
 */
export const MAX_NUM_SHARDS = 1 << 16;
/** Most instances a placement init may name. */
export const MAX_PLACEMENT_INSTANCES = 1024;

/** M3's placement init request; instance fields not given are left to the caller's defaults. */
export interface PlacementInit {
  instances: Partial<Omit<Instance, "shards">>[];
  numShards: number;
  replicationFactor: number;
}

// Fields by jsonpb name; jsonpb also accepts the proto (snake_case) names.
const INIT_FIELDS = ["instances", "numShards", "replicationFactor", "optionOverride"];
const INSTANCE_FIELDS = [
  "id",
  "isolationGroup",
  "zone",
  "weight",
  "endpoint",
  "shards",
  "shardSetId",
  "hostname",
  "port",
  "metadata",
  "subclusterId",
];

/**
 * Parses M3's placement init body `{instances, numShards, replicationFactor,
 * optionOverride}` (admin.PlacementInitRequest in jsonpb: lowerCamel or proto
 * names, integers as numbers or strings). Unknown fields are refused, as
 * jsonpb refuses them; `shards`, `metadata` and `optionOverride` are accepted
 * and ignored, since an init assigns the shards itself.
 */
export function placementInitFromJson(body: unknown): PlacementInit {
  const b = fields(body, "body", INIT_FIELDS);
  const numShards = required(uint(b.numShards, "numShards", 1, MAX_NUM_SHARDS), "numShards");
  const replicationFactor = required(
    uint(b.replicationFactor, "replicationFactor", 1, 0x7fffffff),
    "replicationFactor",
  );
  if (!Array.isArray(b.instances) || b.instances.length === 0) {
    throw new AdminRequestError("instances", b.instances, "a non-empty array of instances");
  }
  if (b.instances.length > MAX_PLACEMENT_INSTANCES) {
    throw new AdminRequestError(
      "instances",
      `${b.instances.length} instances`,
      `at most ${MAX_PLACEMENT_INSTANCES} instances`,
    );
  }
  const seen = new Set<string>();
  const instances = b.instances.map((raw, i) => {
    const at = `instances[${i}]`;
    const r = fields(raw, at, INSTANCE_FIELDS);
    const id = str(r.id, `${at}.id`);
    if (id === undefined || id.trim() === "") {
      throw new AdminRequestError(`${at}.id`, r.id, "a non-empty string");
    }
    if (seen.has(id)) throw new AdminRequestError(`${at}.id`, id, "an id no other instance has");
    seen.add(id);
    const instance: Partial<Omit<Instance, "shards">> = { id };
    const isolationGroup = str(r.isolationGroup, `${at}.isolationGroup`);
    if (isolationGroup !== undefined) instance.isolationGroup = isolationGroup;
    const zone = str(r.zone, `${at}.zone`);
    if (zone !== undefined) instance.zone = zone;
    const endpoint = str(r.endpoint, `${at}.endpoint`);
    if (endpoint !== undefined) instance.endpoint = endpoint;
    const hostname = str(r.hostname, `${at}.hostname`);
    if (hostname !== undefined) instance.hostname = hostname;
    // proto3 zero means "not given" for these, as M3's handlers read them.
    const weight = uint(r.weight, `${at}.weight`, 0, 0xffffffff);
    if (weight !== undefined && weight !== 0) instance.weight = weight;
    const port = uint(r.port, `${at}.port`, 0, 65535);
    if (port !== undefined && port !== 0) instance.port = port;
    const shardSetId = uint(r.shardSetId, `${at}.shardSetId`, 0, 0xffffffff);
    if (shardSetId !== undefined) instance.shardSetId = shardSetId;
    return instance;
  });
  return { instances, numShards, replicationFactor };
}

function required(v: number | undefined, at: string): number {
  if (v === undefined) throw new AdminRequestError(at, v, "a positive integer (required)");
  return v;
}

/**
 * The object `json` with its fields under their lowerCamel names, refusing
 * fields not in `known` and a field given under both of its names.
 */
function fields(json: unknown, at: string, known: readonly string[]): Record<string, unknown> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new AdminRequestError(at, json, "a JSON object");
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const where = at === "body" ? key : `${at}.${key}`;
    if (!known.includes(camel)) {
      throw new AdminRequestError(where, value, `no such field; known fields: ${known.join(", ")}`);
    }
    if (Object.hasOwn(out, camel)) {
      throw new AdminRequestError(where, value, `one value: ${camel} is given twice`);
    }
    out[camel] = value;
  }
  return out;
}

function str(v: unknown, at: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new AdminRequestError(at, v, "a string");
  return v;
}

/** An integer in min..max, given as a JSON number or a decimal string (both are jsonpb). */
function uint(v: unknown, at: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "string" && /^\d{1,10}$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new AdminRequestError(at, v, `an integer in ${min}..${max}`);
  }
  return n;
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
    // Another writer created it first: theirs stands.
    if (!(e instanceof KVKeyExistsError)) throw e;
    const again = await kv.get(PLACEMENT_KEY);
    if (again === null) throw e;
    return { placement: again.value as Placement, version: again.version };
  }
}
