// M3's NamespaceOptions in jsonpb form (M3's
// src/dbnode/generated/proto/namespace/namespace.proto, as the handlers of
// src/query/api/v1/handler/namespace/ read and write it): int64 nanoseconds as
// strings, to and from m3ts's millisecond options; the registry body
// `{namespaces: {<name>: options}}` and the namespace add request. Pure
// functions; a body that does not fit is an AdminRequestError naming the field.
import {
  FILE_FORMATS,
  type FileFormat,
  type NamespaceIndexOptions,
  type NamespaceOptions,
  type NamespaceOptionsInput,
} from "../dbnode/namespace/index.js";
import {
  isJsonObject,
  type Json,
  jsonpbBool,
  jsonpbFields,
  jsonpbMs,
  NS_PER_MS,
} from "./jsonpb.js";
import { AdminRequestError } from "./placement.js";

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

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
  // m3ts's own: the fileset format flushes write (M3 has only its own).
  "fileFormat",
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
  const o = jsonpbFields(json, path, NAMESPACE_FIELDS);
  const rp = `${path}.retentionOptions`;
  const r = jsonpbFields(o.retentionOptions, rp, RETENTION_FIELDS);
  const ip = `${path}.indexOptions`;
  const ix = jsonpbFields(o.indexOptions, ip, INDEX_FIELDS);
  const out: Mutable<NamespaceOptionsInput> = {};
  const put = <K extends keyof NamespaceOptionsInput>(
    k: K,
    v: NamespaceOptionsInput[K] | undefined,
  ) => {
    if (v !== undefined) out[k] = v;
  };
  put("retentionPeriodMs", jsonpbMs(r.retentionPeriodNanos, `${rp}.retentionPeriodNanos`));
  put("blockSizeMs", jsonpbMs(r.blockSizeNanos, `${rp}.blockSizeNanos`));
  put("bufferFutureMs", jsonpbMs(r.bufferFutureNanos, `${rp}.bufferFutureNanos`));
  put("bufferPastMs", jsonpbMs(r.bufferPastNanos, `${rp}.bufferPastNanos`));
  put("blockDataExpiry", jsonpbBool(r.blockDataExpiry, `${rp}.blockDataExpiry`));
  put(
    "blockDataExpiryAfterNotAccessedPeriodMs",
    jsonpbMs(
      r.blockDataExpiryAfterNotAccessPeriodNanos,
      `${rp}.blockDataExpiryAfterNotAccessPeriodNanos`,
    ),
  );
  put(
    "futureRetentionPeriodMs",
    jsonpbMs(r.futureRetentionPeriodNanos, `${rp}.futureRetentionPeriodNanos`),
  );
  for (const flag of FLAGS) put(flag, jsonpbBool(o[flag], `${path}.${flag}`));
  if (o.fileFormat !== undefined && o.fileFormat !== null) {
    if (!(FILE_FORMATS as readonly unknown[]).includes(o.fileFormat)) {
      throw new AdminRequestError(
        `${path}.fileFormat`,
        o.fileFormat,
        FILE_FORMATS.map((f) => JSON.stringify(f)).join(" or "),
      );
    }
    out.fileFormat = o.fileFormat as FileFormat;
  }

  const index: Mutable<NamespaceIndexOptions> = {};
  const enabled = jsonpbBool(ix.enabled, `${ip}.enabled`);
  if (enabled !== undefined) index.enabled = enabled;
  const indexBlockMs = jsonpbMs(ix.blockSizeNanos, `${ip}.blockSizeNanos`);
  if (indexBlockMs !== undefined) index.blockSizeMs = indexBlockMs;
  if (Object.keys(index).length > 0) out.index = index;

  checkAggregations(o.aggregationOptions, `${path}.aggregationOptions`);
  checkStagingState(o.stagingState, `${path}.stagingState`);
  for (const unsupported of ["schemaOptions", "extendedOptions"] as const) {
    const v = o[unsupported];
    if (v !== undefined && v !== null && !(isJsonObject(v) && Object.keys(v).length === 0)) {
      throw new AdminRequestError(
        `${path}.${unsupported}`,
        v,
        `nothing: ${unsupported} are not supported yet (namespaces here hold float samples)`,
      );
    }
  }
  if (
    o.runtimeOptions !== undefined &&
    o.runtimeOptions !== null &&
    !isJsonObject(o.runtimeOptions)
  ) {
    throw new AdminRequestError(`${path}.runtimeOptions`, o.runtimeOptions, "a JSON object");
  }
  return out;
}

function checkAggregations(json: unknown, at: string): void {
  const a = jsonpbFields(json, at, AGGREGATION_OPTIONS_FIELDS);
  if (a.aggregations === undefined || a.aggregations === null) return;
  if (!Array.isArray(a.aggregations)) {
    throw new AdminRequestError(`${at}.aggregations`, a.aggregations, "an array");
  }
  a.aggregations.forEach((raw, i) => {
    const where = `${at}.aggregations[${i}]`;
    const agg = jsonpbFields(raw, where, AGGREGATION_FIELDS);
    if (jsonpbBool(agg.aggregated, `${where}.aggregated`) === true) {
      throw new AdminRequestError(
        `${where}.aggregated`,
        true,
        "false: aggregated namespaces are not supported yet",
      );
    }
  });
}

function checkStagingState(json: unknown, at: string): void {
  const s = jsonpbFields(json, at, STAGING_FIELDS);
  if (
    s.status !== undefined &&
    s.status !== null &&
    !STAGING_STATUSES.includes(s.status as string)
  ) {
    throw new AdminRequestError(`${at}.status`, s.status, '"UNKNOWN", "INITIALIZING" or "READY"');
  }
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
    fileFormat: o.fileFormat,
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
  if (!isJsonObject(body)) throw new AdminRequestError("body", body, "a JSON object");
  const b = jsonpbFields(body, "body", ["name", "options"]);
  if (typeof b.name !== "string" || b.name === "") {
    throw new AdminRequestError("name", b.name, "a non-empty string (required)");
  }
  return { name: b.name, options: namespaceOptionsFromJson(b.options, "options") };
}
