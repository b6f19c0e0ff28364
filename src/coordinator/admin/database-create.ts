// M3's database/create request (M3's src/query/api/v1/handler/database/
// create.go, its body first put through the Duration→Nanos rewrite of
// src/x/net/http/convert.go) with M3's defaults, resolved to what this node
// does. Pure functions; a body that does not fit is an AdminRequestError naming
// the field.
import {
  AdminRequestError,
  isJsonObject,
  type Json,
  jsonpbCount,
  jsonpbFields,
  MAX_INSTANCE_WEIGHT,
  MAX_PLACEMENT_INSTANCES,
  type PlacementInstanceInput,
} from "../../cluster/index.js";
import type { NamespaceOptionsInput } from "../../dbnode/namespace/index.js";
import { parseDurationMs } from "../../x/index.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

// ---- database/create --------------------------------------------------------------

/** Retention when database/create gives none (create.go defaultLocalRetentionPeriod). */
export const DEFAULT_CREATE_RETENTION_MS = DAY_MS;

/** M3's recommended block size for a retention (create.go recommendedBlockSizesByRetentionAsc). */
export function recommendedBlockSizeMs(retentionMs: number): number {
  if (retentionMs <= 12 * HOUR_MS) return 30 * MINUTE_MS;
  if (retentionMs <= DAY_MS) return HOUR_MS;
  if (retentionMs <= 7 * DAY_MS) return 2 * HOUR_MS;
  if (retentionMs <= 30 * DAY_MS) return 12 * HOUR_MS;
  return DAY_MS;
}

/**
 * M3's block size for an expected datapoints-per-hour rate per series: 720
 * datapoints a block, cut down to a whole 5 minutes, within [30m, 24h].
 * (create.go means to snap up unless the floor sits on a round boundary,
 * but its test reads `floor % 30 * time.Minute`, true for every multiple of
 * 5 minutes, so it always takes the floor; m3ts does the same.)
 */
export function blockSizeForDatapointsPerHourMs(datapointsPerHour: number): number {
  const raw = Math.floor((720 * HOUR_MS) / datapointsPerHour);
  const floor = raw - (raw % (5 * MINUTE_MS));
  return Math.min(DAY_MS, Math.max(30 * MINUTE_MS, floor));
}

/** Whom the admin API serves: one node alone (`m3ts start`, embedded KV) or a cluster (`m3ts coordinator`, etcd). */
export type AdminMode = "single-node" | "cluster";

/** A database/create request, resolved to what this node does. */
export type DatabaseCreate = DatabaseCreateLocal | DatabaseCreateCluster;

/** `type: "local"` on a single node: the namespace and the local placement. */
export interface DatabaseCreateLocal {
  type: "local";
  namespaceName: string;
  options: NamespaceOptionsInput;
  /** Absent when the request gives none (M3's local default is 64). */
  numShards?: number;
}

/** `type: "cluster"`: the namespace and, when hosts are given, the placement they make. */
export interface DatabaseCreateCluster {
  type: "cluster";
  namespaceName: string;
  options: NamespaceOptionsInput;
  /** The placement's instances from `hosts`, M3's defaults filled in; empty when no hosts are given. */
  instances: PlacementInstanceInput[];
  /** As given, else (with hosts) the smallest power of two ≥ 64 × hosts; absent without either. */
  numShards?: number;
  /** As given, else M3's default 3. */
  replicationFactor: number;
}

/** M3's replication factor for a cluster database/create (create.go). */
export const DEFAULT_CLUSTER_REPLICATION_FACTOR = 3;
/** Shards per host when database/create picks the shard count (create.go shardMultiplier). */
export const SHARDS_PER_HOST = 64;
/** A host's isolation group and zone when the request names none (M3's create.go group; the service zone). */
export const DEFAULT_HOST_ISOLATION_GROUP = "local";
export const DEFAULT_HOST_ZONE = "embedded";

const CREATE_FIELDS = [
  "namespaceName",
  "type",
  "numShards",
  "replicationFactor",
  "retentionTime",
  "blockSize",
  "hosts",
  "aggregatedNamespace",
];
const BLOCK_SIZE_FIELDS = ["time", "expectedSeriesDatapointsPerHour"];
const HOST_FIELDS = ["id", "address", "port", "isolationGroup", "zone", "weight"];

/**
 * POST /api/v1/database/create (admin.DatabaseCreateRequest, after
 * durationToNanos) with M3's defaults: retention 24h; block size from
 * `blockSize.time`, else from `blockSize.expectedSeriesDatapointsPerHour`,
 * else from the retention table; index on with its block equal to the data
 * block; repair off. A single node serves `type: "local"` (the default when
 * no type is given) and refuses clusters; a cluster's coordinator serves
 * `type: "cluster"` only, since M3's coordinator without an embedded dbnode
 * has no local database to create either.
 */
export function databaseCreateFromJson(
  body: unknown,
  mode: AdminMode = "single-node",
): DatabaseCreate {
  if (!isJsonObject(body)) throw new AdminRequestError("body", body, "a JSON object");
  const b = jsonpbFields(body, "body", CREATE_FIELDS);
  const type = b.type ?? "";
  if (mode === "single-node") {
    if (type === "cluster") {
      throw new AdminRequestError(
        "type",
        type,
        '"local": this node runs alone (m3ts start); a cluster database is created through the cluster\'s coordinator (m3ts coordinator)',
      );
    }
    if (type !== "" && type !== "local") {
      throw new AdminRequestError("type", type, '"local" (this node runs alone)');
    }
    if (
      b.hosts !== undefined &&
      b.hosts !== null &&
      !(Array.isArray(b.hosts) && b.hosts.length === 0)
    ) {
      throw new AdminRequestError(
        "hosts",
        b.hosts,
        "no hosts: they define a cluster placement, and this node runs alone (m3ts start)",
      );
    }
  } else if (type !== "cluster") {
    throw new AdminRequestError(
      "type",
      b.type,
      type === "local"
        ? '"cluster": this coordinator serves a cluster and has no local database (a local database is m3ts start\'s)'
        : '"cluster" (required)',
    );
  }
  if (b.aggregatedNamespace !== undefined && b.aggregatedNamespace !== null) {
    throw new AdminRequestError(
      "aggregatedNamespace",
      b.aggregatedNamespace,
      "nothing: aggregated namespaces are not supported yet; create the unaggregated namespace alone",
    );
  }
  if (typeof b.namespaceName !== "string" || b.namespaceName === "") {
    throw new AdminRequestError("namespaceName", b.namespaceName, "a non-empty string (required)");
  }
  const replicationFactor = jsonpbCount(b.replicationFactor, "replicationFactor");
  if (mode === "single-node" && replicationFactor !== undefined && replicationFactor !== 1) {
    throw new AdminRequestError(
      "replicationFactor",
      b.replicationFactor,
      "1 (a local database has one replica)",
    );
  }
  const numShards = jsonpbCount(b.numShards, "numShards");

  const retentionMs =
    b.retentionTime === undefined || b.retentionTime === null || b.retentionTime === ""
      ? DEFAULT_CREATE_RETENTION_MS
      : positiveDuration(b.retentionTime, "retentionTime");
  const blockSizeMs = createBlockSizeMs(
    jsonpbFields(b.blockSize, "blockSize", BLOCK_SIZE_FIELDS),
    retentionMs,
  );
  const options: NamespaceOptionsInput = {
    retentionPeriodMs: retentionMs,
    blockSizeMs,
    repairEnabled: false,
    // As m3ts start's default namespace: late samples within retention are
    // accepted rather than refused with a 400 that Prometheus drops.
    coldWritesEnabled: true,
    index: { enabled: true, blockSizeMs },
  };
  if (mode === "single-node") {
    return {
      type: "local",
      namespaceName: b.namespaceName,
      options,
      ...(numShards !== undefined && { numShards }),
    };
  }
  const instances = hostsFromJson(b.hosts);
  const shards =
    numShards ??
    (instances.length > 0 ? powerOfTwoAtLeast(SHARDS_PER_HOST * instances.length) : undefined);
  return {
    type: "cluster",
    namespaceName: b.namespaceName,
    options,
    instances,
    ...(shards !== undefined && { numShards: shards }),
    replicationFactor: replicationFactor ?? DEFAULT_CLUSTER_REPLICATION_FACTOR,
  };
}

/**
 * database/create's `hosts` (admin.Host: id, address, port, isolationGroup,
 * zone, weight) as placement instances, with M3's defaults: isolation group
 * `local`, weight 1, endpoint `address:port`, hostname the address. The id,
 * address and port are required, since the cluster client reaches each node
 * at its endpoint.
 */
function hostsFromJson(hosts: unknown): PlacementInstanceInput[] {
  if (hosts === undefined || hosts === null) return [];
  if (!Array.isArray(hosts)) throw new AdminRequestError("hosts", hosts, "an array of hosts");
  if (hosts.length > MAX_PLACEMENT_INSTANCES) {
    throw new AdminRequestError(
      "hosts",
      `${hosts.length} hosts`,
      `at most ${MAX_PLACEMENT_INSTANCES} hosts`,
    );
  }
  const seen = new Set<string>();
  return hosts.map((raw, i) => {
    const at = `hosts[${i}]`;
    if (!isJsonObject(raw)) throw new AdminRequestError(at, raw, "a JSON object");
    const h = jsonpbFields(raw, at, HOST_FIELDS);
    const id = text(h.id, `${at}.id`).trim();
    if (id === "") throw new AdminRequestError(`${at}.id`, h.id, "a non-empty host id (required)");
    if (seen.has(id)) throw new AdminRequestError(`${at}.id`, h.id, "an id no other host has");
    seen.add(id);
    const address = text(h.address, `${at}.address`).trim();
    if (address === "") {
      throw new AdminRequestError(`${at}.address`, h.address, "the host's address (required)");
    }
    const port = jsonpbCount(h.port, `${at}.port`);
    if (port === undefined || port > 65535) {
      throw new AdminRequestError(`${at}.port`, h.port, "the node's port, 1..65535 (required)");
    }
    const weight = jsonpbCount(h.weight, `${at}.weight`) ?? 1;
    if (weight > MAX_INSTANCE_WEIGHT) {
      throw new AdminRequestError(`${at}.weight`, h.weight, `at most ${MAX_INSTANCE_WEIGHT}`);
    }
    return {
      id,
      isolationGroup:
        text(h.isolationGroup, `${at}.isolationGroup`).trim() || DEFAULT_HOST_ISOLATION_GROUP,
      zone: text(h.zone, `${at}.zone`).trim() || DEFAULT_HOST_ZONE,
      weight,
      endpoint: `${address}:${port}`,
      shardSetId: 0,
      hostname: address,
      port,
    };
  });
}

function text(v: unknown, at: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new AdminRequestError(at, v, "a string");
  return v;
}

/** The smallest power of two ≥ n (n ≥ 1). */
export function powerOfTwoAtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function createBlockSizeMs(blockSize: Json, retentionMs: number): number {
  if (blockSize.time !== undefined && blockSize.time !== null && blockSize.time !== "") {
    return positiveDuration(blockSize.time, "blockSize.time");
  }
  const at = "blockSize.expectedSeriesDatapointsPerHour";
  const raw = blockSize.expectedSeriesDatapointsPerHour;
  // int64 in the proto: a number or a decimal string; 0 is proto3's "not set".
  if (raw !== undefined && raw !== null) {
    const perHour = typeof raw === "string" && /^\d{1,19}$/.test(raw) ? Number(raw) : raw;
    if (typeof perHour !== "number" || !Number.isSafeInteger(perHour) || perHour < 0) {
      throw new AdminRequestError(at, raw, "a positive integer number of datapoints per hour");
    }
    if (perHour > 0) return blockSizeForDatapointsPerHourMs(perHour);
  }
  return recommendedBlockSizeMs(retentionMs);
}

function positiveDuration(v: unknown, at: string): number {
  if (typeof v !== "string") throw new AdminRequestError(at, v, 'a duration string such as "48h"');
  let ms: number;
  try {
    ms = parseDurationMs(v);
  } catch (e) {
    throw new AdminRequestError(at, v, `a duration such as "48h" (${(e as Error).message})`);
  }
  if (ms <= 0) throw new AdminRequestError(at, v, 'a positive duration such as "48h"');
  return ms;
}
