// The `namespaces:` list of the configuration file: the keys of an entry in
// the file's terms (checked by the schema walk like every other key), the
// default namespace, and M3's rules between an entry's options, restated
// under the entry's keys and in its units when one is broken.
import {
  InvalidNamespaceOptionError,
  MAX_NAMESPACE_NAME_BYTES,
  type NamespaceOptionRule,
  resolveNamespaceOptions,
  validateNamespaceName,
} from "../dbnode/namespace/index.js";
import { formatDurationMs } from "../x/index.js";
import { ConfigError } from "./config-error.js";
import { type ConfigOf, inline, type LeafPath, leaf, leafPaths, list, section } from "./schema.js";

const NAME_RULE = `a namespace name of 1 to ${MAX_NAMESPACE_NAME_BYTES} characters from A-Z, a-z, 0-9, '_', '.' and '-', other than "." and ".."`;

/** One entry of `namespaces:`; `options` are written beside `name` and checked into NamespaceOptionsInput. */
export const NAMESPACE_ENTRY = {
  name: leaf(
    { kind: "string", required: true, unique: true, expected: NAME_RULE, accepts: isNamespaceName },
    "The namespace's name (required).",
  ),
  options: inline({
    retention: leaf(
      { kind: "duration", min: 0, as: "retentionPeriodMs" },
      "How long data is kept (duration).",
    ),
    blockSize: leaf(
      { kind: "duration", min: 0, as: "blockSizeMs" },
      "Span of one data block (duration).",
    ),
    bufferPast: leaf(
      { kind: "duration", min: 0, as: "bufferPastMs" },
      "How far behind now a warm write may be (duration).",
    ),
    bufferFuture: leaf(
      { kind: "duration", min: 0, as: "bufferFutureMs" },
      "How far ahead of now a warm write may be (duration).",
    ),
    futureRetentionPeriod: leaf(
      { kind: "duration", min: 0, as: "futureRetentionPeriodMs" },
      "How far ahead of now cold writes are kept (duration).",
    ),
    blockDataExpiry: leaf(
      { kind: "bool" },
      "Whether cached blocks are evicted when not read (bool).",
    ),
    blockDataExpiryAfterNotAccessedPeriod: leaf(
      { kind: "duration", min: 0, as: "blockDataExpiryAfterNotAccessedPeriodMs" },
      "How long a cached block may go unread (duration).",
    ),
    bootstrapEnabled: leaf({ kind: "bool" }, "Whether the namespace is restored at start (bool)."),
    flushEnabled: leaf({ kind: "bool" }, "Whether blocks are flushed to filesets (bool)."),
    snapshotEnabled: leaf({ kind: "bool" }, "Whether snapshots include the namespace (bool)."),
    writesToCommitLog: leaf({ kind: "bool" }, "Whether writes go to the commit log (bool)."),
    cleanupEnabled: leaf({ kind: "bool" }, "Whether expired files are removed (bool)."),
    repairEnabled: leaf({ kind: "bool" }, "Kept for M3 compatibility (bool)."),
    coldWritesEnabled: leaf(
      { kind: "bool" },
      "Whether writes outside the buffers but within retention are accepted (bool).",
    ),
    cacheBlocksOnRetrieve: leaf(
      { kind: "bool" },
      "Whether blocks read from disk are cached (bool).",
    ),
    fileFormat: leaf(
      { kind: "enum", values: ["m3ts", "m3"] },
      "The fileset format flushes write: m3ts (compressed, the default) or m3 (M3's seven files of M3TSZ streams); both are read.",
    ),
    index: section("The namespace's reverse index.", {
      // Remote read finds series through the index, so a configured namespace has one unless told not to.
      enabled: leaf(
        { kind: "bool", default: true },
        "Whether series are indexed by their labels (bool, default true; remote read needs it).",
      ),
      blockSize: leaf(
        { kind: "duration", min: 0, as: "blockSizeMs" },
        "Span of one index block (duration, a multiple of blockSize; default blockSize).",
      ),
    }),
  }),
};

/** A checked entry of `namespaces:`. */
export type NamespaceEntry = ConfigOf<typeof NAMESPACE_ENTRY>;

/** The namespaces created at start when missing; without the key, one named "default". */
export const NAMESPACES = list({
  doc: "Namespaces created at start when missing; one that exists keeps its options.",
  noun: "namespace",
  entry: NAMESPACE_ENTRY,
  default: [
    {
      name: "default",
      retention: "48h",
      blockSize: "2h",
      // Cold writes on: a Prometheus resending its WAL after an outage
      // longer than bufferPast gets 400s it does not retry, and loses
      // that span; with cold writes the whole retention is accepted.
      coldWritesEnabled: true,
      index: { enabled: true, blockSize: "2h" },
    },
  ],
  refine: applyNamespaceRules,
});

function isNamespaceName(name: string): boolean {
  try {
    validateNamespaceName(name);
    return true;
  } catch (e) {
    if (e instanceof InvalidNamespaceOptionError) return false;
    throw e;
  }
}

// NamespaceOptionsInput's option names (index ones as "index.blockSizeMs") -> the entry's keys.
const OPTION_KEYS: ReadonlyMap<string, LeafPath> = new Map(
  leafPaths(NAMESPACE_ENTRY.options.fields).map((p) => [p.config, p]),
);

/** Fills what defaults to another key, then checks M3's rules between the options. */
function applyNamespaceRules(
  entry: NamespaceEntry,
  raw: Readonly<Record<string, unknown>>,
  path: string,
): void {
  const options = entry.options;
  // Index blocks default to the data block size, as M3's database/create does.
  if (options.index.blockSizeMs === undefined && options.blockSizeMs !== undefined) {
    options.index.blockSizeMs = options.blockSizeMs;
  }
  try {
    resolveNamespaceOptions(options);
  } catch (e) {
    if (!(e instanceof InvalidNamespaceOptionError)) throw e;
    throw restate(e, raw, path);
  }
}

/** The broken rule under the entry's key, with durations as the file writes them. */
function restate(
  e: InvalidNamespaceOptionError,
  raw: Readonly<Record<string, unknown>>,
  path: string,
): ConfigError | InvalidNamespaceOptionError {
  const at = OPTION_KEYS.get(e.option);
  const expected = at === undefined ? undefined : expectedBy(e.rule);
  // The schema checked every key, kind and name before: a rule of another
  // kind, or an option the table lacks, means the table and the namespace
  // module disagree. That is a bug, and the original error says it best.
  if (at === undefined || expected === undefined) return e;
  let written: unknown = raw;
  for (const part of at.file.split(".")) {
    written =
      typeof written === "object" && written !== null ? Reflect.get(written, part) : undefined;
  }
  const value =
    written ??
    (at.spec.kind === "duration" && typeof e.value === "number"
      ? `${formatDurationMs(e.value)} (default)`
      : e.value);
  return new ConfigError(`${path}.${at.file}`, value, expected);
}

function expectedBy(rule: NamespaceOptionRule): string | undefined {
  switch (rule.kind) {
    case "relation": {
      const other = rule.boundOption === null ? undefined : OPTION_KEYS.get(rule.boundOption);
      const bound =
        rule.boundOption === null
          ? String(rule.bound)
          : `${other?.file ?? rule.boundOption} ${formatDurationMs(rule.bound)}`;
      const when = rule.whenIndexEnabled ? " when the index is enabled" : "";
      return `a value that is ${rule.relation} ${bound}${when}`;
    }
    case "range":
      return `a duration from ${formatDurationMs(rule.minMs)} to ${formatDurationMs(rule.maxMs)}`;
    case "type":
      return rule.expected;
    default:
      return undefined;
  }
}
