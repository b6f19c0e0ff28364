// m3ts's configuration: a YAML file checked against one schema table, with
// defaults for every key so that `m3ts start` runs with no file at all.
// Values may use environment variables, `${NAME}` or `${NAME:default}` (M3's
// syntax; `$$` is a literal `$`). Every error names the key, the value and
// what is expected. The schema also drives the test that the reference page
// (docs/reference/configuration.md) documents every key.
import { readFileSync } from "node:fs";
import { parse as parseYaml, YAMLParseError } from "yaml";
import {
  InvalidNamespaceOptionError,
  type NamespaceOptionsInput,
  resolveNamespaceOptions,
  validateNamespaceName,
} from "../dbnode/namespace/index.js";
import { M3tsError, parseDurationMs } from "../x/index.js";

export interface ListenAddress {
  host: string;
  port: number;
}

export interface M3tsConfig {
  dataDir: string;
  logging: { level: "debug" | "info" | "warn" | "error" };
  coordinator: {
    listenAddress: ListenAddress;
    maxBodyBytes: number;
    maxInflightWriteRequests: number;
    maxPendingWriteSamples: number;
    remoteRead: {
      maxSeries: number;
      maxDocsScanned: number;
      maxSamples: number;
      maxBytesInFrame: number;
    };
    writeNamespace: string;
  };
  carbon: { enabled: boolean; listenAddress: ListenAddress; maxLineBytes: number };
  db: {
    numShards: number;
    commitLog: {
      strategy: "wait" | "behind";
      flushIntervalMs: number | null;
      flushMaxBytes: number | null;
    };
    cache: { policy: "none" | "all" | "recently_read" | "lru"; maxBlocks: number };
    tickIntervalMs: number;
    snapshotIntervalMs: number;
    maxOpenFiles: number;
  };
  namespaces: { name: string; options: NamespaceOptionsInput }[];
}

/** A configuration that breaks the schema: which key, what value, what was expected. */
export class ConfigError extends M3tsError {
  readonly key: string;
  readonly value: unknown;
  readonly expected: string;

  constructor(key: string, value: unknown, expected: string) {
    super("M3TS_ERR_CONFIG", `${key}: expected ${expected}, got ${show(value)}`);
    this.key = key;
    this.value = value;
    this.expected = expected;
  }
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}

// ---- the schema --------------------------------------------------------------

type Leaf =
  | { kind: "string"; default: string }
  | { kind: "enum"; values: readonly string[]; default: string }
  | { kind: "bool"; default: boolean }
  | { kind: "int"; min: number; max: number; default: number }
  | { kind: "size"; default: number | null }
  | { kind: "duration"; default: number | null }
  | { kind: "address"; default: string };

type Spec =
  | (Leaf & { doc: string })
  | { kind: "section"; doc: string; fields: Record<string, Spec> };

const MiB = 1 << 20;
const leaf = <T extends Leaf>(l: T, doc: string): T & { doc: string } => ({ ...l, doc });
const section = (doc: string, fields: Record<string, Spec>): Spec => ({
  kind: "section",
  doc,
  fields,
});

/** Every key of the file with its type, default and meaning (namespaces are described apart). */
export const SCHEMA: Record<string, Spec> = {
  dataDir: leaf(
    { kind: "string", default: "./data" },
    "Directory of the commit log, filesets, index volumes and the KV.",
  ),
  logging: section("Logs (JSON lines on standard output).", {
    level: leaf(
      { kind: "enum", values: ["debug", "info", "warn", "error"], default: "info" },
      "Least level logged.",
    ),
  }),
  coordinator: section("The HTTP API (ingest, remote read, admin, metrics).", {
    listenAddress: leaf(
      { kind: "address", default: "127.0.0.1:7201" },
      "host:port to listen on; loopback unless set.",
    ),
    maxBodyBytes: leaf(
      { kind: "size", default: 32 * MiB },
      "Largest request body, compressed or decoded (413 above).",
    ),
    maxInflightWriteRequests: leaf(
      { kind: "int", min: 1, max: 1_000_000, default: 64 },
      "Write requests handled at once; more are answered 503 so the sender retries.",
    ),
    maxPendingWriteSamples: leaf(
      { kind: "int", min: 1, max: 1e12, default: 4_000_000 },
      "Samples decoded and not yet acknowledged; past it requests are answered 503.",
    ),
    writeNamespace: leaf(
      { kind: "string", default: "default" },
      "Unaggregated namespace the ingest endpoints write and remote read reads.",
    ),
    remoteRead: section(
      "Bounds of one remote read; past one the read is refused (400), never truncated.",
      {
        maxSeries: leaf(
          { kind: "int", min: 0, max: 1e12, default: 100_000 },
          "Most series matched (0: no bound).",
        ),
        maxDocsScanned: leaf(
          { kind: "int", min: 0, max: 1e12, default: 0 },
          "Most index postings read (0: no bound).",
        ),
        maxSamples: leaf(
          { kind: "int", min: 0, max: 1e12, default: 50_000_000 },
          "Most samples returned (0: no bound).",
        ),
        maxBytesInFrame: leaf(
          { kind: "size", default: MiB },
          "Largest frame of a streamed (XOR chunks) answer.",
        ),
      },
    ),
  }),
  carbon: section("Graphite carbon plaintext over TCP.", {
    enabled: leaf({ kind: "bool", default: true }, "Whether the carbon listener runs."),
    listenAddress: leaf({ kind: "address", default: "127.0.0.1:7204" }, "host:port to listen on."),
    maxLineBytes: leaf(
      { kind: "size", default: 4096 },
      "Longest line; longer ones are dropped and counted.",
    ),
  }),
  db: section("The database.", {
    numShards: leaf(
      { kind: "int", min: 1, max: 4096, default: 64 },
      "Shards per namespace (M3's local placement: 64); fixed once data exists.",
    ),
    commitLog: section("The commit log.", {
      strategy: leaf(
        { kind: "enum", values: ["wait", "behind"], default: "wait" },
        "wait: acknowledge after fdatasync (nothing acknowledged is lost); behind: acknowledge at once.",
      ),
      flushInterval: leaf(
        { kind: "duration", default: null },
        "Longest wait before pending records are written (default 2ms for wait, 1s for behind).",
      ),
      flushMaxBytes: leaf(
        { kind: "size", default: null },
        "Pending bytes that trigger a write (default 512KiB).",
      ),
    }),
    cache: section("Blocks read from disk kept in memory.", {
      policy: leaf(
        { kind: "enum", values: ["none", "all", "recently_read", "lru"], default: "lru" },
        "M3's series cache policy.",
      ),
      maxBlocks: leaf(
        { kind: "int", min: 1, max: 1e9, default: 65_536 },
        "Most blocks the lru policy keeps.",
      ),
    }),
    tickInterval: leaf(
      { kind: "duration", default: 10_000 },
      "Pause between background ticks (flushes, snapshots, retention).",
    ),
    snapshotInterval: leaf({ kind: "duration", default: 60_000 }, "Least time between snapshots."),
    maxOpenFiles: leaf(
      { kind: "int", min: 1, max: 1_000_000, default: 128 },
      "Most fileset files held open for reads.",
    ),
  }),
};

/** Keys of a namespace entry (under `namespaces:`), with their meaning. */
export const NAMESPACE_KEYS: Record<string, string> = {
  name: "The namespace's name (required).",
  retention: "How long data is kept (duration).",
  blockSize: "Span of one data block (duration).",
  bufferPast: "How far behind now a warm write may be (duration).",
  bufferFuture: "How far ahead of now a warm write may be (duration).",
  futureRetention: "How far ahead of now cold writes are kept (duration).",
  blockDataExpiry: "Whether cached blocks are evicted when not read (bool).",
  blockDataExpiryAfterNotAccessed: "How long a cached block may go unread (duration).",
  bootstrapEnabled: "Whether the namespace is restored at start (bool).",
  flushEnabled: "Whether blocks are flushed to filesets (bool).",
  snapshotEnabled: "Whether snapshots include the namespace (bool).",
  writesToCommitLog: "Whether writes go to the commit log (bool).",
  cleanupEnabled: "Whether expired files are removed (bool).",
  repairEnabled: "Kept for M3 compatibility (bool).",
  coldWritesEnabled: "Whether writes outside the buffers but within retention are accepted (bool).",
  cacheBlocksOnRetrieve: "Whether blocks read from disk are cached (bool).",
  "index.enabled":
    "Whether series are indexed by their labels (bool, default true; remote read needs it).",
  "index.blockSize":
    "Span of one index block (duration, a multiple of blockSize; default blockSize).",
};

/** The configuration with no file: the defaults of every key. */
export function defaultConfig(): M3tsConfig {
  return build({}, {});
}

/** Reads and checks a configuration; `dataDir` (from --data-dir) overrides the file's. */
export function loadConfig(options: {
  file?: string;
  text?: string;
  env: Record<string, string | undefined>;
  dataDir?: string;
}): M3tsConfig {
  let text = options.text;
  if (text === undefined && options.file !== undefined) {
    try {
      text = readFileSync(options.file, "utf8");
    } catch (e) {
      throw new ConfigError(
        "--config",
        options.file,
        `a readable YAML file (${(e as Error).message})`,
      );
    }
  }
  let raw: unknown = {};
  if (text !== undefined) {
    try {
      raw = parseYaml(text, { uniqueKeys: true }) ?? {};
    } catch (e) {
      if (e instanceof YAMLParseError) {
        const at = e.linePos?.[0];
        const where = `${options.file ?? "configuration"}${at === undefined ? "" : `:${at.line}:${at.col}`}`;
        throw new ConfigError(where, undefined, `valid YAML (${e.message.split("\n")[0]})`);
      }
      throw e;
    }
  }
  const config = build(expandEnv(raw, "", options.env), options.env);
  if (options.dataDir !== undefined) config.dataDir = options.dataDir;
  return config;
}

// ---- environment expansion -------------------------------------------------

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g;

function expandEnv(raw: unknown, path: string, env: Record<string, string | undefined>): unknown {
  if (typeof raw === "string") {
    if (!raw.includes("$")) return raw;
    const expanded = raw.replace(
      REFERENCE,
      (m, name: string | undefined, fallback: string | undefined) => {
        if (m === "$$") return "$";
        const v = env[name as string];
        if (v !== undefined) return v;
        if (fallback !== undefined) return fallback;
        throw new ConfigError(
          path || "configuration",
          raw,
          `environment variable ${name} to be set (or a default: \${${name}:value})`,
        );
      },
    );
    // A value that is one whole reference takes the variable's type (a port, a flag).
    if (/^\$\{[^}]*\}$/.test(raw)) {
      const scalar = parseYaml(expanded);
      if (typeof scalar === "number" || typeof scalar === "boolean") return scalar;
    }
    return expanded;
  }
  if (Array.isArray(raw)) return raw.map((v, i) => expandEnv(v, `${path}[${i}]`, env));
  if (typeof raw === "object" && raw !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw))
      out[k] = expandEnv(v, path === "" ? k : `${path}.${k}`, env);
    return out;
  }
  return raw;
}

// ---- checking --------------------------------------------------------------

function build(raw: unknown, _env: Record<string, string | undefined>): M3tsConfig {
  const top = asObject(raw, "configuration");
  const { namespaces, ...rest } = top;
  const v = checkSection(SCHEMA, rest, "") as Record<string, Record<string, unknown>> & {
    dataDir: string;
  };
  const c = v.coordinator as Record<string, unknown>;
  const db = v.db as Record<string, unknown>;
  const cl = db.commitLog as Record<string, unknown>;
  return {
    dataDir: v.dataDir,
    logging: v.logging as M3tsConfig["logging"],
    coordinator: {
      listenAddress: c.listenAddress as ListenAddress,
      maxBodyBytes: c.maxBodyBytes as number,
      maxInflightWriteRequests: c.maxInflightWriteRequests as number,
      maxPendingWriteSamples: c.maxPendingWriteSamples as number,
      remoteRead: c.remoteRead as M3tsConfig["coordinator"]["remoteRead"],
      writeNamespace: c.writeNamespace as string,
    },
    carbon: v.carbon as M3tsConfig["carbon"],
    db: {
      numShards: db.numShards as number,
      commitLog: {
        strategy: cl.strategy as "wait" | "behind",
        flushIntervalMs: cl.flushInterval as number | null,
        flushMaxBytes: cl.flushMaxBytes as number | null,
      },
      cache: db.cache as M3tsConfig["db"]["cache"],
      tickIntervalMs: db.tickInterval as number,
      snapshotIntervalMs: db.snapshotInterval as number,
      maxOpenFiles: db.maxOpenFiles as number,
    },
    namespaces: checkNamespaces(namespaces),
  };
}

function asObject(raw: unknown, key: string): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw))
    throw new ConfigError(key, raw, "a mapping of keys to values");
  return raw as Record<string, unknown>;
}

function checkSection(
  fields: Record<string, Spec>,
  raw: Record<string, unknown>,
  path: string,
): Record<string, unknown> {
  for (const key of Object.keys(raw)) {
    if (!(key in fields) && !(path === "" && key === "namespaces")) {
      throw unknownKey(path, key, Object.keys(fields).concat(path === "" ? ["namespaces"] : []));
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(fields)) {
    const where = path === "" ? key : `${path}.${key}`;
    const value = raw[key];
    if (spec.kind === "section")
      out[key] = checkSection(spec.fields, asObject(value, where), where);
    else
      out[key] =
        value === undefined || value === null ? defaultOf(spec) : checkLeaf(spec, value, where);
  }
  return out;
}

function defaultOf(spec: Leaf): unknown {
  return spec.kind === "address" ? parseAddress(spec.default, "default") : spec.default;
}

function unknownKey(path: string, key: string, allowed: string[]): ConfigError {
  const near = allowed.find((a) => editDistance(a.toLowerCase(), key.toLowerCase()) <= 2);
  const where = path === "" ? key : `${path}.${key}`;
  return new ConfigError(
    where,
    key,
    `a known key${near === undefined ? "" : ` (did you mean ${near}?)`}; keys here: ${allowed.join(", ")}`,
  );
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...new Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return d[a.length][b.length];
}

function checkLeaf(spec: Leaf, value: unknown, key: string): unknown {
  switch (spec.kind) {
    case "string":
      if (typeof value !== "string" || value === "")
        throw new ConfigError(key, value, "a non-empty string");
      return value;
    case "enum":
      if (typeof value !== "string" || !spec.values.includes(value)) {
        throw new ConfigError(
          key,
          value,
          `one of ${spec.values.map((x) => JSON.stringify(x)).join(", ")}`,
        );
      }
      return value;
    case "bool":
      if (typeof value !== "boolean") throw new ConfigError(key, value, "true or false");
      return value;
    case "int":
      if (
        !(Number.isInteger(value) && (value as number) >= spec.min && (value as number) <= spec.max)
      ) {
        throw new ConfigError(key, value, `an integer from ${spec.min} to ${spec.max}`);
      }
      return value;
    case "size":
      return parseSize(value, key);
    case "duration":
      return parseDuration(value, key);
    case "address":
      return parseAddress(value, key);
  }
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: MiB,
  GiB: 1 << 30,
};

/** A byte size: an integer, or a number with B, KB, MB, GB, KiB, MiB or GiB. */
export function parseSize(value: unknown, key: string): number {
  const expected =
    'a size in bytes: an integer or a number with a unit (B, KB, MB, GB, KiB, MiB, GiB), e.g. "32MiB"';
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value > 0) return value;
    throw new ConfigError(key, value, expected);
  }
  if (typeof value !== "string") throw new ConfigError(key, value, expected);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  const unit = m === null ? undefined : SIZE_UNITS[m[2]];
  if (m === null || unit === undefined) throw new ConfigError(key, value, expected);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!(Number.isSafeInteger(bytes) && bytes > 0)) throw new ConfigError(key, value, expected);
  return bytes;
}

function parseDuration(value: unknown, key: string): number {
  const expected = 'a duration such as "10s", "2h" or "1h30m"';
  if (typeof value !== "string") throw new ConfigError(key, value, expected);
  try {
    const ms = parseDurationMs(value);
    if (ms < 0) throw new Error("negative");
    return ms;
  } catch {
    throw new ConfigError(key, value, expected);
  }
}

/** `host:port` or `[v6]:port`, port 1..65535. */
export function parseAddress(value: unknown, key: string): ListenAddress {
  const expected = 'host:port, e.g. "127.0.0.1:7201" or "[::1]:7201", with a port from 1 to 65535';
  if (typeof value !== "string") throw new ConfigError(key, value, expected);
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(value.trim());
  if (m === null) throw new ConfigError(key, value, expected);
  const port = Number(m[3]);
  if (!(port >= 1 && port <= 65535)) throw new ConfigError(key, value, expected);
  return { host: m[1] ?? m[2], port };
}

const NS_FIELD: Record<string, keyof NamespaceOptionsInput> = {
  retention: "retentionPeriodMs",
  blockSize: "blockSizeMs",
  bufferPast: "bufferPastMs",
  bufferFuture: "bufferFutureMs",
  futureRetention: "futureRetentionPeriodMs",
  blockDataExpiryAfterNotAccessed: "blockDataExpiryAfterNotAccessedPeriodMs",
};
const NS_BOOLS = [
  "blockDataExpiry",
  "bootstrapEnabled",
  "flushEnabled",
  "snapshotEnabled",
  "writesToCommitLog",
  "cleanupEnabled",
  "repairEnabled",
  "coldWritesEnabled",
  "cacheBlocksOnRetrieve",
] as const;
const NS_OPTION_KEY: Record<string, string> = Object.fromEntries([
  ...Object.entries(NS_FIELD).map(([k, v]) => [v, k]),
  ["index.blockSizeMs", "index.blockSize"],
]);

function checkNamespaces(raw: unknown): { name: string; options: NamespaceOptionsInput }[] {
  if (raw === undefined || raw === null) {
    const hours = (h: number) => h * 3_600_000;
    return [
      {
        name: "default",
        options: {
          retentionPeriodMs: hours(48),
          blockSizeMs: hours(2),
          index: { enabled: true, blockSizeMs: hours(2) },
        },
      },
    ];
  }
  if (!Array.isArray(raw)) throw new ConfigError("namespaces", raw, "a list of namespaces");
  const seen = new Set<string>();
  return raw.map((entry, i) => {
    const path = `namespaces[${i}]`;
    const o = asObject(entry, path);
    const topKeys = new Set(Object.keys(NAMESPACE_KEYS).map((k) => k.split(".")[0]));
    for (const k of Object.keys(o)) if (!topKeys.has(k)) throw unknownKey(path, k, [...topKeys]);
    if (typeof o.name !== "string")
      throw new ConfigError(`${path}.name`, o.name, "a namespace name");
    try {
      validateNamespaceName(o.name);
    } catch (e) {
      throw new ConfigError(`${path}.name`, o.name, (e as Error).message);
    }
    if (seen.has(o.name))
      throw new ConfigError(`${path}.name`, o.name, "a name not used by another namespace");
    seen.add(o.name);
    const options: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(NS_FIELD)) {
      if (o[key] !== undefined) options[field] = parseDuration(o[key], `${path}.${key}`);
    }
    for (const key of NS_BOOLS) {
      if (o[key] !== undefined)
        options[key] = checkLeaf({ kind: "bool", default: false }, o[key], `${path}.${key}`);
    }
    const ix = asObject(o.index, `${path}.index`);
    for (const k of Object.keys(ix))
      if (k !== "enabled" && k !== "blockSize")
        throw unknownKey(`${path}.index`, k, ["enabled", "blockSize"]);
    const index: Record<string, unknown> = {};
    if (ix.enabled !== undefined)
      index.enabled = checkLeaf(
        { kind: "bool", default: false },
        ix.enabled,
        `${path}.index.enabled`,
      );
    if (ix.blockSize !== undefined)
      index.blockSizeMs = parseDuration(ix.blockSize, `${path}.index.blockSize`);
    // Remote read finds series through the index: configured namespaces have one unless told not to.
    index.enabled ??= true;
    // Index blocks default to the data block size, as database/create does.
    if (index.blockSizeMs === undefined && options.blockSizeMs !== undefined)
      index.blockSizeMs = options.blockSizeMs;
    options.index = index;
    try {
      resolveNamespaceOptions(options as NamespaceOptionsInput);
    } catch (e) {
      if (e instanceof InvalidNamespaceOptionError) {
        const key = NS_OPTION_KEY[e.option] ?? e.option;
        throw new ConfigError(`${path}.${key}`, e.value, e.message);
      }
      throw e;
    }
    return { name: o.name, options: options as NamespaceOptionsInput };
  });
}

/** Every documented key path, for the reference page's test. */
export function schemaKeys(): string[] {
  const keys: string[] = [];
  const walk = (fields: Record<string, Spec>, prefix: string) => {
    for (const [k, spec] of Object.entries(fields)) {
      const p = prefix === "" ? k : `${prefix}.${k}`;
      if (spec.kind === "section") walk(spec.fields, p);
      else keys.push(p);
    }
  };
  walk(SCHEMA, "");
  for (const k of Object.keys(NAMESPACE_KEYS)) keys.push(`namespaces[].${k}`);
  return keys;
}
