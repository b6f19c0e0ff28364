// m3ts's configuration: a YAML file checked against one schema table that
// gives every key a default, so `m3ts start` also runs with no file at all.
// The same table drives the test that docs/reference/configuration.md documents every key.
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument, visit } from "yaml";
import {
  BOOLEAN_NAMESPACE_OPTIONS,
  InvalidNamespaceOptionError,
  type NamespaceOptionsInput,
  resolveNamespaceOptions,
  validateNamespaceName,
} from "../dbnode/namespace/index.js";
import { formatDurationMs, InvalidDurationError, M3tsError, parseDurationMs } from "../x/index.js";

/** Where a listener binds; the defaults are loopback, anything else is written explicitly. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Everything `m3ts start` needs, validated; durations in ms, sizes in bytes. */
export interface M3tsConfig {
  dataDir: string;
  logging: { level: "debug" | "info" | "warn" | "error" };
  coordinator: {
    listenAddress: ListenAddress;
    maxBodyBytes: number;
    maxInflightWriteRequests: number;
    maxPendingWriteSamples: number;
    maxSeriesCacheBytes: number;
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
      // null: the commit log's own default (which depends on the strategy).
      flushIntervalMs: number | null;
      flushMaxBytes: number | null;
    };
    cache: { policy: "none" | "all" | "recently_read" | "lru"; maxBlocks: number };
    tickIntervalMs: number;
    snapshotIntervalMs: number;
    maxOpenFiles: number;
  };
  // Created at start when missing; options are already checked by resolveNamespaceOptions.
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
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    // A self-referencing YAML alias.
    s = Array.isArray(v) ? "a list" : "a mapping";
  }
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}

// ---- the schema --------------------------------------------------------------

/** The type, bounds and default of one key of the file. */
export type Leaf =
  | { kind: "string"; default: string }
  | { kind: "enum"; values: readonly string[]; default: string }
  | { kind: "bool"; default: boolean }
  | { kind: "int"; min: number; max: number; default: number }
  | { kind: "size"; max: number; default: number | null }
  | { kind: "duration"; min: number; default: number | null }
  | { kind: "address"; default: string };

/** A key of the file: a value, or a section of keys. */
export type Spec =
  | (Leaf & { doc: string })
  | { kind: "section"; doc: string; fields: Record<string, Spec> };

const MiB = 1 << 20;
const GiB = 1 << 30;
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
      { kind: "size", max: GiB, default: 32 * MiB },
      "Largest request body, compressed or decoded (413 above).",
    ),
    maxInflightWriteRequests: leaf(
      { kind: "int", min: 1, max: 1_000_000, default: 64 },
      "Write requests handled at once; one more is answered 503 with Retry-After (Prometheus 2.x retries a 5xx always, a 429 only with retry_on_http_429).",
    ),
    maxPendingWriteSamples: leaf(
      { kind: "int", min: 1, max: 1e12, default: 4_000_000 },
      "Samples decoded and not yet acknowledged; past it requests are answered 503.",
    ),
    maxSeriesCacheBytes: leaf(
      { kind: "size", max: 64 * GiB, default: 256 * MiB },
      "Memory of remote write's cache of known series (IDs, tags, label keys, slots); when full it is emptied and refills from the next requests.",
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
          { kind: "size", max: GiB, default: MiB },
          "Largest frame of a streamed (XOR chunks) answer.",
        ),
      },
    ),
  }),
  carbon: section("Graphite carbon plaintext over TCP.", {
    enabled: leaf({ kind: "bool", default: true }, "Whether the carbon listener runs."),
    listenAddress: leaf({ kind: "address", default: "127.0.0.1:7204" }, "host:port to listen on."),
    maxLineBytes: leaf(
      { kind: "size", max: MiB, default: 4096 },
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
        { kind: "duration", min: 0, default: null },
        "Longest wait before pending records are written (default 2ms for wait, 1s for behind).",
      ),
      flushMaxBytes: leaf(
        // The commit log's own bound on one write.
        { kind: "size", max: GiB, default: null },
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
      // A zero pause would make the tick loop spin.
      { kind: "duration", min: 1, default: 10_000 },
      "Pause between background ticks (flushes, snapshots, retention).",
    ),
    snapshotInterval: leaf(
      { kind: "duration", min: 1, default: 60_000 },
      "Least time between snapshots.",
    ),
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
  futureRetentionPeriod: "How far ahead of now cold writes are kept (duration).",
  blockDataExpiry: "Whether cached blocks are evicted when not read (bool).",
  blockDataExpiryAfterNotAccessedPeriod: "How long a cached block may go unread (duration).",
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
  return build({});
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
  const raw = text === undefined ? {} : parseText(text, options.file ?? "configuration");
  const config = build(expandEnv(raw, "", options.env));
  if (options.dataDir !== undefined) config.dataDir = options.dataDir;
  return config;
}

/** Parses YAML text; a syntax error or an alias without an anchor is a ConfigError at file:line:col. */
function parseText(text: string, file: string): unknown {
  const lines = new LineCounter();
  // logLevel "error": YAML warnings (an unknown tag) must not print; the schema checks values.
  const doc = parseDocument(text, { uniqueKeys: true, logLevel: "error", lineCounter: lines });
  const fail = (offset: number | undefined, why: string): ConfigError => {
    if (offset === undefined) return new ConfigError(file, undefined, `valid YAML (${why})`);
    const at = lines.linePos(offset);
    return new ConfigError(
      `${file}:${at.line}:${at.col}`,
      text.split("\n")[at.line - 1],
      `valid YAML (${why})`,
    );
  };
  const error = doc.errors[0];
  if (error !== undefined) {
    throw fail(
      error.pos[0],
      error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, ""),
    );
  }
  // toJS would throw a bare ReferenceError for these; find them first to say where.
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined) {
        throw fail(node.range?.[0], `alias *${node.source} has no anchor before it`);
      }
    },
  });
  try {
    return doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    // Too many alias expansions (a "billion laughs" file).
    throw fail(undefined, (e as Error).message);
  }
}

// ---- environment expansion -------------------------------------------------

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::[^}]*)?\}$/;
// Deeper than any valid file; also stops a self-referencing YAML alias.
const MAX_DEPTH = 16;

function expandEnv(
  raw: unknown,
  path: string,
  env: Record<string, string | undefined>,
  depth = 0,
): unknown {
  if (depth > MAX_DEPTH) {
    throw new ConfigError(path, "…", `nesting at most ${MAX_DEPTH} levels deep`);
  }
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
    if (WHOLE_REFERENCE.test(raw)) {
      const t = expanded.trim();
      if (t === "true" || t === "false") return t === "true";
      if (/^-?\d+$/.test(t) && Number.isSafeInteger(Number(t))) return Number(t);
    }
    return expanded;
  }
  if (Array.isArray(raw)) return raw.map((v, i) => expandEnv(v, `${path}[${i}]`, env, depth + 1));
  if (typeof raw === "object" && raw !== null) {
    const out: Record<string, unknown> = {};
    // defineProperty keeps a key named __proto__ an ordinary (and so unknown) key.
    for (const [k, v] of Object.entries(raw))
      Object.defineProperty(out, k, {
        value: expandEnv(v, path === "" ? k : `${path}.${k}`, env, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return raw;
}

// ---- checking --------------------------------------------------------------

function build(raw: unknown): M3tsConfig {
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
      maxSeriesCacheBytes: c.maxSeriesCacheBytes as number,
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
    if (!Object.hasOwn(fields, key) && !(path === "" && key === "namespaces")) {
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
  // An obvious typo: at most two edits (one for short keys), case ignored.
  let near: string | undefined;
  let best = key.length <= 4 ? 1 : 2;
  if (key.length <= 64) {
    for (const a of allowed) {
      const d = editDistance(a.toLowerCase(), key.toLowerCase());
      if (d <= best) {
        near = a;
        best = d - 1;
      }
    }
  }
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
      return parseSize(value, key, spec.max);
    case "duration":
      return parseDuration(value, key, spec.min);
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
  GiB: GiB,
};

/** A byte size from 1 to `max`: an integer, or a number with B, KB, MB, GB, KiB, MiB or GiB. */
export function parseSize(value: unknown, key: string, max = Number.MAX_SAFE_INTEGER): number {
  const expected = `a size in bytes from 1 to ${max}: an integer or a number with a unit (B, KB, MB, GB, KiB, MiB, GiB), e.g. "32MiB"`;
  let bytes = Number.NaN;
  if (typeof value === "number") {
    bytes = value;
  } else if (typeof value === "string" && value.length <= 64) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
    const unit = m === null || !Object.hasOwn(SIZE_UNITS, m[2]) ? undefined : SIZE_UNITS[m[2]];
    if (m !== null && unit !== undefined) bytes = Number(m[1]) * unit;
  }
  // A fraction of a byte ("1.5B") is refused rather than rounded.
  if (!(Number.isSafeInteger(bytes) && bytes >= 1 && bytes <= max)) {
    throw new ConfigError(key, value, expected);
  }
  return bytes;
}

/** A Go-style duration in whole milliseconds, at least `min`. */
export function parseDuration(value: unknown, key: string, min = 0): number {
  const expected = `a duration of at least ${formatDurationMs(min)} such as "10s", "2h" or "1h30m"`;
  if (typeof value !== "string") throw new ConfigError(key, value, expected);
  let ms: number;
  try {
    ms = parseDurationMs(value);
  } catch (e) {
    if (e instanceof InvalidDurationError) throw new ConfigError(key, value, expected);
    throw e;
  }
  if (ms < min) throw new ConfigError(key, value, expected);
  return ms;
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

// YAML key -> NamespaceOptionsInput field, for the duration options.
const NS_DURATIONS: Record<string, keyof NamespaceOptionsInput> = {
  retention: "retentionPeriodMs",
  blockSize: "blockSizeMs",
  bufferPast: "bufferPastMs",
  bufferFuture: "bufferFutureMs",
  futureRetentionPeriod: "futureRetentionPeriodMs",
  blockDataExpiryAfterNotAccessedPeriod: "blockDataExpiryAfterNotAccessedPeriodMs",
};
const NS_BOOLS = BOOLEAN_NAMESPACE_OPTIONS;
// NamespaceOptionsInput field -> YAML key, to report validation errors under the file's names.
const NS_YAML_KEY: Record<string, string> = {
  ...Object.fromEntries(Object.entries(NS_DURATIONS).map(([k, v]) => [v, k])),
  "index.blockSizeMs": "index.blockSize",
};
const NS_TOP_KEYS = [...new Set(Object.keys(NAMESPACE_KEYS).map((k) => k.split(".")[0]))];
const NAME_RULE =
  "a namespace name of 1 to 255 characters from A-Z, a-z, 0-9, '_', '.' and '-', other than \".\" and \"..\"";
const BOOL: Leaf = { kind: "bool", default: false };
const HOUR_MS = 3_600_000;

function checkNamespaces(raw: unknown): { name: string; options: NamespaceOptionsInput }[] {
  if (raw === undefined || raw === null) {
    return [
      {
        name: "default",
        options: {
          retentionPeriodMs: 48 * HOUR_MS,
          blockSizeMs: 2 * HOUR_MS,
          // Cold writes on: a Prometheus resending its WAL after an outage
          // longer than bufferPast gets 400s it does not retry, and loses
          // that span; with cold writes the whole retention is accepted.
          coldWritesEnabled: true,
          index: { enabled: true, blockSizeMs: 2 * HOUR_MS },
        },
      },
    ];
  }
  if (!Array.isArray(raw)) throw new ConfigError("namespaces", raw, "a list of namespaces");
  const seen = new Set<string>();
  return raw.map((entry, i) => {
    const path = `namespaces[${i}]`;
    const o = asObject(entry, path);
    for (const k of Object.keys(o))
      if (!NS_TOP_KEYS.includes(k)) throw unknownKey(path, k, NS_TOP_KEYS);
    const name = o.name;
    if (typeof name !== "string") throw new ConfigError(`${path}.name`, name, NAME_RULE);
    try {
      validateNamespaceName(name);
    } catch (e) {
      if (e instanceof InvalidNamespaceOptionError)
        throw new ConfigError(`${path}.name`, name, NAME_RULE);
      throw e;
    }
    if (seen.has(name)) {
      throw new ConfigError(`${path}.name`, name, "a name not used by another namespace");
    }
    seen.add(name);

    const options: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(NS_DURATIONS)) {
      if (o[key] !== undefined && o[key] !== null)
        options[field] = parseDuration(o[key], `${path}.${key}`);
    }
    for (const key of NS_BOOLS) {
      if (o[key] !== undefined && o[key] !== null)
        options[key] = checkLeaf(BOOL, o[key], `${path}.${key}`);
    }
    const ix = asObject(o.index, `${path}.index`);
    for (const k of Object.keys(ix)) {
      if (k !== "enabled" && k !== "blockSize")
        throw unknownKey(`${path}.index`, k, ["enabled", "blockSize"]);
    }
    // Remote read finds series through the index, so a configured namespace has one unless told not to.
    const index: { enabled: boolean; blockSizeMs?: number } = { enabled: true };
    if (ix.enabled !== undefined && ix.enabled !== null) {
      index.enabled = checkLeaf(BOOL, ix.enabled, `${path}.index.enabled`) as boolean;
    }
    if (ix.blockSize !== undefined && ix.blockSize !== null) {
      index.blockSizeMs = parseDuration(ix.blockSize, `${path}.index.blockSize`);
    } else if (options.blockSizeMs !== undefined) {
      // Index blocks default to the data block size, as M3's database/create does.
      index.blockSizeMs = options.blockSizeMs as number;
    }
    options.index = index;

    try {
      resolveNamespaceOptions(options as NamespaceOptionsInput);
    } catch (e) {
      if (!(e instanceof InvalidNamespaceOptionError)) throw e;
      throw namespaceOptionError(path, o, e);
    }
    return { name, options: options as NamespaceOptionsInput };
  });
}

/** Restates a namespace validation error with the file's key names and durations as written. */
function namespaceOptionError(
  path: string,
  entry: Record<string, unknown>,
  e: InvalidNamespaceOptionError,
): ConfigError {
  const key = NS_YAML_KEY[e.option] ?? e.option;
  const written =
    key === "index.blockSize"
      ? (entry.index as Record<string, unknown> | undefined)?.blockSize
      : entry[key];
  // The error's message is "<option> <value> <rule>"; keep the rule, in the file's terms.
  const rule = e.message
    .slice(e.message.indexOf(" must ") + 1)
    .replace(
      /([A-Za-z.]+Ms) (\d+)/g,
      (_, option: string, ms: string) =>
        `${NS_YAML_KEY[option] ?? option} ${formatDurationMs(Number(ms))}`,
    )
    .replace(/^must be /, "a value that is ");
  const value =
    written ?? (typeof e.value === "number" ? `${formatDurationMs(e.value)} (default)` : e.value);
  return new ConfigError(`${path}.${key}`, value, rule);
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
