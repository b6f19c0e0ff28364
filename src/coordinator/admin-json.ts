// M3's admin JSON (M3-NOTES Part B §1.6, §1.7, §1.9): the Duration→Nanos
// rewrite of request bodies, NamespaceOptions in jsonpb form (int64
// nanoseconds as strings, proto or lowerCamel names) to and from m3ts's
// millisecond options, and the database/create request with M3's defaults.
import { AdminRequestError } from "../cluster/index.js";
import type { NamespaceOptions, NamespaceOptionsInput } from "../dbnode/namespace/index.js";
import { parseDurationMs } from "../x/index.js";

const NS_PER_MS = 1_000_000n;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

type Json = Record<string, unknown>;

/** M3's rewrite: every key ending in `Duration` becomes `...Nanos`; strings are Go durations. */
export function durationToNanos(json: unknown, path = ""): unknown {
  if (Array.isArray(json)) return json.map((v, i) => durationToNanos(v, `${path}[${i}]`));
  if (typeof json !== "object" || json === null) return json;
  const out: Json = {};
  for (const [key, value] of Object.entries(json)) {
    const where = path === "" ? key : `${path}.${key}`;
    if (!key.endsWith("Duration")) {
      out[key] = durationToNanos(value, where);
      continue;
    }
    const nanosKey = `${key.slice(0, -"Duration".length)}Nanos`;
    if (typeof value === "number") out[nanosKey] = value;
    else if (typeof value === "string") {
      try {
        out[nanosKey] = String(BigInt(parseDurationMs(value)) * NS_PER_MS);
      } catch (e) {
        throw new AdminRequestError(
          where,
          value,
          `a duration such as "48h" (${(e as Error).message})`,
        );
      }
    } else
      throw new AdminRequestError(where, value, "a duration string or a number of nanoseconds");
  }
  return out;
}

function object(json: unknown, field: string): Json {
  if (json === undefined || json === null) return {};
  if (typeof json !== "object" || Array.isArray(json))
    throw new AdminRequestError(field, json, "a JSON object");
  return json as Json;
}

/** A field by its lowerCamel name or its proto (snake_case) name. */
function pick(o: Json, camel: string): unknown {
  if (camel in o) return o[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return o[snake];
}

function nanosToMs(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  let ns: bigint;
  if (typeof value === "string" && /^-?\d+$/.test(value)) ns = BigInt(value);
  else if (typeof value === "number" && Number.isSafeInteger(value)) ns = BigInt(value);
  else
    throw new AdminRequestError(
      field,
      value,
      "an integer number of nanoseconds (number or string)",
    );
  if (ns % NS_PER_MS !== 0n)
    throw new AdminRequestError(field, value, "a whole number of milliseconds");
  return Number(ns / NS_PER_MS);
}

function bool(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  // BoolValue wrappers arrive as {"value": true}.
  if (typeof value === "object" && value !== null && "value" in value)
    return bool((value as Json).value, field);
  if (typeof value !== "boolean") throw new AdminRequestError(field, value, "true or false");
  return value;
}

function set<K extends keyof NamespaceOptionsInput>(
  o: { -readonly [P in keyof NamespaceOptionsInput]?: NamespaceOptionsInput[P] },
  key: K,
  v: NamespaceOptionsInput[K] | undefined,
): void {
  if (v !== undefined) o[key] = v;
}

/** M3's NamespaceOptions (jsonpb, after durationToNanos) as m3ts options; absent fields stay absent. */
export function namespaceOptionsFromJson(json: unknown, path = "options"): NamespaceOptionsInput {
  const o = object(json, path);
  const r = object(pick(o, "retentionOptions"), `${path}.retentionOptions`);
  const ix = object(pick(o, "indexOptions"), `${path}.indexOptions`);
  const out: { -readonly [P in keyof NamespaceOptionsInput]?: NamespaceOptionsInput[P] } = {};
  const rp = `${path}.retentionOptions`;
  set(
    out,
    "retentionPeriodMs",
    nanosToMs(pick(r, "retentionPeriodNanos"), `${rp}.retentionPeriodNanos`),
  );
  set(out, "blockSizeMs", nanosToMs(pick(r, "blockSizeNanos"), `${rp}.blockSizeNanos`));
  set(out, "bufferFutureMs", nanosToMs(pick(r, "bufferFutureNanos"), `${rp}.bufferFutureNanos`));
  set(out, "bufferPastMs", nanosToMs(pick(r, "bufferPastNanos"), `${rp}.bufferPastNanos`));
  set(out, "blockDataExpiry", bool(pick(r, "blockDataExpiry"), `${rp}.blockDataExpiry`));
  set(
    out,
    "blockDataExpiryAfterNotAccessedPeriodMs",
    nanosToMs(
      pick(r, "blockDataExpiryAfterNotAccessPeriodNanos"),
      `${rp}.blockDataExpiryAfterNotAccessPeriodNanos`,
    ),
  );
  set(
    out,
    "futureRetentionPeriodMs",
    nanosToMs(pick(r, "futureRetentionPeriodNanos"), `${rp}.futureRetentionPeriodNanos`),
  );
  for (const flag of [
    "bootstrapEnabled",
    "flushEnabled",
    "writesToCommitLog",
    "cleanupEnabled",
    "repairEnabled",
    "snapshotEnabled",
    "coldWritesEnabled",
    "cacheBlocksOnRetrieve",
  ] as const) {
    set(out, flag, bool(pick(o, flag), `${path}.${flag}`));
  }
  const enabled = bool(pick(ix, "enabled"), `${path}.indexOptions.enabled`);
  const indexBlock = nanosToMs(pick(ix, "blockSizeNanos"), `${path}.indexOptions.blockSizeNanos`);
  if (enabled !== undefined || indexBlock !== undefined) {
    out.index = {
      ...(enabled !== undefined && { enabled }),
      ...(indexBlock !== undefined && { blockSizeMs: indexBlock }),
    };
  }
  const aggregations = pick(
    object(pick(o, "aggregationOptions"), `${path}.aggregationOptions`),
    "aggregations",
  );
  if (
    Array.isArray(aggregations) &&
    aggregations.some((a) => object(a, `${path}.aggregationOptions`).aggregated === true)
  ) {
    throw new AdminRequestError(
      `${path}.aggregationOptions.aggregations`,
      aggregations,
      "only unaggregated namespaces (aggregated namespaces arrive with the downsampler)",
    );
  }
  return out;
}

const nanos = (ms: number) => String(BigInt(ms) * NS_PER_MS);

/** m3ts options in M3's GET shape. */
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
    coldWritesEnabled: o.coldWritesEnabled,
    cacheBlocksOnRetrieve: o.cacheBlocksOnRetrieve,
    aggregationOptions: { aggregations: [{ aggregated: false }] },
    stagingState: { status: "READY" },
  };
}

/** POST /api/v1/services/m3db/namespace: `{name, options}`. */
export function namespaceAddFromJson(body: unknown): {
  name: string;
  options: NamespaceOptionsInput;
} {
  const b = object(body, "body");
  if (typeof b.name !== "string" || b.name === "")
    throw new AdminRequestError("name", b.name, "a non-empty string");
  return { name: b.name, options: namespaceOptionsFromJson(b.options ?? {}, "options") };
}

/** M3's recommended block size for a retention (create.go's table). */
export function recommendedBlockSizeMs(retentionMs: number): number {
  if (retentionMs <= 12 * HOUR_MS) return 30 * 60_000;
  if (retentionMs <= DAY_MS) return HOUR_MS;
  if (retentionMs <= 7 * DAY_MS) return 2 * HOUR_MS;
  if (retentionMs <= 30 * DAY_MS) return 12 * HOUR_MS;
  return DAY_MS;
}

export interface DatabaseCreate {
  type: "local";
  namespaceName: string;
  options: NamespaceOptionsInput;
  numShards?: number;
}

/** POST /api/v1/database/create (after durationToNanos), with M3's defaults. */
export function databaseCreateFromJson(body: unknown): DatabaseCreate {
  const b = object(body, "body");
  const type = b.type ?? "local";
  if (type === "cluster" || pick(b, "hosts") !== undefined) {
    throw new AdminRequestError(
      "type",
      type,
      '"local": this node runs alone; clusters arrive with the cluster mode',
    );
  }
  if (type !== "local") throw new AdminRequestError("type", type, '"local" or "cluster"');
  const name = pick(b, "namespaceName");
  if (typeof name !== "string" || name === "") {
    throw new AdminRequestError(
      "namespaceName",
      name,
      "a non-empty string (missing required field)",
    );
  }
  if (pick(b, "aggregatedNamespace") !== undefined) {
    throw new AdminRequestError(
      "aggregatedNamespace",
      pick(b, "aggregatedNamespace"),
      "nothing: aggregated namespaces arrive with the downsampler",
    );
  }
  const retentionMs =
    nanosToMs(pick(b, "retentionTimeNanos"), "retentionTime") ?? parseRetention(b.retentionTime);
  const blockSize = object(pick(b, "blockSize"), "blockSize");
  let blockSizeMs =
    nanosToMs(pick(blockSize, "timeNanos"), "blockSize.time") ?? parseBlockTime(blockSize.time);
  const perHour = pick(blockSize, "expectedSeriesDatapointsPerHour");
  if (blockSizeMs === undefined && perHour !== undefined) {
    if (!(Number.isInteger(perHour) && (perHour as number) > 0)) {
      throw new AdminRequestError(
        "blockSize.expectedSeriesDatapointsPerHour",
        perHour,
        "a positive integer",
      );
    }
    // 720 datapoints per block, snapped down to 5 minutes, within [30m, 24h].
    const raw = (720 * HOUR_MS) / (perHour as number);
    const snapped = Math.floor(raw / 300_000) * 300_000;
    blockSizeMs = Math.min(DAY_MS, Math.max(30 * 60_000, snapped));
  }
  blockSizeMs ??= recommendedBlockSizeMs(retentionMs);
  const numShards = pick(b, "numShards");
  if (numShards !== undefined && !(Number.isInteger(numShards) && (numShards as number) > 0)) {
    throw new AdminRequestError("numShards", numShards, "a positive integer");
  }
  return {
    type: "local",
    namespaceName: name,
    options: {
      retentionPeriodMs: retentionMs,
      blockSizeMs,
      repairEnabled: false,
      index: { enabled: true, blockSizeMs },
    },
    ...(numShards !== undefined && { numShards: numShards as number }),
  };
}

function parseRetention(v: unknown): number {
  if (v === undefined || v === "") return DAY_MS;
  return parseDurationField("retentionTime", v);
}

function parseBlockTime(v: unknown): number | undefined {
  if (v === undefined || v === "") return undefined;
  return parseDurationField("blockSize.time", v);
}

function parseDurationField(field: string, v: unknown): number {
  if (typeof v !== "string") throw new AdminRequestError(field, v, 'a duration such as "48h"');
  try {
    const ms = parseDurationMs(v);
    if (ms <= 0) throw new Error("it must be positive");
    return ms;
  } catch (e) {
    throw new AdminRequestError(
      field,
      v,
      `a positive duration such as "48h" (${(e as Error).message})`,
    );
  }
}
