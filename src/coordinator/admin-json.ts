// M3's admin JSON (M3-NOTES Part B §1.6, §1.7, §1.9, Part A §2.3, §2.4): the
// Duration→Nanos rewrite of request bodies, NamespaceOptions in jsonpb form
// (int64 nanoseconds as strings) to and from m3ts's millisecond options, and
// the database/create request with M3's defaults. Pure functions; a body that
// does not fit is an AdminRequestError naming the field.
import { AdminRequestError } from "../cluster/index.js";
import type {
  NamespaceIndexOptions,
  NamespaceOptions,
  NamespaceOptionsInput,
} from "../dbnode/namespace/index.js";
import { parseDurationMs } from "../x/index.js";

const NS_PER_MS = 1_000_000n;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

type Json = Record<string, unknown>;
type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

// ---- Duration → Nanos -------------------------------------------------------------

const DURATION = "Duration";

/**
 * M3's request rewrite (x/net/http/convert.go DurationToNanosMap), applied
 * at every depth: a key ending in `Duration` is renamed by replacing its
 * first `Duration` with `Nanos`; a string value is a Go duration turned into
 * nanoseconds (written as a decimal string, jsonpb's int64 form), a number
 * is taken as nanoseconds already, anything else is refused. A key given
 * both ways (`fooDuration` and `fooNanos`) is refused too, where M3 keeps
 * whichever its map iteration meets last.
 */
export function durationToNanos(json: unknown, path = ""): unknown {
  if (Array.isArray(json)) return json.map((v, i) => durationToNanos(v, `${path}[${i}]`));
  if (typeof json !== "object" || json === null) return json;
  const out: Json = {};
  for (const [key, value] of Object.entries(json)) {
    const where = path === "" ? key : `${path}.${key}`;
    if (!key.endsWith(DURATION)) {
      if (Object.hasOwn(out, key)) throw twice(where, value);
      define(out, key, durationToNanos(value, where));
      continue;
    }
    const nanosKey = key.replace(DURATION, "Nanos");
    if (Object.hasOwn(out, nanosKey) || Object.hasOwn(json, nanosKey)) throw twice(where, value);
    if (typeof value === "number") {
      define(out, nanosKey, value);
    } else if (typeof value === "string") {
      try {
        define(out, nanosKey, String(BigInt(parseDurationMs(value)) * NS_PER_MS));
      } catch (e) {
        throw new AdminRequestError(
          where,
          value,
          `a duration such as "48h" (${(e as Error).message})`,
        );
      }
    } else {
      throw new AdminRequestError(
        where,
        value,
        'a duration string such as "48h" or a number of nanoseconds',
      );
    }
  }
  return out;
}

/** Sets an own property, even one named `__proto__` (which JSON.parse creates as data). */
function define(o: Json, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function twice(where: string, value: unknown): AdminRequestError {
  return new AdminRequestError(
    where,
    value,
    "one spelling per field: give either ...Duration or ...Nanos, not both",
  );
}

// ---- jsonpb reading ---------------------------------------------------------------

/**
 * An object's fields under their lowerCamel names (jsonpb accepts the proto
 * snake_case names as well); a field not in `known` is refused, as jsonpb
 * refuses it, so a misspelt option is an error rather than a silent default.
 * null and absent give an empty object.
 */
function fields(json: unknown, at: string, known: readonly string[]): Json {
  if (json === undefined || json === null) return {};
  if (typeof json !== "object" || Array.isArray(json)) {
    throw new AdminRequestError(at, json, "a JSON object");
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(json)) {
    const camel = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const where = at === "body" ? key : `${at}.${key}`;
    if (!known.includes(camel)) {
      throw new AdminRequestError(where, value, `no such field; known fields: ${known.join(", ")}`);
    }
    if (Object.hasOwn(out, camel)) throw twice(where, value);
    out[camel] = value;
  }
  return out;
}

/** int64 nanoseconds (number or decimal string) as whole milliseconds; null and absent give undefined. */
function nanosToMs(value: unknown, at: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  let ns: bigint;
  if (typeof value === "string" && /^-?\d{1,20}$/.test(value)) ns = BigInt(value);
  else if (typeof value === "number" && Number.isSafeInteger(value)) ns = BigInt(value);
  else {
    throw new AdminRequestError(
      at,
      value,
      "an integer number of nanoseconds (a JSON number up to 2^53, or a decimal string)",
    );
  }
  if (ns > INT64_MAX || ns < INT64_MIN) {
    throw new AdminRequestError(at, value, "nanoseconds within int64 (about ±292 years)");
  }
  if (ns % NS_PER_MS !== 0n) {
    throw new AdminRequestError(
      at,
      value,
      "a whole number of milliseconds (a multiple of 1000000 ns)",
    );
  }
  return Number(ns / NS_PER_MS);
}

function bool(value: unknown, at: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw new AdminRequestError(at, value, "true or false");
  return value;
}

/** A positive int32 given as a number or a decimal string; 0 and absent (proto3's "not set") give undefined. */
function optionalCount(value: unknown, at: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "string" && /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new AdminRequestError(at, value, "a positive integer");
  }
  return n === 0 ? undefined : n;
}

// ---- NamespaceOptions -------------------------------------------------------------

const NAMESPACE_FIELDS = [
  "bootstrapEnabled",
  "flushEnabled",
  "writesToCommitLog",
  "cleanupEnabled",
  "repairEnabled",
  "retentionOptions",
  "snapshotEnabled",
  "indexOptions",
  "schemaOptions",
  "coldWritesEnabled",
  "runtimeOptions",
  "cacheBlocksOnRetrieve",
  "aggregationOptions",
  "stagingState",
  "extendedOptions",
];
const RETENTION_FIELDS = [
  "retentionPeriodNanos",
  "blockSizeNanos",
  "bufferFutureNanos",
  "bufferPastNanos",
  "blockDataExpiry",
  "blockDataExpiryAfterNotAccessPeriodNanos",
  "futureRetentionPeriodNanos",
];
const INDEX_FIELDS = ["enabled", "blockSizeNanos"];
const AGGREGATION_OPTIONS_FIELDS = ["aggregations"];
const AGGREGATION_FIELDS = ["aggregated", "attributes"];
const STAGING_FIELDS = ["status"];
const STAGING_STATUSES = ["UNKNOWN", "INITIALIZING", "READY", 0, 1, 2];

const FLAGS = [
  "bootstrapEnabled",
  "flushEnabled",
  "writesToCommitLog",
  "cleanupEnabled",
  "repairEnabled",
  "snapshotEnabled",
  "coldWritesEnabled",
  "cacheBlocksOnRetrieve",
] as const;

/**
 * M3's NamespaceOptions in jsonpb form (after durationToNanos) as m3ts
 * options. A field absent or null stays absent, so it takes m3ts's default
 * (where M3 would read proto3's zero: false, 0). Refused: unknown fields,
 * nanoseconds that are not whole milliseconds, an aggregated namespace,
 * schema and extended options. Accepted and not kept: runtimeOptions
 * (indexing concurrency, not tunable here) and stagingState (a namespace
 * here is ready once created).
 */
export function namespaceOptionsFromJson(json: unknown, path = "options"): NamespaceOptionsInput {
  const o = fields(json, path, NAMESPACE_FIELDS);
  const rp = `${path}.retentionOptions`;
  const r = fields(o.retentionOptions, rp, RETENTION_FIELDS);
  const ip = `${path}.indexOptions`;
  const ix = fields(o.indexOptions, ip, INDEX_FIELDS);
  const out: Mutable<NamespaceOptionsInput> = {};
  const put = <K extends keyof NamespaceOptionsInput>(
    k: K,
    v: NamespaceOptionsInput[K] | undefined,
  ) => {
    if (v !== undefined) out[k] = v;
  };
  put("retentionPeriodMs", nanosToMs(r.retentionPeriodNanos, `${rp}.retentionPeriodNanos`));
  put("blockSizeMs", nanosToMs(r.blockSizeNanos, `${rp}.blockSizeNanos`));
  put("bufferFutureMs", nanosToMs(r.bufferFutureNanos, `${rp}.bufferFutureNanos`));
  put("bufferPastMs", nanosToMs(r.bufferPastNanos, `${rp}.bufferPastNanos`));
  put("blockDataExpiry", bool(r.blockDataExpiry, `${rp}.blockDataExpiry`));
  put(
    "blockDataExpiryAfterNotAccessedPeriodMs",
    nanosToMs(
      r.blockDataExpiryAfterNotAccessPeriodNanos,
      `${rp}.blockDataExpiryAfterNotAccessPeriodNanos`,
    ),
  );
  put(
    "futureRetentionPeriodMs",
    nanosToMs(r.futureRetentionPeriodNanos, `${rp}.futureRetentionPeriodNanos`),
  );
  for (const flag of FLAGS) put(flag, bool(o[flag], `${path}.${flag}`));

  const index: Mutable<NamespaceIndexOptions> = {};
  const enabled = bool(ix.enabled, `${ip}.enabled`);
  if (enabled !== undefined) index.enabled = enabled;
  const indexBlockMs = nanosToMs(ix.blockSizeNanos, `${ip}.blockSizeNanos`);
  if (indexBlockMs !== undefined) index.blockSizeMs = indexBlockMs;
  if (Object.keys(index).length > 0) out.index = index;

  checkAggregations(o.aggregationOptions, `${path}.aggregationOptions`);
  checkStagingState(o.stagingState, `${path}.stagingState`);
  for (const unsupported of ["schemaOptions", "extendedOptions"] as const) {
    const v = o[unsupported];
    if (v !== undefined && v !== null && !(isObject(v) && Object.keys(v).length === 0)) {
      throw new AdminRequestError(
        `${path}.${unsupported}`,
        v,
        `nothing: ${unsupported} are not supported yet (namespaces here hold float samples)`,
      );
    }
  }
  if (o.runtimeOptions !== undefined && o.runtimeOptions !== null && !isObject(o.runtimeOptions)) {
    throw new AdminRequestError(`${path}.runtimeOptions`, o.runtimeOptions, "a JSON object");
  }
  return out;
}

function checkAggregations(json: unknown, at: string): void {
  const a = fields(json, at, AGGREGATION_OPTIONS_FIELDS);
  if (a.aggregations === undefined || a.aggregations === null) return;
  if (!Array.isArray(a.aggregations)) {
    throw new AdminRequestError(`${at}.aggregations`, a.aggregations, "an array");
  }
  a.aggregations.forEach((raw, i) => {
    const where = `${at}.aggregations[${i}]`;
    const agg = fields(raw, where, AGGREGATION_FIELDS);
    if (bool(agg.aggregated, `${where}.aggregated`) === true) {
      throw new AdminRequestError(
        `${where}.aggregated`,
        true,
        "false: aggregated namespaces are not supported yet",
      );
    }
  });
}

function checkStagingState(json: unknown, at: string): void {
  const s = fields(json, at, STAGING_FIELDS);
  if (
    s.status !== undefined &&
    s.status !== null &&
    !STAGING_STATUSES.includes(s.status as string)
  ) {
    throw new AdminRequestError(`${at}.status`, s.status, '"UNKNOWN", "INITIALIZING" or "READY"');
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const nanos = (ms: number): string => String(BigInt(ms) * NS_PER_MS);

/** m3ts options in the shape of M3's GET (namespace.OptionsToProto through jsonpb with defaults emitted). */
export function namespaceOptionsToJson(o: NamespaceOptions): Json {
  return {
    bootstrapEnabled: o.bootstrapEnabled,
    flushEnabled: o.flushEnabled,
    writesToCommitLog: o.writesToCommitLog,
    cleanupEnabled: o.cleanupEnabled,
    repairEnabled: o.repairEnabled,
    retentionOptions: {
      retentionPeriodNanos: nanos(o.retentionPeriodMs),
      blockSizeNanos: nanos(o.blockSizeMs),
      bufferFutureNanos: nanos(o.bufferFutureMs),
      bufferPastNanos: nanos(o.bufferPastMs),
      blockDataExpiry: o.blockDataExpiry,
      blockDataExpiryAfterNotAccessPeriodNanos: nanos(o.blockDataExpiryAfterNotAccessedPeriodMs),
      futureRetentionPeriodNanos: nanos(o.futureRetentionPeriodMs),
    },
    snapshotEnabled: o.snapshotEnabled,
    indexOptions: { enabled: o.index.enabled, blockSizeNanos: nanos(o.index.blockSizeMs) },
    schemaOptions: null,
    coldWritesEnabled: o.coldWritesEnabled,
    runtimeOptions: null,
    cacheBlocksOnRetrieve: o.cacheBlocksOnRetrieve,
    aggregationOptions: { aggregations: [{ aggregated: false, attributes: null }] },
    stagingState: { status: "READY" },
    extendedOptions: null,
  };
}

/** M3's GET /api/v1/services/m3db/namespace body: `{registry: {namespaces: {<name>: options}}}`, names sorted. */
export function registryToJson(list: readonly { name: string; options: NamespaceOptions }[]): {
  registry: { namespaces: Record<string, Json> };
} {
  const namespaces: Record<string, Json> = {};
  for (const { name, options } of [...list].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    if (Object.hasOwn(namespaces, name)) {
      throw new AdminRequestError("registry.namespaces", name, "each namespace name once");
    }
    namespaces[name] = namespaceOptionsToJson(options);
  }
  return { registry: { namespaces } };
}

/** POST /api/v1/services/m3db/namespace (admin.NamespaceAddRequest, after durationToNanos): `{name, options}`. */
export function namespaceAddFromJson(body: unknown): {
  name: string;
  options: NamespaceOptionsInput;
} {
  if (!isObject(body)) throw new AdminRequestError("body", body, "a JSON object");
  const b = fields(body, "body", ["name", "options"]);
  if (typeof b.name !== "string" || b.name === "") {
    throw new AdminRequestError("name", b.name, "a non-empty string (required)");
  }
  return { name: b.name, options: namespaceOptionsFromJson(b.options, "options") };
}

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
  if (!isObject(body)) throw new AdminRequestError("body", body, "a JSON object");
  const b = fields(body, "body", CREATE_FIELDS);
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
  const replicationFactor = optionalCount(b.replicationFactor, "replicationFactor");
  if (replicationFactor !== undefined && replicationFactor !== 1) {
    throw new AdminRequestError(
      "replicationFactor",
      b.replicationFactor,
      "1 (a local database has one replica)",
    );
  }
  const numShards = optionalCount(b.numShards, "numShards");

  const retentionMs =
    b.retentionTime === undefined || b.retentionTime === null || b.retentionTime === ""
      ? DEFAULT_CREATE_RETENTION_MS
      : positiveDuration(b.retentionTime, "retentionTime");
  const blockSizeMs = createBlockSizeMs(
    fields(b.blockSize, "blockSize", BLOCK_SIZE_FIELDS),
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
