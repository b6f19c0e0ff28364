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

/** A database/create request, resolved to what this node does. */
export interface DatabaseCreate {
  type: "local";
  namespaceName: string;
  options: NamespaceOptionsInput;
  /** Absent when the request gives none (M3's local default is 64). */
  numShards?: number;
}

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

/**
 * POST /api/v1/database/create (admin.DatabaseCreateRequest, after
 * durationToNanos) with M3's defaults: retention 24h; block size from
 * `blockSize.time`, else from `blockSize.expectedSeriesDatapointsPerHour`,
 * else from the retention table; index on with its block equal to the data
 * block; repair off. Only `type: "local"` (or none) is served here.
 */
export function databaseCreateFromJson(body: unknown): DatabaseCreate {
  if (!isJsonObject(body)) throw new AdminRequestError("body", body, "a JSON object");
  const b = jsonpbFields(body, "body", CREATE_FIELDS);
  const type = b.type ?? "";
  if (type === "cluster") {
    throw new AdminRequestError(
      "type",
      type,
      '"local": only local databases are supported on this node for now',
    );
  }
  if (type !== "" && type !== "local") {
    throw new AdminRequestError(
      "type",
      type,
      '"local" (or "cluster", not supported on this node yet)',
    );
  }
  if (
    b.hosts !== undefined &&
    b.hosts !== null &&
    !(Array.isArray(b.hosts) && b.hosts.length === 0)
  ) {
    throw new AdminRequestError(
      "hosts",
      b.hosts,
      "no hosts: they define a cluster placement, and only local databases are supported on this node for now",
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
  if (replicationFactor !== undefined && replicationFactor !== 1) {
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
  return {
    type: "local",
    namespaceName: b.namespaceName,
    options: {
      retentionPeriodMs: retentionMs,
      blockSizeMs,
      repairEnabled: false,
      // As m3ts start's default namespace: late samples within retention are
      // accepted rather than refused with a 400 that Prometheus drops.
      coldWritesEnabled: true,
      index: { enabled: true, blockSizeMs },
    },
    ...(numShards !== undefined && { numShards }),
  };
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
