// A namespace's options with M3's defaults and validation (M3's
// src/dbnode/namespace/options.go and src/dbnode/retention/options.go),
// the rule for what may change on an existing namespace, and namespace names
// (the errors they raise are in errors.ts).
// Durations are integer milliseconds (M3 stores int64 nanoseconds).
import { MAX_INT64_NS_MS } from "../../x/index.js";
import { ImmutableNamespaceOptionError, InvalidNamespaceOptionError, relation } from "./errors.js";

/** Options of a namespace's reverse index. */
export interface NamespaceIndexOptions {
  /** Whether series are indexed by their tags (M3 default false; the coordinator's database/create turns it on). */
  readonly enabled: boolean;
  /** Span of one index block; a multiple of the data block size. */
  readonly blockSizeMs: number;
}

/** Every option of a namespace, resolved. */
export interface NamespaceOptions {
  /** How long data is kept, measured back from now. */
  readonly retentionPeriodMs: number;
  /** Span of one data block: the unit of flushing, caching and expiry. */
  readonly blockSizeMs: number;
  /** How far behind now a warm write may be. */
  readonly bufferPastMs: number;
  /** How far ahead of now a warm write may be. */
  readonly bufferFutureMs: number;
  /** How far ahead of now data is kept (cold writes); 0 = only bufferFuture. */
  readonly futureRetentionPeriodMs: number;
  /** Whether cached blocks are evicted when not read for a while. */
  readonly blockDataExpiry: boolean;
  /** How long a cached block may go unread before it is evicted. */
  readonly blockDataExpiryAfterNotAccessedPeriodMs: number;
  readonly bootstrapEnabled: boolean;
  readonly flushEnabled: boolean;
  readonly snapshotEnabled: boolean;
  readonly writesToCommitLog: boolean;
  readonly cleanupEnabled: boolean;
  readonly repairEnabled: boolean;
  /** Whether writes outside the buffer window (but within retention) are accepted. */
  readonly coldWritesEnabled: boolean;
  /** Whether blocks read from disk are kept in memory. */
  readonly cacheBlocksOnRetrieve: boolean;
  /**
   * The format flushes write: m3ts's own compressed fileset format, or M3's
   * seven-file volumes of M3TSZ streams. Both are read whatever this says.
   */
  readonly fileFormat: FileFormat;
  readonly index: NamespaceIndexOptions;
}

/** The fileset formats a namespace's flushes can write (docs/format/fileset-m3ts.md, docs/format/fileset.md). */
export const FILE_FORMATS = ["m3ts", "m3"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** Options as a user gives them: any subset; the rest come from the defaults (or the current options). */
export interface NamespaceOptionsInput {
  readonly retentionPeriodMs?: number;
  readonly blockSizeMs?: number;
  readonly bufferPastMs?: number;
  readonly bufferFutureMs?: number;
  readonly futureRetentionPeriodMs?: number;
  readonly blockDataExpiry?: boolean;
  readonly blockDataExpiryAfterNotAccessedPeriodMs?: number;
  readonly bootstrapEnabled?: boolean;
  readonly flushEnabled?: boolean;
  readonly snapshotEnabled?: boolean;
  readonly writesToCommitLog?: boolean;
  readonly cleanupEnabled?: boolean;
  readonly repairEnabled?: boolean;
  readonly coldWritesEnabled?: boolean;
  readonly cacheBlocksOnRetrieve?: boolean;
  readonly fileFormat?: FileFormat;
  readonly index?: Partial<NamespaceIndexOptions>;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** M3's defaults (namespace.NewOptions(), retention.NewOptions(), index options). */
export const DEFAULT_NAMESPACE_OPTIONS: NamespaceOptions = Object.freeze({
  retentionPeriodMs: 48 * HOUR_MS,
  blockSizeMs: 2 * HOUR_MS,
  bufferPastMs: 10 * MINUTE_MS,
  bufferFutureMs: 2 * MINUTE_MS,
  futureRetentionPeriodMs: 0,
  blockDataExpiry: true,
  blockDataExpiryAfterNotAccessedPeriodMs: 5 * MINUTE_MS,
  bootstrapEnabled: true,
  flushEnabled: true,
  snapshotEnabled: true,
  writesToCommitLog: true,
  cleanupEnabled: true,
  repairEnabled: false,
  coldWritesEnabled: false,
  cacheBlocksOnRetrieve: false,
  fileFormat: "m3ts",
  index: Object.freeze({ enabled: false, blockSizeMs: 2 * HOUR_MS }),
});

/**
 * The options an update may change. M3's namespace update handler
 * (src/query/api/v1/handler/namespace/update.go) accepts only the retention
 * period among these (plus runtime, aggregation and extended options, which
 * m3ts does not model): block sizes fix the on-disk layout, buffers and the
 * flags are read once when the namespace is set up. An update may repeat any
 * other option with its current value.
 */
export const UPDATABLE_NAMESPACE_OPTIONS: readonly string[] = Object.freeze([
  "retentionPeriodMs",
  // Readers take both formats, so a change only decides what later flushes write.
  "fileFormat",
]);

const DURATION_OPTIONS = [
  "retentionPeriodMs",
  "blockSizeMs",
  "bufferPastMs",
  "bufferFutureMs",
  "futureRetentionPeriodMs",
  "blockDataExpiryAfterNotAccessedPeriodMs",
] as const;

/** The options that are flags, by name. */
export const BOOLEAN_NAMESPACE_OPTIONS = [
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

const TOP_LEVEL_OPTIONS: ReadonlySet<string> = new Set<string>([
  ...DURATION_OPTIONS,
  ...BOOLEAN_NAMESPACE_OPTIONS,
  "fileFormat",
  "index",
]);
const INDEX_OPTIONS: ReadonlySet<string> = new Set(["enabled", "blockSizeMs"]);

/** Fills the options not given from M3's defaults, validates, and returns them frozen. */
export function resolveNamespaceOptions(input: NamespaceOptionsInput = {}): NamespaceOptions {
  const options = merge(DEFAULT_NAMESPACE_OPTIONS, input);
  validateNamespaceOptions(options);
  return options;
}

/**
 * Applies an update to a namespace's current options and returns the new
 * options, validated and frozen. Throws ImmutableNamespaceOptionError if the
 * update changes an option outside UPDATABLE_NAMESPACE_OPTIONS (checked
 * before the values themselves), InvalidNamespaceOptionError if the result
 * breaks a rule (e.g. a retention shorter than a block).
 */
export function namespaceOptionsUpdate(
  current: NamespaceOptions,
  input: NamespaceOptionsInput,
): NamespaceOptions {
  const next = merge(current, input);
  const updatable = new Set(UPDATABLE_NAMESPACE_OPTIONS);
  for (const option of [...DURATION_OPTIONS, ...BOOLEAN_NAMESPACE_OPTIONS]) {
    if (next[option] !== current[option] && !updatable.has(option)) {
      throw new ImmutableNamespaceOptionError(
        option,
        current[option],
        next[option],
        UPDATABLE_NAMESPACE_OPTIONS,
      );
    }
  }
  for (const option of ["enabled", "blockSizeMs"] as const) {
    if (next.index[option] !== current.index[option] && !updatable.has(`index.${option}`)) {
      throw new ImmutableNamespaceOptionError(
        `index.${option}`,
        current.index[option],
        next.index[option],
        UPDATABLE_NAMESPACE_OPTIONS,
      );
    }
  }
  validateNamespaceOptions(next);
  return next;
}

/** `base` with the options given in `input` replaced, frozen, not yet validated; rejects unknown names. */
function merge(base: NamespaceOptions, input: NamespaceOptionsInput): NamespaceOptions {
  if (!isPlainObject(input)) {
    throw new InvalidNamespaceOptionError("options", input, {
      kind: "type",
      expected: "an object of option values",
    });
  }
  for (const key of Object.keys(input)) {
    if (!TOP_LEVEL_OPTIONS.has(key)) {
      throw new InvalidNamespaceOptionError(key, (input as Record<string, unknown>)[key], {
        kind: "unknown",
        section: "namespace",
        known: [...TOP_LEVEL_OPTIONS],
      });
    }
  }
  const index = input.index;
  if (index !== undefined) {
    if (!isPlainObject(index)) {
      throw new InvalidNamespaceOptionError("index", index, {
        kind: "type",
        expected: "an object",
      });
    }
    for (const key of Object.keys(index)) {
      if (!INDEX_OPTIONS.has(key)) {
        throw new InvalidNamespaceOptionError(
          `index.${key}`,
          (index as Record<string, unknown>)[key],
          { kind: "unknown", section: "index", known: [...INDEX_OPTIONS].map((k) => `index.${k}`) },
        );
      }
    }
  }
  const options: NamespaceOptions = {
    retentionPeriodMs: pick(input.retentionPeriodMs, base.retentionPeriodMs),
    blockSizeMs: pick(input.blockSizeMs, base.blockSizeMs),
    bufferPastMs: pick(input.bufferPastMs, base.bufferPastMs),
    bufferFutureMs: pick(input.bufferFutureMs, base.bufferFutureMs),
    futureRetentionPeriodMs: pick(input.futureRetentionPeriodMs, base.futureRetentionPeriodMs),
    blockDataExpiry: pick(input.blockDataExpiry, base.blockDataExpiry),
    blockDataExpiryAfterNotAccessedPeriodMs: pick(
      input.blockDataExpiryAfterNotAccessedPeriodMs,
      base.blockDataExpiryAfterNotAccessedPeriodMs,
    ),
    bootstrapEnabled: pick(input.bootstrapEnabled, base.bootstrapEnabled),
    flushEnabled: pick(input.flushEnabled, base.flushEnabled),
    snapshotEnabled: pick(input.snapshotEnabled, base.snapshotEnabled),
    writesToCommitLog: pick(input.writesToCommitLog, base.writesToCommitLog),
    cleanupEnabled: pick(input.cleanupEnabled, base.cleanupEnabled),
    repairEnabled: pick(input.repairEnabled, base.repairEnabled),
    coldWritesEnabled: pick(input.coldWritesEnabled, base.coldWritesEnabled),
    cacheBlocksOnRetrieve: pick(input.cacheBlocksOnRetrieve, base.cacheBlocksOnRetrieve),
    fileFormat: pick(input.fileFormat, base.fileFormat),
    index: Object.freeze({
      enabled: pick(index?.enabled, base.index.enabled),
      blockSizeMs: pick(index?.blockSizeMs, base.index.blockSizeMs),
    }),
  };
  return Object.freeze(options);
}

/** The given value, or the base one when absent. A null is kept, for validation to reject. */
function pick<T>(given: T | undefined, base: T): T {
  return given === undefined ? base : given;
}

function isPlainObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Longest duration: what fits M3's int64 nanoseconds (about 292 years). */
export const MAX_NAMESPACE_DURATION_MS = MAX_INT64_NS_MS;

/**
 * Checks every option's type and range, then M3's rules between them (first
 * failure wins): bufferPast and bufferFuture non-negative and less than the
 * block size; block size positive; retention at least one block; and, with
 * the index enabled, index block size positive, at most the retention (and
 * the future retention, if non-zero), and a multiple of the data block size.
 * Durations are integer ms in 0..MAX_NAMESPACE_DURATION_MS.
 */
export function validateNamespaceOptions(o: NamespaceOptions): void {
  for (const option of DURATION_OPTIONS) checkDuration(option, o[option]);
  for (const option of BOOLEAN_NAMESPACE_OPTIONS) checkBoolean(option, o[option]);
  if (!isPlainObject(o.index))
    throw new InvalidNamespaceOptionError("index", o.index, {
      kind: "type",
      expected: "an object",
    });
  if (!(FILE_FORMATS as readonly unknown[]).includes(o.fileFormat)) {
    throw new InvalidNamespaceOptionError("fileFormat", o.fileFormat, {
      kind: "type",
      expected: `one of ${FILE_FORMATS.map((f) => JSON.stringify(f)).join(", ")}`,
    });
  }
  checkBoolean("index.enabled", o.index.enabled);
  checkDuration("index.blockSizeMs", o.index.blockSizeMs);

  // retention/options.go Validate, in its order.
  if (o.blockSizeMs <= 0) {
    throw new InvalidNamespaceOptionError(
      "blockSizeMs",
      o.blockSizeMs,
      relation("greater than", null, 0),
    );
  }
  if (o.bufferFutureMs >= o.blockSizeMs) {
    throw new InvalidNamespaceOptionError(
      "bufferFutureMs",
      o.bufferFutureMs,
      relation("less than", "blockSizeMs", o.blockSizeMs),
    );
  }
  if (o.bufferPastMs >= o.blockSizeMs) {
    throw new InvalidNamespaceOptionError(
      "bufferPastMs",
      o.bufferPastMs,
      relation("less than", "blockSizeMs", o.blockSizeMs),
    );
  }
  if (o.retentionPeriodMs < o.blockSizeMs) {
    throw new InvalidNamespaceOptionError(
      "retentionPeriodMs",
      o.retentionPeriodMs,
      relation("at least", "blockSizeMs", o.blockSizeMs),
    );
  }

  // namespace/options.go Validate: index rules apply only with the index on.
  if (!o.index.enabled) return;
  const indexBlockMs = o.index.blockSizeMs;
  if (indexBlockMs <= 0) {
    throw new InvalidNamespaceOptionError(
      "index.blockSizeMs",
      indexBlockMs,
      relation("greater than", null, 0, true),
    );
  }
  if (o.retentionPeriodMs < indexBlockMs) {
    throw new InvalidNamespaceOptionError(
      "retentionPeriodMs",
      o.retentionPeriodMs,
      relation("at least", "index.blockSizeMs", indexBlockMs, true),
    );
  }
  if (o.futureRetentionPeriodMs !== 0 && o.futureRetentionPeriodMs < indexBlockMs) {
    throw new InvalidNamespaceOptionError(
      "futureRetentionPeriodMs",
      o.futureRetentionPeriodMs,
      relation("0 or at least", "index.blockSizeMs", indexBlockMs, true),
    );
  }
  if (indexBlockMs % o.blockSizeMs !== 0) {
    throw new InvalidNamespaceOptionError(
      "index.blockSizeMs",
      indexBlockMs,
      relation("a multiple of", "blockSizeMs", o.blockSizeMs),
    );
  }
}

function checkDuration(option: string, value: unknown): void {
  if (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= 0 &&
    value <= MAX_NAMESPACE_DURATION_MS
  ) {
    return;
  }
  throw new InvalidNamespaceOptionError(option, value, {
    kind: "range",
    minMs: 0,
    maxMs: MAX_NAMESPACE_DURATION_MS,
  });
}

function checkBoolean(option: string, value: unknown): void {
  if (typeof value !== "boolean") {
    throw new InvalidNamespaceOptionError(option, value, {
      kind: "type",
      expected: "true or false",
    });
  }
}

// ---- names ----------------------------------------------------------------------

/** Longest namespace name, in bytes (names are ASCII, so also characters). */
export const MAX_NAMESPACE_NAME_BYTES = 255;

/**
 * Checks a namespace name: 1..255 characters from [A-Za-z0-9_.-], and not
 * "." or "..". M3 itself checks little; m3ts is strict because the name
 * becomes a directory name on disk, a metric label and a URL path segment.
 */
export function validateNamespaceName(name: string): void {
  if (typeof name !== "string" || name.length === 0) {
    throw new InvalidNamespaceOptionError("name", name, {
      kind: "type",
      expected: "a non-empty string",
    });
  }
  if (name.length > MAX_NAMESPACE_NAME_BYTES) {
    throw new InvalidNamespaceOptionError("name", name, {
      kind: "length",
      length: name.length,
      limit: MAX_NAMESPACE_NAME_BYTES,
    });
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new InvalidNamespaceOptionError("name", name, {
      kind: "characters",
      allowed: "letters A-Z and a-z, digits, '_', '.' and '-'",
    });
  }
  if (name === "." || name === "..") {
    throw new InvalidNamespaceOptionError("name", name, {
      kind: "reserved",
      reserved: [".", ".."],
    });
  }
}
