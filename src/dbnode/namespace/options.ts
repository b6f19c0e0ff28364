// A namespace's options with M3's defaults and validation (M3-NOTES §2.1,
// §2.2: src/dbnode/namespace/options.go, src/dbnode/retention/options.go),
// the rule for what may change on an existing namespace, and namespace names.
// Durations are integer milliseconds (M3 stores int64 nanoseconds).
import { M3tsError, MAX_INT64_NS_MS } from "../../x/index.js";

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
  readonly index: NamespaceIndexOptions;
}

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
  readonly index?: Partial<NamespaceIndexOptions>;
}

/** How a value compares with the bound of a relation rule. */
export type NamespaceOptionRelation =
  | "greater than"
  | "less than"
  | "at least"
  | "0 or at least"
  | "a multiple of";

/**
 * The rule an option's value breaks, as data, so a caller can restate it in
 * its own terms (the configuration file names options and durations its way).
 */
export type NamespaceOptionRule =
  /** The value is not of the option's kind; it must be `expected` ("true or false", "an object"). */
  | { readonly kind: "type"; readonly expected: string }
  /** A duration outside `minMs..maxMs` or not an integer number of milliseconds. */
  | { readonly kind: "range"; readonly minMs: number; readonly maxMs: number }
  /** The option is not one of `known`, the options of `section`. */
  | {
      readonly kind: "unknown";
      readonly section: "namespace" | "index";
      readonly known: readonly string[];
    }
  /**
   * The value must be `relation` `bound`: a constant when `boundOption` is
   * null, else the value (ms) of the option it names. With `whenIndexEnabled`
   * the rule applies only to a namespace whose index is on.
   */
  | {
      readonly kind: "relation";
      readonly relation: NamespaceOptionRelation;
      readonly bound: number;
      readonly boundOption: string | null;
      readonly whenIndexEnabled: boolean;
    }
  /** A name `length` characters long, past `limit`. */
  | { readonly kind: "length"; readonly length: number; readonly limit: number }
  /** A name with a character that is not `allowed`. */
  | { readonly kind: "characters"; readonly allowed: string }
  /** A name that is one of `reserved`. */
  | { readonly kind: "reserved"; readonly reserved: readonly string[] };

/** An option value outside what is allowed; the message names the option, the value and the rule. */
export class InvalidNamespaceOptionError extends M3tsError {
  readonly option: string;
  readonly value: unknown;
  readonly rule: NamespaceOptionRule;

  constructor(option: string, value: unknown, rule: NamespaceOptionRule) {
    super("M3TS_ERR_NAMESPACE_OPTION", `${option} ${show(value)} ${describeRule(rule, value)}`);
    this.option = option;
    this.value = value;
    this.rule = rule;
  }
}

/** The rule in the words of the error's message, after the option and its value. */
function describeRule(rule: NamespaceOptionRule, value: unknown): string {
  switch (rule.kind) {
    case "type":
      return `must be ${rule.expected}`;
    case "range": {
      const hint =
        typeof value === "string" ? ' (convert strings like "48h" with parseDurationMs)' : "";
      return `must be an integer number of milliseconds in ${rule.minMs}..${rule.maxMs}${hint}`;
    }
    case "unknown":
      return `is not ${rule.section === "index" ? "an index" : "a namespace"} option; known options: ${rule.known.join(", ")}`;
    case "relation": {
      const bound =
        rule.boundOption === null ? String(rule.bound) : `${rule.boundOption} ${rule.bound}`;
      const when = rule.whenIndexEnabled ? " when the index is enabled" : "";
      return `must be ${rule.relation} ${bound}${when}`;
    }
    case "length":
      return `is ${rule.length} characters long; the limit is ${rule.limit}`;
    case "characters":
      return `may hold only ${rule.allowed}`;
    case "reserved":
      return `must not be ${rule.reserved.map((r) => JSON.stringify(r)).join(" or ")}`;
  }
}

/** An update that would change an option fixed at a namespace's creation. */
export class ImmutableNamespaceOptionError extends M3tsError {
  readonly option: string;
  readonly current: unknown;
  readonly requested: unknown;

  constructor(option: string, current: unknown, requested: unknown) {
    super(
      "M3TS_ERR_NAMESPACE_OPTION_IMMUTABLE",
      `${option} cannot change on an existing namespace (${show(current)} -> ${show(requested)}): ` +
        `only ${UPDATABLE_NAMESPACE_OPTIONS.join(", ")} may change, as in M3; ` +
        "create a new namespace to use other values",
    );
    this.option = option;
    this.current = current;
    this.requested = requested;
  }
}

function show(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  }
  if (typeof value === "object" && value !== null) return Array.isArray(value) ? "array" : "object";
  return String(value);
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
export const UPDATABLE_NAMESPACE_OPTIONS: readonly string[] = Object.freeze(["retentionPeriodMs"]);

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
      throw new ImmutableNamespaceOptionError(option, current[option], next[option]);
    }
  }
  for (const option of ["enabled", "blockSizeMs"] as const) {
    if (next.index[option] !== current.index[option] && !updatable.has(`index.${option}`)) {
      throw new ImmutableNamespaceOptionError(
        `index.${option}`,
        current.index[option],
        next.index[option],
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
  checkBoolean("index.enabled", o.index.enabled);
  checkDuration("index.blockSizeMs", o.index.blockSizeMs);

  // retention/options.go Validate, in its order.
  if (o.blockSizeMs <= 0) {
    throw new InvalidNamespaceOptionError("blockSizeMs", o.blockSizeMs, {
      kind: "relation",
      relation: "greater than",
      bound: 0,
      boundOption: null,
      whenIndexEnabled: false,
    });
  }
  if (o.bufferFutureMs >= o.blockSizeMs) {
    throw new InvalidNamespaceOptionError("bufferFutureMs", o.bufferFutureMs, {
      kind: "relation",
      relation: "less than",
      bound: o.blockSizeMs,
      boundOption: "blockSizeMs",
      whenIndexEnabled: false,
    });
  }
  if (o.bufferPastMs >= o.blockSizeMs) {
    throw new InvalidNamespaceOptionError("bufferPastMs", o.bufferPastMs, {
      kind: "relation",
      relation: "less than",
      bound: o.blockSizeMs,
      boundOption: "blockSizeMs",
      whenIndexEnabled: false,
    });
  }
  if (o.retentionPeriodMs < o.blockSizeMs) {
    throw new InvalidNamespaceOptionError("retentionPeriodMs", o.retentionPeriodMs, {
      kind: "relation",
      relation: "at least",
      bound: o.blockSizeMs,
      boundOption: "blockSizeMs",
      whenIndexEnabled: false,
    });
  }

  // namespace/options.go Validate: index rules apply only with the index on.
  if (!o.index.enabled) return;
  const indexBlockMs = o.index.blockSizeMs;
  if (indexBlockMs <= 0) {
    throw new InvalidNamespaceOptionError("index.blockSizeMs", indexBlockMs, {
      kind: "relation",
      relation: "greater than",
      bound: 0,
      boundOption: null,
      whenIndexEnabled: true,
    });
  }
  if (o.retentionPeriodMs < indexBlockMs) {
    throw new InvalidNamespaceOptionError("retentionPeriodMs", o.retentionPeriodMs, {
      kind: "relation",
      relation: "at least",
      bound: indexBlockMs,
      boundOption: "index.blockSizeMs",
      whenIndexEnabled: true,
    });
  }
  if (o.futureRetentionPeriodMs !== 0 && o.futureRetentionPeriodMs < indexBlockMs) {
    throw new InvalidNamespaceOptionError("futureRetentionPeriodMs", o.futureRetentionPeriodMs, {
      kind: "relation",
      relation: "0 or at least",
      bound: indexBlockMs,
      boundOption: "index.blockSizeMs",
      whenIndexEnabled: true,
    });
  }
  if (indexBlockMs % o.blockSizeMs !== 0) {
    throw new InvalidNamespaceOptionError("index.blockSizeMs", indexBlockMs, {
      kind: "relation",
      relation: "a multiple of",
      bound: o.blockSizeMs,
      boundOption: "blockSizeMs",
      whenIndexEnabled: false,
    });
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
